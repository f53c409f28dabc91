// nn.RNN/LSTM/GRU as ONNX's own RNN/LSTM/GRU operators, one node per layer (both directions in
// one), with PyTorch's gate order rewritten to ONNX's (LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h).

import type { Tensor } from '../../tensor/tensor.js';
import type { Module, Parameter } from '../../nn/module.js';
import * as nn from '../../nn/index.js';
import type { GraphBuilder } from './builder.js';
import { onnxDType } from './builder.js';
import { unsupported, type LayerCall, type LayerExporter } from './export-layers.js';

/** ONNX gate block i takes PyTorch's block ORDER[i]. */
export const GATE_ORDER = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2], RNN: [0] } as const;
export type RnnKind = keyof typeof GATE_ORDER;

/** Rows of a [G·H, cols] matrix (or [G·H] vector) regrouped by gate blocks. */
export function reorderGates(data: ArrayLike<number>, H: number, cols: number, order: readonly number[], out: Float32Array | Float64Array, at: number): void {
  const block = H * cols;
  order.forEach((src, dst) => {
    for (let i = 0; i < block; i++) out[at + dst * block + i] = data[src * block + i]!;
  });
}

function kindOf(m: Module): RnnKind {
  return m instanceof nn.LSTM ? 'LSTM' : m instanceof nn.GRU ? 'GRU' : 'RNN';
}

function rnn(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const r = m as nn.RNNBase, p = call.path;
  const kind = kindOf(m);
  const x = call.args[0] as Tensor;
  if (x.ndim !== 3) throw unsupported(p, m, `unbatched input ${JSON.stringify(x.shape)} is not exported (give a batch dim)`);
  const dt = onnxDType(x, p);
  const D = r.bidirectional ? 2 : 1, H = r.hiddenSize, G = GATE_ORDER[kind].length;
  const params = new Map<string, Parameter>(r.ownParameters());
  // initial states, if the call passed them
  const hx = call.args[1] as Tensor | readonly [Tensor, Tensor] | null | undefined;
  const names = call.inputs.slice(1);
  const h0 = hx ? names[0] : undefined, c0 = hx && kind === 'LSTM' ? names[1] : undefined;
  let cur = r.batchFirst ? b.op(p, 'Transpose', [call.inputs[0]!], { perm: [1, 0, 2] }) : call.inputs[0]!;
  const hs: string[] = [], cs: string[] = [];
  for (let l = 0; l < r.numLayers; l++) {
    const inSize = l === 0 ? r.inputSize : H * D;
    const Arr = dt === 'float64' ? Float64Array : Float32Array;
    const W = new Arr(D * G * H * inSize), R = new Arr(D * G * H * H), B = new Arr(D * 2 * G * H);
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      const get = (n: string): ArrayLike<number> | null => params.get(n + sfx)?.dataSync() ?? null;
      reorderGates(get('weight_ih')!, H, inSize, GATE_ORDER[kind], W, d * G * H * inSize);
      reorderGates(get('weight_hh')!, H, H, GATE_ORDER[kind], R, d * G * H * H);
      const bih = get('bias_ih'), bhh = get('bias_hh');
      if (bih) reorderGates(bih, H, 1, GATE_ORDER[kind], B, d * 2 * G * H);
      if (bhh) reorderGates(bhh, H, 1, GATE_ORDER[kind], B, d * 2 * G * H + G * H);
    }
    const ins = [
      cur,
      b.derived(`${p}.W_l${l}`, dt, [D, G * H, inSize], W),
      b.derived(`${p}.R_l${l}`, dt, [D, G * H, H], R),
      r.bias ? b.derived(`${p}.B_l${l}`, dt, [D, 2 * G * H], B) : '',
      '', // sequence_lens: every sequence runs its full length
    ];
    const slice = (s: string): string => b.op(p, 'Slice', [s, b.ints(p, [l * D]), b.ints(p, [(l + 1) * D]), b.ints(p, [0])]);
    if (h0 || c0) ins.push(h0 ? (r.numLayers > 1 ? slice(h0) : h0) : '');
    if (c0) ins.push(r.numLayers > 1 ? slice(c0) : c0);
    while (ins.at(-1) === '') ins.pop();
    const attrs: Record<string, number | string | string[]> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward' };
    if (kind === 'GRU') attrs.linear_before_reset = 1;
    if (kind === 'RNN') attrs.activations = new Array<string>(D).fill((m as nn.RNN).nonlinearity === 'relu' ? 'Relu' : 'Tanh');
    const outs = b.node(p, kind, ins, attrs, kind === 'LSTM' ? 3 : 2);
    // Y [L, D, N, H] → [L, N, D·H]
    cur = b.op(p, 'Reshape', [b.op(p, 'Transpose', [outs[0]!], { perm: [0, 2, 1, 3] }), b.ints(p, [0, 0, -1])]);
    hs.push(outs[1]!);
    if (kind === 'LSTM') cs.push(outs[2]!);
  }
  const output = r.batchFirst ? b.op(p, 'Transpose', [cur], { perm: [1, 0, 2] }) : cur;
  const cat = (v: string[]): string => (v.length === 1 ? b.op(p, 'Identity', [v[0]!]) : b.op(p, 'Concat', v, { axis: 0 }));
  return kind === 'LSTM' ? [output, cat(hs), cat(cs)] : [output, cat(hs)];
}

export const RNN_EXPORTERS = new Map<Function, LayerExporter>([
  [nn.RNN, rnn],
  [nn.LSTM, rnn],
  [nn.GRU, rnn],
]);
