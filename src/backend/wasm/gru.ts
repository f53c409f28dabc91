// The wasm backend's fused GRU recurrence (Backend.fused.gruForward/gruBackward): W_hh packed once
// per sequence, then one kernel call per step and thread — its hidden units' product and cell (kernels/gru.ts).

import type { FusedKernels, GruParams, GruSaved, Kernels, Storage } from '../backend.js';
import { Ctx, WasmStorage } from './context.js';
import type { KernelName } from './exports.gen.js';

/** ns per (row, hidden unit) of the cell, forward (2 sigmoids, a tanh) and backward, on one core:
 * a 32×256 step took ~100 µs forward and ~35 µs backward. */
const CELL_FWD_NS = 12, CELL_BWD_NS = 5;
/** ns per flop of the step's product (gemm's micro-kernel runs at ~50 GFLOP/s on one core). */
export const GEMM_NS = 1 / 40;
/** Memory-bound passes: about a nanosecond per element and stream on one core. */
const STREAM_NS = 1;

/**
 * W_hh [gates·H, H] packed for the steps' products (kernels/recurrent.ts rnn_pack_f32): forward
 * B(k, j) = W_hh[j, k] in one group per gate, backward B(k, j) = W_hh[k, j] (K = gates·H). The LSTM shares it.
 */
export function packWhh(ctx: Ctx, whh: WasmStorage, H: number, gates: number, forward: boolean): WasmStorage {
  const w = ctx.alloc('float32', gates * Math.ceil(H / 8) * 8 * H) as WasmStorage;
  if (forward) ctx.fn('rnn_pack_f32')(whh.ptr, 1, H, H, H, gates, w.ptr);
  else ctx.fn('rnn_pack_f32')(whh.ptr, H, 1, gates * H, H, 1, w.ptr);
  return w;
}

/**
 * A step kernel's runner: the hidden units [0, H) split over threads (by `work` ns per step) in
 * multiples of 8, the packed panels' width; each call gets (…pre, scratch, j0, j1).
 */
export function stepRunner(ctx: Ctx, name: KernelName, H: number, work: number): (pre: number[]) => void {
  const f = ctx.fn(name);
  const units = Math.ceil(H / 8);
  const t = ctx.threadsFor(work, units);
  const scratch = ctx.scratchFor(t);
  const bounds = Array.from({ length: t + 1 }, (_, i) => Math.min(H, Math.round((units * i) / t) * 8));
  return (pre) => {
    if (t === 1) { f(...pre, scratch[0]!, 0, H); return; }
    ctx.pool.run(name, bounds.slice(0, t).map((j0, i) => [...pre, scratch[i]!, j0, bounds[i + 1]!]), f as (...a: number[]) => void);
  };
}

export function gruKernels(ctx: Ctx, matmul: Kernels['matmul'], copyStrided: Kernels['copyStrided']): Pick<FusedKernels, 'gruForward' | 'gruBackward'> {
  const f32 = (s: Storage, op: string): WasmStorage => {
    const w = ctx.use(s, op);
    if (w.dtype !== 'float32') throw new TypeError(`wasm backend: fused ${op} is float32 only, got ${w.dtype} (the op layer runs the composite)`);
    return w;
  };
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
    const w = packWhh(ctx, whh, H, 3, true);
    const hw = ctx.alloc('float32', N * G) as WasmStorage;
    const step = stepRunner(ctx, 'gru_step_fwd_f32', H, 2 * N * G * H * GEMM_NS + S * CELL_FWD_NS);
    for (let s = 0; s < L; s++) {
      const t = reverse ? L - 1 - s : s;
      const tn = reverse ? t - 1 : t + 1;
      step([hPrev!.ptr + t * S * 4, w.ptr, xp.ptr + t * N * G * 4, bhh ? bhh.ptr : 0, hw.ptr, acts!.ptr + t * N * G * 4,
        hn!.ptr + t * S * 4, output.ptr + t * S * 4, s === L - 1 ? hN.ptr : hPrev!.ptr + tn * S * 4, N, H]);
    }
    release(hw);
    release(w);
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
    let gh0: WasmStorage;
    if (L === 0) {
      gh0 = ctx.alloc('float32', S) as WasmStorage;
      if (gH) copy(gH, gh0, 0); else ctx.parallel('fill_f32', [gh0.ptr, 0], S, S / 2, 16);
    } else {
      // The state's gradient flows back in two parts, added by the next step's kernel: dhr through
      // W_hh (gH, read and never written, at the start) and dhz = dh·z past it (updated in place).
      const w = packWhh(ctx, whh, H, 3, false);
      const dhr = ctx.alloc('float32', S) as WasmStorage, dhz = ctx.alloc('float32', S) as WasmStorage;
      const step = stepRunner(ctx, 'gru_step_bwd_f32', H, 2 * N * G * H * GEMM_NS + S * CELL_BWD_NS);
      let tp = -1;
      for (let s = 0; s < L; s++) {
        const t = reverse ? s : L - 1 - s;
        step([tp < 0 ? 0 : dhb.ptr + tp * N * G * 4, w.ptr, acts.ptr + t * N * G * 4, hn.ptr + t * S * 4, hPrev.ptr + t * S * 4,
          gOut ? gOut.ptr + t * S * 4 : 0, tp < 0 ? (gH ? gH.ptr : 0) : dhr.ptr, tp < 0 ? 0 : dhz.ptr,
          dx.ptr + t * N * G * 4, dhb.ptr + t * N * G * 4, dhz.ptr, N, H]);
        tp = t;
      }
      // h0's gradient: the last step's dhb·W_hh + dh·z, into dhz.
      step([dhb.ptr + tp * N * G * 4, w.ptr, 0, 0, 0, 0, dhr.ptr, dhz.ptr, 0, 0, dhz.ptr, N, H]);
      gh0 = dhz;
      release(dhr);
      release(w);
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
