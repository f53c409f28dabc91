// Inline SVG line charts for report.html: axes on "nice" ticks (1, 2, 2.5, 5 × 10^k), labels in one
// format per axis, any number of series of (x, y) points, long series averaged into buckets.

import { esc } from '../tasks/html.js';

/** A tick step of 1, 2, 2.5 or 5 × 10^k, about `range / target` (Heckbert's nice numbers). */
export function niceStep(range: number, target = 5): number {
  if (!(range > 0) || !Number.isFinite(range)) return 1;
  const raw = range / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return Number(((f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10) * p).toPrecision(12)); // 5 × 1e-5 is 4.9999…e-5 in binary
}

/** Ticks covering [lo, hi] at a nice step: the axis runs from the first to the last. */
export function niceTicks(lo: number, hi: number, target = 5, integer = false): { ticks: number[]; step: number } {
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.05 : 0.5;
    lo -= pad;
    hi += pad;
  }
  let step = niceStep(hi - lo, target);
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  // k·step rounded to the step's decimals, so that 0.1·3 is 0.3, not 0.30000000000000004.
  const dec = decimalsOf(step);
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toFixed(Math.min(20, dec + 2))));
  return { ticks, step };
}

/** Decimals needed to write multiples of a nice step exactly (0.25 → 2, 5 → 0, 2e-4 → 4). */
export function decimalsOf(step: number): number {
  for (let d = 0; d <= 15; d++) if (Math.abs(step * 10 ** d - Math.round(step * 10 ** d)) < 1e-6) return d;
  return 15;
}

/** One label format for all ticks of an axis: fixed decimals from the step, or exponents for tiny/huge values. */
export function tickFormatter(step: number, maxAbs: number, suffix = ''): (v: number) => string {
  if (maxAbs >= 1e5 || (maxAbs > 0 && maxAbs < 1e-3)) {
    // Enough mantissa digits that every multiple of the step is written exactly (2.5e-4 → 2.50e-4, 1.25e-3).
    const e = Math.floor(Math.log10(step));
    const d = Math.min(4, Math.max(0, Math.floor(Math.log10(maxAbs)) - e) + decimalsOf(Number((step / 10 ** e).toPrecision(6))));
    return (v) => (v === 0 ? '0' : v.toExponential(d)) + suffix;
  }
  const d = decimalsOf(step);
  return (v) => v.toFixed(d) + suffix;
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** Draw a dot at each point (few points, e.g. per epoch). */
  dots?: boolean;
  width?: number;
  opacity?: number;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  series: Series[];
  /** Values are fractions shown as percents (ticks are nice in percent). */
  percent?: boolean;
  /** x ticks at whole numbers (epochs). */
  xInteger?: boolean;
  width?: number;
  height?: number;
}

/** Averages a long series into at most `max` buckets (each point: the mean x and mean y of its bucket). */
export function bucketMeans(points: [number, number][], max: number): [number, number][] {
  if (points.length <= max) return points;
  const out: [number, number][] = [];
  const size = points.length / max;
  for (let b = 0; b < max; b++) {
    const s = Math.floor(b * size), e = Math.floor((b + 1) * size);
    let sx = 0, sy = 0;
    for (let i = s; i < e; i++) { sx += points[i]![0]; sy += points[i]![1]; }
    out.push([sx / (e - s), sy / (e - s)]);
  }
  return out;
}

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 520, H = o.height ?? 280, L = 64, R = 14, T = 30, B = 40;
  const mul = o.percent ? 100 : 1;
  const series = o.series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y]) => [x, y * mul] as [number, number]) }));
  const all = series.flatMap((s) => s.points);
  if (!all.length) return '';
  const ys = niceTicks(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])));
  const xs = niceTicks(Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])), 6, o.xInteger);
  const [y0, y1] = [ys.ticks[0]!, ys.ticks.at(-1)!], [x0, x1] = [xs.ticks[0]!, xs.ticks.at(-1)!];
  const X = (v: number): number => L + ((v - x0) * (W - L - R)) / (x1 - x0 || 1);
  const Y = (v: number): number => T + ((y1 - v) * (H - T - B)) / (y1 - y0 || 1);
  const fy = tickFormatter(ys.step, Math.max(Math.abs(y0), Math.abs(y1)), o.percent ? '%' : '');
  const fx = tickFormatter(xs.step, Math.max(Math.abs(x0), Math.abs(x1)));
  const f1 = (v: number): string => v.toFixed(1);
  const grid = ys.ticks.map((v) => `<line x1="${L}" x2="${W - R}" y1="${f1(Y(v))}" y2="${f1(Y(v))}" stroke="#e5e5e5"/><text x="${L - 6}" y="${f1(Y(v) + 4)}" text-anchor="end" font-size="11">${esc(fy(v))}</text>`).join('');
  const xt = xs.ticks.map((v) => `<line x1="${f1(X(v))}" x2="${f1(X(v))}" y1="${H - B}" y2="${H - B + 4}" stroke="#999"/><text x="${f1(X(v))}" y="${H - B + 16}" text-anchor="middle" font-size="11">${esc(fx(v))}</text>`).join('');
  const lines = series.map((s) => {
    const pts = s.points.map(([x, y]) => `${f1(X(x))},${f1(Y(y))}`);
    const dots = s.dots ? s.points.map(([x, y]) => `<circle cx="${f1(X(x))}" cy="${f1(Y(y))}" r="3" fill="${s.color}"/>`).join('') : '';
    return `<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''} points="${pts.join(' ')}"/>${dots}`;
  }).join('');
  // Legend entries side by side, each as wide as its text (about 6.2 px per character at 11 px).
  let lx = L;
  const legend = series.map((s) => {
    const x = lx;
    lx += 16 + Math.ceil(s.name.length * 6.2) + 14;
    return `<rect x="${x}" y="10" width="12" height="4" fill="${s.color}"/><text x="${x + 16}" y="15" font-size="11">${esc(s.name)}</text>`;
  }).join('');
  const axes = `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/><text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">${esc(o.xLabel)}</text>`;
  return `<figure><figcaption>${esc(o.title)}</figcaption><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${grid}${axes}${xt}${lines}${legend}</svg></figure>`;
}
