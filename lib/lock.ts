/** One-at-a-time access to a native network: calls run in arrival order, never overlapping. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task, task);
    this.tail = result.then(() => { this.pending--; }, () => { this.pending--; });
    return result;
  }

  /** Calls queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Resolves once everything queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

/** Calls accepted and not yet settled (whatever stage they are at), for a dispose that lets them finish. */
export class InFlight {
  private readonly calls = new Set<Promise<unknown>>();

  track<T>(call: Promise<T>): Promise<T> {
    this.calls.add(call);
    const settled = () => { this.calls.delete(call); };
    call.then(settled, settled);
    return call;
  }

  /** Resolves once every call tracked so far, and any tracked meanwhile, has settled. */
  async settled(): Promise<void> {
    while (this.calls.size) await Promise.allSettled([...this.calls]);
  }
}
