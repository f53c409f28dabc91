// In-place updates (x.add_(y), x.zero_(), x.copy_(src), …) with PyTorch's safety: the value is computed
// as the out-of-place op computes it, then written into x's own storage (its views see it), the
// storage's version is bumped (backward refuses a saved tensor written since) and x takes the op's node.

import { Tensor } from '../tensor/tensor.js';
import { Buf } from '../tensor/memory.js';
import type { DType } from '../tensor/dtype.js';
import { isFloat } from '../tensor/dtype.js';
import { contiguousStrides, fmt, sameShape } from '../tensor/shape.js';
import { isGradEnabled } from '../autograd/graph.js';
import { rebaseBase, replaceNode } from '../autograd/views.js';
import { normalArray, uniformArray } from '../tensor/random.js';
import { add, clamp, div, maskedFill, mul, sub } from './elementwise.js';
import type { TensorLike } from './record.js';
import { cast } from './layout.js';
import { expand } from './broadcast.js';
import { clone } from './shape.js';
import { backendOf, record, wrap } from './util.js';
import { snapshotReaders } from './pending.js';

const TYPE_NAMES: Record<DType, string> = { float32: 'Float', float64: 'Double', int32: 'Int', bool: 'Bool' };
const KIND: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 2 };

/** Why x cannot be written in place, or its storage. */
function target(op: string, x: Tensor): Buf {
  const buf = x._live(op);
  if (buf.copyOf) {
    throw new Error(
      `${op}: this tensor was made by ${buf.copyOf}(), which in Nabla is a copy (PyTorch returns a view sharing the ` +
        `original's memory), so an in-place write to it would not reach the tensor it came from. Assign into the ` +
        `original with x.set(…, value) or x.indexPut_(indices, value); clone() it first to update a separate copy.`,
    );
  }
  if (isGradEnabled()) {
    const hint = 'update it inside nb.noGrad(() => …), as optimizers do, or work on a clone()';
    if (x.isLeaf && x.requiresGrad) {
      throw new Error(`${op}: a leaf tensor that requires grad is being used in an in-place operation (PyTorch: "a leaf Variable that requires grad is being used in an in-place operation."); ${hint}`);
    }
    const b = x._base;
    if (b && !b.isDisposed && b.isLeaf && b.requiresGrad) {
      throw new Error(`${op}: a view of a leaf tensor that requires grad is being used in an in-place operation; ${hint}`);
    }
  }
  return buf;
}

/**
 * The core of every in-place op: checks x, computes the new value with compute (given x, or a copy
 * of it when the op's backward keeps its input: the write would change what that copy holds), and
 * writes it into x's storage. `others` are the op's other tensor operands.
 */
export function inPlace(op: string, x: Tensor, compute: (self: Tensor) => Tensor, opts: { savesSelf?: boolean; others?: readonly unknown[] } = {}): Tensor {
  const buf = target(op, x);
  const grad = isGradEnabled();
  const wantsGraph = grad && (x.requiresGrad || (opts.others ?? []).some((o) => o instanceof Tensor && o.requiresGrad));
  const self = opts.savesSelf && wantsGraph ? clone(x) : x;
  let r: Tensor;
  try {
    r = compute(self);
  } finally {
    if (self !== x) self.dispose();
  }
  if (!sameShape(r.shape, x.shape)) {
    r.dispose();
    throw new Error(`${op}: output with shape ${fmt(x.shape)} doesn't match the broadcast shape ${fmt(r.shape)}`);
  }
  let v = r;
  if (r.dtype !== x.dtype) {
    if (KIND[r.dtype] > KIND[x.dtype]) {
      r.dispose();
      throw new TypeError(`${op}: result type ${TYPE_NAMES[r.dtype]} can't be cast to the desired output type ${TYPE_NAMES[x.dtype]} (the tensor written is ${x.dtype})`);
    }
    v = cast(r, x.dtype);
  }
  write(op, x, buf, v);
  if (grad && v.requiresGrad) {
    const n = v._node!;
    n.retain();
    replaceNode(x, n);
    rebaseBase(x);
  }
  if (v !== r) v.dispose();
  r.dispose();
  return x;
}

/** Copies v's elements into buf (x's storage) and bumps its version. */
function write(op: string, x: Tensor, buf: Buf, v: Tensor): void {
  // A pending result that reads this storage is computed later: it gets its own copy of the old values first.
  snapshotReaders(buf);
  const src = v._s(op);
  if (src !== buf.storage && x.numel() > 0) {
    backendOf(op, x, v).writeStrided(buf.storage, src, x.shape, contiguousStrides(x.shape), 0);
  }
  buf.version++;
  buf.lastWrite = op;
}

/**
 * value (a fresh tensor, not computed from x) as x's next value: where x's history needs a node
 * (grad mode, x requires grad), one through which x's old value gets a zero gradient, as PyTorch's fill_.
 */
function replacing(op: string, self: Tensor, value: Tensor): Tensor {
  const out = new Tensor(value._live(op).retain(), value.shape, value.dtype);
  return record(out, op, [self, value], [], (g, _s, needs) => [needs[0] ? mul(g, 0) : null, g]);
}

function fresh(op: string, x: Tensor, data: Float64Array): Tensor {
  const be = backendOf(op, x);
  const arr = x.dtype === 'float64' ? data : Float32Array.from(data);
  return wrap(be, be.fromArray(arr, x.dtype), x.shape);
}

function floatOnly(op: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: expects a floating-point tensor, got ${x.dtype}`);
}

type Alpha = { alpha?: number };

export const add_ = (x: Tensor, y: TensorLike, opts?: Alpha): Tensor => inPlace('add_', x, (s) => add(s, y, opts), { others: [y] });
export const sub_ = (x: Tensor, y: TensorLike, opts?: Alpha): Tensor => inPlace('sub_', x, (s) => sub(s, y, opts), { others: [y] });
export const mul_ = (x: Tensor, y: TensorLike): Tensor => inPlace('mul_', x, (s) => mul(s, y), { savesSelf: true, others: [y] });
export const div_ = (x: Tensor, y: TensorLike): Tensor => inPlace('div_', x, (s) => div(s, y), { savesSelf: true, others: [y] });
export const clamp_ = (x: Tensor, min?: number | null, max?: number | null): Tensor => inPlace('clamp_', x, (s) => clamp(s, min, max), { savesSelf: true });
export const maskedFill_ = (x: Tensor, mask: Tensor, value: number | Tensor): Tensor =>
  inPlace('maskedFill_', x, (s) => maskedFill(s, mask, value), { others: [value] });

/** Every element set to value (a number or a one-element tensor, whose gradient is the sum of x's). */
export const fill_ = (x: Tensor, value: number | boolean | Tensor): Tensor => filled('fill_', x, value);

export const zero_ = (x: Tensor): Tensor => filled('zero_', x, 0);

function filled(op: string, x: Tensor, value: number | boolean | Tensor): Tensor {
  if (value instanceof Tensor && value.numel() !== 1) throw new Error(`${op}: the value must be a number or a one-element tensor, got shape ${fmt(value.shape)}`);
  return inPlace(op, x, (s) => {
    const be = backendOf(op, s);
    let v: Tensor;
    if (value instanceof Tensor) {
      v = expand(value.ndim === 0 ? value : value.reshape([]), s.shape);
    } else {
      v = wrap(be, be.fill(s.dtype, s.numel(), Number(value)), s.shape);
    }
    const out = replacing(op, s, v);
    v.dispose();
    return out;
  }, { others: [value] });
}

/** src's elements (broadcast to x's shape, converted to x's dtype) copied into x; the gradient flows to src. */
export const copy_ = (x: Tensor, src: Tensor): Tensor => {
  if (!(src instanceof Tensor)) throw new TypeError(`copy_: src must be a tensor, got ${typeof src}`);
  return inPlace('copy_', x, (s) => {
    const c = cast(src, s.dtype);
    const e = expand(c, s.shape);
    const out = replacing('copy_', s, e);
    if (e !== c) e.dispose();
    if (c !== src) c.dispose();
    return out;
  }, { others: [src] });
};

/** Fills x with samples of N(mean, std²) from the seeded generator. */
export const normal_ = (x: Tensor, mean = 0, std = 1): Tensor => {
  floatOnly('normal_', x);
  if (!(std >= 0)) throw new RangeError(`normal_: std must be ≥ 0, got ${std}`);
  return inPlace('normal_', x, (s) => {
    const d = normalArray(s.numel(), s.dtype === 'float64');
    for (let i = 0; i < d.length; i++) d[i] = mean + std * d[i]!;
    const v = fresh('normal_', s, d);
    const out = replacing('normal_', s, v);
    v.dispose();
    return out;
  });
};

/** Fills x with samples of U[from, to) from the seeded generator. */
export const uniform_ = (x: Tensor, from = 0, to = 1): Tensor => {
  floatOnly('uniform_', x);
  if (!(from <= to)) throw new RangeError(`uniform_: expects from ≤ to, got from=${from} to=${to}`);
  return inPlace('uniform_', x, (s) => {
    const d = uniformArray(s.numel(), s.dtype === 'float64');
    for (let i = 0; i < d.length; i++) d[i] = from + (to - from) * d[i]!;
    const v = fresh('uniform_', s, d);
    const out = replacing('uniform_', s, v);
    v.dispose();
    return out;
  });
};
