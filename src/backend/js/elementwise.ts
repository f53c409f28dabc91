// Element-wise kernels: any op's record (its scalar formula from src/ops/scalar.ts) over a storage,
// broadcast binary ops, where. Floats compute in float64 and round on store; int32 wraps.

import type { ElementwiseKernel, Storage } from '../backend.js';
import type { DType } from '../../tensor/dtype.js';
import { viewOffsets } from './layout.js';
import { ALL, js, numel, sameDType, type JsMemory, type JsStorage } from './storage.js';

type Fn = (...x: number[]) => number;

/**
 * The op's formula for a dtype: float runs f in float64 (a Float32Array store rounds), int32 its
 * int formula (or f where f is exact on integers), bool f on 0/1 (the store makes nonzero true).
 */
export function formulaFor(op: ElementwiseKernel, dtype: DType, where: string): Fn {
  if (dtype === 'float32' || dtype === 'float64') return op.f;
  const rule = dtype === 'int32' ? op.int : op.bool ? 'exact' : undefined;
  if (rule === undefined) {
    throw new TypeError(`${where}: not defined for ${dtype}` + (op.name === 'div' ? ' (the op layer casts integer division to float first)' : ' (cast to a float dtype first)'));
  }
  if (rule !== 'exact') return rule;
  if (dtype === 'bool') return (...x: number[]) => (op.f(...x) !== 0 ? 1 : 0);
  return (...x: number[]) => op.f(...x) | 0;
}

export function unary(mem: JsMemory, op: ElementwiseKernel, x: Storage): JsStorage {
  const where = `unary ${op.name}`;
  const xs = js(x, where, ALL);
  const f = formulaFor(op, xs.dtype, where);
  const out = mem.alloc(op.out === 'bool' ? 'bool' : xs.dtype, xs.size);
  const o = out.data, src = xs.data;
  for (let i = 0; i < src.length; i++) o[i] = f(src[i]!); // a Float32Array/Int32Array store rounds/wraps
  return out;
}

function broadcastOffsets(where: string, shape: readonly number[], strides: readonly number[], s: JsStorage,
  which: string): Float64Array {
  return viewOffsets(shape, strides, 0, s.size, `${where} (${which})`);
}

export function binary(mem: JsMemory, op: ElementwiseKernel, a: Storage, b: Storage, outShape: readonly number[],
  aStrides: readonly number[], bStrides: readonly number[]): JsStorage {
  const where = `binary ${op.name}`;
  const as = js(a, where, ALL), bs = js(b, where, ALL);
  const dtype = sameDType(where, as, bs);
  const f = formulaFor(op, dtype, where);
  const ao = broadcastOffsets(where, outShape, aStrides, as, 'a');
  const bo = broadcastOffsets(where, outShape, bStrides, bs, 'b');
  const out = mem.alloc(op.out === 'bool' ? 'bool' : dtype, numel(outShape, where));
  const o = out.data, ad = as.data, bd = bs.data;
  for (let i = 0; i < o.length; i++) o[i] = f(ad[ao[i]!]!, bd[bo[i]!]!);
  return out;
}

export function where(mem: JsMemory, cond: Storage, a: Storage, b: Storage, outShape: readonly number[],
  cStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[]): JsStorage {
  const cs = js(cond, 'where (cond)', ['bool']);
  const as = js(a, 'where', ALL), bs = js(b, 'where', ALL);
  const dtype = sameDType('where', as, bs);
  const co = broadcastOffsets('where', outShape, cStrides, cs, 'cond');
  const ao = broadcastOffsets('where', outShape, aStrides, as, 'a');
  const bo = broadcastOffsets('where', outShape, bStrides, bs, 'b');
  const out = mem.alloc(dtype, numel(outShape, 'where'));
  const o = out.data, cd = cs.data, ad = as.data, bd = bs.data;
  for (let i = 0; i < o.length; i++) o[i] = cd[co[i]!] ? ad[ao[i]!]! : bd[bo[i]!]!;
  return out;
}
