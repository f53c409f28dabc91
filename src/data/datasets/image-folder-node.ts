// A folder of images arranged one sub-folder per class (class names = folder names, sorted), PNG via
// pngjs and JPEG via jpeg-js, decoded to [N, channels, size, size] floats in [0, 1] by bilinear resize.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { decodePng } from '../formats/png-node.js';
import { rgbaToFloatImage, type FloatImage } from '../formats/image.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export interface ImageFolderOptions {
  /** output height and width (default 32) */
  size?: number;
  /** 1: grayscale, 3: RGB (default 3) */
  channels?: 1 | 3;
}

export interface ImageFolder {
  /** [n, channels, size, size] row-major, values in [0, 1] */
  x: Float32Array;
  labels: Int32Array;
  classes: string[];
  files: string[];
  n: number;
  channels: 1 | 3;
  size: number;
  /** files in the class folders that are not PNG or JPEG, left out */
  skipped: string[];
}

/** Decodes one PNG or JPEG file (by its extension) to a float image; errors name the file. */
export function readImageFile(path: string, opts: { size: number; channels: 1 | 3 }): FloatImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`image ${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  const ext = extname(path).toLowerCase();
  const resize: [number, number] = [opts.size, opts.size];
  if (ext === '.png') return decodePng(bytes, { name: path, channels: opts.channels, resize });
  if (ext === '.jpg' || ext === '.jpeg') {
    let img: { width: number; height: number; data: Uint8Array };
    try {
      img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    } catch (e) {
      throw new Error(`JPEG ${path}: cannot decode: ${(e as Error).message}`, { cause: e });
    }
    return rgbaToFloatImage(img.data, img.width, img.height, { name: path, channels: opts.channels, resize });
  }
  throw new Error(`image ${path}: not a PNG or JPEG file (extensions: ${IMAGE_EXTENSIONS.join(', ')})`);
}

/** Reads every PNG/JPEG under root/<class>/, in sorted class and file order. */
export function imageFolder(root: string, opts: ImageFolderOptions = {}): ImageFolder {
  const size = opts.size ?? 32, channels = opts.channels ?? 3;
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw new Error(`imageFolder: size must be a whole number in 1…4096, got ${size}`);
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch (e) {
    throw new Error(`image folder ${root}: cannot read it: ${(e as Error).message}`, { cause: e });
  }
  const classes = entries.filter((d) => !d.startsWith('.') && statSync(join(root, d)).isDirectory());
  if (classes.length < 2) throw new Error(`image folder ${root}: needs one sub-folder per class (at least 2), found ${classes.length}${classes.length ? ` (${classes.join(', ')})` : ''}`);
  const files: string[] = [], labels: number[] = [], skipped: string[] = [];
  classes.forEach((c, k) => {
    const inClass = readdirSync(join(root, c)).sort().filter((f) => !f.startsWith('.'));
    let found = 0;
    for (const f of inClass) {
      const p = join(root, c, f);
      if (!statSync(p).isFile()) continue;
      if ((IMAGE_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase())) { files.push(p); labels.push(k); found++; } else skipped.push(p);
    }
    if (found === 0) throw new Error(`image folder ${root}: class folder ${JSON.stringify(c)} holds no PNG or JPEG images`);
  });
  const per = channels * size * size;
  const x = new Float32Array(files.length * per);
  files.forEach((p, i) => x.set(readImageFile(p, { size, channels }).data, i * per));
  return { x, labels: Int32Array.from(labels), classes, files, n: files.length, channels, size, skipped };
}
