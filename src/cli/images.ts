// Grey images as PNG data URIs for the report (pngjs, a well-kept encoder).

import { PNG } from 'pngjs';

export function pngDataUri(pixels: Uint8Array, w: number, h: number): string {
  const png = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(pixels);
  const bytes = PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
  return `data:image/png;base64,${bytes.toString('base64')}`;
}
