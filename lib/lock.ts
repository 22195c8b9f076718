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
