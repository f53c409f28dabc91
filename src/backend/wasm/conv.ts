// The wasm backend's convolutions: forward (with the bias and ReLU in the kernel's writes: the
// fused conv2dBiasAct, and its in-cache pooled form), input and weight gradients — choosing between
// the direct, Winograd and im2col kernels and how to split the work over threads.

import type { Conv2dParams, FusedKernels, Kernels, Pool2dParams, Storage } from '../backend.js';
import { Ctx, WasmStorage } from './context.js';
import type { KernelName } from './exports.gen.js';
import { convSlots } from './params.js';
import { directConv, directConvPool, directFits, directPoolFits, directWeightFits, directWeightGrad } from './direct.js';
import { winogradConv, winogradFits, winogradWeightFits, winogradWeightGrad } from './winograd.js';

function floatOnly(s: WasmStorage, op: string): void {
  if (s.dtype !== 'float32' && s.dtype !== 'float64') throw new TypeError(`wasm backend: ${op} needs float32 or float64, got ${s.dtype}`);
}

type ConvKernels = Pick<Kernels, 'conv2d' | 'conv2dBackwardInput' | 'conv2dBackwardWeight'> &
  { conv2dAct: FusedKernels['conv2dBiasAct']; conv2dActPool: FusedKernels['conv2dBiasActMaxPool'] };

/**
 * A conv whose kernel covers the whole (unpadded) input, one output position per image (DCGAN's
 * first generator layer as a transposed conv from 1×1, its discriminator's last layer): a single
 * GEMM over all images, y[n, cOut] = x[n, K]·Wᵀ, where the im2col path would run one GEMM of one
 * column per image (reading the whole weight per image: 5 GFLOP/s on DCGAN's shapes).
 */
const wholeInput = (p: Conv2dParams) =>
  p.groups === 1 && p.oh === 1 && p.ow === 1 && p.ph === 0 && p.pw === 0 && p.kh === p.h && p.kw === p.w;

export function convKernels(ctx: Ctx, copyStridedK: Kernels['copyStrided'], matmul: Kernels['matmul']): ConvKernels {
  const gemm = (a: Storage, b: Storage, m: number, k: number, n: number, transA: boolean, transB: boolean) =>
    matmul(a, b, { batch: 1, m, k, n, transA, transB, aBatchStride: m * k, bBatchStride: k * n });

  /** fused.conv2dBiasActMaxPool: the direct conv with 2×2 pooling per image in cache; null for other shapes. */
  const conv2dActPool = (xs: Storage, ws: Storage, bs: Storage | null, p: Conv2dParams, relu: boolean, q: Pool2dParams): Storage | null => {
    const x = ctx.use(xs, 'conv2d'), w = ctx.use(ws, 'conv2d'), bias = bs ? ctx.use(bs, 'conv2d') : null;
    if (x.dtype !== 'float32' || w.dtype !== 'float32' || (bias && (bias.dtype !== 'float32' || bias.size !== p.cOut)) || !directPoolFits(p, q)) return null;
    const y = ctx.alloc('float32', q.n * q.c * q.oh * q.ow);
    directConvPool(ctx, x, w, y, p, q, bias ? bias.ptr : 0, relu);
    return y;
  };

  const convWork = (p: Conv2dParams) => 2 * p.n * p.cOut * p.oh * p.ow * (p.cIn / p.groups) * p.kh * p.kw;

  /** Runs a float32 conv kernel split over `total` units (images, or columns in 8s). */
  const runConv = (name: KernelName, pre: number[], total: number, grain: number, work: number, post: (s: number, e: number) => number[], tail: number[] = []) => {
    const at = pre.length + post(0, 0).length;
    ctx.parallelScratch(name, total, grain, work, (s, e) => [...pre, ...post(s, e), 0, ...tail], at);
  };

  /**
   * conv2d, then (float32 only) the epilogue y = relu?(y + bias[c]) fused into the kernel's output
   * writes: Backend.fused.conv2dBiasAct, and plain conv2d with neither.
   */
  const conv2dAct = (xs: Storage, ws: Storage, bs: Storage | null, p: Conv2dParams, relu: boolean): Storage => {
    const x = ctx.use(xs, 'conv2d'), w = ctx.use(ws, 'conv2d'), bias = bs ? ctx.use(bs, 'conv2d') : null;
    floatOnly(x, 'conv2d');
    if ((bias || relu) && x.dtype !== 'float32') throw new TypeError(`wasm backend: fused conv2dBiasAct is float32 only, got ${x.dtype} (the op layer runs the composite)`);
    if (bias && (bias.dtype !== 'float32' || bias.size !== p.cOut)) throw new Error(`wasm backend: conv2dBiasAct: bias must be float32 [${p.cOut}], got ${bias.dtype} [${bias.size}]`);
    if (!bias && !relu && wholeInput(p) && p.n * p.cOut > 0) return gemm(x, w, p.n, p.cIn * p.kh * p.kw, p.cOut, false, true);
    const y = ctx.alloc(x.dtype, p.n * p.cOut * p.oh * p.ow);
    if (y.size === 0) return y;
    const prm = ctx.params(convSlots(p));
    const work = convWork(p);
    if (x.dtype === 'float32') {
      if (directFits(p)) { directConv(ctx, x, w, y, p, bias ? bias.ptr : 0, relu); return y; }
      if (winogradFits(p, false)) { winogradConv(ctx, x, w, y, p, false, bias, relu); return y; }
      const np = p.oh * p.ow, t = ctx.threadsFor(work / 30, p.n * Math.ceil(np / 8));
      const pre = [x.ptr, w.ptr, y.ptr, prm], post = [bias ? bias.ptr : 0, relu ? 1 : 0];
      if (p.n >= t) runConv('conv2d_f32', pre, p.n, 1, work / 30, (s, e) => [s, e, 0, np], post);
      else runConv('conv2d_f32', pre, np, 8, work / 30, (s, e) => [0, p.n, s, e], post);
      return y;
    }
    ctx.parallel('conv2d_direct_f64', [x.ptr, w.ptr, y.ptr, prm], p.n * p.cOut, work);
    return y;
  };
  const conv2d = (xs: Storage, ws: Storage, p: Conv2dParams): Storage => conv2dAct(xs, ws, null, p, false);

  const conv2dBackwardInput = (gys: Storage, ws: Storage, p: Conv2dParams): Storage => {
    const gy = ctx.use(gys, 'conv2dBackwardInput'), w = ctx.use(ws, 'conv2dBackwardInput');
    floatOnly(gy, 'conv2dBackwardInput');
    if (wholeInput(p) && p.n * p.cIn * p.h * p.w > 0) return gemm(gy, w, p.n, p.cOut, p.cIn * p.kh * p.kw, false, false);
    const gx = ctx.alloc(gy.dtype, p.n * p.cIn * p.h * p.w);
    if (gx.size === 0) return gx;
    if (gy.dtype === 'float32') {
      if (winogradFits(p, true)) { winogradConv(ctx, gy, w, gx, p, true); return gx; }
      // the kernel reads Wᵀ per group ([groups, kg, cog]) row by row (transposed before the conv's
      // parameter block is written: copyStrided writes its own)
      const kg = (p.cIn / p.groups) * p.kh * p.kw, cog = p.cOut / p.groups;
      const wt = copyStridedK(w, [p.groups, kg, cog], [cog * kg, 1, kg], 0) as WasmStorage;
      const prm = ctx.params(convSlots(p));
      runConv('conv2d_bwd_input_f32', [gy.ptr, wt.ptr, gx.ptr, prm], p.n, 1, convWork(p) / 20, (s, e) => [s, e]);
      ctx.heap.release(wt.ptr, wt.bytes);
      return gx;
    }
    const prm = ctx.params(convSlots(p));
    ctx.parallel('conv2d_bwd_input_direct_f64', [gy.ptr, w.ptr, gx.ptr, prm], p.n, convWork(p));
    return gx;
  };

  const conv2dBackwardWeight = (xs: Storage, gys: Storage, p: Conv2dParams): Storage => {
    const x = ctx.use(xs, 'conv2dBackwardWeight'), gy = ctx.use(gys, 'conv2dBackwardWeight');
    floatOnly(x, 'conv2dBackwardWeight');
    if (wholeInput(p) && p.n > 0 && p.cOut * p.cIn * p.kh * p.kw > 0) return gemm(gy, x, p.cOut, p.n, p.cIn * p.kh * p.kw, true, false);
    const kg = (p.cIn / p.groups) * p.kh * p.kw;
    const gw = ctx.alloc(x.dtype, p.cOut * kg);
    if (gw.size === 0) return gw;
    const prm = ctx.params(convSlots(p));
    if (x.dtype === 'float32') {
      if (directWeightFits(p)) { directWeightGrad(ctx, x, gy, gw, p); return gw; }
      if (winogradWeightFits(p)) { winogradWeightGrad(ctx, x, gy, gw, p); return gw; }
      // the kernel writes gWᵀ per group ([groups, kg, cog]); transpose to [groups, cog, kg]
      const gwt = ctx.alloc('float32', gw.size);
      const cog = p.cOut / p.groups;
      // rows of gWᵀ in 4s; with few rows (kg = 9 for a first layer: 3 units) columns in 8s instead
      const t = ctx.threadsFor(convWork(p) / 20, Math.max(Math.ceil(kg / 4), Math.ceil(cog / 8)));
      if (Math.ceil(kg / 4) >= 2 * t || cog < 8 * t) {
        runConv('conv2d_bwd_weight_f32', [x.ptr, gy.ptr, gwt.ptr, prm], kg, 4, convWork(p) / 20, (s, e) => [s, e, 0, cog]);
      } else {
        runConv('conv2d_bwd_weight_f32', [x.ptr, gy.ptr, gwt.ptr, prm], cog, 8, convWork(p) / 20, (s, e) => [0, kg, s, e]);
      }
      ctx.heap.release(gw.ptr, gw.bytes);
      const out = copyStridedK(gwt, [p.groups, cog, kg], [kg * cog, 1, cog], 0);
      ctx.heap.release(gwt.ptr, gwt.bytes);
      return out;
    }
    ctx.parallel('conv2d_bwd_weight_direct_f64', [x.ptr, gy.ptr, gw.ptr, prm], p.cOut, convWork(p));
    return gw;
  };

  return { conv2d, conv2dAct, conv2dActPool, conv2dBackwardInput, conv2dBackwardWeight };
}
