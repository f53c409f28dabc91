// Element-wise kernels: unary math, broadcast binary ops (arithmetic, comparison, logical), where.
// Floats compute in float64 JS numbers and round on store; int32 arithmetic wraps like C's int32.

import type { BinaryOp, Storage, UnaryOp } from '../backend.js';
import type { DType } from '../../tensor/dtype.js';
import { viewOffsets } from './layout.js';
import { erf, powC, powInt, roundHalfEven } from './math.js';
import { ALL, js, numel, sameDType, type JsMemory, type JsStorage } from './storage.js';

type Fn1 = (x: number) => number;

const FLOAT_UNARY: Record<Exclude<UnaryOp, 'not'>, Fn1> = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  log1p: (x) => Math.log1p(x),
  expm1: (x) => Math.expm1(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  reciprocal: (x) => 1 / x,
  sin: (x) => Math.sin(x),
  cos: (x) => Math.cos(x),
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => (x < 0 ? 0 : x), // NaN and -0 pass through, as in torch
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), // torch 1.13: sign(NaN) = 0, sign(-0) = 0
  floor: (x) => Math.floor(x),
  ceil: (x) => Math.ceil(x),
  round: roundHalfEven,
  erf,
  square: (x) => x * x,
};

/** int32 unary ops wrap (-INT_MIN = INT_MIN); rounding ops are the identity on integers. */
const INT_UNARY: Partial<Record<UnaryOp, Fn1>> = {
  neg: (x) => -x | 0,
  abs: (x) => Math.abs(x) | 0,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  square: (x) => Math.imul(x, x),
  relu: (x) => (x < 0 ? 0 : x),
  floor: (x) => x,
  ceil: (x) => x,
  round: (x) => x,
};

/** bool: abs/relu/floor/ceil/round/square are the identity (x ∈ {0, 1}). */
const BOOL_UNARY: Partial<Record<UnaryOp, Fn1>> = {
  abs: (x) => x, relu: (x) => x, sign: (x) => x, square: (x) => x,
  floor: (x) => x, ceil: (x) => x, round: (x) => x,
};

export function unary(mem: JsMemory, op: UnaryOp, x: Storage): JsStorage {
  const xs = js(x, `unary ${op}`, ALL);
  const src = xs.data;
  if (op === 'not') {
    // logical_not: true where x == 0, for any input dtype
    const out = mem.alloc('bool', xs.size);
    const o = out.data;
    for (let i = 0; i < src.length; i++) o[i] = src[i] === 0 ? 1 : 0;
    return out;
  }
  const table = xs.dtype === 'int32' ? INT_UNARY : xs.dtype === 'bool' ? BOOL_UNARY : FLOAT_UNARY;
  const f = table[op];
  if (!f) {
    if (!(op in FLOAT_UNARY)) throw new TypeError(`unary: unknown op '${op}'`);
    throw new TypeError(`unary ${op}: not defined for ${xs.dtype} (cast to a float dtype first)`);
  }
  const out = mem.alloc(xs.dtype, xs.size);
  const o = out.data;
  for (let i = 0; i < src.length; i++) o[i] = f(src[i]!); // a Float32Array/Int32Array store rounds/wraps
  return out;
}

type Fn2 = (a: number, b: number) => number;

const CMP: Record<string, Fn2> = {
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  and: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  or: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
};

// maximum/minimum propagate NaN (Math.max/min do); pow follows C (pow(1, NaN) = 1).
const FLOAT_BIN: Record<string, Fn2> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: powC,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
};

const INT_BIN: Record<string, Fn2> = {
  add: (a, b) => (a + b) | 0,
  sub: (a, b) => (a - b) | 0,
  mul: (a, b) => Math.imul(a, b),
  pow: powInt,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
};

// PyTorch on bool tensors: add is or, mul is and; max/min likewise.
const BOOL_BIN: Record<string, Fn2> = {
  add: (a, b) => (a | b),
  mul: (a, b) => (a & b),
  maximum: (a, b) => (a | b),
  minimum: (a, b) => (a & b),
};

function broadcastOffsets(where: string, shape: readonly number[], strides: readonly number[], s: JsStorage,
  which: string): Float64Array {
  return viewOffsets(shape, strides, 0, s.size, `${where} (${which})`);
}

export function binary(mem: JsMemory, op: BinaryOp, a: Storage, b: Storage, outShape: readonly number[],
  aStrides: readonly number[], bStrides: readonly number[]): JsStorage {
  const where = `binary ${op}`;
  const as = js(a, where, ALL), bs = js(b, where, ALL);
  const dtype = sameDType(where, as, bs);
  let f: Fn2 | undefined, outDType: DType;
  if (op in CMP) {
    f = CMP[op]; outDType = 'bool';
  } else {
    if (!(op in FLOAT_BIN)) throw new TypeError(`binary: unknown op '${op}'`);
    f = (dtype === 'int32' ? INT_BIN : dtype === 'bool' ? BOOL_BIN : FLOAT_BIN)[op];
    outDType = dtype;
    if (!f) {
      throw new TypeError(`${where}: not defined for ${dtype}` +
        (op === 'div' ? ' (the op layer casts integer division to float first)' : ''));
    }
  }
  const ao = broadcastOffsets(where, outShape, aStrides, as, 'a');
  const bo = broadcastOffsets(where, outShape, bStrides, bs, 'b');
  const out = mem.alloc(outDType, numel(outShape, where));
  const o = out.data, ad = as.data, bd = bs.data;
  for (let i = 0; i < o.length; i++) o[i] = f!(ad[ao[i]!]!, bd[bo[i]!]!);
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
