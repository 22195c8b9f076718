/**
 * Progress on stderr, only when stderr is a terminal: redrawn in place there, and nothing in a
 * log or a pipe (a `\r` bar there is noise, and stdout stays for results).
 */
export function progressBar(done: number, total: number, label: string, suffix = ''): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${suffix}${done === total ? '\n' : ''}`);
}

const mb = (n: number) => (n / 1e6).toFixed(1);

/** A download's progress callback: a bar with MB and speed on a terminal, redrawn at most 10×/s. */
export function downloadBar(label: string): (received: number, total: number) => void {
  let last = 0;
  const start = performance.now();
  let first: number | undefined;
  return (received, total) => {
    if (!process.stderr.isTTY) return;
    first ??= received; // a resumed transfer starts above 0: speed counts this run's bytes
    const now = performance.now();
    if (received !== total && now - last < 100) return;
    last = now;
    const width = 30;
    const filled = Math.round((received / total) * width);
    const rate = (received - first) / Math.max(0.001, (now - start) / 1000);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${mb(received)}/${mb(total)} MB  ${mb(rate)} MB/s ${received === total ? '\n' : ''}`);
  };
}
