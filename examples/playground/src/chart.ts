// Line charts on a <canvas> for the live curves: axes with round tick values (1, 2 or 5 × 10^k),
// several series, redrawn at most once per animation frame however often points arrive.

export interface Series {
  label: string;
  color: string;
  points: { x: number; y: number }[];
  width?: number;
  dots?: boolean;
}

export interface ChartOptions {
  yLabel: string;
  /** Fixed y range (e.g. accuracy 0–100 %); otherwise from the data, starting at 0. */
  yMin?: number;
  yMax?: number;
  /** A tick's label; `step` (the distance between ticks) says how many decimals are meaningful. */
  format: (y: number, step: number) => string;
}

/** Decimals that show a tick step of 1, 2 or 5 × 10^k exactly. */
export const decimalsFor = (step: number) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));

/** Round tick values covering [lo, hi] with about `count` ticks: steps of 1, 2 or 5 × 10^k. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi - step * 1e-9) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

export class LineChart {
  private readonly ctx: CanvasRenderingContext2D;
  private pending = false;
  series: Series[] = [];

  constructor(private readonly canvas: HTMLCanvasElement, private readonly opts: ChartOptions) {
    this.ctx = canvas.getContext('2d')!;
  }

  /** Schedules a redraw for the next frame (many updates in one frame draw once). */
  update(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw(): void {
    const { canvas, ctx, opts } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const all = this.series.flatMap((s) => s.points);
    const xMax = Math.max(10, ...all.map((p) => p.x));
    const yLo = opts.yMin ?? 0;
    const yHi = opts.yMax ?? (all.length > 0 ? Math.max(1e-3, ...all.map((p) => p.y)) : 1);
    const xt = niceTicks(0, xMax, 5), yt = niceTicks(yLo, yHi, 4);
    const x1 = xt[xt.length - 1]!, y0 = opts.yMin ?? yt[0]!, y1 = opts.yMax ?? yt[yt.length - 1]!;
    const L = 52, R = 10, T = 22, B = 24;
    const px = (x: number) => L + (x / x1) * (w - L - R);
    const py = (y: number) => h - B - ((y - y0) / (y1 - y0)) * (h - T - B);

    ctx.font = '11px system-ui, sans-serif';
    ctx.strokeStyle = '#d0d4da';
    ctx.fillStyle = '#555';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const y of yt) {
      if (y < y0 || y > y1) continue;
      ctx.beginPath(); ctx.moveTo(L, py(y)); ctx.lineTo(w - R, py(y)); ctx.stroke();
      ctx.fillText(opts.format(y, yt[1]! - yt[0]!), L - 6, py(y));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const x of xt) ctx.fillText(String(x), px(x), h - B + 6);
    ctx.textAlign = 'left';
    ctx.fillText(opts.yLabel, 4, 4);

    let lx = w - R;
    for (const s of [...this.series].reverse()) { // legend, right-aligned at the top
      const tw = ctx.measureText(s.label).width;
      lx -= tw;
      ctx.fillStyle = '#333';
      ctx.fillText(s.label, lx, 4);
      lx -= 16;
      ctx.fillStyle = s.color;
      ctx.fillRect(lx, 9, 12, 3);
      lx -= 12;
    }

    ctx.save();
    ctx.beginPath();
    ctx.rect(L, T - 2, w - L - R, h - T - B + 4);
    ctx.clip();
    for (const s of this.series) {
      if (s.points.length === 0) continue;
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = s.width ?? 1.5;
      ctx.beginPath();
      s.points.forEach((p, i) => (i === 0 ? ctx.moveTo(px(p.x), py(p.y)) : ctx.lineTo(px(p.x), py(p.y))));
      ctx.stroke();
      if (s.dots) for (const p of s.points) { ctx.beginPath(); ctx.arc(px(p.x), py(p.y), 3, 0, 2 * Math.PI); ctx.fill(); }
    }
    ctx.restore();
  }
}
