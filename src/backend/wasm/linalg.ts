// Matrix product, convolution, pooling and indexing primitives of the wasm backend: choosing the
// kernel and the thread split (batch, rows in 6s or columns in 8s; never the K reduction).

import type { AdaptivePool2dParams, Conv2dParams, FusedKernels, Kernels, MatmulParams, Pool2dParams, Storage } from '../backend.js';
import { Ctx, LOG2, SUFFIX, WasmStorage, ranges } from './context.js';
import { directConv, directConvPool, directFits, directPoolFits, directWeightFits, directWeightGrad } from './direct.js';
import { winogradConv, winogradFits, winogradWeightFits, winogradWeightGrad } from './winograd.js';

type LinalgKernels = Pick<Kernels, 'matmul' | 'conv2d' | 'conv2dBackwardInput' | 'conv2dBackwardWeight' |
  'maxPool2d' | 'maxPool2dBackward' | 'avgPool2d' | 'avgPool2dBackward' | 'adaptiveAvgPool2d' |
  'adaptiveAvgPool2dBackward' | 'gather' | 'scatterAdd' | 'indexSelect' | 'indexAdd'>;

const convSlots = (p: Conv2dParams) => [p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.groups, p.oh, p.ow];
const poolSlots = (p: Pool2dParams) => [p.n, p.c, p.h, p.w, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.oh, p.ow, p.countIncludePad ? 1 : 0, p.divisorOverride || 0];
const ELEM = { 0: 'u8', 2: 'u32', 3: 'u64' } as Record<number, string>;

function floatOnly(s: WasmStorage, op: string): void {
  if (s.dtype !== 'float32' && s.dtype !== 'float64') throw new TypeError(`wasm backend: ${op} needs float32 or float64, got ${s.dtype}`);
}

export function linalgKernels(ctx: Ctx, copyStridedK: Kernels['copyStrided']): LinalgKernels & { conv2dAct: FusedKernels['conv2dBiasAct']; conv2dActPool: FusedKernels['conv2dBiasActMaxPool']; linearAct: FusedKernels['linearBiasAct']; maxPool2dValues: FusedKernels['maxPool2dValues'] } {
  const matmul = (as: Storage, bs: Storage, p: MatmulParams): Storage => {
    const a = ctx.use(as, 'matmul'), b = ctx.use(bs, 'matmul');
    const { batch, m, k, n } = p;
    // x·Wᵀ with few rows (nn.Linear on a small batch, an RNN step): packing W costs about as much
    // as the product. Compute Cᵀ = W·xᵀ instead — W is then read in place, only xᵀ (k×m) is
    // packed — and transpose the m×n result.
    if (p.transB && !p.transA && a.dtype === 'float32' && batch === 1 && m >= 1 && k > 0 &&
      4 * (m * k + m * n) < k * n && m * n * k >= 32768) {
      const ct = matmul(bs, as, { batch: 1, m: n, k, n: m, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 }) as WasmStorage;
      const out = copyStridedK(ct, [m, n], [1, m], 0);
      ctx.heap.release(ct.ptr, ct.bytes);
      return out;
    }
    const c = ctx.alloc(a.dtype, batch * m * n);
    if (batch * m * n === 0) return c;
    const name = `gemm_${SUFFIX[a.dtype]}`;
    if (!ctx.ex[name]) throw new TypeError(`wasm backend: matmul is not defined for ${a.dtype}`);
    // A stored transposed makes the micro-kernel's broadcast loads stride through memory (half
    // speed); when B is wide enough to amortise it, transpose A first (O(m·k) against O(m·n·k)).
    let aPtr = a.ptr, aBS = p.aBatchStride, transA = p.transA, tmpA: WasmStorage | null = null;
    if (transA && a.dtype === 'float32' && n >= 32 && k > 0) {
      const nb = aBS === 0 ? 1 : batch;
      tmpA = copyStridedK(a, nb === 1 ? [m, k] : [nb, m, k], nb === 1 ? [1, m] : [aBS, 1, m], 0) as WasmStorage;
      aPtr = tmpA.ptr; aBS = aBS === 0 ? 0 : m * k; transA = false;
    }
    const [rsA, csA] = transA ? [1, m] : [k, 1];
    const [rsB, csB] = p.transB ? [1, k] : [n, 1];
    const pre = [aPtr, b.ptr, c.ptr, m, n, k, rsA, csA, rsB, csB, aBS, p.bBatchStride];
    const flops = 2 * batch * m * n * Math.max(k, 1);
    const work = a.dtype === 'float32' ? flops / 40 : flops;
    const t = ctx.threadsFor(work, Math.max(batch, Math.ceil(m / 6), Math.ceil(n / 8)));
    const scratch = ctx.scratchFor(t);
    const f = ctx.fn(name);
    if (t === 1) f(...pre, 0, batch, 0, m, 0, n, scratch[0]!);
    else if (batch >= 2 * t || (batch >= t && batch % t === 0)) {
      const np = ctx.partsFor(work, batch, t);
      ctx.pool.runShared(name, ranges(batch, np, 1).map(([s, e]) => [...pre, s, e, 0, m, 0, n, 0]), f as (...a: number[]) => void, pre.length + 6, ctx.scratchAll());
    } else if (n >= 32 * t || m < 16 * t) {
      // Columns first: each part then packs only its columns of B (a row split packs all of B in
      // every part, which dominates when m is small) — so columns may go finer than the threads, in
      // parts of ≥ 256 columns (each part reads all of A), a multiple of the threads.
      const np = Math.min(ctx.partsFor(work, Math.ceil(n / 8), t), t * Math.max(1, Math.floor(n / (256 * t))));
      ctx.pool.runShared(name, ranges(n, np, 8).map(([s, e]) => [...pre, 0, batch, 0, m, s, e, 0]), f as (...a: number[]) => void, pre.length + 6, ctx.scratchAll());
    } else {
      ctx.pool.run(name, ranges(m, t, 4).map(([s, e], i) => [...pre, 0, batch, s, e, 0, n, scratch[i]!]), f as (...a: number[]) => void);
    }
    if (tmpA) ctx.heap.release(tmpA.ptr, tmpA.bytes);
    return c;
  };

  /** fused.conv2dBiasActMaxPool: the direct conv with 2×2 pooling per image in cache; null for other shapes. */
  const conv2dActPool = (xs: Storage, ws: Storage, bs: Storage | null, p: Conv2dParams, relu: boolean, q: Pool2dParams): Storage | null => {
    const x = ctx.use(xs, 'conv2d'), w = ctx.use(ws, 'conv2d'), bias = bs ? ctx.use(bs, 'conv2d') : null;
    if (x.dtype !== 'float32' || w.dtype !== 'float32' || (bias && (bias.dtype !== 'float32' || bias.size !== p.cOut)) || !directPoolFits(p, q)) return null;
    const y = ctx.alloc('float32', q.n * q.c * q.oh * q.ow);
    directConvPool(ctx, x, w, y, p, q, bias ? bias.ptr : 0, relu);
    return y;
  };

  /** fused.linearBiasAct: x·wᵀ, then bias and ReLU in one pass over the product. */
  const linearAct = (xs: Storage, ws: Storage, bs: Storage | null, p: { m: number; k: number; n: number }, relu: boolean): Storage => {
    const x = ctx.use(xs, 'linear'), w = ctx.use(ws, 'linear'), bias = bs ? ctx.use(bs, 'linear') : null;
    if (x.dtype !== 'float32' || w.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) throw new TypeError('wasm backend: fused linearBiasAct is float32 only (the op layer runs the composite)');
    if (bias && bias.size !== p.n) throw new Error(`wasm backend: linearBiasAct: bias must be [${p.n}], got [${bias.size}]`);
    const y = matmul(x, w, { batch: 1, m: p.m, k: p.k, n: p.n, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 }) as WasmStorage;
    if ((bias || relu) && y.size > 0) ctx.parallel('bias_act_rows_f32', [y.ptr, bias ? bias.ptr : 0, relu ? 1 : 0, p.n], p.m, y.size, 1);
    return y;
  };

  const convWork = (p: Conv2dParams) => 2 * p.n * p.cOut * p.oh * p.ow * (p.cIn / p.groups) * p.kh * p.kw;

  /** Runs a float32 conv kernel split over `total` units (images, or columns in 8s). */
  const runConv = (name: string, pre: number[], total: number, grain: number, work: number, post: (s: number, e: number) => number[], tail: number[] = []) => {
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
    const gx = ctx.alloc(gy.dtype, p.n * p.cIn * p.h * p.w);
    if (gx.size === 0) return gx;
    const prm = ctx.params(convSlots(p));
    if (gy.dtype === 'float32') {
      if (winogradFits(p, true)) { winogradConv(ctx, gy, w, gx, p, true); return gx; }
      runConv('conv2d_bwd_input_f32', [gy.ptr, w.ptr, gx.ptr, prm], p.n, 1, convWork(p) / 20, (s, e) => [s, e]);
      return gx;
    }
    ctx.parallel('conv2d_bwd_input_direct_f64', [gy.ptr, w.ptr, gx.ptr, prm], p.n, convWork(p));
    return gx;
  };

  const conv2dBackwardWeight = (xs: Storage, gys: Storage, p: Conv2dParams): Storage => {
    const x = ctx.use(xs, 'conv2dBackwardWeight'), gy = ctx.use(gys, 'conv2dBackwardWeight');
    floatOnly(x, 'conv2dBackwardWeight');
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
      const prm2 = ctx.params([p.groups, cog, kg, kg * cog, 1, cog]);
      ctx.parallel('copy_strided_2', [gwt.ptr, gw.ptr, prm2, 3, 0], gw.size, gw.size, 1, [0]);
      ctx.heap.release(gwt.ptr, gwt.bytes);
      return gw;
    }
    ctx.parallel('conv2d_bwd_weight_direct_f64', [x.ptr, gy.ptr, gw.ptr, prm], p.cOut, convWork(p));
    return gw;
  };

  /** The 2×2, stride-2, unpadded pooling of kernels/pool.ts (ceilMode windows past the input excluded). */
  const is2x2 = (p: Pool2dParams) => p.kh === 2 && p.kw === 2 && p.sh === 2 && p.sw === 2 && p.ph === 0 && p.pw === 0 &&
    p.dh === 1 && p.dw === 1 && 2 * p.oh <= p.h && 2 * p.ow <= p.w;

  /** Max pooling's values without the indices (fused.maxPool2dValues: inference). */
  const maxPool2dValues = (xs: Storage, p: Pool2dParams): Storage => {
    const x = ctx.use(xs, 'maxPool2d');
    if (x.dtype !== 'float32' || !is2x2(p)) {
      const [y, idx] = maxPool2d(xs, p);
      ctx.heap.release((idx as WasmStorage).ptr, (idx as WasmStorage).bytes);
      return y;
    }
    const y = ctx.alloc(x.dtype, p.n * p.c * p.oh * p.ow);
    ctx.parallel('maxpool2x2_f32', [x.ptr, y.ptr, 0, p.h, p.w, p.oh, p.ow], p.n * p.c, y.size * 2);
    return y;
  };

  const maxPool2d = (xs: Storage, p: Pool2dParams): [Storage, Storage] => {
    const x = ctx.use(xs, 'maxPool2d');
    floatOnly(x, 'maxPool2d');
    const outN = p.n * p.c * p.oh * p.ow;
    const y = ctx.alloc(x.dtype, outN), idx = ctx.alloc('int32', outN);
    if (x.dtype === 'float32' && is2x2(p)) {
      ctx.parallel('maxpool2x2_f32', [x.ptr, y.ptr, idx.ptr, p.h, p.w, p.oh, p.ow], p.n * p.c, outN * 2);
      return [y, idx];
    }
    ctx.parallel(`maxpool_${SUFFIX[x.dtype]}`, [x.ptr, y.ptr, idx.ptr, ctx.params(poolSlots(p))], p.n * p.c, outN * p.kh * p.kw * 2);
    return [y, idx];
  };

  const maxPool2dBackward = (gys: Storage, is: Storage, p: Pool2dParams): Storage => {
    const gy = ctx.use(gys, 'maxPool2dBackward'), idx = ctx.use(is, 'maxPool2dBackward');
    floatOnly(gy, 'maxPool2dBackward');
    const gx = ctx.alloc(gy.dtype, p.n * p.c * p.h * p.w);
    if (gy.dtype === 'float32' && is2x2(p)) {
      ctx.parallel('maxpool2x2_bwd_f32', [gy.ptr, idx.ptr, gx.ptr, p.h, p.w, p.oh, p.ow], p.n * p.c, gx.size);
      return gx;
    }
    ctx.parallel(`maxpool_bwd_${SUFFIX[gy.dtype]}`, [gy.ptr, idx.ptr, gx.ptr, ctx.params(poolSlots(p))], p.n * p.c, gx.size * 2);
    return gx;
  };

  const avgPool2d = (xs: Storage, p: Pool2dParams): Storage => {
    const x = ctx.use(xs, 'avgPool2d');
    floatOnly(x, 'avgPool2d');
    const outN = p.n * p.c * p.oh * p.ow;
    const y = ctx.alloc(x.dtype, outN);
    ctx.parallel(`avgpool_${SUFFIX[x.dtype]}`, [x.ptr, y.ptr, ctx.params(poolSlots(p))], p.n * p.c, outN * p.kh * p.kw * 2);
    return y;
  };

  const avgPool2dBackward = (gys: Storage, p: Pool2dParams): Storage => {
    const gy = ctx.use(gys, 'avgPool2dBackward');
    floatOnly(gy, 'avgPool2dBackward');
    const gx = ctx.alloc(gy.dtype, p.n * p.c * p.h * p.w);
    ctx.parallel(`avgpool_bwd_${SUFFIX[gy.dtype]}`, [gy.ptr, gx.ptr, ctx.params(poolSlots(p))], p.n * p.c, gy.size * p.kh * p.kw * 2);
    return gx;
  };

  const adaptiveSlots = (p: AdaptivePool2dParams) => [p.n, p.c, p.h, p.w, p.oh, p.ow];
  const adaptiveAvgPool2d = (xs: Storage, p: AdaptivePool2dParams): Storage => {
    const x = ctx.use(xs, 'adaptiveAvgPool2d');
    floatOnly(x, 'adaptiveAvgPool2d');
    const y = ctx.alloc(x.dtype, p.n * p.c * p.oh * p.ow);
    ctx.parallel(`adaptive_${SUFFIX[x.dtype]}`, [x.ptr, y.ptr, ctx.params(adaptiveSlots(p))], p.n * p.c, x.size * 2);
    return y;
  };

  const adaptiveAvgPool2dBackward = (gys: Storage, p: AdaptivePool2dParams): Storage => {
    const gy = ctx.use(gys, 'adaptiveAvgPool2dBackward');
    floatOnly(gy, 'adaptiveAvgPool2dBackward');
    const gx = ctx.alloc(gy.dtype, p.n * p.c * p.h * p.w);
    ctx.parallel(`adaptive_bwd_${SUFFIX[gy.dtype]}`, [gy.ptr, gx.ptr, ctx.params(adaptiveSlots(p))], p.n * p.c, gx.size * 2);
    return gx;
  };

  const copyOf = (x: WasmStorage): WasmStorage => {
    const y = ctx.alloc(x.dtype, x.size);
    ctx.heap.u8.copyWithin(y.ptr, x.ptr, x.ptr + x.byteLength);
    return y;
  };
  const addable = (s: WasmStorage, op: string): string => {
    if (s.dtype === 'bool') throw new TypeError(`wasm backend: ${op} is not defined for bool`);
    return SUFFIX[s.dtype];
  };

  return {
    matmul, conv2d, conv2dAct, conv2dActPool, linearAct, maxPool2dValues, conv2dBackwardInput, conv2dBackwardWeight, maxPool2d, maxPool2dBackward,
    avgPool2d, avgPool2dBackward, adaptiveAvgPool2d, adaptiveAvgPool2dBackward,
    gather(xs, is, outer, r, inner, k) {
      const x = ctx.use(xs, 'gather'), idx = ctx.use(is, 'gather');
      const y = ctx.alloc(x.dtype, outer * k * inner);
      ctx.parallel(`gather_${ELEM[LOG2[x.dtype]]}`, [x.ptr, idx.ptr, y.ptr, r, inner, k], outer, y.size * 2);
      return y;
    },
    scatterAdd(xs, is, ss, outer, r, inner, k) {
      const x = ctx.use(xs, 'scatterAdd'), idx = ctx.use(is, 'scatterAdd'), src = ctx.use(ss, 'scatterAdd');
      const t = addable(x, 'scatterAdd');
      const y = copyOf(x);
      ctx.parallel(`scatter_add_${t}`, [idx.ptr, src.ptr, y.ptr, r, inner, k], outer, outer * k * inner * 2);
      return y;
    },
    indexSelect(xs, is, outer, r, inner) {
      const x = ctx.use(xs, 'indexSelect'), idx = ctx.use(is, 'indexSelect');
      const k = idx.size;
      const y = ctx.alloc(x.dtype, outer * k * inner);
      ctx.parallel('index_select', [x.ptr, idx.ptr, y.ptr, r, inner, k, LOG2[x.dtype]], outer, y.size, 1);
      return y;
    },
    indexAdd(xs, is, ss, outer, r, inner) {
      const x = ctx.use(xs, 'indexAdd'), idx = ctx.use(is, 'indexAdd'), src = ctx.use(ss, 'indexAdd');
      const t = addable(x, 'indexAdd');
      const y = copyOf(x);
      ctx.parallel(`index_add_${t}`, [idx.ptr, src.ptr, y.ptr, r, inner, idx.size], outer, outer * idx.size * inner * 2);
      return y;
    },
  };
}
