// Strided views: the odometer that walks a (shape, strides, offset) view, copyStrided and writeStrided.

import type { Storage } from '../backend.js';
import { ALL, js, numel, sameDType, type JsMemory, type JsStorage } from './storage.js';

/**
 * The element offset of every position of the strided view, in row-major order of `shape`.
 * Checks that the view stays inside a storage of `size` elements.
 */
export function viewOffsets(shape: readonly number[], strides: readonly number[], offset: number,
  size: number, where: string): Float64Array {
  if (strides.length !== shape.length) {
    throw new RangeError(`${where}: shape [${shape.join(', ')}] and strides [${strides.join(', ')}] differ in length`);
  }
  const n = numel(shape, where);
  const out = new Float64Array(n);
  if (n === 0) return out;
  // The lowest and highest offsets the view touches must lie inside the storage.
  let lo = offset, hi = offset;
  for (let d = 0; d < shape.length; d++) {
    const span = (shape[d]! - 1) * strides[d]!;
    if (span < 0) lo += span; else hi += span;
  }
  if (!Number.isInteger(lo) || lo < 0 || hi >= size) {
    throw new RangeError(`${where}: view (shape [${shape.join(', ')}], strides [${strides.join(', ')}], offset ${offset}) ` +
      `reaches elements ${lo}..${hi} of a storage of ${size}`);
  }
  const idx = new Array<number>(shape.length).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    // odometer: bump the last axis, carry into earlier ones
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]! += 1;
      off += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= idx[d]! * strides[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

export function copyStrided(mem: JsMemory, x: Storage, shape: readonly number[], strides: readonly number[],
  offset: number): JsStorage {
  const xs = js(x, 'copyStrided', ALL);
  const offs = viewOffsets(shape, strides, offset, xs.size, 'copyStrided');
  const out = mem.alloc(xs.dtype, offs.length);
  const src = xs.data, dst = out.data;
  for (let i = 0; i < offs.length; i++) dst[i] = src[offs[i]!]!;
  return out;
}

export function writeStrided(dst: Storage, src: Storage, shape: readonly number[], strides: readonly number[],
  offset: number): void {
  const ds = js(dst, 'writeStrided (dst)', ALL);
  const ss = js(src, 'writeStrided (src)', ALL);
  sameDType('writeStrided', ds, ss);
  const offs = viewOffsets(shape, strides, offset, ds.size, 'writeStrided');
  if (ss.size !== offs.length) {
    throw new RangeError(`writeStrided: src has ${ss.size} elements but the view [${shape.join(', ')}] has ${offs.length}`);
  }
  const s = ss.data, d = ds.data;
  for (let i = 0; i < offs.length; i++) d[offs[i]!] = s[i]!;
}
