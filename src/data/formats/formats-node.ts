// Node-only file access for the CSV and NPY formats: read by path (errors name the file) and
// write .npy atomically. The parsers themselves are browser-safe (csv.ts, npy.ts).

import { readFileSync } from 'node:fs';
import { saveFileAtomicSync } from '../../io/node-files.js';
import type { DType, TypedArray } from '../../tensor/dtype.js';
import { parseCsv, type CsvOptions, type CsvTable } from './csv.js';
import { encodeNpy, parseNpy, type NpyArray } from './npy.js';

function readOrExplain(path: string, kind: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${kind} ${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
}

export function readCsvFile(path: string, opts: CsvOptions = {}): CsvTable {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readOrExplain(path, 'CSV'));
  } catch (e) {
    if ((e as Error).message.startsWith('CSV ')) throw e;
    throw new Error(`CSV ${path}: not valid UTF-8 text`, { cause: e });
  }
  return parseCsv(text, { ...opts, name: opts.name ?? path });
}

export function readNpyFile(path: string): NpyArray {
  return parseNpy(readOrExplain(path, 'NPY'), path);
}

export function writeNpyFile(path: string, arr: { dtype: DType; shape: readonly number[]; data: TypedArray }, opts: { int64?: boolean } = {}): void {
  saveFileAtomicSync(path, encodeNpy(arr, opts));
}
