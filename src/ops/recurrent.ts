// The LSTM and GRU recurrences of one layer and direction over a whole sequence, as one op each: the
// per-step composite is the definition; the rewrite table (./fused/sequences.ts) runs a backend's
// fused recurrence when it can.

import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { runBackward } from '../autograd/backward.js';
import { defineOp } from './dispatch.js';
import { add, mul, sigmoid, sub, tanh } from './elementwise.js';
import { matmulT } from './linalg.js';
import { chunk, narrow, reshape, split, stack } from './shape.js';
import { fmt } from '../tensor/shape.js';

/**
 * xp [L, …] as L tensors [1, …]. Two levels (blocks of ~√L steps, then steps) because the backward
 * of each slice writes into a zero tensor the size of what it was cut from: L slices straight from
 * xp would cost L full-size buffers in backward, this costs about 2·√L.
 */
export function splitSteps(xp: Tensor): Tensor[] {
  const L = xp.shape[0]!;
  if (L === 0) return [];
  const B = Math.ceil(Math.sqrt(L));
  if (L <= 4) return split(xp, 1, 0);
  return split(xp, B, 0).flatMap((blk) => split(blk, 1, 0));
}

export interface LstmResult { output: Tensor; h: Tensor; c: Tensor }

/**
 * The definition, step by step (PyTorch's gate order i, f, g, o): z = xp_t + h·whhᵀ;
 * c' = σ(z_f)·c + σ(z_i)·tanh(z_g); h' = σ(z_o)·tanh(c'). xp [L, N, 4H] holds the input
 * projection with both biases; h0, c0 [N, H]; whh [4H, H]. output [L, N, H] in time order.
 */
export function lstmComposite(xp: Tensor, h0: Tensor, c0: Tensor, whh: Tensor, reverse: boolean): LstmResult {
  const [L, N, G] = [xp.shape[0]!, xp.shape[1]!, xp.shape[2]!];
  const H = G / 4;
  const steps = splitSteps(xp);
  const outs = new Array<Tensor>(L);
  let h = h0, c = c0;
  for (let s = 0; s < L; s++) {
    const t = reverse ? L - 1 - s : s;
    // Each step in its own scope: only the new state survives it.
    const next = scope(() => {
      const gates = add(reshape(steps[t]!, [N, G]), matmulT(h, whh, false, true, 'rnn'));
      const sg = sigmoid(gates);
      const i = narrow(sg, 1, 0, H), f = narrow(sg, 1, H, H), o = narrow(sg, 1, 3 * H, H);
      const g = tanh(narrow(gates, 1, 2 * H, H));
      const c2 = add(mul(f, c), mul(i, g));
      return { h: mul(o, tanh(c2)), c: c2 };
    });
    h = next.h;
    c = next.c;
    outs[t] = h;
  }
  const output = L > 0 ? stack(outs, 0) : reshape(xp, [0, N, H]);
  return { output, h: L > 0 ? h : mul(h0, 1), c: L > 0 ? c : mul(c0, 1) };
}

/** The recurrence as one op (the rewrite table runs Backend.fused.lstmForward/Backward where it can). */
const lstmSeq = defineOp('lstmSeq', (xp: Tensor, h0: Tensor, c0: Tensor, whh: Tensor, reverse: boolean): LstmResult =>
  lstmComposite(xp, h0, c0, whh, reverse), { replay });

/** lstmComposite's result, checked: xp [L, N, 4H], h0 and c0 [N, H], whh [4H, H]. */
export function lstm(xp: Tensor, h0: Tensor, c0: Tensor, whh: Tensor, reverse = false): LstmResult {
  const [N, G] = [xp.shape[1]!, xp.shape[2]!];
  const H = G / 4;
  if (xp.ndim !== 3 || G % 4 !== 0 || whh.ndim !== 2 || whh.shape[0] !== G || whh.shape[1] !== H ||
    h0.ndim !== 2 || h0.shape[0] !== N || h0.shape[1] !== H || c0.ndim !== 2 || c0.shape[0] !== N || c0.shape[1] !== H) {
    throw new Error(`lstm: expected xp [L, N, 4H], h0 and c0 [N, H], whh [4H, H]; got ${fmt(xp.shape)}, ${fmt(h0.shape)}, ${fmt(c0.shape)}, ${fmt(whh.shape)}`);
  }
  return lstmSeq(xp, h0, c0, whh, reverse);
}

export interface GruResult { output: Tensor; h: Tensor }

/**
 * The definition, step by step (PyTorch's gate order r, z, n): hb = h·whhᵀ + bhh;
 * r = σ(xp_r + hb_r), z = σ(xp_z + hb_z), n = tanh(xp_n + r·hb_n), h' = (1 − z)·n + z·h.
 * xp [L, N, 3H] holds the input projection with b_ih (b_hh cannot join it: b_hn sits inside
 * r·(…)); h0 [N, H]; whh [3H, H]; bhh [3H] or null. output [L, N, H] in time order.
 */
export function gruComposite(xp: Tensor, h0: Tensor, whh: Tensor, bhh: Tensor | null, reverse: boolean): GruResult {
  const [L, N, G] = [xp.shape[0]!, xp.shape[1]!, xp.shape[2]!];
  const H = G / 3;
  const steps = splitSteps(xp);
  const outs = new Array<Tensor>(L);
  let h = h0;
  for (let s = 0; s < L; s++) {
    const t = reverse ? L - 1 - s : s;
    // Each step in its own scope: only the new state survives it.
    h = scope(() => {
      const xt = reshape(steps[t]!, [N, G]);
      const hw = matmulT(h, whh, false, true, 'rnn');
      const hb = bhh ? add(hw, bhh) : hw;
      const [xr, xz, xn] = chunk(xt, 3, 1) as [Tensor, Tensor, Tensor];
      const [hr, hz, hn] = chunk(hb, 3, 1) as [Tensor, Tensor, Tensor];
      const r = sigmoid(add(xr, hr));
      const z = sigmoid(add(xz, hz));
      const n = tanh(add(xn, mul(r, hn)));
      // (1 - z)·n + z·h written as n + z·(h - n)
      return add(n, mul(z, sub(h, n)));
    });
    outs[t] = h;
  }
  const output = L > 0 ? stack(outs, 0) : reshape(xp, [0, N, H]);
  return { output, h: L > 0 ? h : mul(h0, 1) };
}

/** The recurrence as one op (the rewrite table runs Backend.fused.gruForward/Backward where it can). */
const gruSeq = defineOp('gruSeq', (xp: Tensor, h0: Tensor, whh: Tensor, bhh: Tensor | null, reverse: boolean): GruResult =>
  gruComposite(xp, h0, whh, bhh, reverse), { replay });

/** gruComposite's result, checked: xp [L, N, 3H], h0 [N, H], whh [3H, H], bhh [3H] or null. */
export function gru(xp: Tensor, h0: Tensor, whh: Tensor, bhh: Tensor | null, reverse = false): GruResult {
  const [N, G] = [xp.shape[1]!, xp.shape[2]!];
  const H = G / 3;
  if (xp.ndim !== 3 || G % 3 !== 0 || whh.ndim !== 2 || whh.shape[0] !== G || whh.shape[1] !== H ||
    h0.ndim !== 2 || h0.shape[0] !== N || h0.shape[1] !== H || (bhh && (bhh.ndim !== 1 || bhh.shape[0] !== G))) {
    throw new Error(`gru: expected xp [L, N, 3H], h0 [N, H], whh [3H, H], bhh [3H] or null; got ${fmt(xp.shape)}, ${fmt(h0.shape)}, ${fmt(whh.shape)}, ${bhh ? fmt(bhh.shape) : 'null'}`);
  }
  return gruSeq(xp, h0, whh, bhh, reverse);
}

/**
 * The vector-Jacobian product of a composite, recorded (createGraph through a fused lstm or gru):
 * outs = the composite's outputs from inputs, gs their gradients. Each output's gradient is the
 * starting gradient of its own walk, so the walk never enters the graph that produced the
 * gradients (which leads back to the fused op).
 */
function replay(outs: Tensor[], inputs: Tensor[], gs: (Tensor | null)[]): (Tensor | null)[] {
  const want = inputs.map((t) => t.requiresGrad);
  const acc: (Tensor | null)[] = inputs.map(() => null);
  outs.forEach((o, k) => {
    const g = gs[k];
    if (!g || !o.requiresGrad) return;
    const got = runBackward(o, g, { createGraph: true }, inputs.filter((_, i) => want[i])) as (Tensor | null)[];
    let j = 0;
    want.forEach((w, i) => {
      if (!w) return;
      const gi = got[j++] ?? null;
      if (gi) acc[i] = acc[i] ? add(acc[i]!, gi) : gi;
    });
  });
  return acc;
}
