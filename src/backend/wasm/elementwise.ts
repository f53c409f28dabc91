// Memory, layout, element-wise, reduction and scan primitives of the wasm backend. Strides and
// broadcasting are resolved here into rows (a start offset per operand, a length, and whether an
// operand is one element along the row); the kernels — generated from the op records into
// kernels/gen/ — see contiguous rows.

import { arrayFor, dtypeOfArray, type DType, type TypedArray } from '../../tensor/dtype.js';
import type { ElementwiseKernel, Kernels, ReduceKernel, ReduceShape, Storage } from '../backend.js';
import { Ctx, LOG2, SUFFIX, WasmStorage } from './context.js';
import { PARAM_BYTES } from './heap.js';
import type { KernelName } from './exports.gen.js';
import { sumF32 } from './sum.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const FILL: Record<DType, KernelName> = { float32: 'fill_f32', float64: 'fill_f64', int32: 'fill_i32', bool: 'fill_u8' };

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

/**
 * 1 when `strides` walk `shape` contiguously (size-1 dims aside), 0 when they stay on one element (all 0),
 * else −1.
 */
function flatStride(shape: readonly number[], strides: readonly number[]): number {
  let expect = 1, contiguous = true, zero = true;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    if (n === 1) continue;
    const st = strides[d]!;
    if (st !== expect) contiguous = false;
    if (st !== 0) zero = false;
    expect *= n;
  }
  return contiguous ? 1 : zero ? 0 : -1;
}

/**
 * The rows of a strided iteration: `len` elements per row (the innermost collapsed dim), and for each
 * of the `nrows` rows (the outer dims in order) every operand's start offset, plus `base`.
 */
function rowOffsets(shape: number[], strides: number[][], base: number[]): { len: number; nrows: number; offs: Int32Array } {
  const nd = shape.length, k = strides.length;
  const len = shape[nd - 1]!, nrows = prod(shape.slice(0, nd - 1));
  const offs = new Int32Array(nrows * k);
  const idx = new Array<number>(Math.max(0, nd - 1)).fill(0);
  const cur = [...base];
  for (let r = 0; r < nrows; r++) {
    for (let j = 0; j < k; j++) offs[r * k + j] = cur[j]!;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      for (let j = 0; j < k; j++) cur[j]! += strides[j]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let j = 0; j < k; j++) cur[j]! -= strides[j]![d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return { len, nrows, offs };
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
  'writeStrided' | 'unary' | 'binary' | 'where' | 'reduce' | 'scan'>;

export function elementwiseKernels(ctx: Ctx): EwKernels {
  const heap = ctx.heap;

  /** The kernel generated for an op record and a dtype (prefix_<name>_<dtype>), looked up once. */
  const names = new WeakMap<object, Partial<Record<string, KernelName>>>();
  const kernelOf = (prefix: 'unary' | 'binary' | 'reduce' | 'scan', op: { name: string }, dtype: DType, why = ''): KernelName => {
    let byType = names.get(op);
    if (!byType) names.set(op, byType = {});
    return byType[prefix + dtype] ??= ctx.kernel(`${prefix}_${op.name}_${SUFFIX[dtype]}`, `${prefix} ${op.name} for ${dtype}${why}`);
  };

  /**
   * Runs a row kernel: args(ptrs…, rows, nrows, len) for every part. One row is split by elements
   * (the operands that move along it advance by the part's start); many rows are split by rows.
   * `offs` holds each row's element offsets (k per row) — in the parameter block when it fits.
   */
  const runRows = (name: KernelName, ptrs: number[], moves: boolean[], sizes: number[], outPtr: number, outSize: number,
    rows: { len: number; nrows: number; offs: Int32Array }, work: number, tail: number[]): void => {
    const { len, nrows, offs } = rows;
    const k = ptrs.length;
    if (nrows === 1) {
      // one row: the pointers already include its offsets
      const p0 = ptrs.map((p, j) => p + offs[j]! * 2 ** sizes[j]!);
      ctx.parallelArgs(name, len, 4, work, (s, e) => [...p0.map((p, j) => (moves[j] ? p + s * 2 ** sizes[j]! : p)), outPtr + s * 2 ** outSize, 0, 1, e - s, ...tail]);
      return;
    }
    const bytes = offs.length * 4;
    const table = bytes <= PARAM_BYTES ? null : ctx.alloc('int32', offs.length);
    const at = table ? table.ptr : ctx.params(Array.from(offs));
    if (table) { heap.refresh(); heap.i32.set(offs, table.ptr / 4); }
    ctx.parallelArgs(name, nrows, 1, work, (s, e) => [...ptrs, outPtr + s * len * 2 ** outSize, at + s * k * 4, e - s, len, ...tail]);
    if (table) free(table);
  };

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
    ctx.parallel(ctx.kernel(`cast_${SUFFIX[x.dtype]}_${SUFFIX[dtype]}`, 'cast'), [x.ptr, y.ptr], x.size, x.size);
    return y;
  };

  /** Strided gather (scatter = 0) or scatter (1) between a view of x and the contiguous rows at po. */
  const copyRows = (x: WasmStorage, po: number, shape: readonly number[], strides: readonly number[], offset: number, scatter: boolean): void => {
    const c = collapse(shape, [strides]);
    const step = c.strides[0]![c.shape.length - 1]!;
    const nd = c.shape.length;
    if (!scatter && step === 1 && nd >= 2 && nd <= 4) {
      // contiguous rows under at most three outer dims: the kernel walks the offsets itself (no
      // offset table built here) and copies each row in vectors
      const sh = [1, 1, 1, ...c.shape.slice(0, -1)].slice(-3), st = [0, 0, 0, ...c.strides[0]!.slice(0, -1)].slice(-3);
      const len = c.shape[nd - 1]!, z = LOG2[x.dtype];
      ctx.parallelArgs('copy_nd', sh[0]! * sh[1]! * sh[2]!, 1, prod(shape), (s, e) => [x.ptr + offset * 2 ** z, po, s, e, len, z, sh[1]!, sh[2]!, st[0]!, st[1]!, st[2]!]);
      return;
    }
    const rows = rowOffsets(c.shape, [c.strides[0]!.map((s, d) => (d === c.shape.length - 1 ? 0 : s))], [offset]);
    const z = LOG2[x.dtype];
    const name = ctx.kernel(`copy_rows_${z}`, 'copy');
    const n = prod(shape);
    if (scatter) {
      // on one thread: a view with overlapping (zero) strides must write in order
      const p = rows.nrows === 1 ? [x.ptr + rows.offs[0]! * 2 ** z, po, 0, 1] : null;
      if (p) { ctx.fn(name)(...p, rows.len, step, 1); return; }
      const t = ctx.alloc('int32', rows.offs.length);
      heap.refresh(); heap.i32.set(rows.offs, t.ptr / 4);
      ctx.fn(name)(x.ptr, po, t.ptr, rows.nrows, rows.len, step, 1);
      free(t);
      return;
    }
    if (rows.nrows === 1) {
      const x0 = x.ptr + rows.offs[0]! * 2 ** z;
      ctx.parallelArgs(name, rows.len, 1, n, (s, e) => [x0 + s * step * 2 ** z, po + s * 2 ** z, 0, 1, e - s, step, 0]);
      return;
    }
    runRows(name, [x.ptr], [true], [z], po, z, { ...rows, offs: rows.offs }, n, [step, 0]);
  };

  const copyStrided = (st: Storage, shape: readonly number[], strides: readonly number[], offset: number): Storage => {
    const x = ctx.use(st, 'copyStrided');
    const n = prod(shape);
    const y = ctx.alloc(x.dtype, n);
    if (n === 0) return y;
    if (flatStride(shape, strides) === 1 && offset >= 0 && offset + n <= x.size) {
      // one contiguous run (a slice of whole rows, a narrow of the first dim): a memory move
      const e = 2 ** LOG2[x.dtype], from = x.ptr + offset * e;
      heap.u8.copyWithin(y.ptr, from, from + n * e);
      return y;
    }
    const c = collapse(shape, [strides]);
    if (LOG2[x.dtype] === 2 && transposeCopy(x.ptr + offset * 4, y.ptr, c.shape, c.strides[0]!)) return y;
    copyRows(x, y.ptr, shape, strides, offset, false);
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
    if (prod(shape) === 0) return;
    copyRows(d, s.ptr, shape, strides, offset, true);
  };

  const unary = (op: ElementwiseKernel, st: Storage): Storage => {
    const x = ctx.use(st, op.name);
    const name = kernelOf('unary', op, x.dtype);
    const y = ctx.alloc(op.out === 'bool' ? 'bool' : x.dtype, x.size);
    ctx.parallel(name, [x.ptr, y.ptr], x.size, x.size * op.cost, 4);
    return y;
  };

  const binary = (op: ElementwiseKernel, as: Storage, bs: Storage, outShape: readonly number[],
    aStrides: readonly number[], bStrides: readonly number[]): Storage => {
    const a = ctx.use(as, op.name), b = ctx.use(bs, op.name);
    if (a.dtype !== b.dtype) throw new TypeError(`wasm backend: ${op.name}: dtypes ${a.dtype} and ${b.dtype} differ (the op layer casts first)`);
    const name = kernelOf('binary', op, a.dtype);
    const n = prod(outShape);
    const y = ctx.alloc(op.out === 'bool' ? 'bool' : a.dtype, n);
    if (n === 0) return y;
    const z = LOG2[a.dtype], zy = LOG2[y.dtype], ea = 2 ** z, ey = 2 ** zy;
    const fa = flatStride(outShape, aStrides), fb = flatStride(outShape, bStrides);
    if (fa >= 0 && fb >= 0) {
      // one row (each operand contiguous or one element): no collapse, no offset table — the path of
      // most calls, whose bookkeeping costs more than the kernel on small tensors
      const pa = a.ptr, pb = b.ptr, py = y.ptr, flags = (fa === 0 ? 1 : 0) | (fb === 0 ? 2 : 0);
      ctx.parallelArgs(name, n, 4, n * op.cost, (s, e) => [pa + fa * s * ea, pb + fb * s * ea, py + s * ey, 0, 1, e - s, flags]);
      return y;
    }
    const c = collapse(outShape, [aStrides, bStrides]);
    const last = c.shape.length - 1;
    const sa = c.strides[0]![last]!, sb = c.strides[1]![last]!;
    if ((sa !== 0 && sa !== 1) || (sb !== 0 && sb !== 1)) throw new Error(`internal: binary ${op.name}: operands must be contiguous or broadcast (inner strides ${sa}, ${sb})`);
    const rows = rowOffsets(c.shape, c.strides.map((s) => s.map((v, d) => (d === last ? 0 : v))), [0, 0]);
    runRows(name, [a.ptr, b.ptr], [sa === 1, sb === 1], [z, z], y.ptr, zy, rows, n * op.cost, [(sa === 0 ? 1 : 0) | (sb === 0 ? 2 : 0)]);
    return y;
  };

  const where = (cs: Storage, as: Storage, bs: Storage, outShape: readonly number[],
    cStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[]): Storage => {
    const c = ctx.use(cs, 'where'), a = ctx.use(as, 'where'), b = ctx.use(bs, 'where');
    const n = prod(outShape);
    const y = ctx.alloc(a.dtype, n);
    if (n === 0) return y;
    const k = collapse(outShape, [cStrides, aStrides, bStrides]);
    const last = k.shape.length - 1;
    const inner = k.strides.map((s) => s[last]!);
    if (inner.some((s) => s !== 0 && s !== 1)) throw new Error(`internal: where: operands must be contiguous or broadcast (inner strides ${inner.join(', ')})`);
    const rows = rowOffsets(k.shape, k.strides.map((s) => s.map((v, d) => (d === last ? 0 : v))), [0, 0, 0]);
    const z = LOG2[a.dtype];
    const mode = (inner[0] === 0 ? 1 : 0) | (inner[1] === 0 ? 2 : 0) | (inner[2] === 0 ? 4 : 0);
    runRows(ctx.kernel(`where_${z}`, 'where'), [c.ptr, a.ptr, b.ptr], inner.map((s) => s === 1), [0, z, z], y.ptr, z, rows, 2 * n, [mode]);
    return y;
  };

  const reduce = (op: ReduceKernel, st: Storage, s: ReduceShape): Storage => {
    const x = ctx.use(st, op.name);
    const name = kernelOf('reduce', op, x.dtype, ' (the op layer casts bool to int32 first)');
    if (op.wins && s.r === 0 && s.outer * s.inner > 0) throw new RangeError(`wasm backend: reduce ${op.name}: cannot reduce over an empty dimension`);
    // float32 sums accumulate in float64 in fixed blocks (kernels/sum.ts): exact to float32 rounding and
    // the same bits for any thread count; the generated reduce_sum_f32 stays for the record's tests.
    if (op.name === 'sum' && x.dtype === 'float32') return sumF32(ctx, x, s);
    const outN = s.outer * s.inner;
    const y = ctx.alloc(op.index ? 'int32' : x.dtype, outN);
    ctx.parallel(name, [x.ptr, y.ptr, s.outer, s.r, s.inner], outN, outN * s.r, 1);
    return y;
  };

  const scan = (op: ReduceKernel, st: Storage, s: ReduceShape): Storage => {
    const x = ctx.use(st, op.name);
    const name = kernelOf('scan', op, x.dtype);
    const y = ctx.alloc(x.dtype, x.size);
    ctx.parallel(name, [x.ptr, y.ptr, s.outer, s.r, s.inner], s.outer, x.size, 1);
    return y;
  };

  const fill = (dtype: DType, size: number, value: number): Storage => {
    const y = ctx.alloc(dtype, size);
    ctx.parallel(FILL[dtype], [y.ptr, value], size, size / 2, 16);
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
    copyStrided, writeStrided, unary, binary, where, reduce, scan,
  };
}
