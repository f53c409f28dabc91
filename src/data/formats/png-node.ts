// Node-only PNG decoding through the `pngjs` package (it needs Node's zlib and streams), into
// float images (grayscale or RGB) via the browser-safe conversion in image.ts.

import { readFileSync } from 'node:fs';
import pngjs from 'pngjs';
import { rgbaToFloatImage, type FloatImage, type ImageOptions } from './image.js';

/** Decodes PNG bytes (any bit depth, palette, interlace; 16-bit is scaled to 8) to a float image. */
/** 2²⁶ pixels (e.g. 8192 × 8192): more than a data set image has, less than its RGBA buffer could cost. */
export const MAX_PNG_PIXELS = 2 ** 26;

export function decodePng(bytes: Uint8Array, opts: ImageOptions = {}): FloatImage {
  const where = opts.name ? `PNG ${opts.name}` : 'PNG';
  // The size in IHDR (bytes 16–23) is checked first: a damaged or hostile header could ask the
  // decoder for gigabytes.
  if (bytes.length >= 24) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const w = dv.getUint32(16), h = dv.getUint32(20);
    if (w * h > MAX_PNG_PIXELS) throw new Error(`${where}: the header says ${w} × ${h} pixels, more than the ${MAX_PNG_PIXELS.toLocaleString('en-US')} this reader takes`);
  }
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new Error(`${where}: cannot decode: ${(e as Error).message}`, { cause: e });
  }
  return rgbaToFloatImage(png.data, png.width, png.height, opts);
}

/** Reads and decodes a PNG file; errors name the file. */
export function readPngFile(path: string, opts: ImageOptions = {}): FloatImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`PNG ${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  return decodePng(bytes, { ...opts, name: opts.name ?? path });
}
