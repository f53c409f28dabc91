// Training progress: a live bar redrawn in place (\r) on a terminal, plain lines every N steps and
// at each epoch's end otherwise — epoch, step/total, loss, metrics, samples/s, ETA.

/** Where progress goes: process.stdout, or anything with write() (isTTY picks the live bar). */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressOptions {
  stream?: ProgressStream;
  /** 'auto' (default): a bar on a TTY, lines otherwise. */
  mode?: ProgressMode;
  /** Steps between plain lines (default: about ten lines per epoch). */
  every?: number;
  /** Milliseconds between redraws of the bar (default 100). */
  redrawMs?: number;
  /** The clock (for tests). */
  now?: () => number;
}

/** h:mm:ss or m:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const two = (v: number): string => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

/** Loss-like numbers with 4 significant decimals, large rates with thousands separators. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return v.toFixed(4);
}

function formatRate(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '?';
}

function defaultStream(): ProgressStream {
  const proc = (globalThis as { process?: { stdout?: ProgressStream } }).process;
  if (proc?.stdout && typeof proc.stdout.write === 'function') return proc.stdout;
  return { write: (s: string) => console.log(s.replace(/\n$/, '')) };
}

/** Shows an epoch's progress; fit() drives it, and a hand-written loop can too. */
export class Progress {
  readonly mode: 'bar' | 'lines' | 'none';
  private readonly stream: ProgressStream;
  private readonly every: number | undefined;
  private readonly redrawMs: number;
  private readonly now: () => number;
  private epoch = 0;
  private epochs = 0;
  private total: number | undefined;
  private start = 0;
  private lastDraw = -Infinity;
  private lastLen = 0;

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? defaultStream();
    const mode = opts.mode ?? 'auto';
    this.mode = mode === 'auto' ? (this.stream.isTTY ? 'bar' : 'lines') : mode;
    this.every = opts.every;
    this.redrawMs = opts.redrawMs ?? 100;
    this.now = opts.now ?? (() => (typeof performance !== 'undefined' ? performance.now() : Date.now()));
  }

  startEpoch(epoch: number, epochs: number, totalSteps?: number): void {
    this.epoch = epoch;
    this.epochs = epochs;
    this.total = totalSteps;
    this.start = this.now();
    this.lastDraw = -Infinity;
    this.lastLen = 0;
  }

  private head(): string {
    const w = String(this.epochs).length;
    return `Epoch ${String(this.epoch).padStart(w)}/${this.epochs}`;
  }

  private values(values: Record<string, number>): string {
    // Learning rates span decades within a run (one-cycle): always three significant digits with an exponent.
    return Object.entries(values).map(([k, v]) => `${k} ${k === 'lr' ? (Number.isFinite(v) ? v.toExponential(2) : String(v)) : formatNumber(v)}`).join('  ');
  }

  /** After `step` steps (1-based) and `samples` samples of this epoch, with the running values (loss, metrics). */
  update(step: number, samples: number, values: Record<string, number>): void {
    if (this.mode === 'none') return;
    const t = this.now();
    const secs = (t - this.start) / 1000;
    const rate = secs > 0 ? samples / secs : NaN;
    const stepsLeft = this.total !== undefined ? this.total - step : NaN;
    const eta = step > 0 ? (secs / step) * stepsLeft : NaN;
    const every = this.every ?? Math.max(1, Math.ceil((this.total ?? 500) / 10));
    if (this.mode === 'bar' ? t - this.lastDraw < this.redrawMs && step !== this.total : step % every !== 0 || step === this.total) return;
    const stepText = this.total !== undefined ? `${String(step).padStart(String(this.total).length)}/${this.total}` : String(step);
    const tail = `${this.values(values)}  ${formatRate(rate)} samples/s${this.total !== undefined ? `  ETA ${formatDuration(eta)}` : ''}`;
    if (this.mode === 'bar') {
      this.lastDraw = t;
      const width = 24;
      let bar = '';
      if (this.total) {
        const done = Math.min(width, Math.floor((step / this.total) * width));
        bar = `[${'='.repeat(Math.max(0, done - 1))}${done > 0 ? (done === width ? '=' : '>') : ''}${' '.repeat(width - done)}] `;
      }
      let line = `${this.head()}  ${bar}${stepText}  ${tail}`;
      const cols = this.stream.columns;
      if (cols && line.length > cols - 1) line = line.slice(0, cols - 1);
      const pad = this.lastLen > line.length ? ' '.repeat(this.lastLen - line.length) : '';
      this.lastLen = line.length;
      this.stream.write(`\r${line}${pad}`);
      return;
    }
    this.stream.write(`${this.head()}  step ${stepText}  ${tail}\n`);
  }

  /** The epoch's summary line (train and validation values), ending any live bar. */
  endEpoch(samples: number, values: Record<string, number>): void {
    if (this.mode === 'none') return;
    const secs = (this.now() - this.start) / 1000;
    const rate = secs > 0 ? samples / secs : NaN;
    const line = `${this.head()}  ${this.values(values)}  ${formatDuration(secs)}  ${formatRate(rate)} samples/s`;
    if (this.mode === 'bar') {
      const pad = this.lastLen > line.length ? ' '.repeat(this.lastLen - line.length) : '';
      this.stream.write(`\r${line}${pad}\n`);
    } else {
      this.stream.write(`${line}\n`);
    }
    this.lastLen = 0;
  }

  /** A free line (e.g. from a callback), not mixed into a live bar. */
  log(text: string): void {
    if (this.mode === 'none') return;
    if (this.mode === 'bar' && this.lastLen > 0) this.stream.write('\n');
    this.lastLen = 0;
    this.stream.write(`${text}\n`);
  }
}
