// Imported ONNX LSTM/GRU/RNN: the weights regrouped into PyTorch's gate order with differentiable
// slices (so gradients reach the ONNX-layout parameters) and run on nabla's lstm/gru recurrences.

import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { scope } from '../../tensor/memory.js';
import * as E from '../../ops/elementwise.js';
import { linear, matmulT } from '../../ops/linalg.js';
import { cat, narrow, select, stack, unsqueeze } from '../../ops/shape.js';
import { gru, lstm } from '../../ops/recurrent.js';
import { GATE_ORDER, type RnnKind } from './export-rnn.js';
import { attr, attrInt, attrString, fmtDims, intsIn, tensorIn, type OpContext, type OpDef, type Value } from './import-values.js';

const DEFAULT_ACTS: Record<RnnKind, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };

/** The [G·H, …] rows of an ONNX weight in PyTorch's gate order. */
function torchOrder(w: Tensor, H: number, kind: RnnKind): Tensor {
  const order = GATE_ORDER[kind];
  if (order.length === 1) return w;
  const blocks = order.map((_, torchGate) => narrow(w, 0, order.indexOf(torchGate as never) * H, H));
  return cat(blocks, 0);
}

function checkAttrs(ctx: OpContext, kind: RnnKind, D: number): string {
  if (attr(ctx, 'clip')) throw new Error(`${ctx.where}: clip is not supported`);
  if (attrInt(ctx, 'input_forget', 0) !== 0) throw new Error(`${ctx.where}: input_forget=1 is not supported`);
  if (attrInt(ctx, 'layout', 0) !== 0) throw new Error(`${ctx.where}: layout=1 (batch first) is not supported`);
  if (kind === 'GRU' && attrInt(ctx, 'linear_before_reset', 0) !== 1) {
    throw new Error(`${ctx.where}: linear_before_reset=0 computes the reset gate differently from PyTorch's GRU and is not supported`);
  }
  const a = attr(ctx, 'activations');
  const acts = a?.type === 'strings' ? a.value : null;
  const per = DEFAULT_ACTS[kind].length;
  let nonlin = 'Tanh';
  if (acts) {
    if (acts.length !== per * D) throw new Error(`${ctx.where}: activations ${JSON.stringify(acts)} must list ${per * D} functions`);
    for (let d = 0; d < D; d++) {
      const mine = acts.slice(d * per, (d + 1) * per);
      if (kind === 'RNN') {
        if (mine[0] !== 'Tanh' && mine[0] !== 'Relu') throw new Error(`${ctx.where}: RNN activation '${mine[0]}' is not supported (Tanh or Relu)`);
        if (d > 0 && mine[0] !== nonlin) throw new Error(`${ctx.where}: both directions must use the same activation`);
        nonlin = mine[0]!;
      } else if (mine.some((f, i) => f !== DEFAULT_ACTS[kind][i])) {
        throw new Error(`${ctx.where}: activations ${JSON.stringify(mine)} differ from ${kind}'s standard ${JSON.stringify(DEFAULT_ACTS[kind])}`);
      }
    }
  }
  return nonlin;
}

function recurrent(kind: RnnKind): OpDef {
  return {
    attrs: ['hidden_size', 'direction', 'activations', 'activation_alpha', 'activation_beta', 'clip', 'input_forget', 'layout', 'linear_before_reset'],
    run: (ctx: OpContext, inputs: (Value | null)[]) => {
      const x = tensorIn(ctx, inputs, 0, 'X'), W = tensorIn(ctx, inputs, 1, 'W'), R = tensorIn(ctx, inputs, 2, 'R');
      const dir = attrString(ctx, 'direction', 'forward');
      if (dir !== 'forward' && dir !== 'reverse' && dir !== 'bidirectional') throw new Error(`${ctx.where}: direction '${dir}' is not one of forward, reverse, bidirectional`);
      const D = dir === 'bidirectional' ? 2 : 1, G = GATE_ORDER[kind].length;
      const H = attrInt(ctx, 'hidden_size', R.shape[2] ?? 0);
      const nonlin = checkAttrs(ctx, kind, D);
      if (x.ndim !== 3) throw new Error(`${ctx.where}: X must be [seq, batch, input], got ${fmtDims(x.shape)}`);
      const [L, N, I] = x.shape as [number, number, number];
      const want = (t: Tensor, s: number[], what: string): void => {
        if (t.ndim !== s.length || t.shape.some((d, i) => d !== s[i])) throw new Error(`${ctx.where}: ${what} must be ${fmtDims(s)}, got ${fmtDims(t.shape)}`);
      };
      want(W, [D, G * H, I], 'W');
      want(R, [D, G * H, H], 'R');
      const B = inputs[3] ? tensorIn(ctx, inputs, 3, 'B') : null;
      if (B) want(B, [D, 2 * G * H], 'B');
      if (inputs[4]) {
        const lens = intsIn(ctx, inputs, 4, 'sequence_lens').data;
        if (lens.some((v) => v !== L)) throw new Error(`${ctx.where}: sequence_lens ${fmtDims(lens)} shorter than the sequence (${L}) are not supported`);
      }
      const h0 = inputs[5] ? tensorIn(ctx, inputs, 5, 'initial_h') : null;
      const c0 = kind === 'LSTM' && inputs[6] ? tensorIn(ctx, inputs, 6, 'initial_c') : null;
      if (h0) want(h0, [D, N, H], 'initial_h');
      if (c0) want(c0, [D, N, H], 'initial_c');
      if (kind === 'LSTM' && inputs[7]) throw new Error(`${ctx.where}: peephole weights (P) are not supported`);
      const ys: Tensor[] = [], hs: Tensor[] = [], cs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const reverse = dir === 'reverse' || d === 1;
        const wih = torchOrder(select(W, 0, d), H, kind), whh = torchOrder(select(R, 0, d), H, kind);
        const bd = B ? select(B, 0, d) : null;
        const bih = bd ? torchOrder(narrow(bd, 0, 0, G * H), H, kind) : null;
        const bhh = bd ? torchOrder(narrow(bd, 0, G * H, G * H), H, kind) : null;
        const h = h0 ? select(h0, 0, d) : zeros([N, H], { dtype: x.dtype });
        if (kind === 'LSTM') {
          const c = c0 ? select(c0, 0, d) : zeros([N, H], { dtype: x.dtype });
          const r = lstm(linear(x, wih, bih && bhh ? E.add(bih, bhh) : null), h, c, whh, reverse);
          ys.push(r.output); hs.push(r.h); cs.push(r.c);
        } else if (kind === 'GRU') {
          const r = gru(linear(x, wih, bih), h, whh, bhh, reverse);
          ys.push(r.output); hs.push(r.h);
        } else {
          const r = elman(linear(x, wih, bih && bhh ? E.add(bih, bhh) : null), h, whh, reverse, nonlin === 'Relu');
          ys.push(r.output); hs.push(r.h);
        }
      }
      const Y = D === 1 ? unsqueeze(ys[0]!, 1) : cat(ys.map((y) => unsqueeze(y, 1)), 1);
      const outs: Value[] = [Y, stack(hs, 0)];
      if (kind === 'LSTM') outs.push(stack(cs, 0));
      return outs;
    },
  };
}

/** h_t = act(xp_t + h_{t−1}·Rᵀ) over xp [L, N, H]. */
function elman(xp: Tensor, h0: Tensor, whh: Tensor, reverse: boolean, relu: boolean): { output: Tensor; h: Tensor } {
  const L = xp.shape[0]!;
  const outs = new Array<Tensor>(L);
  let h = h0;
  for (let s = 0; s < L; s++) {
    const t = reverse ? L - 1 - s : s;
    h = scope(() => {
      const z = E.add(select(xp, 0, t), matmulT(h, whh, false, true));
      return relu ? E.relu(z) : E.tanh(z);
    });
    outs[t] = h;
  }
  return { output: L ? stack(outs, 0) : zeros([0, ...h0.shape], { dtype: xp.dtype }), h };
}

export const RNN_OPS: Record<string, OpDef> = { LSTM: recurrent('LSTM'), GRU: recurrent('GRU'), RNN: recurrent('RNN') };
