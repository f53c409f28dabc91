// Node-only PNG decoding through the `pngjs` package (it needs Node's zlib and streams), into
// float images (grayscale or RGB) via the browser-safe conversion in image.ts.

import { readFileSync } from 'node:fs';
import pngjs from 'pngjs';
import { rgbaToFloatImage, type FloatImage, type ImageOptions } from './image.js';

/** Decodes PNG bytes (any bit depth, palette, interlace; 16-bit is scaled to 8) to a float image. */
export function decodePng(bytes: Uint8Array, opts: ImageOptions = {}): FloatImage {
  const where = opts.name ? `PNG ${opts.name}` : 'PNG';
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
