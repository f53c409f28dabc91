// The wasm backend's fused fast paths (Backend.fused): SGD and Adam updates in one pass, and the
// LSTM recurrence — W_hh packed once, then one kernel call per step and thread, its hidden units'
// product and cell (kernels/fused.ts) — and the GRU's likewise (./gru.ts).

import type { AdamStepParams, FusedKernels, Kernels, LstmParams, LstmSaved, SgdStepParams, Storage, XentParams } from '../backend.js';
import { Ctx, WasmStorage } from './context.js';
import { GEMM_NS, gruKernels, packWhh, stepRunner } from './gru.js';
import type { RowKernels } from './rows.js';

/** Memory-bound passes: about a nanosecond per element and stream on one core. */
const STREAM_NS = 1;
/** ns per (row, hidden unit) of the LSTM cell on one core, forward (3 sigmoids, 2 tanh) and backward. */
const CELL_FWD_NS = 20, CELL_BWD_NS = 6;
/** ns per logit of softmax cross-entropy, forward or backward (an exp each: 2048×65 took ~460 µs). */
const XENT_NS = 3.5;

export function fusedKernels(ctx: Ctx, matmul: Kernels['matmul'], copyStrided: Kernels['copyStrided']): Omit<FusedKernels, 'conv2dBiasAct' | 'conv2dBiasActMaxPool' | 'linearBiasAct' | 'maxPool2dValues' | 'uniform' | 'batchNorm' | 'batchNormBackward' | 'leakyRelu' | 'leakyReluBackward' | keyof RowKernels> {
  const f32 = (s: Storage, op: string): WasmStorage => {
    const w = ctx.use(s, op);
    if (w.dtype !== 'float32') throw new TypeError(`wasm backend: fused ${op} is float32 only, got ${w.dtype} (the op layer runs the composite)`);
    return w;
  };
  const same = (op: string, n: number, ...ss: WasmStorage[]) => {
    for (const s of ss) if (s.size !== n) throw new Error(`wasm backend: fused ${op}: storages of ${n} and ${s.size} elements`);
  };
  const release = (s: WasmStorage) => ctx.heap.release(s.ptr, s.bytes);
  const copy = (s: WasmStorage, d: WasmStorage, dOffset: number) => {
    ctx.heap.refresh();
    ctx.heap.u8.copyWithin(d.ptr + dOffset * 4, s.ptr, s.ptr + s.size * 4);
  };

  const sgdStep = (ps: Storage, gs: Storage, bs: Storage | null, h: SgdStepParams): [Storage, Storage | null] => {
    const p = f32(ps, 'sgdStep'), g = f32(gs, 'sgdStep'), b = bs ? f32(bs, 'sgdStep') : null;
    same('sgdStep', p.size, g, ...(b ? [b] : []));
    const n = p.size;
    const momentum = h.momentum !== 0;
    const op = ctx.alloc('float32', n), ob = momentum ? ctx.alloc('float32', n) : null;
    const flags = (h.maximize ? 1 : 0) | (h.weightDecay !== 0 ? 2 : 0) | (momentum ? 4 : 0) | (momentum && !b ? 8 : 0) |
      (h.nesterov ? 16 : 0) | (h.dampening !== 0 ? 32 : 0);
    ctx.parallel('sgd_step_f32', [p.ptr, g.ptr, b ? b.ptr : 0, op.ptr, ob ? ob.ptr : 0], n, n * 2 * STREAM_NS, 16,
      [h.lr, h.momentum, 1 - h.dampening, h.weightDecay, flags]);
    return [op, ob];
  };

  const adamStep = (ps: Storage, gs: Storage, ms: Storage, vs: Storage, vms: Storage | null, h: AdamStepParams): [Storage, Storage, Storage, Storage | null] => {
    const p = f32(ps, 'adamStep'), g = f32(gs, 'adamStep'), m = f32(ms, 'adamStep'), v = f32(vs, 'adamStep');
    const vm = h.amsgrad ? f32(vms!, 'adamStep') : null;
    same('adamStep', p.size, g, m, v, ...(vm ? [vm] : []));
    const n = p.size;
    const op = ctx.alloc('float32', n), om = ctx.alloc('float32', n), ov = ctx.alloc('float32', n);
    const ovm = vm ? ctx.alloc('float32', n) : null;
    const bc1 = 1 - h.beta1 ** h.step, bc2 = 1 - h.beta2 ** h.step;
    const wd = h.weightDecay;
    const flags = (h.maximize ? 1 : 0) | (wd !== 0 && !h.decoupled ? 2 : 0) | (wd !== 0 && h.decoupled ? 4 : 0) | (vm ? 8 : 0);
    ctx.parallel('adam_step_f32', [p.ptr, g.ptr, m.ptr, v.ptr, vm ? vm.ptr : 0, op.ptr, om.ptr, ov.ptr, ovm ? ovm.ptr : 0],
      n, n * 4 * STREAM_NS, 16,
      [h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.lr / bc1, Math.sqrt(bc2), h.eps, wd, 1 - h.lr * wd, flags]);
    return [op, om, ov, ovm];
  };

  const lstmShapes = (op: string, p: LstmParams, xp: WasmStorage, whh: WasmStorage, ...states: WasmStorage[]) => {
    const { L, n: N, h: H } = p;
    if (xp.size !== L * N * 4 * H || whh.size !== 4 * H * H || states.some((s) => s.size !== N * H)) {
      throw new Error(`wasm backend: ${op}: storages do not fit L=${L}, N=${N}, H=${H}`);
    }
  };

  const lstmForward = (xps: Storage, h0s: Storage, c0s: Storage, whhs: Storage, p: LstmParams) => {
    const xp = f32(xps, 'lstmForward'), h0 = f32(h0s, 'lstmForward'), c0 = f32(c0s, 'lstmForward'), whh = f32(whhs, 'lstmForward');
    lstmShapes('lstmForward', p, xp, whh, h0, c0);
    const { L, n: N, h: H, reverse } = p;
    const G = 4 * H, S = N * H;
    const output = ctx.alloc('float32', L * S), hN = ctx.alloc('float32', S), cN = ctx.alloc('float32', S);
    const saved: LstmSaved = {
      acts: ctx.alloc('float32', L * N * G), hPrev: ctx.alloc('float32', L * S),
      cPrev: ctx.alloc('float32', L * S), tanhC: ctx.alloc('float32', L * S),
    };
    const [acts, hPrev, cPrev, tanhC] = [saved.acts, saved.hPrev, saved.cPrev, saved.tanhC] as WasmStorage[];
    if (L === 0) { copy(h0, hN, 0); copy(c0, cN, 0); return { output, h: hN, c: cN, saved }; }
    copy(h0, hPrev!, (reverse ? L - 1 : 0) * S);
    copy(c0, cPrev!, (reverse ? L - 1 : 0) * S);
    // W_hh packed once; each step is one call per thread: its hidden units' product and cell.
    const w = packWhh(ctx, whh, H, 4, true);
    const hw = ctx.alloc('float32', N * G) as WasmStorage;
    const step = stepRunner(ctx, 'lstm_step_fwd_f32', H, 2 * N * G * H * GEMM_NS + S * CELL_FWD_NS);
    for (let s = 0; s < L; s++) {
      const t = reverse ? L - 1 - s : s;
      const last = s === L - 1;
      const tn = reverse ? t - 1 : t + 1;
      step([hPrev!.ptr + t * S * 4, w.ptr, xp.ptr + t * N * G * 4, cPrev!.ptr + t * S * 4, hw.ptr, acts!.ptr + t * N * G * 4,
        tanhC!.ptr + t * S * 4, last ? cN.ptr : cPrev!.ptr + tn * S * 4, output.ptr + t * S * 4, last ? hN.ptr : hPrev!.ptr + tn * S * 4, N, H]);
    }
    release(hw);
    release(w);
    return { output, h: hN, c: cN, saved };
  };

  const lstmBackward = (gOuts: Storage | null, gHs: Storage | null, gCs: Storage | null, whhs: Storage, sv: LstmSaved,
    p: LstmParams, wantWhh: boolean) => {
    const whh = f32(whhs, 'lstmBackward');
    const acts = f32(sv.acts, 'lstmBackward'), hPrev = f32(sv.hPrev, 'lstmBackward');
    const cPrev = f32(sv.cPrev, 'lstmBackward'), tanhC = f32(sv.tanhC, 'lstmBackward');
    const gOut = gOuts ? f32(gOuts, 'lstmBackward') : null;
    const gH = gHs ? f32(gHs, 'lstmBackward') : null, gC = gCs ? f32(gCs, 'lstmBackward') : null;
    const { L, n: N, h: H, reverse } = p;
    const G = 4 * H, S = N * H;
    if (acts.size !== L * N * G || whh.size !== G * H || (gOut && gOut.size !== L * S) || (gH && gH.size !== S) || (gC && gC.size !== S)) {
      throw new Error(`wasm backend: lstmBackward: storages do not fit L=${L}, N=${N}, H=${H}`);
    }
    const dz = ctx.alloc('float32', L * N * G) as WasmStorage;
    // dh and dc flowing back through the recurrence: dh = dz·W_hh into dhr, dc updated in place
    // (the inputs' gradients gH and gC are read at the first step, never written).
    const dhr = ctx.alloc('float32', S) as WasmStorage, dc = ctx.alloc('float32', S) as WasmStorage;
    if (L === 0) {
      for (const [g, d] of [[gH, dhr], [gC, dc]] as const) {
        if (g) copy(g, d, 0); else ctx.parallel('fill_f32', [d.ptr, 0], S, S / 2, 16);
      }
    } else {
      const w = packWhh(ctx, whh, H, 4, false);
      const step = stepRunner(ctx, 'lstm_step_bwd_f32', H, 2 * N * G * H * GEMM_NS + S * CELL_BWD_NS);
      let tp = -1;
      for (let s = 0; s < L; s++) {
        const t = reverse ? s : L - 1 - s;
        step([tp < 0 ? 0 : dz.ptr + tp * N * G * 4, w.ptr, acts.ptr + t * N * G * 4, tanhC.ptr + t * S * 4, cPrev.ptr + t * S * 4,
          gOut ? gOut.ptr + t * S * 4 : 0, tp < 0 ? (gH ? gH.ptr : 0) : dhr.ptr, tp < 0 ? (gC ? gC.ptr : 0) : dc.ptr,
          dz.ptr + t * N * G * 4, dc.ptr, N, H]);
        tp = t;
      }
      // h0's gradient: the first step's dz·W_hh.
      step([dz.ptr + tp * N * G * 4, w.ptr, 0, 0, 0, 0, dhr.ptr, 0, 0, 0, N, H]);
      release(w);
    }
    // Σ_t dz_tᵀ·h_{t−1}: one GEMM over every step instead of one product and one add per step,
    // computed as (h_prevᵀ·dz)ᵀ: matmul transposes its transposed operand first, and h_prev is
    // a quarter of dz's size.
    let gWhh: Storage | null = null;
    if (wantWhh) {
      const t = matmul(hPrev, dz, { batch: 1, m: H, k: L * N, n: G, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0 }) as WasmStorage;
      gWhh = copyStrided(t, [G, H], [1, G], 0);
      release(t);
    }
    return { xp: dz, h0: dhr, c0: dc, whh: gWhh };
  };

  const xentCheck = (op: string, x: WasmStorage, t: Storage, p: XentParams): WasmStorage => {
    const ti = ctx.use(t, op);
    if (ti.dtype !== 'int32' || ti.size !== p.m || x.size !== p.m * p.c) {
      throw new Error(`wasm backend: ${op}: expected logits of ${p.m}×${p.c} and ${p.m} int32 classes, got ${x.size} and ${ti.size} ${ti.dtype}`);
    }
    return ti;
  };

  const softmaxCrossEntropy = (xs: Storage, ts: Storage, p: XentParams): [Storage, Storage] => {
    const x = f32(xs, 'softmaxCrossEntropy'), t = xentCheck('softmaxCrossEntropy', x, ts, p);
    const loss = ctx.alloc('float32', p.m), lse = ctx.alloc('float32', p.m);
    ctx.parallel('xent_fwd_f32', [x.ptr, t.ptr, loss.ptr, lse.ptr, p.c, p.ignoreIndex], p.m, p.m * p.c * XENT_NS);
    return [loss, lse];
  };

  const softmaxCrossEntropyBackward = (xs: Storage, ts: Storage, lses: Storage, gs: Storage, gStride: number, scale: number, p: XentParams): Storage => {
    const x = f32(xs, 'softmaxCrossEntropyBackward'), t = xentCheck('softmaxCrossEntropyBackward', x, ts, p);
    const lse = f32(lses, 'softmaxCrossEntropyBackward'), g = f32(gs, 'softmaxCrossEntropyBackward');
    if (lse.size !== p.m || g.size < (gStride ? p.m : 1)) throw new Error('wasm backend: softmaxCrossEntropyBackward: lse or g does not fit the rows');
    const dx = ctx.alloc('float32', p.m * p.c);
    ctx.parallel('xent_bwd_f32', [x.ptr, t.ptr, lse.ptr, g.ptr, gStride, scale, dx.ptr, p.c, p.ignoreIndex], p.m, p.m * p.c * XENT_NS);
    return dx;
  };

  const reluBackward = (xs: Storage, gs: Storage): Storage => {
    const x = f32(xs, 'reluBackward'), g = f32(gs, 'reluBackward');
    same('reluBackward', x.size, g);
    const y = ctx.alloc('float32', x.size);
    ctx.parallel('relu_bwd_f32', [x.ptr, g.ptr, y.ptr], x.size, x.size * STREAM_NS, 16);
    return y;
  };

  const bce = (xs: Storage, ts: Storage): Storage => {
    const x = f32(xs, 'bce'), t = f32(ts, 'bce');
    same('bce', x.size, t);
    const y = ctx.alloc('float32', x.size);
    ctx.parallel('bce_f32', [x.ptr, t.ptr, y.ptr], x.size, x.size * 20 * STREAM_NS, 16);
    return y;
  };

  const bceBackward = (xs: Storage, ts: Storage, gs: Storage, gStride: number, eps: number): Storage => {
    const x = f32(xs, 'bceBackward'), t = f32(ts, 'bceBackward'), g = f32(gs, 'bceBackward');
    same('bceBackward', x.size, t);
    if (gStride !== 0 && gStride !== 1) throw new Error(`wasm backend: bceBackward: gStride must be 0 or 1, got ${gStride}`);
    if (g.size !== (gStride ? x.size : 1)) throw new Error(`wasm backend: bceBackward: g has ${g.size} elements for ${x.size} (gStride ${gStride})`);
    const y = ctx.alloc('float32', x.size);
    ctx.parallel('bce_bwd_f32', [x.ptr, t.ptr, g.ptr, gStride, eps, y.ptr], x.size, x.size * 4 * STREAM_NS, 16);
    return y;
  };

  return { sgdStep, adamStep, lstmForward, lstmBackward, ...gruKernels(ctx, matmul, copyStrided), softmaxCrossEntropy, softmaxCrossEntropyBackward, reluBackward, bce, bceBackward };
}
