// Memory, layout, element-wise, reduction and scan primitives of the wasm backend: shape and
// stride bookkeeping here, loops in kernels/elementwise.gen.ts.

import { arrayFor, dtypeOfArray, type DType, type TypedArray } from '../../tensor/dtype.js';
import type { BinaryOp, Kernels, ReduceOp, ReduceShape, Storage, UnaryOp } from '../backend.js';
import { COMPARISON_OPS } from '../backend.js';
import { Ctx, LOG2, SUFFIX, WasmStorage } from './context.js';
import { sumF32 } from './sum.js';

const HEAVY: ReadonlySet<UnaryOp> = new Set(['exp', 'log', 'log1p', 'expm1', 'sin', 'cos', 'tanh', 'sigmoid', 'erf']);
const SIZE_NAME = { 0: '0', 2: '2', 3: '3' } as Record<number, string>;

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Drops size-1 dims and merges dims that are contiguous for every operand, so kernels see
 * as few (and as long) rows as possible.
 */
export function collapse(shape: readonly number[], strides: (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const out: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => out[k]![last] === s[d]! * n)) {
      outShape[last] = outShape[last]! * n;
      strides.forEach((s, k) => { out[k]![last] = s[d]!; });
    } else {
      outShape.push(n);
      strides.forEach((s, k) => out[k]!.push(s[d]!));
    }
  }
  if (outShape.length === 0) { outShape.push(1); out.forEach((s) => s.push(0)); }
  return { shape: outShape, strides: out };
}

/** A copy of `data` as `dtype` (floats round or widen; int32 truncates, NaN/out of range → INT_MIN; bool is x ≠ 0). */
function convertArray(data: TypedArray, dtype: DType): TypedArray {
  const out = arrayFor(dtype, data.length);
  if (dtype === 'float32' || dtype === 'float64') { out.set(data); return out; }
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (dtype === 'bool') out[i] = v !== 0 ? 1 : 0;
    else { const t = Math.trunc(v); out[i] = t >= -2147483648 && t < 2147483648 ? t : -2147483648; }
  }
  return out;
}

type EwKernels = Pick<Kernels, 'fromArray' | 'fill' | 'readSync' | 'read' | 'free' | 'cast' | 'copyStrided' |
  'writeStrided' | 'unary' | 'binary' | 'where' | 'reduce' | 'cumsum'>;

export function elementwiseKernels(ctx: Ctx): EwKernels {
  const heap = ctx.heap;

  const fromArray = (data: TypedArray, dtype: DType): Storage => {
    if (dtypeOfArray(data) !== dtype || dtype === 'bool') data = convertArray(data, dtype);
    const s = ctx.alloc(dtype, data.length);
    const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (src.length !== s.byteLength) throw new TypeError(`wasm backend: fromArray: a ${data.constructor.name} cannot hold ${dtype}`);
    heap.refresh();
    heap.u8.set(src, s.ptr);
    return s;
  };

  const readSync = (st: Storage): TypedArray => ctx.view(ctx.use(st, 'read')).slice();

  const cast = (st: Storage, dtype: DType): Storage => {
    const x = ctx.use(st, 'cast');
    const y = ctx.alloc(dtype, x.size);
    if (dtype === x.dtype) { heap.u8.copyWithin(y.ptr, x.ptr, x.ptr + x.byteLength); return y; }
    ctx.parallel(`cast_${SUFFIX[x.dtype]}_${SUFFIX[dtype]}`, [x.ptr, y.ptr], x.size, x.size);
    return y;
  };

  const copyStrided = (st: Storage, shape: readonly number[], strides: readonly number[], offset: number): Storage => {
    const x = ctx.use(st, 'copyStrided');
    const n = prod(shape);
    const y = ctx.alloc(x.dtype, n);
    if (n === 0) return y;
    const c = collapse(shape, [strides]);
    if (LOG2[x.dtype] === 2 && transposeCopy(x.ptr + offset * 4, y.ptr, c.shape, c.strides[0]!)) return y;
    const prm = ctx.params([...c.shape, ...c.strides[0]!]);
    ctx.parallel(`copy_strided_${SIZE_NAME[LOG2[x.dtype]]}`, [x.ptr, y.ptr, prm, c.shape.length, offset], n, n, 1, [0]);
    return y;
  };

  /**
   * A (batched) matrix transpose — out [.., A, B] reading x at strides [.., 1, A] — runs the
   * blocked transpose kernel instead of a strided gather. Returns false for any other view.
   */
  const transposeCopy = (src: number, dst: number, shape: number[], st: number[]): boolean => {
    const nd = shape.length;
    if (nd < 2 || nd > 3) return false;
    const A = shape[nd - 2]!, B = shape[nd - 1]!;
    if (st[nd - 2] !== 1 || st[nd - 1] !== A || A < 4 || B < 4) return false;
    const batch = nd === 3 ? shape[0]! : 1;
    if (nd === 3 && st[0] !== A * B) return false;
    // x[b] is B×A (rows of length A); y[b] = x[b]ᵀ is A×B
    const total = batch * A * B;
    const t = ctx.threadsFor(total * 2, batch > 1 ? batch : Math.ceil(B / 64));
    const f = ctx.fn('transpose_32');
    if (t <= 1) { f(src, dst, B, A, 0, batch, 0, B); return true; }
    const parts: number[][] = [];
    for (let i = 0; i < t; i++) {
      if (batch >= t) parts.push([src, dst, B, A, Math.round((batch * i) / t), Math.round((batch * (i + 1)) / t), 0, B]);
      else parts.push([src, dst, B, A, 0, batch, Math.round((B * i) / t), Math.round((B * (i + 1)) / t)]);
    }
    ctx.pool.run('transpose_32', parts, f as (...a: number[]) => void);
    return true;
  };

  const writeStrided = (dst: Storage, src: Storage, shape: readonly number[], strides: readonly number[], offset: number): void => {
    const d = ctx.use(dst, 'writeStrided'), s = ctx.use(src, 'writeStrided');
    const n = prod(shape);
    if (n === 0) return;
    const c = collapse(shape, [strides]);
    const prm = ctx.params([...c.shape, ...c.strides[0]!]);
    // Scatter on one thread: a view with overlapping (zero) strides must write in order.
    ctx.fn(`copy_strided_${SIZE_NAME[LOG2[d.dtype]]}`)(d.ptr, s.ptr, prm, c.shape.length, offset, 0, n, 1);
  };

  const unary = (op: UnaryOp, st: Storage): Storage => {
    const x = ctx.use(st, op);
    const name = `unary_${op}_${SUFFIX[x.dtype]}`;
    if (!ctx.ex[name]) throw new TypeError(`wasm backend: ${op} is not defined for ${x.dtype}`);
    const y = ctx.alloc(op === 'not' ? 'bool' : x.dtype, x.size);
    ctx.parallel(name, [x.ptr, y.ptr], x.size, x.size * (HEAVY.has(op) ? 10 : 1), 4);
    return y;
  };

  const binary = (op: BinaryOp, as: Storage, bs: Storage, outShape: readonly number[],
    aStrides: readonly number[], bStrides: readonly number[]): Storage => {
    const a = ctx.use(as, op), b = ctx.use(bs, op);
    if (a.dtype !== b.dtype) throw new TypeError(`wasm backend: ${op}: dtypes ${a.dtype} and ${b.dtype} differ (the op layer casts first)`);
    const name = `binary_${op}_${SUFFIX[a.dtype]}`;
    if (!ctx.ex[name]) throw new TypeError(`wasm backend: ${op} is not defined for ${a.dtype}`);
    const n = prod(outShape);
    const y = ctx.alloc(COMPARISON_OPS.has(op) ? 'bool' : a.dtype, n);
    if (n === 0) return y;
    const c = collapse(outShape, [aStrides, bStrides]);
    const prm = ctx.params([...c.shape, ...c.strides[0]!, ...c.strides[1]!]);
    ctx.parallel(name, [a.ptr, b.ptr, y.ptr, prm, c.shape.length], n, n * (op === 'pow' ? 10 : 1), 4);
    return y;
  };

  const where = (cs: Storage, as: Storage, bs: Storage, outShape: readonly number[],
    cStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[]): Storage => {
    const c = ctx.use(cs, 'where'), a = ctx.use(as, 'where'), b = ctx.use(bs, 'where');
    const n = prod(outShape);
    const y = ctx.alloc(a.dtype, n);
    if (n === 0) return y;
    const k = collapse(outShape, [cStrides, aStrides, bStrides]);
    const prm = ctx.params([...k.shape, ...k.strides[0]!, ...k.strides[1]!, ...k.strides[2]!]);
    ctx.parallel(`where_${SIZE_NAME[LOG2[a.dtype]]}`, [c.ptr, a.ptr, b.ptr, y.ptr, prm, k.shape.length], n, 2 * n);
    return y;
  };

  const reduce = (op: ReduceOp, st: Storage, s: ReduceShape): Storage => {
    let x = ctx.use(st, op);
    const isArg = op === 'argmax' || op === 'argmin';
    const wasBool = x.dtype === 'bool';
    if (wasBool && (op === 'sum' || op === 'prod')) throw new TypeError(`wasm backend: reduce ${op} is not defined for bool (the op layer casts first)`);
    if (wasBool) x = cast(x, 'int32') as WasmStorage;
    if (op === 'sum' && x.dtype === 'float32') return sumF32(ctx, x, s); // float64 accumulation
    const outN = s.outer * s.inner;
    const y = ctx.alloc(isArg ? 'int32' : x.dtype, outN);
    ctx.parallel(`reduce_${op}_${SUFFIX[x.dtype]}`, [x.ptr, y.ptr, s.outer, s.r, s.inner], outN, outN * s.r, 1);
    if (wasBool) {
      free(x);
      if (!isArg) { const z = cast(y, 'bool'); free(y); return z; }
    }
    return y;
  };

  const cumsum = (st: Storage, s: ReduceShape): Storage => {
    const x = ctx.use(st, 'cumsum');
    const name = `cumsum_${SUFFIX[x.dtype]}`;
    if (!ctx.ex[name]) throw new TypeError(`wasm backend: cumsum is not defined for ${x.dtype}`);
    const y = ctx.alloc(x.dtype, x.size);
    ctx.parallel(name, [x.ptr, y.ptr, s.outer, s.r, s.inner], s.outer, x.size, 1);
    return y;
  };

  const fill = (dtype: DType, size: number, value: number): Storage => {
    const y = ctx.alloc(dtype, size);
    ctx.parallel(`fill_${SUFFIX[dtype]}`, [y.ptr, value], size, size / 2, 16);
    return y;
  };

  const free = (st: Storage): void => {
    const s = st as WasmStorage;
    if (!(s instanceof WasmStorage) || s.freed) return;
    s.freed = true;
    heap.release(s.ptr, s.bytes);
  };

  return {
    fromArray, fill, readSync, read: async (s) => readSync(s), free, cast,
    copyStrided, writeStrided, unary, binary, where, reduce, cumsum,
  };
}
