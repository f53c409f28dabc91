// The wasm backend's fused GRU recurrence (Backend.fused.gruForward/gruBackward): per step and
// direction, the step's GEMM h·W_hhᵀ through matmul and one cell kernel (kernels/gru.ts).

import type { FusedKernels, GruParams, GruSaved, Kernels, Storage } from '../backend.js';
import { Ctx, WasmStorage } from './context.js';

/** ns per (row, hidden unit) of a cell step, counted high on purpose (like the LSTM's): a 32×256
 * step must split over two threads, and ctx.parallel gives a second thread only from 400 µs. */
const CELL_FWD_NS = 60, CELL_BWD_NS = 60;
/** Memory-bound passes: about a nanosecond per element and stream on one core. */
const STREAM_NS = 1;

export function gruKernels(ctx: Ctx, matmul: Kernels['matmul'], copyStrided: Kernels['copyStrided']): Pick<FusedKernels, 'gruForward' | 'gruBackward'> {
  const f32 = (s: Storage, op: string): WasmStorage => {
    const w = ctx.use(s, op);
    if (w.dtype !== 'float32') throw new TypeError(`wasm backend: fused ${op} is float32 only, got ${w.dtype} (the op layer runs the composite)`);
    return w;
  };
  /** A window of a storage the caller owns (never freed itself). */
  const view = (s: WasmStorage, offset: number, size: number): WasmStorage => new WasmStorage('float32', size, s.ptr + offset * 4, 0);
  const release = (s: WasmStorage) => ctx.heap.release(s.ptr, s.bytes);
  const copy = (s: WasmStorage, d: WasmStorage, dOffset: number) => {
    ctx.heap.refresh();
    ctx.heap.u8.copyWithin(d.ptr + dOffset * 4, s.ptr, s.ptr + s.size * 4);
  };
  const zeros = (n: number): WasmStorage => {
    const z = ctx.alloc('float32', n) as WasmStorage;
    ctx.parallel('fill_f32', [z.ptr, 0], n, n / 2, 16);
    return z;
  };
  const misfit = (op: string, p: GruParams) => new Error(`wasm backend: ${op}: storages do not fit L=${p.L}, N=${p.n}, H=${p.h}`);

  const gruForward = (xps: Storage, h0s: Storage, whhs: Storage, bhhs: Storage | null, p: GruParams) => {
    const xp = f32(xps, 'gruForward'), h0 = f32(h0s, 'gruForward'), whh = f32(whhs, 'gruForward');
    const bhh = bhhs ? f32(bhhs, 'gruForward') : null;
    const { L, n: N, h: H, reverse } = p;
    const G = 3 * H, S = N * H;
    if (xp.size !== L * N * G || whh.size !== G * H || h0.size !== S || (bhh && bhh.size !== G)) throw misfit('gruForward', p);
    const output = ctx.alloc('float32', L * S), hN = ctx.alloc('float32', S);
    const saved: GruSaved = { acts: ctx.alloc('float32', L * N * G), hn: ctx.alloc('float32', L * S), hPrev: ctx.alloc('float32', L * S) };
    const [acts, hn, hPrev] = [saved.acts, saved.hn, saved.hPrev] as WasmStorage[];
    if (L === 0) { copy(h0, hN, 0); return { output, h: hN, saved }; }
    copy(h0, hPrev!, (reverse ? L - 1 : 0) * S);
    const cellWork = S * CELL_FWD_NS;
    for (let s = 0; s < L; s++) {
      const t = reverse ? L - 1 - s : s;
      const tn = reverse ? t - 1 : t + 1;
      const hw = matmul(view(hPrev!, t * S, S), whh, { batch: 1, m: N, k: H, n: G, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 }) as WasmStorage;
      ctx.parallel('gru_cell_fwd_f32', [
        xp.ptr + t * N * G * 4, hw.ptr, bhh ? bhh.ptr : 0, hPrev!.ptr + t * S * 4, acts!.ptr + t * N * G * 4, hn!.ptr + t * S * 4,
        output.ptr + t * S * 4, s === L - 1 ? hN.ptr : hPrev!.ptr + tn * S * 4, H,
      ], N, cellWork);
      release(hw);
    }
    return { output, h: hN, saved };
  };

  const gruBackward = (gOuts: Storage | null, gHs: Storage | null, whhs: Storage, sv: GruSaved, p: GruParams,
    wantWhh: boolean, wantBhh: boolean) => {
    const whh = f32(whhs, 'gruBackward');
    const acts = f32(sv.acts, 'gruBackward'), hn = f32(sv.hn, 'gruBackward'), hPrev = f32(sv.hPrev, 'gruBackward');
    const gOut = gOuts ? f32(gOuts, 'gruBackward') : null, gH = gHs ? f32(gHs, 'gruBackward') : null;
    const { L, n: N, h: H, reverse } = p;
    const G = 3 * H, S = N * H;
    if (acts.size !== L * N * G || hn.size !== L * S || hPrev.size !== L * S || whh.size !== G * H ||
      (gOut && gOut.size !== L * S) || (gH && gH.size !== S)) throw misfit('gruBackward', p);
    // dx: the gradient of xp; dhb: of hw + b_hh (dx with r·dn in place of dn), for W_hh, b_hh and h.
    const dx = ctx.alloc('float32', L * N * G) as WasmStorage, dhb = ctx.alloc('float32', L * N * G) as WasmStorage;
    // The state's gradient flows back in two parts: dhr through W_hh (the matmul's result; gH, which
    // is read and never written, at the start) and dhz = dh·z past it. The cell kernel adds them.
    let dhr: WasmStorage | null = gH, ownDhr = false;
    let dhz: WasmStorage | null = null;
    const cellWork = S * CELL_BWD_NS;
    // dhb·whh as dhb·(whhᵀ)ᵀ: matmul then reads the weight in place instead of packing it every step.
    const whhT = L > 0 ? copyStrided(whh, [H, G], [1, H], 0) as WasmStorage : null;
    for (let s = 0; s < L; s++) {
      const t = reverse ? s : L - 1 - s;
      const dho = ctx.alloc('float32', S) as WasmStorage;
      ctx.parallel('gru_cell_bwd_f32', [
        acts.ptr + t * N * G * 4, hn.ptr + t * S * 4, hPrev.ptr + t * S * 4, gOut ? gOut.ptr + t * S * 4 : 0,
        dhr ? dhr.ptr : 0, dhz ? dhz.ptr : 0, dx.ptr + t * N * G * 4, dhb.ptr + t * N * G * 4, dho.ptr, H,
      ], N, cellWork);
      if (dhz) release(dhz);
      dhz = dho;
      const dhp = matmul(view(dhb, t * N * G, N * G), whhT!, { batch: 1, m: N, k: G, n: H, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 }) as WasmStorage;
      if (ownDhr) release(dhr!);
      dhr = dhp; ownDhr = true;
    }
    if (whhT) release(whhT);
    let gh0: WasmStorage;
    if (L === 0) {
      gh0 = ctx.alloc('float32', S) as WasmStorage;
      if (gH) copy(gH, gh0, 0); else ctx.parallel('fill_f32', [gh0.ptr, 0], S, S / 2, 16);
    } else {
      gh0 = dhr!;
      ctx.parallel('gru_acc_f32', [gh0.ptr, dhz!.ptr], S, S * 2 * STREAM_NS, 16);
      release(dhz!);
    }
    // Σ_t dhb_tᵀ·h_{t−1}: one GEMM over every step, computed as (h_prevᵀ·dhb)ᵀ (matmul transposes
    // its transposed operand first, and h_prev is a third of dhb's size).
    let gWhh: Storage | null = null;
    if (wantWhh) {
      if (L === 0) gWhh = zeros(G * H);
      else {
        const tr = matmul(hPrev, dhb, { batch: 1, m: H, k: L * N, n: G, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0 }) as WasmStorage;
        gWhh = copyStrided(tr, [G, H], [1, G], 0);
        release(tr);
      }
    }
    // Σ over steps and rows of dhb, column by column (split over columns: the same sums on any thread count).
    let gBhh: Storage | null = null;
    if (wantBhh) {
      const b = ctx.alloc('float32', G) as WasmStorage;
      ctx.parallel('gru_colsum_f32', [dhb.ptr, L * N, G, b.ptr], G, L * N * G * STREAM_NS, 16);
      gBhh = b;
    }
    release(dhb);
    return { xp: dx, h0: gh0, whh: gWhh, bhh: gBhh };
  };

  return { gruForward, gruBackward };
}
