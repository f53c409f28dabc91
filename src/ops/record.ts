// The element-wise records' builders: unary() and binary() turn one entry — the scalar formula
// (src/ops/scalar.ts), the dtype rule, the cost, the backward written with ops, PyTorch's spelling,
// the method flag and the test spec — into the op. Backend.unary/binary receive the kernel half.

import type { Backend, ElementwiseKernel } from '../backend/backend.js';
import { isFloat, promoteTypes, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides, contiguousStrides, sameShape } from '../tensor/shape.js';
import { defineOp, type OpFn } from './dispatch.js';
import { cast } from './layout.js';
import { sumTo } from './broadcast.js';
import { backendOf, record, wrap } from './util.js';
import { currentBackend } from '../backend/default.js';
import type { TestSpec } from './spec.js';

export type TensorLike = Tensor | number | boolean;

const category = (d: DType): number => (d === 'bool' ? 0 : d === 'int32' ? 1 : 2);

/** The result dtype of a binary op, with PyTorch's rules for numbers and 0-d tensors. */
export function resultType(a: TensorLike, b: TensorLike): DType {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    return typeof a === 'number' && !Number.isInteger(a) || typeof b === 'number' && !Number.isInteger(b) ? 'float32' : 'int32';
  }
  if (!(a instanceof Tensor)) return resultType(b, a);
  if (!(b instanceof Tensor)) {
    if (typeof b === 'boolean') return a.dtype;
    if (isFloat(a.dtype)) return a.dtype;
    if (Number.isInteger(b)) return a.dtype === 'bool' ? 'int32' : a.dtype;
    return 'float32';
  }
  const az = a.ndim === 0, bz = b.ndim === 0;
  if (az !== bz) {
    const [z, d] = az ? [a, b] : [b, a];
    return category(z.dtype) > category(d.dtype) ? z.dtype : d.dtype;
  }
  return promoteTypes(a.dtype, b.dtype);
}

/** A number or tensor as a tensor of the given dtype (a number on backend `be`). */
export function asTensor(x: TensorLike, dtype: DType, be: Backend = currentBackend()): Tensor {
  if (x instanceof Tensor) return cast(x, dtype);
  const v = typeof x === 'boolean' ? (x ? 1 : 0) : x;
  return wrap(be, be.fill(dtype, 1, v), []);
}

/** What every element-wise record has besides its formula. */
interface Common {
  /** PyTorch's spelling, for the fixture generator (e.g. 'torch.atan') */
  torch: string;
  /** a Tensor method too (default true) */
  method?: boolean;
  test?: TestSpec;
  /** work per element relative to an add (default 1; transcendental formulas ~10) */
  cost?: number;
  /** the f32x4 form of the formula for the wasm kernel (AssemblyScript over v, or u and v) */
  simd?: string;
}

export interface UnaryDef extends Common {
  f: (x: number) => number;
  /** int32 input keeps its dtype: 'exact' (f is exact on integers) or the int32 formula; absent: promoted to float32 */
  int?: 'exact' | ((x: number) => number);
  /** bool input keeps its dtype (f on 0/1) */
  bool?: boolean;
  /** bool input computes as int32 instead (torch.square) */
  boolAs?: 'int32';
  /** bool output (logicalNot) */
  out?: 'bool';
  /** backward with ops: the output's gradient, the input (after promotion) and the output */
  grad?: (g: Tensor, x: Tensor, y: Tensor) => Tensor;
}

export interface BinaryDef extends Common {
  f: (x: number, y: number) => number;
  int?: 'exact' | ((x: number, y: number) => number);
  bool?: boolean;
  /** bool output (comparisons, logical ops) */
  out?: 'bool';
  /** both operands are cast to bool first (logicalAnd/Or) */
  logical?: boolean;
  /** add/sub's alpha: how alpha·b is made (a ± alpha·b) */
  alpha?: (b: TensorLike, alpha: number) => TensorLike;
  /** an int32 divisor (b) must not hold a zero (torch raises ZeroDivisionError) */
  intDivisor?: boolean;
  /** backward with ops: [d/da, d/db] before the broadcast is summed away; out is there with saveOut */
  grad?: (g: Tensor, a: Tensor, b: Tensor, out: Tensor, needs: readonly boolean[]) => [Tensor | null, Tensor | null];
  saveOut?: boolean;
  /** the backward does not read the operands (add, sub): none is saved, so a later in-place write to one is no error */
  savesNothing?: boolean;
}

export type UnaryFn = OpFn<[x: Tensor], Tensor> & { readonly kind: 'unary'; readonly kernel: ElementwiseKernel; readonly def: UnaryDef };
export type BinaryFn = OpFn<[a: TensorLike, b: TensorLike, opts?: { alpha?: number }], Tensor> &
  { readonly kind: 'binary'; readonly kernel: ElementwiseKernel; readonly def: BinaryDef };

function kernelOf(name: string, arity: 1 | 2, def: UnaryDef | BinaryDef): ElementwiseKernel {
  const k: ElementwiseKernel = { name, arity, f: def.f as (...x: number[]) => number, out: def.out ?? 'same', cost: def.cost ?? 1 };
  return Object.assign(k, def.int && { int: def.int }, def.bool && { bool: true }, def.simd && { simd: def.simd });
}

/** The dtype an op computes in for an input of dtype d (PyTorch: float math promotes integers to float32). */
function computeDType(name: string, k: ElementwiseKernel, d: DType): DType {
  if (isFloat(d)) return d;
  if (d === 'int32') return k.int ? 'int32' : 'float32';
  if (k.bool) return 'bool';
  if (k.int) throw new TypeError(`${name}: not defined for bool tensors`);
  return 'float32';
}

export function unary(name: string, def: UnaryDef): UnaryFn {
  const kernel = kernelOf(name, 1, def);
  const grad = def.grad;
  const f = defineOp(name, (x: Tensor): Tensor => {
    const dt = x.dtype === 'bool' && def.boolAs ? def.boolAs : computeDType(name, kernel, x.dtype);
    const t = dt === x.dtype ? x : cast(x, dt);
    const be = backendOf(name, t);
    const out = wrap(be, be.unary(kernel, t._s(name)), t.shape);
    if (grad && t.requiresGrad) record(out, name, [t], [t, out], (g, [sx, sy]) => [grad(g, sx!, sy!)]);
    if (t !== x) t.dispose();
    return out;
  }, def);
  return Object.assign(f, { kind: 'unary' as const, kernel, def });
}

/** Runs a binary record's kernel on two tensors of its dtype, broadcast, with no graph. */
export function applyBinary(name: string, kernel: ElementwiseKernel, a: Tensor, b: Tensor): Tensor {
  const be = backendOf(name, a, b);
  if (a.shape === b.shape || sameShape(a.shape, b.shape)) {
    // no broadcasting (most calls): one set of contiguous strides, and the output shares a's frozen shape
    const st = contiguousStrides(a.shape);
    return wrap(be, be.binary(kernel, a._s(name), b._s(name), a.shape, st, st), a.shape);
  }
  const shape = broadcastShapes(name, a.shape, b.shape);
  const s = be.binary(kernel, a._s(name), b._s(name), shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
  return wrap(be, s, shape);
}

export function binary(name: string, def: BinaryDef): BinaryFn {
  const kernel = kernelOf(name, 2, def);
  const grad = def.grad;
  const f = defineOp(name, (a: TensorLike, b: TensorLike, opts?: { alpha?: number }): Tensor => {
    if (opts !== undefined && !def.alpha) throw new TypeError(`${name}: takes no options, got ${JSON.stringify(opts)}`);
    if (opts?.alpha !== undefined && opts.alpha !== 1) b = def.alpha!(b, opts.alpha);
    let dt = def.logical ? 'bool' : resultType(a, b);
    if (!isFloat(dt)) dt = computeDType(name, kernel, dt);
    const like = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
    const be = like ? backendOf(name, like) : currentBackend();
    const ta = asTensor(a, dt, be), tb = asTensor(b, dt, be);
    if (def.intDivisor && dt === 'int32' && (tb.dataSync() as Int32Array).includes(0)) {
      throw new RangeError(`${name}: an int32 divisor holds a zero (ZeroDivisionError, as in torch)`);
    }
    const out = applyBinary(name, kernel, ta, tb);
    if (grad && isFloat(dt) && kernel.out === 'same' && (ta.requiresGrad || tb.requiresGrad)) {
      const aShape = ta.shape, bShape = tb.shape;
      record(out, name, [ta, tb], def.savesNothing ? [] : def.saveOut ? [ta, tb, out] : [ta, tb], (g, [sa, sb, so], needs) => {
        const [ga, gb] = grad(g, sa!, sb!, so!, needs);
        return [ga && sumTo(ga, aShape), gb && sumTo(gb, bShape)];
      });
    }
    // Operands made here are ours to free; the graph holds aliases of what it needs.
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
    return out;
  }, def);
  return Object.assign(f, { kind: 'binary' as const, kernel, def });
}
