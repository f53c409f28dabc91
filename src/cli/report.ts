// report.html: one self-contained page (inline SVG, PNG data URIs, no scripts, nothing from the network)
// for any task — result and baselines, per-step loss and learning-rate curves, per-epoch metrics, the
// epoch table, the model (summary, parameter count), dates and time, then the task's own sections.

import { esc } from '../tasks/html.js';
import { lineChart, bucketMeans, type Series } from './charts.js';
import type { EpochRecord, StepRecord } from './recorder.js';

export interface BaselineResult {
  name: string;
  about: string;
  logs: Record<string, number>;
  /** Training and testing time of a baseline that learns. */
  seconds?: number;
}

export interface ReportData {
  title: string;
  task: string;
  taskSummary: string;
  model: string;
  modelSummary: string;
  parameters: number;
  started: Date;
  finished: Date;
  /** Seconds of training (all sessions of a resumed run) and of the final evaluation. */
  trainSeconds: number;
  /** Seconds spent training and testing the baselines that learn (in totalSeconds). */
  baselineSeconds?: number;
  totalSeconds: number;
  steps: StepRecord[];
  epochs: EpochRecord[];
  /** The metrics' names, in the task's order ('accuracy', 'bitsPerChar' …). */
  metrics: string[];
  test: Record<string, number>;
  baselines: BaselineResult[];
  bestEpoch: number;
  monitor: string;
  format(name: string, v: number): string;
  config: Record<string, unknown>;
  backend: Record<string, unknown>;
  dataSource: string;
  sizes: Record<string, number>;
  /** The task's sections (HTML). */
  sections: string;
}

/** Seconds as "1 h 02 min", "3 min 05 s" or "12.3 s". */
export function duration(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60), r = Math.round(s % 60);
  if (m < 60) return `${m} min ${String(r).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** One format for every learning rate: three significant digits in exponent form. */
export const lrFormat = (v: number): string => (Number.isFinite(v) ? v.toExponential(2) : '—');
const lossFormat = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(4) : '—');
const when = (d: Date): string => d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

/** A moving average over `w` steps (what the loss curve's smooth line is). */
function movingAverage(points: [number, number][], w: number): [number, number][] {
  const out: [number, number][] = [];
  let s = 0;
  for (let i = 0; i < points.length; i++) {
    s += points[i]![1];
    if (i >= w) s -= points[i - w]![1];
    out.push([points[i]![0], s / Math.min(i + 1, w)]);
  }
  return out;
}

const isPercent = (d: ReportData, name: string): boolean => d.format(name, 0.5).endsWith('%');

function charts(d: ReportData): string {
  const raw = d.steps.map((s) => [s.globalStep, s.loss] as [number, number]);
  const perEpoch = d.epochs.length ? Math.max(1, Math.round(raw.length / d.epochs.length)) : raw.length;
  const smooth = movingAverage(raw, Math.max(1, Math.round(perEpoch / 10)));
  const epochEnd = (e: number): number => d.steps.filter((s) => s.epoch === e).at(-1)?.globalStep ?? NaN;
  // Every step up to 5,000 points; a longer run shows bucket means (and says so).
  const MAX = 5000, bucket = Math.ceil(raw.length / MAX);
  const lossSeries: Series[] = [
    { name: bucket > 1 ? `train, mean of each ~${bucket} steps` : 'train, per step', color: '#1f77b4', points: bucketMeans(raw, MAX), width: 1, opacity: 0.35 },
    { name: `train, mean of ${Math.max(1, Math.round(perEpoch / 10))} steps`, color: '#1f77b4', points: bucketMeans(smooth, MAX) },
  ];
  const val = d.epochs.map((e) => [epochEnd(e.epoch), e.logs.valLoss ?? NaN] as [number, number]);
  if (val.some(([, v]) => Number.isFinite(v))) lossSeries.push({ name: 'validation, per epoch', color: '#ff7f0e', points: val, dots: true });
  const out = [
    lineChart({ title: 'Loss per step', xLabel: 'step', series: lossSeries }),
    lineChart({ title: 'Learning rate per step', xLabel: 'step', series: [{ name: 'learning rate', color: '#2ca02c', points: bucketMeans(d.steps.map((s) => [s.globalStep, s.lr]), MAX) }] }),
  ];
  for (const m of d.metrics) {
    const vk = 'val' + m[0]!.toUpperCase() + m.slice(1);
    const series: Series[] = [{ name: 'train', color: '#1f77b4', points: d.epochs.map((e) => [e.epoch, e.logs[m] ?? NaN]), dots: true }];
    if (d.epochs.some((e) => Number.isFinite(e.logs[vk] ?? NaN))) series.push({ name: 'validation', color: '#ff7f0e', points: d.epochs.map((e) => [e.epoch, e.logs[vk] ?? NaN]), dots: true });
    out.push(lineChart({ title: `${m} per epoch`, xLabel: 'epoch', series, percent: isPercent(d, m), xInteger: true }));
  }
  return out.join('');
}

function epochTable(d: ReportData): string {
  const cols = ['loss', ...d.metrics, 'valLoss', ...d.metrics.map((m) => 'val' + m[0]!.toUpperCase() + m.slice(1))];
  const present = cols.filter((c) => d.epochs.some((e) => e.logs[c] !== undefined && Number.isFinite(e.logs[c]!)));
  const head = ['epoch', ...present, 'lr', 'time', 'samples/s'].map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = d.epochs.map((e) => {
    const cells = present.map((c) => /loss$/i.test(c) ? lossFormat(e.logs[c]) : d.format(c.replace(/^val(.)/, (_, a: string) => a.toLowerCase()), e.logs[c]!));
    const best = e.epoch === d.bestEpoch ? ' class="best"' : '';
    return `<tr${best}><td>${e.epoch}</td>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}<td>${lrFormat(e.logs.lr ?? NaN)}</td><td>${duration(e.seconds)}</td><td>${Math.round(e.samplesPerSec).toLocaleString('en-US')}</td></tr>`;
  }).join('');
  return `<table><tr>${head}</tr>${rows}</table><p class="muted">The highlighted epoch has the best ${esc(d.monitor)}: its weights are best.safetensors, which the test results use. lr: at the end of the epoch.</p>`;
}

export function renderReport(d: ReportData): string {
  const first = d.metrics[0];
  const headline = first !== undefined && d.test[first] !== undefined ? `<span class="big">${esc(d.format(first, d.test[first]!))}</span> test ${esc(first)}` : '';
  const others = d.metrics.slice(1).filter((m) => d.test[m] !== undefined).map((m) => `${esc(m)} ${esc(d.format(m, d.test[m]!))}`);
  const lossPart = d.test.loss !== undefined ? [`test loss ${lossFormat(d.test.loss)}`] : [];
  const baseRows = d.baselines.map((b) => `<tr><td>${esc(b.name)}</td>${d.metrics.map((m) => `<td>${b.logs[m] !== undefined ? esc(d.format(m, b.logs[m]!)) : '—'}</td>`).join('')}<td class="left">${esc(b.about)}</td></tr>`).join('');
  const modelRow = `<tr><td>${esc(d.model)} (this run)</td>${d.metrics.map((m) => `<td>${d.test[m] !== undefined ? esc(d.format(m, d.test[m]!)) : '—'}</td>`).join('')}<td class="left">best epoch's weights</td></tr>`;
  const baselines = d.baselines.length ? `<h2>Baselines (test set, same metrics)</h2><table><tr><th>predictor</th>${d.metrics.map((m) => `<th>${esc(m)}</th>`).join('')}<th>how it predicts</th></tr>${modelRow}${baseRows}</table>` : '';
  const cfg = Object.entries(d.config).map(([k, v]) => `<tr><th>${esc(k)}</th><td class="left">${esc(String(v))}</td></tr>`).join('');
  const be = Object.entries(d.backend).map(([k, v]) => `${esc(k)}: ${esc(String(v))}`).join(' · ');
  const sizes = Object.entries(d.sizes).map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`).join(' / ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.big{font-size:30px;font-weight:600} .muted{color:#666}
.charts{display:flex;flex-wrap:wrap;gap:16px} figure{margin:0} figcaption{font-weight:600}
table{border-collapse:collapse} td,th{padding:3px 8px;text-align:right;border:1px solid #e2e2e2}
th{background:#fafafa} td.left{text-align:left} tr.best td{background:#eef7ee} .cm td{min-width:38px;text-align:center}
.rot{height:110px;vertical-align:bottom} .rot div{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:10px} .ex{width:110px;font-size:12px;text-align:center}
.ex img{image-rendering:pixelated;border:1px solid #ccc} .wrong{color:#a33} pre{background:#f6f6f6;padding:8px;overflow:auto}
</style></head><body>
<h1>${esc(d.title)}</h1>
<p class="muted">${esc(d.taskSummary)}<br>started ${when(d.started)} · finished ${when(d.finished)} · total time ${duration(d.totalSeconds)} (training ${duration(d.trainSeconds)}${d.baselineSeconds ? `, trained baselines ${duration(d.baselineSeconds)}` : ''})<br>${esc(d.dataSource)} · ${esc(sizes)}<br>${be}</p>
<p>${headline}${others.length ? ' · ' + others.join(' · ') : ''}${lossPart.length ? ' · ' + lossPart.join('') : ''} · with the weights of epoch ${d.bestEpoch} (best ${esc(d.monitor)})</p>
${baselines}
<h2>Training curves</h2><div class="charts">${charts(d)}</div>
<h2>Epochs</h2>${epochTable(d)}
<h2>Model</h2><p>${esc(d.model)}: <b>${d.parameters.toLocaleString('en-US')}</b> parameters</p><pre>${esc(d.modelSummary)}</pre>
${d.sections}
<h2>Configuration</h2><table>${cfg}</table>
</body></html>
`;
}
