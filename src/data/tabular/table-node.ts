// Reading a CSV file as a RawTable (Node); errors name the file.

import { readFileSync } from 'node:fs';
import { readRawCsv, type RawTable } from './table.js';

export function readRawCsvFile(path: string, opts: { delimiter?: string } = {}): RawTable {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(err.code ? `CSV ${path}: cannot read the file: ${err.message}` : `CSV ${path}: not valid UTF-8 text`, { cause: e });
  }
  return readRawCsv(text, { name: path, delimiter: opts.delimiter });
}
