// Small SVG charts for report sections (browser-safe strings): line charts with axes and ticks, and
// the reliability diagram of a calibration curve; HTML tables of results.

export interface Line { name: string; x: ArrayLike<number>; y: ArrayLike<number>; color?: string; dashed?: boolean }

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** About five round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmtTick = (v: number): string => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4))));

/** A line chart of one or more series with labelled axes and a legend. */
export function lineChart(lines: readonly Line[], opts: { title?: string; xLabel?: string; yLabel?: string; width?: number; height?: number; xRange?: [number, number]; yRange?: [number, number]; diagonal?: boolean } = {}): string {
  const W = opts.width ?? 640, H = opts.height ?? 300, L = 56, R = 12, T = opts.title ? 28 : 12, B = 40;
  const xs = lines.flatMap((l) => Array.from(l.x)), ys = lines.flatMap((l) => Array.from(l.y)).filter(Number.isFinite);
  const [x0, x1] = opts.xRange ?? [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = opts.yRange ?? [Math.min(...ys), Math.max(...ys)];
  const sx = (v: number): number => L + ((v - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (v: number): number => H - B - ((v - y0) / (y1 - y0 || 1)) * (H - T - B);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`];
  if (opts.title) parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(opts.title)}</text>`);
  for (const t of ticks(x0, x1)) parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${sx(t)}" y="${H - B + 14}" text-anchor="middle">${fmtTick(t)}</text>`);
  for (const t of ticks(y0, y1)) parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/><text x="${L - 4}" y="${sy(t) + 4}" text-anchor="end">${fmtTick(t)}</text>`);
  parts.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>`);
  if (opts.diagonal) parts.push(`<line x1="${sx(x0)}" y1="${sy(y0)}" x2="${sx(x1)}" y2="${sy(y1)}" stroke="#aaa" stroke-dasharray="4 3"/>`);
  if (opts.xLabel) parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) parts.push(`<text transform="translate(12 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  lines.forEach((l, k) => {
    const color = l.color ?? COLORS[k % COLORS.length]!;
    const pts: string[] = [];
    for (let i = 0; i < l.x.length; i++) if (Number.isFinite(l.y[i])) pts.push(`${sx(l.x[i]!).toFixed(1)},${sy(l.y[i]!).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.2"${l.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.join(' ')}"/>`);
    parts.push(`<line x1="${L + 8}" x2="${L + 26}" y1="${T + 12 + 14 * k}" y2="${T + 12 + 14 * k}" stroke="${color}" stroke-width="2"/><text x="${L + 30}" y="${T + 16 + 14 * k}">${esc(l.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The reliability diagram: observed fraction of positives against mean predicted probability per bin. */
export function reliabilityDiagram(curves: readonly { name: string; bins: readonly { meanPredicted: number; fractionPositive: number }[] }[], title = 'Calibration'): string {
  return lineChart(curves.map((c) => ({ name: c.name, x: c.bins.map((b) => b.meanPredicted), y: c.bins.map((b) => b.fractionPositive) })),
    { title, xLabel: 'mean predicted probability', yLabel: 'fraction positive', xRange: [0, 1], yRange: [0, 1], diagonal: true, width: 420, height: 380 });
}

/** An HTML table: a header row and rows of cells (numbers formatted to `digits`). */
export function htmlTable(header: readonly string[], rows: readonly (readonly (string | number)[])[], digits = 4): string {
  const cell = (v: string | number): string => (typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(digits) : String(v)) : esc(v));
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** A standalone page around report sections. */
export function htmlPage(title: string, sections: readonly string[]): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}</style></head><body><h1>${esc(title)}</h1>${sections.join('\n')}</body></html>`;
}
