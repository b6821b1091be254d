/** Receives progress of long work (ingests, materialisations); the CLI draws a bar, the API ignores it. */
export interface ProgressSink {
  /** `fraction` in [0, 1] when known; `rows` processed so far. */
  update(label: string, fraction: number | undefined, rows: number): void;
  done(): void;
}

export const silentProgress: ProgressSink = { update: () => undefined, done: () => undefined };

/**
 * A one-line progress bar on a TTY stream, drawn only once the work has run for `delayMs`
 * (short ingests stay quiet), with rows/s.
 */
export class TerminalProgress implements ProgressSink {
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly delayMs = 1000,
  ) {}

  update(label: string, fraction: number | undefined, rows: number): void {
    if (!this.stream.isTTY) return;
    const elapsed = (Date.now() - this.started) / 1000;
    if (elapsed * 1000 < this.delayMs) return;
    const width = 30;
    const filled = fraction === undefined ? 0 : Math.round(Math.min(1, Math.max(0, fraction)) * width);
    const bar = fraction === undefined ? '' : `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
    const rate = elapsed > 0 ? rows / elapsed : 0;
    this.stream.write(`\r${label} ${bar}${formatCount(rows)} rows ${formatCount(rate)} rows/s   `);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

/** 1234567 → "1.23M". */
export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}
