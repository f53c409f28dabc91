// The Python builtins and standard-library calls that pytorch/examples' programs use, so that the
// ports' lines read as the originals' (len(x), range(…), enumerate(…), math.*, os.path.*, time.time(),
// open(path) iterated by lines or open(path, 'w') written to, str.split() on whitespace). Plain JavaScript underneath.

import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tensor } from '../../src/index.js';

/** len(x): a tensor's first dim (PyTorch's __len__), or .length of anything else (a TypeError without one, as Python's). */
export function len(x: unknown): number {
  if (x instanceof Tensor) return x.size(0);
  const n = (x as { length?: unknown } | null)?.length;
  if (typeof n !== 'number') throw new TypeError(`object of type '${(x as object | null)?.constructor?.name ?? typeof x}' has no len()`);
  return n;
}

/** range(stop) / range(start, stop[, step]) as Python's. */
export function* range(a: number, b?: number, step = 1): Generator<number> {
  const [start, stop] = b === undefined ? [0, a] : [a, b];
  if (step === 0) throw new RangeError('range: step must not be zero');
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) yield i;
}

/** enumerate(iterable) → [index, item] pairs. */
export function* enumerate<T>(it: Iterable<T>): Generator<[number, T]> {
  let i = 0;
  for (const v of it) yield [i++, v];
}

export const math = { sqrt: Math.sqrt, log: Math.log, exp: Math.exp, pi: Math.PI };
export const os = { path: { join, exists: existsSync, realpath: resolve } };
export const time = { time: (): number => performance.now() / 1000 };

/**
 * open(path, 'r', {encoding}) iterated as Python iterates a text file: one line at a time, each with
 * its '\n' (the last one without it when the file does not end with one).
 */
export function open(path: string, mode?: 'r', opts?: { encoding?: BufferEncoding }): string[];
/** open(path, 'w'): a file to write() strings to and close(). */
export function open(path: string, mode: 'w', opts?: { encoding?: BufferEncoding }): { write(s: string): void; close(): void };
export function open(path: string, mode = 'r', opts: { encoding?: BufferEncoding } = {}): string[] | { write(s: string): void; close(): void } {
  if (mode === 'w') {
    const fd = openSync(path, 'w');
    return { write: (s: string) => void writeSync(fd, s, null, opts.encoding ?? 'utf8'), close: () => closeSync(fd) };
  }
  if (mode !== 'r') throw new Error(`open: only modes 'r' and 'w' are supported, got '${mode}'`);
  const text = readFileSync(path, { encoding: opts.encoding ?? 'utf8' }).replace(/\r\n?/g, '\n');
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

/** Python's str.split() with no argument: runs of whitespace separate, none at either end. */
export function split(s: string): string[] {
  const t = s.trim();
  return t === '' ? [] : t.split(/\s+/);
}
