// Node-only: attribution pictures (heatmap.ts's RGBA images) encoded as PNG by the `pngjs`
// package, to bytes (for data: URLs in a report) or to files.

import { writeFileSync } from 'node:fs';
import pngjs from 'pngjs';
import type { RgbaImage } from './heatmap.js';

/** PNG bytes of an RGBA picture. */
export function encodePng(img: RgbaImage): Uint8Array {
  if (img.data.length !== img.width * img.height * 4) throw new Error(`encodePng: ${img.width}×${img.height} RGBA needs ${img.width * img.height * 4} bytes, got ${img.data.length}`);
  const png = new pngjs.PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return pngjs.PNG.sync.write(png);
}

/** Writes an RGBA picture as a PNG file; errors name the file. */
export function writePngFile(path: string, img: RgbaImage): void {
  const bytes = encodePng(img);
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new Error(`PNG ${path}: cannot write the file: ${(e as Error).message}`, { cause: e });
  }
}
