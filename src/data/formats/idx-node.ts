// Node-only IDX file access: reads plain or gzip-compressed (Node's zlib) IDX files by path,
// and writes them (gzip when the name ends in .gz).

import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { saveFileAtomicSync } from '../../io/node-files.js';
import { encodeIdx, parseIdx, type IdxArray, type IdxType } from './idx.js';
import { MAX_GUNZIP_BYTES, isGzip, tooLarge } from './gzip.js';

/** 1 GiB, far above any IDX data set we read (Fashion-MNIST's train images are 47 MB): a gzip-bomb guard. */
export const MAX_IDX_BYTES = MAX_GUNZIP_BYTES;

/** Decompresses gzip bytes (detected by the 1f 8b magic); other bytes pass through unchanged. */
export function maybeGunzip(bytes: Uint8Array, name: string, limit = MAX_IDX_BYTES): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: limit });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(name, bytes.length, limit);
    throw new Error(`${name}: gzip data is corrupt or truncated (${(e as Error).message})`, { cause: e });
  }
}

/** Reads an IDX file, gzip-compressed or not; errors name the file. */
export function readIdxFile(path: string, expect?: { type?: IdxType; rank?: number }): IdxArray {
  let raw: Uint8Array;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new Error(`IDX ${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  return parseIdx(maybeGunzip(raw, `IDX ${path}`), path, expect);
}

/** Writes an IDX file atomically; gzip-compressed (level 9) when the path ends in `.gz`. */
export function writeIdxFile(path: string, arr: IdxArray): void {
  const bytes = encodeIdx(arr);
  saveFileAtomicSync(path, path.endsWith('.gz') ? gzipSync(bytes, { level: 9 }) : bytes);
}
