// Matrix products: matmul with PyTorch's 1-D / 2-D / batched / broadcast-batch rules, built on a
// differentiable batched product with transpose flags (so backward needs no transposed copies).

import { Tensor } from '../tensor/tensor.js';
import { promoteTypes } from '../tensor/dtype.js';
import { fmt, prod, sameShape } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { backendOf, needsGraph, record, wrap } from './util.js';
import { cast, reshape } from './layout.js';
import { expand, sum, sumTo } from './broadcast.js';
import { add } from './elementwise.js';
import { squeeze, unsqueeze } from './shape.js';

/**
 * C = op(A) · op(B) over broadcast batch dims, A [..., m, k] (or [..., k, m] when transA),
 * B [..., k, n] (or [..., n, k] when transB). Both ≥ 2-D, same dtype.
 */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean, name = 'matmul'): Tensor {
  const as = a.shape, bs = b.shape, an = as.length, bn = bs.length;
  const m = transA ? as[an - 1]! : as[an - 2]!, ka = transA ? as[an - 2]! : as[an - 1]!;
  const kb = transB ? bs[bn - 1]! : bs[bn - 2]!, n = transB ? bs[bn - 2]! : bs[bn - 1]!;
  if (ka !== kb) {
    throw new Error(`${name}: ${fmt(as)} @ ${fmt(bs)}: inner dims ${ka} and ${kb} differ`);
  }
  // Broadcast batch dims (index loops: this runs for every product, most of them small)
  const nb = Math.max(an, bn) - 2, ao = nb - (an - 2), bo = nb - (bn - 2);
  const outShape = new Array<number>(nb + 2);
  let batch = 1, aOne = true, bOne = true, aAll = true, bAll = true;
  for (let i = 0; i < nb; i++) {
    const x = i >= ao ? as[i - ao]! : 1, y = i >= bo ? bs[i - bo]! : 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`${name}: ${fmt(as)} @ ${fmt(bs)}: batch dims ${fmt(as.slice(0, -2))} and ${fmt(bs.slice(0, -2))} cannot be broadcast`);
    const d = x === 1 ? y : x;
    outShape[i] = d;
    batch *= d;
    if (x !== 1) aOne = false;
    if (y !== 1) bOne = false;
    if (x !== d) aAll = false;
    if (y !== d) bAll = false;
  }
  outShape[nb] = m;
  outShape[nb + 1] = n;
  // A side whose batch is all ones is broadcast by a 0 stride; a partial broadcast is materialised.
  const ea = aOne || aAll ? a : expand(a, [...outShape.slice(0, nb), as[an - 2]!, as[an - 1]!]);
  const eb = bOne || bAll ? b : expand(b, [...outShape.slice(0, nb), bs[bn - 2]!, bs[bn - 1]!]);
  const sa = aOne ? 0 : as[an - 2]! * as[an - 1]!, sb = bOne ? 0 : bs[bn - 2]! * bs[bn - 1]!;
  const be = backendOf(name, ea, eb);
  const s = be.matmul(ea._s(name), eb._s(name), { batch, m, k: ka, n, transA, transB, aBatchStride: sa, bBatchStride: sb });
  const out = wrap(be, s, outShape);
  if (needsGraph([a, b])) {
    record(out, name, [a, b], [a, b], (g, [A, B], needs) => {
      const ga = !needs[0] ? null : transA ? matmulT(B!, g, transB, true) : matmulT(g, B!, false, !transB);
      const gb = !needs[1] ? null : transB ? matmulT(g, A!, true, transA) : matmulT(A!, g, !transA, false);
      return [ga && sumTo(ga, as), gb && sumTo(gb, bs)];
    });
  }
  if (ea !== a) ea.dispose();
  if (eb !== b) eb.dispose();
  return out;
}

/** torch.matmul: dot for 1-D·1-D, matrix-vector, vector-matrix, and batched broadcast products. */
export const matmul = defineOp('matmul', (a: Tensor, b: Tensor): Tensor => {
  if (a.ndim === 0 || b.ndim === 0) throw new Error(`matmul: both arguments need at least 1 dimension, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const dt = promoteTypes(a.dtype, b.dtype);
  if (dt === 'bool') throw new TypeError(`matmul: needs numeric tensors, got ${a.dtype} and ${b.dtype}`);
  const ca = cast(a, dt), cb = cast(b, dt);
  const temps: Tensor[] = [];
  const track = (t: Tensor): Tensor => (temps.push(t), t);
  let A = ca, B = cb;
  if (a.ndim === 1) A = track(unsqueeze(ca, 0));
  if (b.ndim === 1) B = track(unsqueeze(cb, 1));
  if (A.shape[A.ndim - 1] !== B.shape[B.ndim - 2]) {
    for (const t of temps) t.dispose();
    throw new Error(`matmul: ${fmt(a.shape)} @ ${fmt(b.shape)}: inner dims ${A.shape[A.ndim - 1]} and ${B.shape[B.ndim - 2]} differ`);
  }
  let out = matmulT(A, B, false, false);
  if (a.ndim === 1) out = swap(out, squeeze(out, -2));
  if (b.ndim === 1) out = swap(out, squeeze(out, -1));
  for (const t of temps) t.dispose();
  if (ca !== a) ca.dispose();
  if (cb !== b) cb.dispose();
  return out;
});

function swap(old: Tensor, next: Tensor): Tensor {
  old.dispose();
  return next;
}

/** 2-D only, like torch.mm. */
export const mm = defineOp('mm', (a: Tensor, b: Tensor): Tensor => {
  if (a.ndim !== 2 || b.ndim !== 2) throw new Error(`mm: expects 2-D tensors, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return matmul(a, b);
});

/** 3-D batches of equal size, like torch.bmm. */
export const bmm = defineOp('bmm', (a: Tensor, b: Tensor): Tensor => {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) throw new Error(`bmm: expects [b, n, m] and [b, m, p] with the same b, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return matmul(a, b);
});

/**
 * x [m, k] · wᵀ + b (b [n] or none): the op the rewrite table runs as one kernel
 * (Backend.fused.linearBiasAct, with a ReLU after it folded in); these are its backward pieces.
 */
const linearBias = defineOp('linearBias', (x: Tensor, w: Tensor, b: Tensor | null): Tensor => {
  const y = matmulT(x, w, false, true, 'linear');
  if (!b) return y;
  const out = add(y, b);
  y.dispose();
  return out;
}, {
  gradX: (g: Tensor, w: Tensor) => matmulT(g, w, false, false),
  gradW: (g: Tensor, x: Tensor) => matmulT(g, x, true, false),
  gradBias: (g: Tensor) => sum(g, 0),
});

/** y = x Wᵀ + b with W [out, in] (PyTorch's layout), x [..., in]. */
export const linear = defineOp('linear', (x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor => {
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [out, in], got ${fmt(weight.shape)}`);
  if (x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new Error(`linear: input ${fmt(x.shape)} has ${x.shape[x.ndim - 1]} features but weight ${fmt(weight.shape)} expects ${weight.shape[1]}`);
  }
  const n = weight.shape[0]!;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== n)) throw new Error(`linear: bias must have shape [${n}], got ${fmt(bias.shape)}`);
  const x2 = x.ndim === 2 ? x : reshape(x, [-1, weight.shape[1]!]);
  const out = linearBias(x2, weight, bias ?? null);
  if (x2 === x) return out;
  x2.dispose();
  const r = reshape(out, [...x.shape.slice(0, -1), n]);
  out.dispose();
  return r;
});
