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

/**
 * Few output positions per image (DCGAN's 4×4/2 convs to 7×7: 49): the batch's patches as rows of
 * one matrix and one GEMM over all images (kernels/conv-rows.ts), where the per-image kernels run
 * GEMMs of 49 columns that re-read the whole weight per image (7–15 GFLOP/s on DCGAN's shapes).
 */
export const fewPositions = (p: Conv2dParams) => p.groups === 1 && p.oh * p.ow < 128 && p.n > 1;
/** Patch-matrix floats per chunk of images (32 MiB); a chunk holds at least one image. (Tests lower it.) */
export const patchRows = { floats: 2 ** 23 };

export function convKernels(ctx: Ctx, copyStridedK: Kernels['copyStrided'], matmul: Kernels['matmul']): ConvKernels {
  const gemm = (a: Storage, b: Storage, m: number, k: number, n: number, transA: boolean, transB: boolean) =>
    matmul(a, b, { batch: 1, m, k, n, transA, transB, aBatchStride: m * k, bBatchStride: k * n });

  /** dst[b] (cols × rows) = src[b]ᵀ for b < batch (src[b] rows × cols, both contiguous), images split over threads:
   * copyStrided's transpose, written into part of an existing storage (the conv's output, chunk by chunk). */
  const transposeInto = (src: number, dst: number, batch: number, rows: number, cols: number) =>
    ctx.parallelArgs('transpose_32', batch, 1, batch * rows * cols * 2, (s, e) => [src, dst, rows, cols, s, e, 0, rows]);

  /** The patch matrix of images [n0, n1) ([(n1 − n0)·np, kg]), rows split over threads. */
  const patches = (x: WasmStorage, p: Conv2dParams, n0: number, n1: number): WasmStorage => {
    const np = p.oh * p.ow, kg = p.cIn * p.kh * p.kw, rows = (n1 - n0) * np;
    const out = ctx.alloc('float32', rows * kg);
    const prm = ctx.params(convSlots(p));
    ctx.parallelArgs('im2row_f32', rows, 1, rows * kg, (s, e) => [x.ptr + n0 * p.cIn * p.h * p.w * 4, prm, out.ptr, s, e]);
    return out;
  };

  /** Chunks of images [n0, n1) whose patch matrices fit patchRows.floats. */
  const chunks = (p: Conv2dParams): [number, number][] => {
    const per = Math.max(1, Math.floor(patchRows.floats / Math.max(1, p.oh * p.ow * p.cIn * p.kh * p.kw)));
    const out: [number, number][] = [];
    for (let s = 0; s < p.n; s += per) out.push([s, Math.min(p.n, s + per)]);
    return out;
  };

  /** Rows [n0·np, n1·np) of g ([n·np, cOut]) as a storage the GEMM reads (a view: never released). */
  const rowsOf = (g: WasmStorage, p: Conv2dParams, n0: number, n1: number): WasmStorage =>
    n0 === 0 && n1 === p.n ? g : new WasmStorage('float32', (n1 - n0) * p.oh * p.ow * p.cOut, g.ptr + n0 * p.oh * p.ow * p.cOut * 4, 0);

  /** gy [n, cOut, np] with positions as rows: [n·np, cOut]. */
  const positionsAsRows = (gy: WasmStorage, p: Conv2dParams): WasmStorage =>
    copyStridedK(gy, [p.n, p.oh * p.ow, p.cOut], [p.cOut * p.oh * p.ow, 1, p.oh * p.ow], 0) as WasmStorage;

  /** Forward by patch rows: Y = patches·Wᵀ ([n·np, cOut]; bias and ReLU on its rows), then y = Yᵀ per image. */
  const convRows = (x: WasmStorage, w: WasmStorage, bias: WasmStorage | null, p: Conv2dParams, relu: boolean, y: WasmStorage): void => {
    const np = p.oh * p.ow, kg = p.cIn * p.kh * p.kw;
    for (const [n0, n1] of chunks(p)) {
      const pt = patches(x, p, n0, n1);
      const m = (n1 - n0) * np;
      const yr = gemm(pt, w, m, kg, p.cOut, false, true) as WasmStorage;
      ctx.heap.release(pt.ptr, pt.bytes);
      if (bias || relu) ctx.parallel('bias_act_rows_f32', [yr.ptr, bias ? bias.ptr : 0, relu ? 1 : 0, p.cOut], m, yr.size, 1);
      transposeInto(yr.ptr, y.ptr + n0 * p.cOut * np * 4, n1 - n0, np, p.cOut);
      ctx.heap.release(yr.ptr, yr.bytes);
    }
  };

  /** Input gradient by patch rows: dpatches = G·W per chunk, added back into each image (row2im). */
  const convRowsInput = (gy: WasmStorage, w: WasmStorage, p: Conv2dParams, gx: WasmStorage): void => {
    const np = p.oh * p.ow, kg = p.cIn * p.kh * p.kw;
    const g = positionsAsRows(gy, p);
    for (const [n0, n1] of chunks(p)) {
      const dp = gemm(rowsOf(g, p, n0, n1), w, (n1 - n0) * np, p.cOut, kg, false, false) as WasmStorage;
      const prm = ctx.params(convSlots(p));
      ctx.parallelArgs('row2im_f32', n1 - n0, 1, (n1 - n0) * np * kg, (s, e) => [dp.ptr, prm, gx.ptr + n0 * p.cIn * p.h * p.w * 4, s, e]);
      ctx.heap.release(dp.ptr, dp.bytes);
    }
    ctx.heap.release(g.ptr, g.bytes);
  };

  /** Weight gradient by patch rows: gW = Gᵀ·patches, summed over chunks of images. */
  const convRowsWeight = (x: WasmStorage, gy: WasmStorage, p: Conv2dParams): Storage => {
    const np = p.oh * p.ow, kg = p.cIn * p.kh * p.kw;
    const g = positionsAsRows(gy, p);
    let gw: WasmStorage | null = null;
    for (const [n0, n1] of chunks(p)) {
      const pt = patches(x, p, n0, n1);
      const part = gemm(rowsOf(g, p, n0, n1), pt, p.cOut, (n1 - n0) * np, kg, true, false) as WasmStorage;
      ctx.heap.release(pt.ptr, pt.bytes);
      if (!gw) gw = part;
      else {
        ctx.parallel('add_into_f32', [gw.ptr, part.ptr], gw.size, gw.size);
        ctx.heap.release(part.ptr, part.bytes);
      }
    }
    ctx.heap.release(g.ptr, g.bytes);
    return gw!;
  };

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
      if (fewPositions(p)) { convRows(x, w, bias, p, relu, y); return y; }
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
      if (fewPositions(p)) { convRowsInput(gy, w, p, gx); return gx; }
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
      if (fewPositions(p)) { ctx.heap.release(gw.ptr, gw.bytes); return convRowsWeight(x, gy, p); }
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
