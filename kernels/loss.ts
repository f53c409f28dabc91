// Binary cross-entropy of probabilities, forward and backward in one pass each (Backend.fused.bce /
// bceBackward): the same float32 operations in the same order as the composite of src/nn/loss.ts
// (log clamped at −100; d/dx = (x − t)/max(x(1 − x), ε)), so the values are the composite's.
import { vlog } from './vlog';

// @ts-ignore: decorator
@inline function logClamped(x: f32): f32 { const l = <f32>Math.log(<f64>x); return l < <f32>-100 ? <f32>-100 : l; } // NaN stays NaN

/** loss[i] = −(t·max(log x, −100) + (1 − t)·max(log(1 − x), −100)) for i in [start, end). */
export function bce_f32(px: usize, pt: usize, po: usize, start: i32, end: i32): void {
  const one = f32x4.splat(1), floor = f32x4.splat(-100);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(px + o), t = v128.load(pt + o);
    // pmax with the log first: a NaN log stays NaN, as the composite's clamp (maximum) keeps it
    const lx = f32x4.pmax(vlog(x), floor), l1x = f32x4.pmax(vlog(f32x4.sub(one, x)), floor);
    v128.store(po + o, f32x4.neg(f32x4.add(f32x4.mul(t, lx), f32x4.mul(f32x4.sub(one, t), l1x))));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(px + o), t = load<f32>(pt + o);
    store<f32>(po + o, -(t * logClamped(x) + (<f32>1 - t) * logClamped(<f32>1 - x)));
  }
}

/** dx[i] = g[i·gStride]·((x − t)/max(x(1 − x), eps)) for i in [start, end) (gStride 0: one g for all). */
export function bce_bwd_f32(px: usize, pt: usize, pg: usize, gStride: i32, eps: f32, po: usize, start: i32, end: i32): void {
  const one = f32x4.splat(1), ve = f32x4.splat(eps);
  let i = start;
  if (gStride == 1) {
    for (; i + 4 <= end; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(px + o);
      const d = f32x4.pmax(f32x4.mul(x, f32x4.sub(one, x)), ve);
      v128.store(po + o, f32x4.mul(v128.load(pg + o), f32x4.div(f32x4.sub(x, v128.load(pt + o)), d)));
    }
  } else {
    const g = v128.load32_splat(pg);
    for (; i + 4 <= end; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(px + o);
      const d = f32x4.pmax(f32x4.mul(x, f32x4.sub(one, x)), ve);
      v128.store(po + o, f32x4.mul(g, f32x4.div(f32x4.sub(x, v128.load(pt + o)), d)));
    }
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(px + o);
    let d = x * (<f32>1 - x);
    if (d < eps) d = eps;
    store<f32>(po + o, load<f32>(pg + (<usize>(i * gStride) << 2)) * ((x - load<f32>(pt + o)) / d));
  }
}
