// The wasm backend's per-channel fused kernels (kernels/channels.ts): batch norm in training mode forward and
// backward, a channel per part (its N blocks stay in cache between the kernel's passes), and LeakyReLU.
// float32 — the op layer runs the composites for float64.

import type { BatchNormParams, FusedKernels, Storage } from '../backend.js';
import { Ctx, WasmStorage } from './context.js';

/** ns per element on one core: batch norm's three passes (two reductions, one write) / two backward; an element-wise pass. */
const BN_NS = 1.5, BN_BWD_NS = 2, STREAM_NS = 1;

export function channelKernels(ctx: Ctx): Pick<FusedKernels, 'batchNorm' | 'batchNormBackward' | 'leakyRelu' | 'leakyReluBackward'> {
  const f32 = (s: Storage | null, op: string, size: number): WasmStorage | null => {
    if (!s) return null;
    const w = ctx.use(s, op);
    if (w.dtype !== 'float32') throw new TypeError(`wasm backend: fused ${op} is float32 only, got ${w.dtype} (the op layer runs the composite)`);
    if (w.size !== size) throw new Error(`wasm backend: fused ${op}: a storage of ${w.size} elements where ${size} were expected`);
    return w;
  };
  const ptr = (w: WasmStorage | null) => (w ? w.ptr : 0);
  const check = (op: string, p: BatchNormParams) => {
    if (![p.n, p.c, p.inner].every((d) => Number.isInteger(d) && d >= 1)) throw new RangeError(`wasm backend: fused ${op}: n, c and inner must be integers ≥ 1, got ${p.n}, ${p.c}, ${p.inner}`);
    return p.n * p.c * p.inner;
  };

  const batchNorm = (xs: Storage, ws: Storage | null, bs: Storage | null, p: BatchNormParams & { eps: number }): [Storage, Storage, Storage, Storage] => {
    const size = check('batchNorm', p);
    const x = f32(xs, 'batchNorm', size)!, w = f32(ws, 'batchNorm', p.c), b = f32(bs, 'batchNorm', p.c);
    const y = ctx.alloc('float32', size), mean = ctx.alloc('float32', p.c), v = ctx.alloc('float32', p.c), rstd = ctx.alloc('float32', p.c);
    ctx.parallel('batch_norm_f32', [x.ptr, ptr(w), ptr(b), y.ptr, mean.ptr, v.ptr, rstd.ptr, p.n, p.c, p.inner, p.eps], p.c, size * BN_NS);
    return [y, mean, v, rstd];
  };

  const batchNormBackward = (xs: Storage, ws: Storage | null, ms: Storage, rs: Storage, gs: Storage, p: BatchNormParams,
    wantX: boolean, wantW: boolean, wantB: boolean): [Storage | null, Storage | null, Storage | null] => {
    const size = check('batchNormBackward', p);
    const x = f32(xs, 'batchNormBackward', size)!, g = f32(gs, 'batchNormBackward', size)!, w = f32(ws, 'batchNormBackward', p.c);
    const mean = f32(ms, 'batchNormBackward', p.c)!, rstd = f32(rs, 'batchNormBackward', p.c)!;
    const dx = wantX ? ctx.alloc('float32', size) : null, dw = wantW ? ctx.alloc('float32', p.c) : null, db = wantB ? ctx.alloc('float32', p.c) : null;
    ctx.parallel('batch_norm_bwd_f32', [x.ptr, ptr(w), mean.ptr, rstd.ptr, g.ptr, ptr(dx), ptr(dw), ptr(db), p.n, p.c, p.inner], p.c, size * (wantX ? BN_BWD_NS : 1));
    return [dx, dw, db];
  };

  const leakyRelu = (xs: Storage, slope: number): Storage => {
    const x = f32(xs, 'leakyRelu', xs.size)!;
    const y = ctx.alloc('float32', x.size);
    ctx.parallel('leaky_relu_f32', [x.ptr, y.ptr, slope], x.size, x.size * STREAM_NS, 16);
    return y;
  };

  const leakyReluBackward = (xs: Storage, gs: Storage, slope: number): Storage => {
    const x = f32(xs, 'leakyReluBackward', xs.size)!, g = f32(gs, 'leakyReluBackward', xs.size)!;
    const dx = ctx.alloc('float32', x.size);
    ctx.parallel('leaky_relu_bwd_f32', [x.ptr, g.ptr, dx.ptr, slope], x.size, x.size * STREAM_NS, 16);
    return dx;
  };

  return { batchNorm, batchNormBackward, leakyRelu, leakyReluBackward };
}
