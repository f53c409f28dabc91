// MultiheadAttention and TransformerEncoderLayer as ONNX nodes: projections by MatMul on slices of
// in_proj_weight, heads by Reshape/Transpose, softmax(q·kᵀ·scale)·v, the out projection; no masks yet.

import type { Tensor } from '../../tensor/tensor.js';
import type { Module } from '../../nn/module.js';
import * as nn from '../../nn/index.js';
import { onnxDType, type GraphBuilder } from './builder.js';
import type { OnnxDType } from './proto.js';
import { LAYER_EXPORTERS, unsupported, type LayerCall, type LayerExporter } from './export-layers.js';

function param(m: Module, name: string): Tensor | null {
  for (const [k, p] of m.ownParameters()) if (k === name) return p;
  return null;
}

/** x · Wᵀ + b for a value x of rank ≥ 2, W and b given as value names. */
function project(b: GraphBuilder, p: string, x: string, w: string, bias: string | null): string {
  const y = b.op(p, 'MatMul', [x, b.op(p, 'Transpose', [w], { perm: [1, 0] })]);
  return bias ? b.op(p, 'Add', [y, bias]) : y;
}

/** The attention of time-major q [L, N, E], k, v [S, N, ·] → output [L, N, E] and, if asked, the weights. */
function attention(b: GraphBuilder, m: nn.MultiheadAttention, p: string, q0: string, k0: string, v0: string, L: number, S: number, weights: 'none' | 'avg' | 'heads', dt: OnnxDType): string[] {
  const E = m.embedDim, H = m.numHeads, hd = m.headDim;
  const slice = (t: string, i: number): string => b.op(p, 'Slice', [t, b.ints(p, [i * E]), b.ints(p, [(i + 1) * E]), b.ints(p, [0])]);
  const bp = param(m, 'in_proj_bias');
  const bias = bp ? b.param(bp, `${p}.in_proj_bias`) : null;
  const ws = param(m, 'in_proj_weight')
    ? [0, 1, 2].map((i) => slice(b.param(param(m, 'in_proj_weight')!, `${p}.in_proj_weight`), i))
    : ['q', 'k', 'v'].map((n) => b.param(param(m, `${n}_proj_weight`)!, `${p}.${n}_proj_weight`));
  const bs = [0, 1, 2].map((i) => (bias ? slice(bias, i) : null));
  const [q, k, v] = [q0, k0, v0].map((x, i) => project(b, p, x, ws[i]!, bs[i]!));
  // [T, N, E] → [N·H, T, hd]
  const heads = (t: string): string => b.op(p, 'Transpose', [b.op(p, 'Reshape', [t, b.ints(p, [0, -1, hd])])], { perm: [1, 0, 2] });
  const scores = b.op(p, 'MatMul', [b.op(p, 'Mul', [heads(q!), b.scalar(p, dt, 1 / Math.sqrt(hd))]), b.op(p, 'Transpose', [heads(k!)], { perm: [0, 2, 1] })]);
  const attn = b.op(p, 'Softmax', [scores], { axis: -1 });
  const out = b.op(p, 'MatMul', [attn, heads(v!)]);
  const merged = b.op(p, 'Reshape', [b.op(p, 'Transpose', [out], { perm: [1, 0, 2] }), b.ints(p, [0, -1, E])]);
  const op = m.outProj;
  const y = project(b, `${p}.out_proj`, merged, b.param(op.weight, `${p}.out_proj.weight`), op.bias ? b.param(op.bias, `${p}.out_proj.bias`) : null);
  if (weights === 'none') return [y];
  const w4 = b.op(p, 'Reshape', [attn, b.ints(p, [-1, H, L, S])]);
  if (weights === 'heads') return [y, w4];
  // ReduceMean takes its axes as an attribute up to opset 17, as an input from 18
  return [y, b.opset >= 18 ? b.op(p, 'ReduceMean', [w4, b.ints(p, [1])], { keepdims: 0 }) : b.op(p, 'ReduceMean', [w4], { axes: [1], keepdims: 0 })];
}

function checkNoMasks(p: string, m: Module, opts: Record<string, unknown> | undefined, keys: string[]): void {
  for (const k of keys) if (opts?.[k]) throw unsupported(p, m, `the '${k}' option is not exported yet (export without masks)`);
}

function multiheadAttention(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const a = m as nn.MultiheadAttention, p = call.path;
  const [query, key, value, opts] = call.args as [Tensor, Tensor, Tensor, Record<string, unknown> | undefined];
  checkNoMasks(p, m, opts, ['attnMask', 'keyPaddingMask', 'isCausal']);
  if (query.ndim !== 3) throw unsupported(p, m, 'unbatched input is not exported (give a batch dim)');
  const [qn, kn, vn] = [query, key, value].map((t) => b.valueOf(t)!) as [string, string, string];
  const tm = (x: string): string => (a.batchFirst ? b.op(p, 'Transpose', [x], { perm: [1, 0, 2] }) : x);
  const q0 = tm(qn), k0 = kn === qn ? q0 : tm(kn), v0 = vn === qn ? q0 : vn === kn ? k0 : tm(vn);
  const L = query.shape[a.batchFirst ? 1 : 0]!, S = key.shape[a.batchFirst ? 1 : 0]!;
  const need = (opts?.needWeights as boolean | undefined) ?? true;
  const avg = (opts?.averageAttnWeights as boolean | undefined) ?? true;
  const outs = attention(b, a, p, q0, k0, v0, L, S, !need ? 'none' : avg ? 'avg' : 'heads', onnxDType(query, p));
  outs[0] = a.batchFirst ? b.op(p, 'Transpose', [outs[0]!], { perm: [1, 0, 2] }) : outs[0]!;
  return outs;
}

function encoderLayer(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const t = m as nn.TransformerEncoderLayer, p = call.path;
  const src = call.args[0] as Tensor;
  checkNoMasks(p, m, call.args[1] as Record<string, unknown> | undefined, ['srcMask', 'srcKeyPaddingMask', 'isCausal']);
  if (src.ndim !== 3) throw unsupported(p, m, 'unbatched input is not exported (give a batch dim)');
  const act = t.options.activation ?? 'relu';
  if (typeof act === 'function') throw unsupported(p, m, 'a custom activation function has no ONNX mapping; use \'relu\' or \'gelu\'');
  const sub = (mod: Module, name: string, x: string): string =>
    LAYER_EXPORTERS.get(mod.constructor)!(b, mod, { path: `${p}.${name}`, inputs: [x], args: [src], out: null })[0]!;
  const a = t.selfAttn, bf = a.batchFirst;
  const L = src.shape[bf ? 1 : 0]!;
  const sa = (x: string): string => {
    const x0 = bf ? b.op(p, 'Transpose', [x], { perm: [1, 0, 2] }) : x;
    const y = attention(b, a, `${p}.self_attn`, x0, x0, x0, L, L, 'none', onnxDType(src, p))[0]!;
    return bf ? b.op(p, 'Transpose', [y], { perm: [1, 0, 2] }) : y;
  };
  const ff = (x: string): string => {
    const h = sub(t.linear1, 'linear1', x);
    const g = act === 'relu' ? b.op(p, 'Relu', [h]) : LAYER_EXPORTERS.get(nn.GELU)!(b, new nn.GELU(), { path: p, inputs: [h], args: [src], out: null })[0]!;
    return sub(t.linear2, 'linear2', g);
  };
  let x = call.inputs[0]!;
  if (t.normFirst) {
    x = b.op(p, 'Add', [x, sa(sub(t.norm1, 'norm1', x))]);
    x = b.op(p, 'Add', [x, ff(sub(t.norm2, 'norm2', x))]);
  } else {
    x = sub(t.norm1, 'norm1', b.op(p, 'Add', [x, sa(x)]));
    x = sub(t.norm2, 'norm2', b.op(p, 'Add', [x, ff(x)]));
  }
  return [x];
}

export const ATTENTION_EXPORTERS = new Map<Function, LayerExporter>([
  [nn.MultiheadAttention, multiheadAttention],
  [nn.TransformerEncoderLayer, encoderLayer],
]);
