// How each nn layer is written as ONNX nodes (opset 17, eval mode): Linear → Gemm/MatMul, Conv →
// Conv, pools, norms, activations, Dropout → Identity, Embedding → Gather, Flatten/Unflatten → Reshape.

import type { Tensor } from '../../tensor/tensor.js';
import type { Module } from '../../nn/module.js';
import * as nn from '../../nn/index.js';
import type { GraphBuilder } from './builder.js';
import { onnxDType } from './builder.js';

/** What a layer's exporter gets: its module path, its tensor inputs' value names, the call and its result. */
export interface LayerCall {
  path: string;
  inputs: string[];
  args: unknown[];
  out: unknown;
}

/** Writes one layer; returns the value names of its output tensors in order (see flattenTensors). */
export type LayerExporter = (b: GraphBuilder, m: Module, call: LayerCall) => string[];

export function unsupported(path: string, m: Module, what: string): Error {
  return new Error(`exportModel: module '${path || '(root)'}' (${m.constructor.name}): ${what}`);
}

function x0(call: LayerCall): Tensor {
  return call.args[0] as Tensor;
}

/** Runs `body` on a batched input: an unbatched one (ndim = batched − 1) gets a leading 1 and loses it after. */
function batched(b: GraphBuilder, call: LayerCall, batchedNdim: number, body: (x: string) => string): string[] {
  const x = x0(call);
  if (x.ndim === batchedNdim) return [body(call.inputs[0]!)];
  const axes = b.ints(call.path, [0]);
  const y = body(b.op(call.path, 'Unsqueeze', [call.inputs[0]!, axes]));
  return [b.op(call.path, 'Squeeze', [y, axes])];
}

const pair = (v: number | readonly number[] | null | undefined, d: number): number[] =>
  v == null ? [d, d] : typeof v === 'number' ? [v, v] : [v[0]!, v[1]!];
const one = (v: number | readonly number[] | null | undefined, d: number): number => (v == null ? d : typeof v === 'number' ? v : v[0]!);

function linear(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const l = m as nn.Linear;
  const w = b.param(l.weight, `${call.path}.weight`);
  const bias = l.bias ? b.param(l.bias, `${call.path}.bias`) : null;
  if (x0(call).ndim === 2) return [b.op(call.path, 'Gemm', bias ? [call.inputs[0]!, w, bias] : [call.inputs[0]!, w], { alpha: 1, beta: 1, transB: 1 })];
  // Any other rank: x · Wᵀ (+ b), as PyTorch's exporter writes it; the weight stays one initializer.
  const y = b.op(call.path, 'MatMul', [call.inputs[0]!, b.op(call.path, 'Transpose', [w], { perm: [1, 0] })]);
  return [bias ? b.op(call.path, 'Add', [y, bias]) : y];
}

/** Symmetric pads for 'same' (PyTorch puts the odd one at the end), 'valid' or explicit. */
function convPads(padding: number[] | number | 'same' | 'valid', kernel: number[], dilation: number[]): number[] {
  const n = kernel.length;
  if (padding === 'valid') return new Array<number>(2 * n).fill(0);
  if (padding === 'same') {
    const total = kernel.map((k, i) => dilation[i]! * (k - 1));
    return [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))];
  }
  const p = typeof padding === 'number' ? [padding] : padding;
  return [...p, ...p];
}

function conv(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const c = m as nn.Conv2d | nn.Conv1d;
  const two = m instanceof nn.Conv2d;
  const stride = two ? (c as nn.Conv2d).stride : [(c as nn.Conv1d).stride];
  const dilation = two ? (c as nn.Conv2d).dilation : [(c as nn.Conv1d).dilation];
  const padding = c.padding as number[] | number | 'same' | 'valid';
  const w = b.param(c.weight, `${call.path}.weight`);
  const ins = c.bias ? [w, b.param(c.bias, `${call.path}.bias`)] : [w];
  const pads = convPads(padding, c.kernelSize, [...dilation]);
  // A paddingMode other than zeros: ONNX Pad (reflect, edge, wrap) first, then an unpadded Conv.
  const mode = ({ zeros: null, reflect: 'reflect', replicate: 'edge', circular: b.opset >= 19 ? 'wrap' : undefined } as Record<string, string | null | undefined>)[c.paddingMode];
  if (mode === undefined) throw unsupported(call.path, m, `paddingMode '${c.paddingMode}' needs opset 19 (ONNX Pad mode 'wrap'), exporting at ${b.opset}`);
  const k = c.kernelSize.length;
  return batched(b, call, two ? 4 : 3, (x) => {
    const xp = mode ? b.op(call.path, 'Pad', [x, b.ints(call.path, [0, 0, ...pads.slice(0, k), 0, 0, ...pads.slice(k)])], { mode }) : x;
    return b.op(call.path, 'Conv', [xp, ...ins], {
      kernel_shape: c.kernelSize, strides: [...stride], pads: mode ? new Array<number>(2 * k).fill(0) : pads, dilations: [...dilation], group: c.groups,
    });
  });
}

function convTranspose(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const c = m as nn.ConvTranspose2d;
  const x = x0(call), y = call.out as Tensor;
  // outputPadding as the call used it (forward's outputSize may have chosen it).
  const op = [0, 1].map((i) => {
    const n = x.shape[x.ndim - 2 + i]!;
    const min = (n - 1) * c.stride[i]! - 2 * c.padding[i]! + c.dilation[i]! * (c.kernelSize[i]! - 1) + 1;
    return y.shape[y.ndim - 2 + i]! - min;
  });
  const w = b.param(c.weight, `${call.path}.weight`);
  const ins = c.bias ? [w, b.param(c.bias, `${call.path}.bias`)] : [w];
  return batched(b, call, 4, (xi) => b.op(call.path, 'ConvTranspose', [xi, ...ins], {
    kernel_shape: c.kernelSize, strides: [...c.stride], pads: [...c.padding, ...c.padding], dilations: [...c.dilation], group: c.groups,
    output_padding: op,
  }));
}

function maxPool(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const p = m as nn.MaxPool2d | nn.MaxPool1d;
  if (p.opts.returnIndices) throw unsupported(call.path, m, 'returnIndices has no ONNX mapping (ONNX indices count over the whole tensor)');
  const two = m instanceof nn.MaxPool2d;
  const k = two ? pair(p.kernelSize, 1) : [one(p.kernelSize, 1)];
  const s = two ? pair(p.opts.stride, 0) : [one(p.opts.stride, 0)];
  const stride = s.map((v, i) => v || k[i]!);
  const pad = two ? pair(p.opts.padding, 0) : [one(p.opts.padding, 0)];
  const dil = two ? pair(p.opts.dilation, 1) : [one(p.opts.dilation, 1)];
  return batched(b, call, two ? 4 : 3, (x) => b.op(call.path, 'MaxPool', [x], {
    kernel_shape: k, strides: stride, pads: [...pad, ...pad], dilations: dil, ceil_mode: p.opts.ceilMode ? 1 : 0,
  }));
}

function avgPool(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const p = m as nn.AvgPool2d | nn.AvgPool1d;
  const two = m instanceof nn.AvgPool2d;
  if (two && (p as nn.AvgPool2d).opts.divisorOverride != null) throw unsupported(call.path, m, 'divisorOverride has no ONNX mapping');
  const k = two ? pair(p.kernelSize, 1) : [one(p.kernelSize, 1)];
  const s = two ? pair(p.opts.stride, 0) : [one(p.opts.stride, 0)];
  const pad = two ? pair(p.opts.padding, 0) : [one(p.opts.padding, 0)];
  if (p.opts.ceilMode && pad.some((v) => v > 0)) throw unsupported(call.path, m, 'ceilMode with padding divides windows differently in ONNX; not exported');
  return batched(b, call, two ? 4 : 3, (x) => b.op(call.path, 'AveragePool', [x], {
    kernel_shape: k, strides: s.map((v, i) => v || k[i]!), pads: [...pad, ...pad],
    count_include_pad: p.opts.countIncludePad ?? true ? 1 : 0, ceil_mode: p.opts.ceilMode ? 1 : 0,
  }));
}

function adaptiveAvgPool(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const x = x0(call), y = call.out as Tensor;
  const [h, w] = x.shape.slice(-2) as [number, number];
  const [oh, ow] = y.shape.slice(-2) as [number, number];
  if (oh === 1 && ow === 1) return batched(b, call, 4, (xi) => b.op(call.path, 'GlobalAveragePool', [xi]));
  if (h % oh !== 0 || w % ow !== 0) throw unsupported(call.path, m, `output ${oh}×${ow} does not divide the input ${h}×${w}; only even windows map to AveragePool`);
  const k = [h / oh, w / ow];
  return batched(b, call, 4, (xi) => b.op(call.path, 'AveragePool', [xi], { kernel_shape: k, strides: k }));
}

function batchNorm(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const n = m as nn.BatchNorm2d;
  if (!n.trackRunningStats) throw unsupported(call.path, m, 'without running statistics it normalises with batch statistics in eval mode, which ONNX BatchNormalization does not');
  const dt = onnxDType(n.getBuffer('running_mean')!, call.path);
  const C = n.numFeatures;
  const scale = n.weight ? b.param(n.weight, `${call.path}.weight`) : b.constant(call.path, dt, [C], new Array<number>(C).fill(1));
  const bias = n.bias ? b.param(n.bias, `${call.path}.bias`) : b.constant(call.path, dt, [C], new Array<number>(C).fill(0));
  const mean = b.param(n.getBuffer('running_mean')!, `${call.path}.running_mean`);
  const v = b.param(n.getBuffer('running_var')!, `${call.path}.running_var`);
  return [b.op(call.path, 'BatchNormalization', [call.inputs[0]!, scale, bias, mean, v], { epsilon: n.eps, momentum: 1 - (n.momentum ?? 0.1) })];
}

function layerNorm(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const n = m as nn.LayerNorm;
  const dt = onnxDType(x0(call), call.path);
  const size = n.normalizedShape.reduce((a, c) => a * c, 1);
  const scale = n.weight ? b.param(n.weight, `${call.path}.weight`) : b.constant(call.path, dt, n.normalizedShape, new Array<number>(size).fill(1));
  const ins = [call.inputs[0]!, scale, ...(n.bias ? [b.param(n.bias, `${call.path}.bias`)] : [])];
  return [b.op(call.path, 'LayerNormalization', ins, { axis: -n.normalizedShape.length, epsilon: n.eps })];
}

/** As PyTorch exports it: [N, G, rest] through InstanceNormalization, back to the input's shape, then the affine per channel. */
function groupNorm(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const n = m as nn.GroupNorm, x = x0(call), p = call.path;
  const dt = onnxDType(x, p);
  const G = n.numGroups;
  const g = b.op(p, 'Reshape', [call.inputs[0]!, b.ints(p, [0, G, -1])]);
  const inorm = b.op(p, 'InstanceNormalization', [g, b.constant(p, dt, [G], new Array<number>(G).fill(1)), b.constant(p, dt, [G], new Array<number>(G).fill(0))], { epsilon: n.eps });
  let y = b.op(p, 'Reshape', [inorm, b.op(p, 'Shape', [call.inputs[0]!])]);
  const chan = [n.numChannels, ...new Array<number>(x.ndim - 2).fill(1)];
  if (n.weight) y = b.op(p, 'Mul', [y, b.op(p, 'Reshape', [b.param(n.weight, `${p}.weight`), b.ints(p, chan)])]);
  if (n.bias) y = b.op(p, 'Add', [y, b.op(p, 'Reshape', [b.param(n.bias, `${p}.bias`), b.ints(p, chan)])]);
  return [y];
}

function gelu(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const p = call.path, x = call.inputs[0]!, dt = onnxDType(x0(call), p);
  const c = (v: number): string => b.scalar(p, dt, v);
  if ((m as nn.GELU).approximate === 'tanh') {
    const cube = b.op(p, 'Mul', [b.op(p, 'Mul', [x, x]), x]);
    const inner = b.op(p, 'Mul', [b.op(p, 'Add', [x, b.op(p, 'Mul', [cube, c(0.044715)])]), c(Math.sqrt(2 / Math.PI))]);
    return [b.op(p, 'Mul', [b.op(p, 'Mul', [x, c(0.5)]), b.op(p, 'Add', [b.op(p, 'Tanh', [inner]), c(1)])])];
  }
  const erf = b.op(p, 'Erf', [b.op(p, 'Mul', [x, c(Math.SQRT1_2)])]);
  return [b.op(p, 'Mul', [b.op(p, 'Mul', [x, c(0.5)]), b.op(p, 'Add', [erf, c(1)])])];
}

function softplus(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const s = m as nn.Softplus, p = call.path, x = call.inputs[0]!, dt = onnxDType(x0(call), p);
  const bx = s.beta === 1 ? x : b.op(p, 'Mul', [x, b.scalar(p, dt, s.beta)]);
  let soft = b.op(p, 'Softplus', [bx]);
  if (s.beta !== 1) soft = b.op(p, 'Div', [soft, b.scalar(p, dt, s.beta)]);
  return [b.op(p, 'Where', [b.op(p, 'Greater', [bx, b.scalar(p, dt, s.threshold)]), x, soft])];
}

const implicitDim = (nd: number): number => (nd === 0 || nd === 1 || nd === 3 ? 0 : 1);

function softmaxLike(op: 'Softmax' | 'LogSoftmax'): LayerExporter {
  return (b, m, call) => {
    const d = (m as nn.Softmax).dim ?? implicitDim(x0(call).ndim);
    return [b.op(call.path, op, [call.inputs[0]!], { axis: d })];
  };
}

function flatten(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const f = m as nn.Flatten, x = x0(call), nd = Math.max(x.ndim, 1);
  const s = f.startDim < 0 ? f.startDim + nd : f.startDim, e = f.endDim < 0 ? f.endDim + nd : f.endDim;
  if (s === 1 && e === nd - 1) return [b.op(call.path, 'Flatten', [call.inputs[0]!], { axis: 1 })];
  const shape = [...new Array<number>(s).fill(0), -1, ...x.shape.slice(e + 1)];
  return [b.op(call.path, 'Reshape', [call.inputs[0]!, b.ints(call.path, shape)])];
}

function unflatten(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const u = m as nn.Unflatten, x = x0(call);
  const d = u.dim < 0 ? u.dim + x.ndim : u.dim;
  const shape = [...new Array<number>(d).fill(0), ...u.unflattenedSize, ...x.shape.slice(d + 1)];
  return [b.op(call.path, 'Reshape', [call.inputs[0]!, b.ints(call.path, shape)])];
}

function embedding(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const e = m as nn.Embedding;
  return [b.op(call.path, 'Gather', [b.param(e.weight, `${call.path}.weight`), call.inputs[0]!], { axis: 0 })];
}

const simple = (op: string, attrs: (m: Module) => Record<string, number> = () => ({})): LayerExporter =>
  (b, m, call) => [b.op(call.path, op, [call.inputs[0]!], attrs(m))];

/** The exporters of the plain layers, by exact class (a subclass with its own forward is traced instead). */
export const LAYER_EXPORTERS = new Map<Function, LayerExporter>([
  [nn.Linear, linear],
  [nn.Conv1d, conv],
  [nn.Conv2d, conv],
  [nn.ConvTranspose2d, convTranspose],
  [nn.MaxPool1d, maxPool],
  [nn.MaxPool2d, maxPool],
  [nn.AvgPool1d, avgPool],
  [nn.AvgPool2d, avgPool],
  [nn.AdaptiveAvgPool2d, adaptiveAvgPool],
  [nn.BatchNorm1d, batchNorm],
  [nn.BatchNorm2d, batchNorm],
  [nn.LayerNorm, layerNorm],
  [nn.GroupNorm, groupNorm],
  [nn.ReLU, simple('Relu')],
  [nn.LeakyReLU, simple('LeakyRelu', (m) => ({ alpha: (m as nn.LeakyReLU).negativeSlope }))],
  [nn.ELU, simple('Elu', (m) => ({ alpha: (m as nn.ELU).alpha }))],
  [nn.GELU, gelu],
  [nn.SiLU, (b, _m, call) => [b.op(call.path, 'Mul', [call.inputs[0]!, b.op(call.path, 'Sigmoid', [call.inputs[0]!])])]],
  [nn.Sigmoid, simple('Sigmoid')],
  [nn.Tanh, simple('Tanh')],
  [nn.Softplus, softplus],
  [nn.Softmax, softmaxLike('Softmax')],
  [nn.LogSoftmax, softmaxLike('LogSoftmax')],
  [nn.Dropout, simple('Identity')],
  [nn.Dropout2d, simple('Identity')],
  [nn.Identity, simple('Identity')],
  [nn.Flatten, flatten],
  [nn.Unflatten, unflatten],
  [nn.Embedding, embedding],
]);
