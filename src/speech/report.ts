// The spoken-digits section of report.html: the digit error rate on held-out voices beside the
// baseline, curves, errors per voice, a log-mel picture of a test clip and what the model heard.

import type { History } from '../train/callbacks.js';
import type { SpeechEvaluation } from './score.js';

export interface SpeechReportData {
  model: { evaluation: SpeechEvaluation; history: History; minutes: number };
  baseline?: { evaluation: SpeechEvaluation; history: History; minutes: number } | null;
  /** one test clip's features [nMels, frames] and what was said / heard */
  example?: SpeechExample;
  trainVoices: string[];
  testVoices: string[];
  trainClips: number;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

/** A small SVG chart of series over epochs. */
function chart(title: string, series: { name: string; color: string; values: number[] }[], fmt: (v: number) => string): string {
  const W = 420, H = 220, L = 54, R = 10, T = 26, B = 30;
  const all = series.flatMap((s) => s.values.filter(Number.isFinite));
  if (!all.length) return '';
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  const n = Math.max(...series.map((s) => s.values.length));
  const x = (i: number): number => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const y = (v: number): number => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const grid = [0, 0.5, 1].map((f) => lo + f * (hi - lo)).map((v) =>
    `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/><text x="${L - 5}" y="${y(v) + 4}" text-anchor="end" font-size="11">${esc(fmt(v))}</text>`).join('');
  const lines = series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean).join(' ')}"/>`).join('');
  const legend = series.map((s, i) => `<rect x="${L + i * 130}" y="8" width="12" height="4" fill="${s.color}"/><text x="${L + 16 + i * 130}" y="13" font-size="11">${esc(s.name)}</text>`).join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${grid}${lines}${legend}<text x="${(L + W) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">epoch (1 … ${n})</text></svg></figure>`;
}

/** A log-mel spectrogram as SVG cells (low bands at the bottom), frames left to right. */
function spectrogram(f: { data: Float32Array; shape: [number, number] }): string {
  const [m, t] = f.shape;
  let lo = Infinity, hi = -Infinity;
  for (const v of f.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const cw = Math.max(1, Math.min(4, Math.floor(640 / t))), ch = 4;
  let cells = '';
  for (let b = 0; b < m; b++) {
    for (let i = 0; i < t; i++) {
      const v = (f.data[b * t + i]! - lo) / (hi - lo || 1);
      const g = Math.round(255 * (1 - v));
      cells += `<rect x="${i * cw}" y="${(m - 1 - b) * ch}" width="${cw}" height="${ch}" fill="rgb(${g},${g},${Math.min(255, g + 40)})"/>`;
    }
  }
  return `<svg width="${t * cw}" height="${m * ch}" role="img" aria-label="log-mel spectrogram">${cells}</svg>`;
}

/** A test clip to show: its features, what was said and heard, by whom. */
export interface SpeechExample { features: { data: Float32Array; shape: [number, number] }; reference: string; heard: string; voice: string }

/** The test results as HTML: an example clip's log-mel picture, transcripts (right and wrong), errors per voice. */
export function speechResultsHtml(m: SpeechEvaluation, example?: SpeechExample): string {
  const voices = Object.entries(m.perVoice).sort((a, z) => z[1].errors / z[1].digits - a[1].errors / a[1].digits)
    .map(([v, s]) => `<tr><td>${esc(v)}</td><td>${s.digits}</td><td>${pct(s.errors / s.digits)}</td></tr>`).join('');
  const wrong = m.transcripts.filter((t) => t.beam !== t.reference).slice(0, 12);
  const right = m.transcripts.filter((t) => t.beam === t.reference).slice(0, 6);
  const rows = [...right, ...wrong].map((t) => `<tr><td>${esc(t.voice)}</td><td>${esc(t.accent)}</td><td>${esc(t.reference)}</td><td${t.beam === t.reference ? '' : ' style="color:#a33"'}>${esc(t.beam) || '∅'}</td><td>${esc(t.greedy) || '∅'}</td></tr>`).join('');
  const ex = example ? `<h3>A test clip</h3><p>Voice ${esc(example.voice)} said <b>${esc(example.reference)}</b>; the model heard <b>${esc(example.heard) || '∅'}</b>.</p>${spectrogram(example.features)}` : '';
  return `${ex}
<h3>Transcripts (prefix beam search; greedy beside it)</h3><table><tr><th>voice</th><th>accent</th><th>said</th><th>heard</th><th>greedy</th></tr>${rows}</table>
<h3>Errors per test voice</h3><table><tr><th>voice</th><th>digits</th><th>error rate</th></tr>${voices}</table>`;
}

/** The section (an HTML fragment for report.html). */
export function speechReportSection(d: SpeechReportData): string {
  const m = d.model.evaluation;
  const b = d.baseline?.evaluation;
  const h = d.model.history;
  const curves = chart('Training loss (CTC per digit)', [
    { name: 'model', color: '#1f77b4', values: h.loss ?? [] },
    ...(d.baseline ? [{ name: 'baseline (no augmentation)', color: '#999', values: d.baseline.history.loss ?? [] }] : []),
  ], (v) => v.toFixed(2)) + chart('Validation digit error rate (held-out voices, greedy)', [
    { name: 'model', color: '#1f77b4', values: h.valDigitErrorRate ?? [] },
    ...(d.baseline ? [{ name: 'baseline', color: '#999', values: d.baseline.history.valDigitErrorRate ?? [] }] : []),
  ], pct);
  return `<section id="spoken-digits">
<h2>Speech recognition: spoken digits</h2>
<p><span class="big">${pct(m.beamDER)}</span> digit error rate on ${m.clips} test clips (${m.digits} digits) by ${d.testVoices.length} voices never heard in training
${b ? ` · baseline without augmentation ${pct(b.beamDER)}` : ''} · greedy decoding ${pct(m.greedyDER)} · whole sequences right ${pct(m.sequenceAccuracy)}</p>
<p class="muted">${d.trainClips} training clips by ${d.trainVoices.length} voices (espeak-ng variants × 8 accents); trained in ${d.model.minutes.toFixed(1)} min${d.baseline ? `, the baseline in ${d.baseline.minutes.toFixed(1)} min` : ''}.</p>
<div class="charts">${curves}</div>
${speechResultsHtml(m, d.example)}
</section>`;
}
