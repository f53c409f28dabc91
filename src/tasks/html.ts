// Small pieces for report sections (report.html is one self-contained page): escaping, number
// formats, tables and images as PNG data URIs (pngjs, a well-kept encoder).

import { PNG } from 'pngjs';

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A fraction as a percent with two decimals: 0.92284 → '92.28%'. */
export const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

/** A table from a header row and body rows of already-escaped HTML cells. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  const h = `<tr>${head.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const b = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table${cls ? ` class="${cls}"` : ''}>${h}${b}</table>`;
}

/**
 * An image as a PNG data URI: `channels` 1 (grey) or 3 (RGB) bytes per pixel, row-major
 * [height, width, channels].
 */
export function pngDataUri(pixels: Uint8Array, width: number, height: number, channels: 1 | 3 = 1): string {
  if (pixels.length !== width * height * channels) throw new Error(`pngDataUri: ${pixels.length} bytes for a ${width}×${height}×${channels} image`);
  const colorType = channels === 1 ? 0 : 2;
  const png = new PNG({ width, height, colorType, inputColorType: colorType, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(pixels);
  const bytes = PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false });
  return `data:image/png;base64,${bytes.toString('base64')}`;
}
