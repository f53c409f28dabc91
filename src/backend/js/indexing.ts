// gather / scatterAdd (per-element indices) and indexSelect / indexAdd (one index list) over
// [outer, r, inner]. Indices are int32 and must lie in [0, r).

import type { Storage } from '../backend.js';
import { ALL, js, sameDType, type JsMemory, type JsStorage } from './storage.js';

const VALUES = ['float32', 'float64', 'int32'] as const;

function dims(where: string, d: Record<string, number>): void {
  for (const [name, v] of Object.entries(d)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${where}: ${name} = ${v} must be a non-negative integer`);
  }
}

function size(where: string, what: string, s: JsStorage, n: number, shape: number[]): void {
  if (s.size !== n) throw new RangeError(`${where}: ${what} has ${s.size} elements, expected [${shape.join(', ')}] = ${n}`);
}

function index(where: string, v: number, r: number): number {
  if (v < 0 || v >= r) throw new RangeError(`${where}: index ${v} is out of range for a dimension of size ${r}`);
  return v;
}

/** Copies x into a float64 accumulator for float dtypes, or an int32 one (wrapping adds). */
function accumulator(x: JsStorage): Float64Array | Int32Array {
  return x.dtype === 'int32' ? Int32Array.from(x.data as Int32Array) : Float64Array.from(x.data);
}

export function gather(mem: JsMemory, x: Storage, idx: Storage, outer: number, r: number, inner: number, k: number): JsStorage {
  const xs = js(x, 'gather', ALL), is = js(idx, 'gather (index)', ['int32']);
  dims('gather', { outer, r, inner, k });
  size('gather', 'input', xs, outer * r * inner, [outer, r, inner]);
  size('gather', 'index', is, outer * k * inner, [outer, k, inner]);
  const out = mem.alloc(xs.dtype, outer * k * inner);
  const X = xs.data, I = is.data, O = out.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < inner; i++) {
        const at = (o * k + j) * inner + i;
        O[at] = X[(o * r + index('gather', I[at]!, r)) * inner + i]!;
      }
    }
  }
  return out;
}

export function scatterAdd(mem: JsMemory, x: Storage, idx: Storage, src: Storage, outer: number, r: number, inner: number,
  k: number): JsStorage {
  const xs = js(x, 'scatterAdd', VALUES), ss = js(src, 'scatterAdd (src)', VALUES);
  const is = js(idx, 'scatterAdd (index)', ['int32']);
  const dtype = sameDType('scatterAdd', xs, ss);
  dims('scatterAdd', { outer, r, inner, k });
  size('scatterAdd', 'input', xs, outer * r * inner, [outer, r, inner]);
  size('scatterAdd', 'index', is, outer * k * inner, [outer, k, inner]);
  size('scatterAdd', 'src', ss, outer * k * inner, [outer, k, inner]);
  const acc = accumulator(xs);
  const I = is.data, S = ss.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < inner; i++) {
        const at = (o * k + j) * inner + i;
        acc[(o * r + index('scatterAdd', I[at]!, r)) * inner + i]! += S[at]!;
      }
    }
  }
  const out = mem.alloc(dtype, acc.length);
  out.data.set(acc);
  return out;
}

export function indexSelect(mem: JsMemory, x: Storage, idx: Storage, outer: number, r: number, inner: number): JsStorage {
  const xs = js(x, 'indexSelect', ALL), is = js(idx, 'indexSelect (index)', ['int32']);
  dims('indexSelect', { outer, r, inner });
  size('indexSelect', 'input', xs, outer * r * inner, [outer, r, inner]);
  const k = is.size;
  const out = mem.alloc(xs.dtype, outer * k * inner);
  const X = xs.data, I = is.data, O = out.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const row = index('indexSelect', I[j]!, r);
      for (let i = 0; i < inner; i++) O[(o * k + j) * inner + i] = X[(o * r + row) * inner + i]!;
    }
  }
  return out;
}

export function indexAdd(mem: JsMemory, x: Storage, idx: Storage, src: Storage, outer: number, r: number, inner: number): JsStorage {
  const xs = js(x, 'indexAdd', VALUES), ss = js(src, 'indexAdd (src)', VALUES);
  const is = js(idx, 'indexAdd (index)', ['int32']);
  const dtype = sameDType('indexAdd', xs, ss);
  dims('indexAdd', { outer, r, inner });
  size('indexAdd', 'input', xs, outer * r * inner, [outer, r, inner]);
  const k = is.size;
  size('indexAdd', 'src', ss, outer * k * inner, [outer, k, inner]);
  const acc = accumulator(xs);
  const I = is.data, S = ss.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const row = index('indexAdd', I[j]!, r);
      for (let i = 0; i < inner; i++) acc[(o * r + row) * inner + i]! += S[(o * k + j) * inner + i]!;
    }
  }
  const out = mem.alloc(dtype, acc.length);
  out.data.set(acc);
  return out;
}
