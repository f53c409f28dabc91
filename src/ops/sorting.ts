// Ordering and data-dependent selection: sort/argsort/topk, unique, searchsorted, bincount,
// nonzero/argwhere, maskedSelect. Their result shapes or orders depend on the values, so the order
// is found by a js loop over the data read back through the backend interface; the values then
// come from gather/indexSelect, so the gradient (of sort, topk, maskedSelect) is theirs.

import type { Tensor } from '../tensor/tensor.js';
import { arrayFor, isFloat, type DType } from '../tensor/dtype.js';
import { broadcastShapes, fmt, normDim, prod } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { backendOf, wrap } from './util.js';
import { reshape } from './layout.js';
import { expand } from './broadcast.js';
import { gather, indexSelect } from './indexing.js';
import { narrow } from './shape.js';
import type { ValuesIndices } from './reduce.js';

/** Throws on option keys the op does not know (an option not understood is an error). */
export function checkOpts(op: string, o: object | undefined, known: readonly string[]): void {
  if (o === undefined || o === null) return;
  if (typeof o !== 'object') throw new TypeError(`${op}: options must be an object, got ${JSON.stringify(o)}`);
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new TypeError(`${op}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

/** A new tensor on x's backend from a typed array. */
export function fromHost(like: Tensor, data: ArrayLike<number>, dtype: DType, shape: readonly number[]): Tensor {
  const be = backendOf('fromHost', like);
  const arr = arrayFor(dtype, data.length);
  for (let i = 0; i < data.length; i++) arr[i] = data[i]!;
  return wrap(be, be.fromArray(arr, dtype), shape);
}

/** PyTorch's sort order: NaN above every number; ties by position, so the sort is stable. */
function sortOrder(v: ArrayLike<number>, desc: boolean): (i: number, j: number) => number {
  const s = desc ? -1 : 1;
  return (i, j) => {
    const a = v[i]!, b = v[j]!;
    if (a < b) return -s;
    if (a > b) return s;
    const an = a !== a, bn = b !== b;
    if (an !== bn) return an ? s : -s;
    return i - j;
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const LINE = 2097152; // 2^21: a 32-bit key times this plus a position < 2^21 is exact in a float64

/** An order-preserving 32-bit key of a float32 or int32 value (NaN above +∞, -0 equal to 0). */
function key32(v: number, float: boolean): number {
  if (!float) return v + 2147483648;
  if (v !== v) return 0xffffffff;
  f32[0] = v === 0 ? 0 : v;
  const b = u32[0]!;
  return b >= 0x80000000 ? 0xffffffff - b : b + 0x80000000;
}

/**
 * The int32 indices that sort x along dim d (stable). float32/int32/bool lines shorter than 2^21
 * sort as float64 keys (key · 2^21 + position) with the engine's native numeric sort; float64
 * lines, or longer ones, with a comparator.
 */
function sortIndices(x: Tensor, d: number, desc: boolean, k?: number): Tensor {
  const data = x.dataSync();
  const shape = x.shape;
  const outer = prod(shape.slice(0, d)), r = shape[d] ?? 1, inner = prod(shape.slice(d + 1));
  const keyed = x.dtype !== 'float64' && r < LINE;
  // topk with a small k keeps the k best keys in a heap instead of sorting the line
  const kk = k !== undefined && keyed && k * 8 < r ? k : r;
  const out = new Int32Array(outer * kk * inner);
  const heap = new Float64Array(kk < r ? kk : 0);
  const float = x.dtype === 'float32';
  const line = new Float64Array(r), keys = new Float64Array(keyed ? r : 0), order = new Array<number>(keyed ? 0 : r);
  const cmp = sortOrder(line, desc);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * r * inner + i;
      if (keyed) {
        for (let j = 0; j < r; j++) {
          const k = key32(data[base + j * inner]!, float);
          keys[j] = (desc ? 0xffffffff - k : k) * LINE + j;
        }
        if (kk < r) {
          const best = smallest(keys, heap);
          const ob = o * kk * inner + i;
          for (let j = 0; j < kk; j++) out[ob + j * inner] = best[j]! % LINE;
          continue;
        }
        keys.sort();
        for (let j = 0; j < r; j++) out[base + j * inner] = keys[j]! % LINE;
      } else {
        for (let j = 0; j < r; j++) { line[j] = data[base + j * inner]!; order[j] = j; }
        order.sort(cmp);
        for (let j = 0; j < r; j++) out[base + j * inner] = order[j]!;
      }
    }
  }
  const outShape = [...shape];
  if (shape.length > 0) outShape[d] = kk;
  return fromHost(x, out, 'int32', outShape);
}

/** The heap.length smallest of keys, in ascending order (a max-heap of the best so far). */
function smallest(keys: Float64Array, heap: Float64Array): Float64Array {
  const k = heap.length;
  if (k === 0) return heap;
  heap.set(keys.subarray(0, k));
  heap.sort();
  heap.reverse(); // descending order is a valid max-heap
  for (let j = k; j < keys.length; j++) {
    const v = keys[j]!;
    if (v >= heap[0]!) continue;
    let p = 0;
    for (;;) {
      const a = 2 * p + 1, b = a + 1;
      let c = p;
      let cv = v;
      if (a < k && heap[a]! > cv) { c = a; cv = heap[a]!; }
      if (b < k && heap[b]! > cv) { c = b; }
      if (c === p) break;
      heap[p] = heap[c]!;
      p = c;
    }
    heap[p] = v;
  }
  return heap.slice().sort();
}

export interface SortOptions { dim?: number; descending?: boolean; stable?: boolean }

function sortArgs(op: string, x: Tensor, a?: number | SortOptions, desc?: boolean): { d: number; desc: boolean } {
  const o: SortOptions = typeof a === 'number' ? { dim: a, descending: desc } : (a ?? {});
  if (typeof a !== 'number') {
    checkOpts(op, o, ['dim', 'descending', 'stable']);
    if (desc !== undefined) throw new TypeError(`${op}: pass descending in the options object, not after it`);
  }
  return { d: x.ndim === 0 ? normDim(op, o.dim ?? -1, 1) : normDim(op, o.dim ?? -1, x.ndim), desc: o.descending ?? false };
}

interface SortFn {
  /** sorted along dim (default the last) → {values, indices}; always stable (ties keep their order) */
  (x: Tensor, opts?: SortOptions): ValuesIndices;
  (x: Tensor, dim: number, descending?: boolean): ValuesIndices;
}
export const sort = defineOp('sort', (x: Tensor, a?: number | SortOptions, desc?: boolean): ValuesIndices => {
  const { d, desc: down } = sortArgs('sort', x, a, desc);
  if (x.ndim === 0) return { values: reshape(x, []), indices: fromHost(x, [0], 'int32', []) };
  const indices = sortIndices(x, d, down);
  return { values: gather(x, d, indices), indices };
}) as SortFn;

interface ArgsortFn {
  /** the int32 indices that sort x along dim (stable) */
  (x: Tensor, opts?: SortOptions): Tensor;
  (x: Tensor, dim: number, descending?: boolean): Tensor;
}
export const argsort = defineOp('argsort', (x: Tensor, a?: number | SortOptions, desc?: boolean): Tensor => {
  const { d, desc: down } = sortArgs('argsort', x, a, desc);
  if (x.ndim === 0) return fromHost(x, [0], 'int32', []);
  return sortIndices(x, d, down);
}) as ArgsortFn;

export interface TopkOptions { dim?: number; largest?: boolean; sorted?: boolean }

/** The k largest (smallest with largest: false) along dim → {values, indices}, in sorted order. */
export const topk = defineOp('topk', (x: Tensor, k: number, opts: TopkOptions = {}): ValuesIndices => {
  checkOpts('topk', opts, ['dim', 'largest', 'sorted']);
  const d = normDim('topk', opts.dim ?? -1, Math.max(x.ndim, 1));
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`topk: k = ${k} is out of range for dim ${d} of size ${n} (shape ${fmt(x.shape)})`);
  if (x.ndim === 0) return { values: reshape(x, []), indices: fromHost(x, [0], 'int32', []) };
  const all = sortIndices(x, d, opts.largest ?? true, k);
  const indices = all.shape[d] === k ? all : narrow(all, d, 0, k);
  if (indices !== all) all.dispose();
  return { values: gather(x, d, indices), indices };
});

export interface UniqueOptions { sorted?: boolean; returnInverse?: boolean; returnCounts?: boolean; dim?: number }
export interface UniqueResult { values: Tensor; inverse?: Tensor; counts?: Tensor }

interface UniqueFn {
  /** the distinct elements, sorted (also with sorted: false); with returnInverse / returnCounts → {values, inverse, counts} */
  (x: Tensor, opts?: UniqueOptions & { returnInverse?: false; returnCounts?: false }): Tensor;
  (x: Tensor, opts: UniqueOptions): Tensor | UniqueResult;
}
export const unique = defineOp('unique', (x: Tensor, opts: UniqueOptions = {}): Tensor | UniqueResult => {
  checkOpts('unique', opts, ['sorted', 'returnInverse', 'returnCounts', 'dim']);
  if (opts.dim !== undefined && opts.dim !== null) throw new Error('unique: the dim option (unique slices) is not supported; unique works on all elements');
  const data = x.dataSync();
  const order = Array.from({ length: data.length }, (_, i) => i).sort(sortOrder(data, false));
  const vals: number[] = [], counts: number[] = [];
  const inverse = new Int32Array(data.length);
  for (const i of order) {
    const v = data[i]!;
    // NaN never equals anything, so each NaN is its own value, as in PyTorch
    if (vals.length === 0 || vals[vals.length - 1] !== v) { vals.push(v); counts.push(0); }
    counts[counts.length - 1]!++;
    inverse[i] = vals.length - 1;
  }
  const values = fromHost(x, vals, x.dtype, [vals.length]);
  if (!opts.returnInverse && !opts.returnCounts) return values;
  const res: UniqueResult = { values };
  if (opts.returnInverse) res.inverse = fromHost(x, inverse, 'int32', x.shape);
  if (opts.returnCounts) res.counts = fromHost(x, counts, 'int32', [counts.length]);
  return res;
}) as UniqueFn;

export interface SearchsortedOptions { right?: boolean; side?: 'left' | 'right' }

/** For each value, the index where it would be inserted into the sorted innermost rows (int32). */
export const searchsorted = defineOp('searchsorted', (seq: Tensor, values: Tensor | number, opts: SearchsortedOptions = {}): Tensor => {
  checkOpts('searchsorted', opts, ['right', 'side']);
  if (opts.side !== undefined && opts.side !== 'left' && opts.side !== 'right') throw new TypeError(`searchsorted: side must be 'left' or 'right', got ${JSON.stringify(opts.side)}`);
  if (opts.side !== undefined && opts.right !== undefined && (opts.side === 'right') !== opts.right) {
    throw new Error(`searchsorted: side '${opts.side}' contradicts right: ${opts.right}`);
  }
  const right = opts.side === 'right' || opts.right === true;
  if (seq.ndim === 0) throw new Error('searchsorted: the sorted sequence must have at least 1 dimension, got a 0-d tensor');
  const v = typeof values === 'number' ? null : values;
  const vdata = v ? v.dataSync() : [values as number];
  const vshape = v ? v.shape : [];
  if (seq.ndim > 1 && (vshape.length !== seq.ndim || vshape.slice(0, -1).some((s, i) => s !== seq.shape[i]))) {
    throw new Error(`searchsorted: the leading dims of the sorted sequence ${fmt(seq.shape)} and of the values ${fmt(vshape)} must match`);
  }
  const s = seq.dataSync();
  const n = seq.shape[seq.ndim - 1]!;
  const per = seq.ndim > 1 ? vshape[vshape.length - 1]! : vdata.length;
  const out = new Int32Array(vdata.length);
  for (let i = 0; i < vdata.length; i++) {
    const base = seq.ndim > 1 ? Math.floor(i / per) * n : 0;
    const t = vdata[i]!;
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = s[base + mid]!;
      // NaN sorts last: a NaN value goes after every number; a NaN in the sequence is above every value
      const before = t !== t ? (m === m || right) : m !== m ? false : right ? m <= t : m < t;
      if (before) lo = mid + 1; else hi = mid;
    }
    out[i] = lo;
  }
  return fromHost(seq, out, 'int32', vshape);
});

export interface BincountOptions { weights?: Tensor | null; minlength?: number }

/** Counts of each value of a 1-D non-negative int32 tensor (sums of weights with weights). */
export const bincount = defineOp('bincount', (x: Tensor, opts: BincountOptions = {}): Tensor => {
  checkOpts('bincount', opts, ['weights', 'minlength']);
  if (x.ndim !== 1 || (x.dtype !== 'int32' && x.dtype !== 'bool')) throw new TypeError(`bincount: expects a 1-D int32 tensor, got ${x.dtype} of shape ${fmt(x.shape)}`);
  const minlength = opts.minlength ?? 0;
  if (!Number.isInteger(minlength) || minlength < 0) throw new RangeError(`bincount: minlength must be a non-negative integer, got ${minlength}`);
  const w = opts.weights ?? null;
  if (w && (w.ndim !== 1 || w.shape[0] !== x.shape[0])) throw new Error(`bincount: weights ${fmt(w.shape)} must have the input's shape ${fmt(x.shape)}`);
  const data = x.dataSync();
  let len = minlength;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0) throw new RangeError(`bincount: the input holds a negative value ${v} at position ${i}`);
    if (v + 1 > len) len = v + 1;
  }
  const dtype: DType = w ? (isFloat(w.dtype) ? w.dtype : 'float64') : 'int32';
  const out = arrayFor(dtype, len);
  const wd = w ? w.dataSync() : null;
  for (let i = 0; i < data.length; i++) out[data[i]!] += wd ? wd[i]! : 1;
  return fromHost(x, out, dtype, [len]);
});

/** The flat positions of the nonzero elements. */
function nonzeroFlat(x: Tensor): number[] {
  const data = x.dataSync();
  const at: number[] = [];
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) at.push(i);
  return at;
}

/** The indices of the nonzero elements, one row each: int32 [count, ndim]; asTuple: one 1-D tensor per dim. */
export const nonzero = defineOp('nonzero', (x: Tensor, opts: { asTuple?: boolean } = {}): Tensor | Tensor[] => {
  checkOpts('nonzero', opts, ['asTuple']);
  const at = nonzeroFlat(x);
  const nd = x.ndim;
  const idx = new Int32Array(at.length * nd);
  at.forEach((f, r) => {
    for (let d = nd - 1; d >= 0; d--) {
      idx[r * nd + d] = f % x.shape[d]!;
      f = Math.floor(f / x.shape[d]!);
    }
  });
  if (!opts.asTuple) return fromHost(x, idx, 'int32', [at.length, nd]);
  if (nd === 0) return [fromHost(x, at.map(() => 0), 'int32', [at.length])];
  return Array.from({ length: nd }, (_, d) => fromHost(x, at.map((_, r) => idx[r * nd + d]!), 'int32', [at.length]));
}) as { (x: Tensor, opts?: { asTuple?: false }): Tensor; (x: Tensor, opts: { asTuple: true }): Tensor[] };

/** Same as nonzero(x): int32 [count, ndim]. */
export const argwhere = defineOp('argwhere', (x: Tensor): Tensor => nonzero(x));

/** The elements of x where the (broadcast) bool mask is true, as a 1-D tensor; gradient flows back to them. */
export const maskedSelect = defineOp('maskedSelect', (x: Tensor, mask: Tensor): Tensor => {
  if (mask.dtype !== 'bool') throw new TypeError(`maskedSelect: mask must be a bool tensor, got ${mask.dtype}`);
  const shape = broadcastShapes('maskedSelect', x.shape, mask.shape);
  const m = expand(mask, shape);
  const at = nonzeroFlat(m);
  m.dispose();
  const xe = expand(x, shape);
  const flat = reshape(xe, [prod(shape)]);
  const idx = fromHost(x, at, 'int32', [at.length]);
  const out = indexSelect(flat, 0, idx);
  for (const t of [xe, flat, idx]) t.dispose();
  return out;
});
