// A progress line for training: a live bar redrawn in place on a terminal, plain lines otherwise.

export interface ProgressStats { loss: number; acc: number; samplesPerSec: number }

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60), r = Math.round(s % 60);
  return `${m}:${String(r).padStart(2, '0')}`;
};

export class Progress {
  private readonly tty: boolean;
  private readonly start = performance.now();
  private lastPlain = 0;
  private lastDraw = 0;
  private width = 0;

  constructor(private readonly label: string, private readonly total: number, quiet = false, private readonly stream: NodeJS.WriteStream = process.stdout) {
    this.tty = !quiet && stream.isTTY === true;
    this.quiet = quiet;
  }

  private readonly quiet: boolean;

  update(step: number, s: ProgressStats): void {
    const now = performance.now();
    const elapsed = (now - this.start) / 1000;
    const eta = step > 0 ? (elapsed / step) * (this.total - step) : Infinity;
    const stats = `loss ${s.loss.toFixed(4)} acc ${(100 * s.acc).toFixed(2)}% · ${Math.round(s.samplesPerSec)} samples/s · ETA ${fmtTime(eta)}`;
    if (this.tty) {
      if (now - this.lastDraw < 100 && step < this.total) return;
      this.lastDraw = now;
      const cols = Math.max(40, (this.stream.columns ?? 100) - 1);
      const head = `${this.label} ${String(step).padStart(String(this.total).length)}/${this.total} `;
      const room = Math.max(10, cols - head.length - stats.length - 3);
      const filled = Math.round((room * step) / this.total);
      const line = `${head}[${'█'.repeat(filled)}${'·'.repeat(room - filled)}] ${stats}`;
      this.width = Math.max(this.width, line.length);
      this.stream.write(`\r${line.padEnd(this.width)}`);
    } else if (!this.quiet && (now - this.lastPlain > 10000 || step === this.total)) {
      // Not a terminal (a log file, CI): a plain line every 10 s.
      this.lastPlain = now;
      this.stream.write(`${this.label} step ${step}/${this.total} ${stats}\n`);
    }
  }

  /** Finishes the bar with a summary line. */
  end(summary: string): void {
    if (this.tty) this.stream.write(`\r${' '.repeat(this.width)}\r`);
    this.stream.write(`${this.label}: ${summary}\n`);
  }
}
