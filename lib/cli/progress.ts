/** A progress bar on stderr: redrawn in place on a terminal, every 5 % when piped (a log). */
export function progressBar(done: number, total: number, label: string, suffix = ''): void {
  if (!process.stderr.isTTY && done !== total && done % Math.max(1, Math.floor(total / 20))) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${suffix}${done === total ? '\n' : ''}`);
}
