// report.html: one self-contained page (inline SVG charts, PNG data URIs, no scripts from
// anywhere) with loss/accuracy curves, a confusion matrix and misclassified test images.

export interface EpochRow {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  valLoss?: number;
  valAcc?: number;
  seconds: number;
  samplesPerSec: number;
  lr: number;
}

export interface Misclassified {
  /** PNG data URI of the image. */
  png: string;
  predicted: number;
  actual: number;
  probability: number;
}

export interface ReportData {
  title: string;
  config: Record<string, unknown>;
  epochs: EpochRow[];
  testAccuracy: number;
  testLoss: number;
  classes: readonly string[];
  /** confusion[actual][predicted] */
  confusion: number[][];
  perClass: { precision: number; recall: number; f1: number }[];
  misclassified: Misclassified[];
  backend: Record<string, unknown>;
  dataSource: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

/** An SVG line chart of one or more series over epochs. */
function lineChart(title: string, series: { name: string; color: string; values: (number | undefined)[] }[], yFmt: (v: number) => string): string {
  const W = 460, H = 260, L = 56, R = 12, T = 28, B = 36;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  if (!all.length) return '';
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  const pad = (hi - lo) * 0.08;
  lo -= pad; hi += pad;
  const n = Math.max(...series.map((s) => s.values.length));
  const x = (i: number): number => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v: number): number => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  const grid = ticks.map((v) => `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${esc(yFmt(v))}</text>`).join('');
  const xt = Array.from({ length: n }, (_, i) => `<text x="${x(i)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${i + 1}</text>`).join('');
  const lines = series.map((s) => {
    const pts = s.values.map((v, i) => (v === undefined || !Number.isFinite(v) ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
    const dots = pts.map((p) => `<circle cx="${p!.split(',')[0]}" cy="${p!.split(',')[1]}" r="3" fill="${s.color}"/>`).join('');
    return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>${dots}`;
  }).join('');
  const legend = series.map((s, i) => `<rect x="${L + i * 110}" y="8" width="12" height="4" fill="${s.color}"/><text x="${L + 16 + i * 110}" y="13" font-size="11">${esc(s.name)}</text>`).join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${grid}${xt}<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle" font-size="11">epoch</text>${lines}${legend}</svg></figure>`;
}

function confusionTable(classes: readonly string[], m: number[][]): string {
  const max = Math.max(1, ...m.flatMap((r, i) => r.filter((_, j) => j !== i)));
  const head = `<tr><th>actual \\ predicted</th>${classes.map((c) => `<th class="rot"><div>${esc(c)}</div></th>`).join('')}<th>total</th></tr>`;
  const body = m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((v, j) => {
      const diag = i === j;
      const a = diag ? 0.15 + 0.6 * (total ? v / total : 0) : 0.7 * (v / max);
      const bg = diag ? `rgba(34,139,34,${a.toFixed(3)})` : `rgba(220,50,47,${a.toFixed(3)})`;
      return `<td style="background:${bg}" title="${esc(classes[i]!)} predicted as ${esc(classes[j]!)}: ${v}">${v}</td>`;
    }).join('');
    return `<tr><th>${esc(classes[i]!)}</th>${cells}<td>${total}</td></tr>`;
  }).join('');
  return `<table class="cm">${head}${body}</table>`;
}

export function renderReport(d: ReportData): string {
  const ep = d.epochs;
  const lossChart = lineChart('Loss', [
    { name: 'train', color: '#1f77b4', values: ep.map((e) => e.trainLoss) },
    { name: 'validation', color: '#ff7f0e', values: ep.map((e) => e.valLoss) },
  ], (v) => v.toFixed(3));
  const accChart = lineChart('Accuracy', [
    { name: 'train', color: '#1f77b4', values: ep.map((e) => e.trainAcc) },
    { name: 'validation', color: '#ff7f0e', values: ep.map((e) => e.valAcc) },
  ], (v) => pct(v));
  const epochRows = ep.map((e) => `<tr><td>${e.epoch}</td><td>${e.trainLoss.toFixed(4)}</td><td>${pct(e.trainAcc)}</td><td>${e.valLoss?.toFixed(4) ?? '—'}</td><td>${e.valAcc !== undefined ? pct(e.valAcc) : '—'}</td><td>${e.lr.toPrecision(3)}</td><td>${e.seconds.toFixed(1)}</td><td>${Math.round(e.samplesPerSec).toLocaleString('en-US')}</td></tr>`).join('');
  const classRows = d.perClass.map((c, i) => `<tr><td>${esc(d.classes[i]!)}</td><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${c.f1.toFixed(3)}</td></tr>`).join('');
  const mis = d.misclassified.map((m) => `<figure class="mis"><img src="${m.png}" width="84" height="84" alt="test image: ${esc(d.classes[m.actual]!)}"><figcaption><b>${esc(d.classes[m.predicted]!)}</b> ${pct(m.probability)}<br><span>true: ${esc(d.classes[m.actual]!)}</span></figcaption></figure>`).join('');
  const cfg = Object.entries(d.config).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('');
  const be = Object.entries(d.backend).map(([k, v]) => `${esc(k)}: ${esc(String(v))}`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.big{font-size:30px;font-weight:600} .muted{color:#666}
.charts{display:flex;flex-wrap:wrap;gap:16px} figure{margin:0} figcaption{font-weight:600}
table{border-collapse:collapse} td,th{padding:3px 8px;text-align:right;border:1px solid #e2e2e2}
th{background:#fafafa} .cm td{min-width:38px;text-align:center}
.rot{height:110px;vertical-align:bottom} .rot div{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:10px} .mis{width:110px;font-size:12px;text-align:center}
.mis img{image-rendering:pixelated;border:1px solid #ccc} .mis span{color:#a33}
</style></head><body>
<h1>${esc(d.title)}</h1>
<p class="muted">${esc(d.dataSource)} · ${be}</p>
<p><span class="big">${pct(d.testAccuracy)}</span> test accuracy · test loss ${d.testLoss.toFixed(4)}</p>
<h2>Training curves</h2><div class="charts">${lossChart}${accChart}</div>
<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>lr</th><th>seconds</th><th>samples/s</th></tr>${epochRows}</table>
<h2>Confusion matrix (test set)</h2>${confusionTable(d.classes, d.confusion)}
<h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th></tr>${classRows}</table>
<h2>Misclassified test images</h2><p class="muted">Predicted class (bold, with its probability) and the true class.</p><div class="grid">${mis}</div>
<h2>Configuration</h2><table>${cfg}</table>
</body></html>
`;
}
