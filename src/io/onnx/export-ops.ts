// How each op a forward calls directly (F.*, nb.*, tensor methods) is written as ONNX nodes, for the
// op-level tracer in export.ts: elementwise math, activations, linear/matmul, conv, pools, reductions, shapes.

import { Tensor } from '../../tensor/tensor.js';
import type { GraphBuilder } from './builder.js';
import { onnxDType } from './builder.js';
import { dtypeCode, type OnnxDType } from './proto.js';
import { scaledDotProductAttention } from './export-sdpa.js';

/** One op call seen by the tracer: the module path whose forward called it, the call, and how to name a tensor. */
export interface OpCall {
  op: string;
  path: string;
  args: readonly unknown[];
  outputs: readonly Tensor[];
  /** the graph value of a tensor argument (bound, a parameter, or a constant) */
  val: (t: Tensor) => string;
}

/** Writes one op; returns the value names of its output tensors in order. */
export type OpExporter = (b: GraphBuilder, c: OpCall) => string[];

export function opError(c: OpCall, what: string): Error {
  return new Error(`exportModel: op '${c.op}' in the forward of '${c.path || '(root)'}': ${what}`);
}

const dtOf = (t: Tensor, c: OpCall): OnnxDType => onnxDType(t, `op '${c.op}' in '${c.path || '(root)'}'`);

/** The value of args[i] in dtype dt: a tensor (cast if its dtype differs) or a number as a scalar constant. */
function operand(b: GraphBuilder, c: OpCall, v: unknown, dt: OnnxDType): string {
  if (v instanceof Tensor) {
    const name = c.val(v);
    return dtOf(v, c) === dt ? name : b.op(c.path, 'Cast', [name], { to: dtypeCode(dt) });
  }
  if (typeof v === 'number' || typeof v === 'boolean') return b.scalar(c.path, dt, Number(v));
  throw opError(c, `an argument of type ${v === null ? 'null' : typeof v} has no ONNX mapping`);
}

const x0 = (c: OpCall): Tensor => c.args[0] as Tensor;
const out0 = (c: OpCall): Tensor => c.outputs[0]!;
/** The first argument in the output's dtype. */
const xin = (b: GraphBuilder, c: OpCall): string => operand(b, c, c.args[0], dtOf(out0(c), c));

const unary = (op: string): OpExporter => (b, c) => [b.op(c.path, op, [xin(b, c)])];

const BINARY: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow', maximum: 'Max', minimum: 'Min' };
const COMPARE: Record<string, string> = { eq: 'Equal', lt: 'Less', gt: 'Greater', le: 'LessOrEqual', ge: 'GreaterOrEqual', logicalAnd: 'And', logicalOr: 'Or' };

function binary(op: string): OpExporter {
  return (b, c) => {
    const [a, y, opts] = c.args as [unknown, unknown, { alpha?: number } | undefined];
    const dt = dtOf(out0(c), c);
    let B = operand(b, c, y, dt);
    if (opts?.alpha !== undefined && opts.alpha !== 1) B = b.op(c.path, 'Mul', [B, b.scalar(c.path, dt, opts.alpha)]);
    return [b.op(c.path, BINARY[op]!, [operand(b, c, a, dt), B])];
  };
}

function compare(op: string): OpExporter {
  return (b, c) => {
    const ts = c.args.slice(0, 2).filter((v): v is Tensor => v instanceof Tensor);
    const logical = op === 'logicalAnd' || op === 'logicalOr';
    // the dtype both sides are compared in: the first floating tensor's, else the first tensor's
    const dt: OnnxDType = logical ? 'bool' : dtOf(ts.find((t) => t.dtype === 'float32' || t.dtype === 'float64') ?? ts[0]!, c);
    return [b.op(c.path, COMPARE[op]!, [operand(b, c, c.args[0], dt), operand(b, c, c.args[1], dt)])];
  };
}

function where(b: GraphBuilder, c: OpCall): string[] {
  const dt = dtOf(out0(c), c);
  return [b.op(c.path, 'Where', [operand(b, c, c.args[0], 'bool'), operand(b, c, c.args[1], dt), operand(b, c, c.args[2], dt)])];
}

function gelu(b: GraphBuilder, c: OpCall): string[] {
  const p = c.path, x = xin(b, c), dt = dtOf(out0(c), c);
  const k = (v: number): string => b.scalar(p, dt, v);
  const approx = (c.args[1] as { approximate?: string } | undefined)?.approximate ?? 'none';
  if (approx === 'tanh') {
    const cube = b.op(p, 'Mul', [b.op(p, 'Mul', [x, x]), x]);
    const inner = b.op(p, 'Mul', [b.op(p, 'Add', [x, b.op(p, 'Mul', [cube, k(0.044715)])]), k(Math.sqrt(2 / Math.PI))]);
    return [b.op(p, 'Mul', [b.op(p, 'Mul', [x, k(0.5)]), b.op(p, 'Add', [b.op(p, 'Tanh', [inner]), k(1)])])];
  }
  const erf = b.op(p, 'Erf', [b.op(p, 'Mul', [x, k(Math.SQRT1_2)])]);
  return [b.op(p, 'Mul', [b.op(p, 'Mul', [x, k(0.5)]), b.op(p, 'Add', [erf, k(1)])])];
}

/** causalSoftmax(scores [..., L, S]): Softmax of the scores plus the causal mask (-inf where j > i) as a constant. */
function causalSoftmax(b: GraphBuilder, c: OpCall): string[] {
  const x = x0(c), L = x.shape[x.ndim - 2]!, S = x.shape[x.ndim - 1]!;
  const mask = Array.from({ length: L * S }, (_, i) => (i % S > Math.floor(i / S) ? -Infinity : 0));
  const masked = b.op(c.path, 'Add', [xin(b, c), b.constant(c.path, dtOf(out0(c), c), [L, S], mask)]);
  return [b.op(c.path, 'Softmax', [masked], { axis: -1 })];
}

/** layerNormRows(x, k, weight, bias, eps) (F.layerNorm): LayerNormalization over the trailing k dims. */
function layerNormRows(b: GraphBuilder, c: OpCall): string[] {
  const [x, k, w, bias, eps] = c.args as [Tensor, number, Tensor | null, Tensor | null, number];
  const shape = x.shape.slice(x.ndim - k);
  const scale = w ? c.val(w) : b.constant(c.path, dtOf(out0(c), c), shape, new Array<number>(shape.reduce((a, d) => a * d, 1)).fill(1));
  return [b.op(c.path, 'LayerNormalization', [xin(b, c), scale, ...(bias ? [c.val(bias)] : [])], { axis: -k, epsilon: eps })];
}

/**
 * batchNormTrain(x, weight, bias, dims, eps) (F.batchNorm with the batch's statistics: training, or no running
 * statistics): the statistics written out — mean and biased variance over dims — then (x − mean)/√(var + eps)·w + b;
 * its outputs are [y, mean, var].
 */
function batchNormTrain(b: GraphBuilder, c: OpCall): string[] {
  const [x, w, bias, dims, eps] = c.args as [Tensor, Tensor | null | undefined, Tensor | null | undefined, number[], number];
  const p = c.path, dt = dtOf(out0(c), c), X = xin(b, c);
  const meanOf = (v: string) => (b.opset >= 18 ? b.op(p, 'ReduceMean', [v, b.ints(p, dims)], { keepdims: 1 }) : b.op(p, 'ReduceMean', [v], { axes: dims, keepdims: 1 }));
  const mean = meanOf(X), xc = b.op(p, 'Sub', [X, mean]);
  const v = meanOf(b.op(p, 'Mul', [xc, xc]));
  let y = b.op(p, 'Mul', [xc, b.op(p, 'Reciprocal', [b.op(p, 'Sqrt', [b.op(p, 'Add', [v, b.scalar(p, dt, eps)])])])]);
  const cshape = [1, x.shape[1]!, ...Array<number>(x.ndim - 2).fill(1)];
  if (w) y = b.op(p, 'Mul', [y, b.op(p, 'Reshape', [c.val(w), b.ints(p, cshape)])]);
  if (bias) y = b.op(p, 'Add', [y, b.op(p, 'Reshape', [c.val(bias), b.ints(p, cshape)])]);
  return [y, mean, v];
}

function softplus(b: GraphBuilder, c: OpCall): string[] {
  const p = c.path, x = xin(b, c), dt = dtOf(out0(c), c);
  const o = (c.args[1] ?? {}) as { beta?: number; threshold?: number };
  const beta = o.beta ?? 1, threshold = o.threshold ?? 20;
  const bx = beta === 1 ? x : b.op(p, 'Mul', [x, b.scalar(p, dt, beta)]);
  let soft = b.op(p, 'Softplus', [bx]);
  if (beta !== 1) soft = b.op(p, 'Div', [soft, b.scalar(p, dt, beta)]);
  return [b.op(p, 'Where', [b.op(p, 'Greater', [bx, b.scalar(p, dt, threshold)]), x, soft])];
}

function dropout(b: GraphBuilder, c: OpCall): string[] {
  const [, p = 0.5, training = true] = c.args as [Tensor, number?, boolean?];
  if (training && p > 0) throw opError(c, `dropout with training=true (p=${p}) is random; call it with the module's this.training, which export sets to false`);
  return [b.op(c.path, 'Identity', [c.val(x0(c))])];
}

function clamp(b: GraphBuilder, c: OpCall): string[] {
  const dt = dtOf(out0(c), c);
  const [, lo, hi] = c.args as [Tensor, number | null | undefined, number | null | undefined];
  const bound = (v: number | null | undefined): string => (v == null ? '' : b.scalar(c.path, dt, v));
  const ins = [xin(b, c), bound(lo), bound(hi)];
  while (ins.at(-1) === '') ins.pop();
  return [b.op(c.path, 'Clip', ins)];
}

function linear(b: GraphBuilder, c: OpCall): string[] {
  const [x, w, bias] = c.args as [Tensor, Tensor, Tensor | null | undefined];
  const p = c.path, X = c.val(x), W = c.val(w), B = bias ? c.val(bias) : null;
  if (x.ndim === 2) return [b.op(p, 'Gemm', B ? [X, W, B] : [X, W], { alpha: 1, beta: 1, transB: 1 })];
  const y = b.op(p, 'MatMul', [X, b.op(p, 'Transpose', [W], { perm: [1, 0] })]);
  return [B ? b.op(p, 'Add', [y, B]) : y];
}

type Pair = number | readonly number[] | null | undefined;
const many = (v: Pair, n: number, d: number): number[] => (v == null ? new Array<number>(n).fill(d) : typeof v === 'number' ? new Array<number>(n).fill(v) : [...v]);

/** Runs body on an input with a batch dim: an unbatched one gets a leading 1 and loses it after. */
function batched(b: GraphBuilder, c: OpCall, batchedNdim: number, body: (x: string) => string): string[] {
  const x = c.val(x0(c));
  if (x0(c).ndim === batchedNdim) return [body(x)];
  const axes = b.ints(c.path, [0]);
  return [b.op(c.path, 'Squeeze', [body(b.op(c.path, 'Unsqueeze', [x, axes])), axes])];
}

function conv(n: number): OpExporter {
  return (b, c) => {
    const [, w, bias, o = {}] = c.args as [Tensor, Tensor, Tensor | null | undefined, { stride?: Pair; padding?: Pair | 'same' | 'valid'; dilation?: Pair; groups?: number }];
    const k = w.shape.slice(2), dil = many(o.dilation, n, 1);
    let pads: number[];
    if (o.padding === 'valid') pads = new Array<number>(2 * n).fill(0);
    else if (o.padding === 'same') {
      const total = k.map((kk, i) => dil[i]! * (kk - 1));
      pads = [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))];
    } else {
      const pp = many(o.padding as Pair, n, 0);
      pads = [...pp, ...pp];
    }
    const ins = bias ? [c.val(w), c.val(bias)] : [c.val(w)];
    return batched(b, c, n + 2, (x) => b.op(c.path, 'Conv', [x, ...ins], {
      kernel_shape: k, strides: many(o.stride, n, 1), pads, dilations: dil, group: o.groups ?? 1,
    }));
  };
}

function convTranspose(n: number): OpExporter {
  return (b, c) => {
    const [x, w, bias, o = {}] = c.args as [Tensor, Tensor, Tensor | null | undefined, { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number }];
    const y = out0(c), k = w.shape.slice(2), s = many(o.stride, n, 1), pad = many(o.padding, n, 0), dil = many(o.dilation, n, 1);
    // output_padding as the call made the output (the same numbers the call's outputPadding gave)
    const op = k.map((_, i) => y.shape[y.ndim - n + i]! - ((x.shape[x.ndim - n + i]! - 1) * s[i]! - 2 * pad[i]! + dil[i]! * (k[i]! - 1) + 1));
    const ins = bias ? [c.val(w), c.val(bias)] : [c.val(w)];
    return batched(b, c, n + 2, (xi) => b.op(c.path, 'ConvTranspose', [xi, ...ins], {
      kernel_shape: k, strides: s, pads: [...pad, ...pad], dilations: dil, group: o.groups ?? 1, output_padding: op,
    }));
  };
}

function pool(n: number, max: boolean): OpExporter {
  return (b, c) => {
    const [, ks, o = {}] = c.args as [Tensor, Pair, { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }];
    const k = many(ks, n, 1), s = many(o.stride, n, 0).map((v, i) => v || k[i]!), pad = many(o.padding, n, 0);
    if (!max && o.divisorOverride != null) throw opError(c, 'divisorOverride has no ONNX mapping');
    if (!max && o.ceilMode && pad.some((v) => v > 0)) throw opError(c, 'ceilMode with padding divides windows differently in ONNX; not exported');
    const attrs = max
      ? { kernel_shape: k, strides: s, pads: [...pad, ...pad], dilations: many(o.dilation, n, 1), ceil_mode: o.ceilMode ? 1 : 0 }
      : { kernel_shape: k, strides: s, pads: [...pad, ...pad], count_include_pad: o.countIncludePad ?? true ? 1 : 0, ceil_mode: o.ceilMode ? 1 : 0 };
    return batched(b, c, n + 2, (x) => b.op(c.path, max ? 'MaxPool' : 'AveragePool', [x], attrs));
  };
}

function adaptiveAvgPool(b: GraphBuilder, c: OpCall): string[] {
  const x = x0(c), y = out0(c);
  const [h, w] = x.shape.slice(-2) as [number, number];
  const [oh, ow] = y.shape.slice(-2) as [number, number];
  if (oh === 1 && ow === 1) return batched(b, c, 4, (xi) => b.op(c.path, 'GlobalAveragePool', [xi]));
  if (h % oh !== 0 || w % ow !== 0) throw opError(c, `output ${oh}×${ow} does not divide the input ${h}×${w}; only even windows map to AveragePool`);
  const k = [h / oh, w / ow];
  return batched(b, c, 4, (xi) => b.op(c.path, 'AveragePool', [xi], { kernel_shape: k, strides: k }));
}

const norm = (d: number, nd: number): number => (d < 0 ? d + nd : d);

/** Reshape to the output's shape; leading dims the input keeps are written 0 (copied), so the batch stays dynamic. */
function reshapeTo(b: GraphBuilder, c: OpCall): string[] {
  const x = x0(c), y = out0(c);
  const shape = [...y.shape];
  let i = 0;
  while (i < shape.length && i < x.ndim && shape[i] === x.shape[i] && shape[i] !== 0) shape[i++] = 0;
  // one dim left to infer: -1 where the rest of the shape is fixed
  const j = shape.findIndex((d, k) => k >= i && d !== 0);
  if (j >= 0 && shape.slice(i).filter((d) => d !== 0).length === 1 && y.shape.every((d) => d > 0)) shape[j] = -1;
  return [b.op(c.path, 'Reshape', [c.val(x), b.ints(c.path, shape)])];
}

function flatten(b: GraphBuilder, c: OpCall): string[] {
  const [x, s0 = 0, e0 = -1] = c.args as [Tensor, number?, number?];
  const nd = Math.max(x.ndim, 1);
  if (norm(s0, nd) === 1 && norm(e0, nd) === nd - 1) return [b.op(c.path, 'Flatten', [c.val(x)], { axis: 1 })];
  return reshapeTo(b, c);
}

function reduce(op: 'ReduceMean' | 'ReduceSum'): OpExporter {
  return (b, c) => {
    const [x, dim, keepdim = false] = c.args as [Tensor, number | readonly number[] | null | undefined, boolean?];
    const axes = dim == null ? x.shape.map((_, i) => i) : (typeof dim === 'number' ? [dim] : [...dim]).map((d) => norm(d, x.ndim));
    const X = xin(b, c), keep = keepdim ? 1 : 0;
    // ReduceSum takes axes as an input from opset 13, ReduceMean from 18
    if (op === 'ReduceSum' || b.opset >= 18) return [b.op(c.path, op, [X, b.ints(c.path, axes)], { keepdims: keep })];
    return [b.op(c.path, op, [X], { axes, keepdims: keep })];
  };
}

function slice(b: GraphBuilder, c: OpCall, dim: number, start: number, end: number, step: number): string[] {
  const x = x0(c), d = norm(dim, x.ndim);
  return [b.op(c.path, 'Slice', [c.val(x), b.ints(c.path, [start]), b.ints(c.path, [end]), b.ints(c.path, [d]), b.ints(c.path, [step])])];
}

function split(b: GraphBuilder, c: OpCall, dim: number): string[] {
  const x = x0(c), d = norm(dim, x.ndim);
  const sizes = c.outputs.map((t) => t.shape[d]!);
  return b.node(c.path, 'Split', [c.val(x), b.ints(c.path, sizes)], { axis: d }, sizes.length);
}

function stack(b: GraphBuilder, c: OpCall): string[] {
  const [ts, dim = 0] = c.args as [Tensor[], number?];
  const d = norm(dim, ts[0]!.ndim + 1);
  const axes = b.ints(c.path, [d]);
  return [b.op(c.path, 'Concat', ts.map((t) => b.op(c.path, 'Unsqueeze', [c.val(t), axes])), { axis: d })];
}

/** F.pad: torch's pads run (begin, end) pairs from the last dim; ONNX's are all begins, then all ends. */
function pad(b: GraphBuilder, c: OpCall): string[] {
  const [x, pads, v = 0] = c.args as [Tensor, readonly number[], number | { mode?: string; value?: number }];
  const mode = typeof v === 'object' ? v.mode ?? 'constant' : 'constant';
  const value = typeof v === 'object' ? v.value ?? 0 : v;
  const onnxMode = ({ constant: 'constant', reflect: 'reflect', replicate: 'edge', circular: b.opset >= 19 ? 'wrap' : undefined } as Record<string, string | undefined>)[mode];
  if (!onnxMode) throw opError(c, `mode '${mode}' has no ONNX mapping at opset ${b.opset} (circular needs opset 19)`);
  const begin = new Array<number>(x.ndim).fill(0), end = new Array<number>(x.ndim).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    begin[x.ndim - 1 - i] = pads[2 * i]!;
    end[x.ndim - 1 - i] = pads[2 * i + 1]!;
  }
  const ins = [c.val(x), b.ints(c.path, [...begin, ...end])];
  if (onnxMode === 'constant') ins.push(b.scalar(c.path, dtOf(x, c), value));
  return [b.op(c.path, 'Pad', ins, { mode: onnxMode })];
}

const identity: OpExporter = (b, c) => [b.op(c.path, 'Identity', [c.val(x0(c))])];

/** The activations of issue 13 (src/ops/activation-extra.ts), each as ONNX's op or a few of them (opset 17). */
const num = (c: OpCall, i: number, d: number): number => (c.args[i] as number | undefined) ?? d;
const ACTIVATIONS: [string, OpExporter][] = [
  ['hardtanh', (b, c) => { const dt = dtOf(out0(c), c); return [b.op(c.path, 'Clip', [xin(b, c), b.scalar(c.path, dt, num(c, 1, -1)), b.scalar(c.path, dt, num(c, 2, 1))])]; }],
  ['relu6', (b, c) => { const dt = dtOf(out0(c), c); return [b.op(c.path, 'Clip', [xin(b, c), b.scalar(c.path, dt, 0), b.scalar(c.path, dt, 6)])]; }],
  ['hardswish', (b, c) => [b.op(c.path, 'HardSwish', [xin(b, c)])]],
  ['hardsigmoid', (b, c) => [b.op(c.path, 'HardSigmoid', [xin(b, c)], { alpha: 1 / 6, beta: 0.5 })]],
  ['mish', (b, c) => { const x = xin(b, c); return [b.op(c.path, 'Mul', [x, b.op(c.path, 'Tanh', [b.op(c.path, 'Softplus', [x])])])]; }],
  ['logsigmoid', (b, c) => [b.op(c.path, 'Log', [b.op(c.path, 'Sigmoid', [xin(b, c)])])]],
  ['softmin', (b, c) => [b.op(c.path, 'Softmax', [b.op(c.path, 'Neg', [xin(b, c)])], { axis: norm(c.args[1] as number, x0(c).ndim) })]],
  ['softsign', (b, c) => [b.op(c.path, 'Softsign', [xin(b, c)])]],
  ['tanhshrink', (b, c) => { const x = xin(b, c); return [b.op(c.path, 'Sub', [x, b.op(c.path, 'Tanh', [x])])]; }],
  ['softshrink', (b, c) => [b.op(c.path, 'Shrink', [xin(b, c)], { lambd: num(c, 1, 0.5), bias: num(c, 1, 0.5) })]],
  ['hardshrink', (b, c) => [b.op(c.path, 'Shrink', [xin(b, c)], { lambd: num(c, 1, 0.5), bias: 0 })]],
  ['threshold', (b, c) => {
    const dt = dtOf(out0(c), c), x = xin(b, c);
    return [b.op(c.path, 'Where', [b.op(c.path, 'Greater', [x, b.scalar(c.path, dt, c.args[1] as number)]), x, b.scalar(c.path, dt, c.args[2] as number)])];
  }],
  ['celu', (b, c) => [b.op(c.path, 'Celu', [xin(b, c)], { alpha: num(c, 1, 1) })]],
  ['selu', (b, c) => [b.op(c.path, 'Selu', [xin(b, c)])]],
  ['prelu', (b, c) => {
    // PyTorch's weight is per channel (dim 1); ONNX's slope broadcasts from the right: [C] → [C, 1, …]
    const x = x0(c), w = c.args[1] as Tensor;
    const slope = w.numel() === 1 || x.ndim <= 2 ? c.val(w) : b.op(c.path, 'Reshape', [c.val(w), b.ints(c.path, [w.numel(), ...Array(x.ndim - 2).fill(1)])]);
    return [b.op(c.path, 'PRelu', [xin(b, c), slope])];
  }],
];

/**
 * F.interpolate as Resize: nearest as PyTorch's floor(o · in/out) ('asymmetric', 'floor'); linear and
 * cubic (a = −0.75) with 'align_corners' or 'pytorch_half_pixel'. A scaleFactor goes as scales (PyTorch
 * samples at 1/scaleFactor too); a size as sizes, the batch and channel dims read from the input.
 */
function interpolate(b: GraphBuilder, c: OpCall): string[] {
  const x = x0(c), o = (c.args[1] ?? {}) as { size?: number | readonly number[]; scaleFactor?: number | readonly number[]; mode?: string; alignCorners?: boolean; recomputeScaleFactor?: boolean };
  const s = x.ndim - 2, mode = o.mode ?? 'nearest';
  const per = (v: number | readonly number[]): number[] => (typeof v === 'number' ? new Array<number>(s).fill(v) : [...v]);
  const attrs = mode === 'nearest'
    ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
    : { mode: mode === 'bicubic' ? 'cubic' : 'linear', coordinate_transformation_mode: o.alignCorners ? 'align_corners' : 'pytorch_half_pixel', cubic_coeff_a: -0.75 };
  if (o.scaleFactor != null && !o.recomputeScaleFactor) {
    return [b.op(c.path, 'Resize', [c.val(x), '', b.constant(c.path, 'float32', [x.ndim], [1, 1, ...per(o.scaleFactor)])], attrs)];
  }
  const nc = b.op(c.path, 'Shape', [c.val(x)], { start: 0, end: 2 });
  const sizes = b.op(c.path, 'Concat', [nc, b.ints(c.path, out0(c).shape.slice(2))], { axis: 0 });
  return [b.op(c.path, 'Resize', [c.val(x), '', '', sizes], attrs)];
}

/** The op exporters, by op name (the name defineOp was given). */
export const OP_EXPORTERS = new Map<string, OpExporter>([
  ...Object.entries({
    relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', neg: 'Neg', abs: 'Abs', erf: 'Erf',
    reciprocal: 'Reciprocal', floor: 'Floor', ceil: 'Ceil', round: 'Round', sin: 'Sin', cos: 'Cos', sign: 'Sign', logicalNot: 'Not',
  }).map(([k, v]): [string, OpExporter] => [k, unary(v)]),
  ['rsqrt', (b, c) => [b.op(c.path, 'Reciprocal', [b.op(c.path, 'Sqrt', [xin(b, c)])])]],
  ['square', (b, c) => { const x = xin(b, c); return [b.op(c.path, 'Mul', [x, x])]; }],
  ['expm1', (b, c) => [b.op(c.path, 'Sub', [b.op(c.path, 'Exp', [xin(b, c)]), b.scalar(c.path, dtOf(out0(c), c), 1)])]],
  ['log1p', (b, c) => [b.op(c.path, 'Log', [b.op(c.path, 'Add', [xin(b, c), b.scalar(c.path, dtOf(out0(c), c), 1)])])]],
  ...Object.keys(BINARY).map((k): [string, OpExporter] => [k, binary(k)]),
  ...Object.keys(COMPARE).map((k): [string, OpExporter] => [k, compare(k)]),
  ['where', where],
  ['gelu', gelu],
  ['silu', (b, c) => { const x = xin(b, c); return [b.op(c.path, 'Mul', [x, b.op(c.path, 'Sigmoid', [x])])]; }],
  ['leakyRelu', (b, c) => [b.op(c.path, 'LeakyRelu', [xin(b, c)], { alpha: (c.args[1] as number | undefined) ?? 0.01 })]],
  ['elu', (b, c) => [b.op(c.path, 'Elu', [xin(b, c)], { alpha: (c.args[1] as number | undefined) ?? 1 })]],
  ['softplus', softplus],
  ...ACTIVATIONS,
  ['interpolate', interpolate],
  ['softmax', (b, c) => [b.op(c.path, 'Softmax', [xin(b, c)], { axis: norm(c.args[1] as number, x0(c).ndim) })]],
  ['logSoftmax', (b, c) => [b.op(c.path, 'LogSoftmax', [xin(b, c)], { axis: norm(c.args[1] as number, x0(c).ndim) })]],
  ['causalSoftmax', causalSoftmax],
  ['scaledDotProductAttention', scaledDotProductAttention],
  ['layerNormRows', layerNormRows],
  ['batchNormTrain', batchNormTrain],
  ['dropout', dropout],
  ['clamp', clamp],
  ['linear', linear],
  ['matmul', (b, c) => [b.op(c.path, 'MatMul', [c.val(x0(c)), c.val(c.args[1] as Tensor)])]],
  ['mm', (b, c) => [b.op(c.path, 'MatMul', [c.val(x0(c)), c.val(c.args[1] as Tensor)])]],
  ['bmm', (b, c) => [b.op(c.path, 'MatMul', [c.val(x0(c)), c.val(c.args[1] as Tensor)])]],
  ['conv1d', conv(1)],
  ['conv2d', conv(2)],
  ['conv3d', conv(3)],
  ['convTranspose1d', convTranspose(1)],
  ['convTranspose2d', convTranspose(2)],
  ['maxPool1d', pool(1, true)],
  ['maxPool2d', pool(2, true)],
  ['avgPool1d', pool(1, false)],
  ['avgPool2d', pool(2, false)],
  ['adaptiveAvgPool2d', adaptiveAvgPool],
  ['embedding', (b, c) => [b.op(c.path, 'Gather', [c.val(c.args[1] as Tensor), c.val(x0(c))], { axis: 0 })]],
  ['mean', reduce('ReduceMean')],
  ['sum', reduce('ReduceSum')],
  ['flatten', flatten],
  ['unflatten', reshapeTo],
  ['reshape', reshapeTo],
  ['contiguous', identity],
  ['clone', identity],
  ['t', (b, c) => [x0(c).ndim === 2 ? b.op(c.path, 'Transpose', [c.val(x0(c))], { perm: [1, 0] }) : b.op(c.path, 'Identity', [c.val(x0(c))])]],
  ['transpose', (b, c) => {
    const x = x0(c), perm = x.shape.map((_, i) => i);
    const d0 = norm(c.args[1] as number, x.ndim), d1 = norm(c.args[2] as number, x.ndim);
    [perm[d0], perm[d1]] = [perm[d1]!, perm[d0]!];
    return [b.op(c.path, 'Transpose', [c.val(x)], { perm })];
  }],
  ['permute', (b, c) => [b.op(c.path, 'Transpose', [c.val(x0(c))], { perm: (c.args[1] as number[]).map((d) => norm(d, x0(c).ndim)) })]],
  ['unsqueeze', (b, c) => [b.op(c.path, 'Unsqueeze', [c.val(x0(c)), b.ints(c.path, [norm(c.args[1] as number, x0(c).ndim + 1)])])]],
  ['squeeze', (b, c) => {
    // squeeze of a dim that is not 1 keeps it, as in torch
    const [x, dim] = c.args as [Tensor, number | readonly number[] | undefined];
    const dims = dim === undefined ? x.shape.map((_, i) => i) : (typeof dim === 'number' ? [dim] : [...dim]).map((d) => norm(d, x.ndim));
    const axes = dims.filter((d) => x.shape[d] === 1);
    return [axes.length ? b.op(c.path, 'Squeeze', [c.val(x), b.ints(c.path, axes)]) : b.op(c.path, 'Identity', [c.val(x)])];
  }],
  ['cat', (b, c) => {
    const [ts, dim = 0] = c.args as [Tensor[], number?];
    const kept = ts.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
    return [b.op(c.path, 'Concat', kept.map((t) => c.val(t)), { axis: norm(dim, kept[0]!.ndim) })];
  }],
  ['stack', stack],
  ['narrow', (b, c) => { const [, d, s, n] = c.args as [Tensor, number, number, number]; return slice(b, c, d, s, s + n, 1); }],
  ['slice', (b, c) => {
    const [x, d, s, e, step = 1] = c.args as [Tensor, number, number | null | undefined, number | null | undefined, number?];
    return slice(b, c, d, s ?? 0, e ?? x.shape[norm(d, x.ndim)]!, step);
  }],
  ['split', (b, c) => split(b, c, (c.args[2] as number | undefined) ?? 0)],
  ['chunk', (b, c) => split(b, c, (c.args[2] as number | undefined) ?? 0)],
  ['pad', pad],
  ['cast', (b, c) => [b.op(c.path, 'Cast', [c.val(x0(c))], { to: dtypeCode(dtOf(out0(c), c)) })]],
]);
