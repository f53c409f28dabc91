// Attributions as HTML fragments for report.html (self-contained: inline SVG and styles, no
// scripts): image panels side by side, a bar chart of features, and tokens coloured by attribution.

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface ImagePanelRow {
  /** e.g. 'predicted Sneaker (93%), true Sandal' */
  caption: string;
  /** whether the prediction was right (the caption is coloured accordingly) */
  correct?: boolean;
  /** the pictures of the row, each a PNG data: URI with a title ('input', 'Grad-CAM', …) */
  images: { title: string; src: string }[];
}

/** Rows of pictures (the input and its heatmaps), titled once above the columns. */
export function imagePanelsHtml(rows: readonly ImagePanelRow[], size = 112): string {
  if (!rows.length) return '';
  const titles = rows[0]!.images.map((i) => `<th>${esc(i.title)}</th>`).join('');
  const body = rows.map((r) => {
    const cells = r.images.map((i) => `<td style="text-align:center"><img src="${esc(i.src)}" width="${size}" height="${size}" alt="${esc(`${i.title}: ${r.caption}`)}" style="image-rendering:pixelated"></td>`).join('');
    const color = r.correct === undefined ? '#222' : r.correct ? '#1a7f37' : '#b42318';
    return `<tr>${cells}<td style="text-align:left;color:${color}">${esc(r.caption)}</td></tr>`;
  }).join('');
  return `<table class="explain-panels"><tr>${titles}<th></th></tr>${body}</table>`;
}

/** A horizontal bar chart (SVG) of one value per feature — e.g. the mean |attribution| — largest first. */
export function featureBarsSvg(title: string, names: readonly string[], values: readonly number[], maxBars = 20): string {
  if (names.length !== values.length) throw new Error(`featureBarsSvg: ${names.length} names for ${values.length} values`);
  const order = values.map((v, i) => i).sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!)).slice(0, maxBars);
  const top = Math.max(1e-30, ...order.map((i) => Math.abs(values[i]!)));
  const labelW = Math.min(220, 12 + 7 * Math.max(4, ...order.map((i) => names[i]!.length))), barW = 300, rowH = 20, T = 26;
  const W = labelW + barW + 90, H = T + rowH * order.length + 8;
  const bars = order.map((i, k) => {
    const v = values[i]!, w = (Math.abs(v) / top) * barW, y = T + k * rowH;
    const color = v < 0 ? '#2166ac' : '#b2182b';
    return `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end" font-size="12">${esc(names[i]!)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${color}"/>` +
      `<text x="${labelW + w + 4}" y="${y + 14}" font-size="11">${esc(fmtNum(v))}</text>`;
  }).join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${bars}</svg></figure>`;
}

/**
 * Tokens with a background from blue (negative) through white to red (positive), scaled by the
 * largest |attribution|; each token's value in its tooltip. `characters`: the tokens are the
 * characters of a text, shown without the padding that separates words.
 */
export function tokensHtml(tokens: readonly string[], values: readonly number[], opts: { characters?: boolean } = {}): string {
  if (tokens.length !== values.length) throw new Error(`tokensHtml: ${tokens.length} tokens for ${values.length} values`);
  for (const k of Object.keys(opts)) if (k !== 'characters') throw new Error(`tokensHtml: unknown option '${k}' (options: characters)`);
  const pad = opts.characters ? '1px 0' : '1px 2px', radius = opts.characters ? '0' : '3px';
  const top = Math.max(1e-30, ...values.map(Math.abs));
  const spans = tokens.map((t, i) => {
    const v = values[i]! / top;
    const bg = v >= 0 ? `rgba(178,24,43,${(0.85 * v).toFixed(3)})` : `rgba(33,102,172,${(-0.85 * v).toFixed(3)})`;
    return `<span title="${esc(fmtNum(values[i]!))}" style="background:${bg};padding:${pad};border-radius:${radius};white-space:pre">${esc(t)}</span>`;
  }).join('');
  return `<p class="explain-tokens" style="font-family:ui-monospace,monospace;line-height:1.9">${spans}</p>`;
}

function fmtNum(v: number): string {
  return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(2);
}
