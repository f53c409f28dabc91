// An attention map as inline SVG (report.html has no scripts): one row per output character, one
// column per source character, each cell shaded by its weight.

import { esc } from '../html.js';

export function attentionSvg(src: string, out: readonly string[], weights: readonly (readonly number[])[]): string {
  const s = Array.from(src);
  const cell = 16, left = 44, top = 40;
  const W = left + s.length * cell + 8, H = top + out.length * cell + 8;
  const cols = s.map((c, j) => `<text x="${left + j * cell + cell / 2}" y="${top - 6}" text-anchor="middle" font-size="12">${esc(c === ' ' ? '␣' : c)}</text>`).join('');
  const rows = out.map((c, i) => `<text x="${left - 6}" y="${top + i * cell + 12}" text-anchor="end" font-size="12">${esc(c === ' ' ? '␣' : c)}</text>`).join('');
  let cells = '';
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < s.length; j++) {
      const w = weights[i]?.[j] ?? 0;
      cells += `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="rgba(31,78,160,${Math.min(1, Math.max(0, w)).toFixed(3)})" stroke="#eee"><title>${w.toFixed(3)}</title></rect>`;
    }
  }
  return `<figure><figcaption>${esc(src)} → ${esc(out.slice(0, -1).join(''))}</figcaption><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="attention map of ${esc(src)}">${cols}${rows}${cells}</svg></figure>`;
}
