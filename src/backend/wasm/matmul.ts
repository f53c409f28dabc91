// The wasm backend's matrix product: choosing the kernel and the thread split (batch, rows in 6s or
// columns in 8s; never the K reduction); and nn.Linear's fused bias and ReLU after it.

import type { FusedKernels, Kernels, MatmulParams, Storage } from '../backend.js';
import { Ctx, SUFFIX, WasmStorage, ranges } from './context.js';

export function matmulKernels(ctx: Ctx, copyStridedK: Kernels['copyStrided']): { matmul: Kernels['matmul']; linearAct: FusedKernels['linearBiasAct'] } {
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
    const name = ctx.kernel(`gemm_${SUFFIX[a.dtype]}`, `matmul for ${a.dtype}`);
    // A stored transposed (a weight gradient Xᵀ·dY): the kernel packs it in 4-row panels as it goes.
    const aPtr = a.ptr, aBS = p.aBatchStride, transA = p.transA;
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
    } else if ((n >= 32 * t || m < 16 * t) && !(transA && m >= n && m >= 16 * t)) {
      // Columns first: each part then packs only its columns of B (a row split packs all of B in
      // every part, which dominates when m is small) — so columns may go finer than the threads, in
      // parts of ≥ 256 columns (each part reads all of A), a multiple of the threads.
      const np = Math.min(ctx.partsFor(work, Math.ceil(n / 8), t), t * Math.max(1, Math.floor(n / (256 * t))));
      ctx.pool.runShared(name, ranges(n, np, 8).map(([s, e]) => [...pre, 0, batch, 0, m, s, e, 0]), f as (...a: number[]) => void, pre.length + 6, ctx.scratchAll());
    } else {
      ctx.pool.run(name, ranges(m, t, 4).map(([s, e], i) => [...pre, 0, batch, s, e, 0, n, scratch[i]!]), f as (...a: number[]) => void);
    }
    return c;
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

  return { matmul, linearAct };
}
