// Imported ONNX operators, part 2: Gemm/MatMul, Conv/ConvTranspose, pools, the normalisations,
// softmax, reductions and Dropout — on nabla's differentiable ops, so an imported model trains.

import type { Tensor } from '../../tensor/tensor.js';
import { scope } from '../../tensor/memory.js';
import { noGrad } from '../../autograd/graph.js';
import * as E from '../../ops/elementwise.js';
import { dropout, logSoftmax, softmax } from '../../ops/activation.js';
import { matmul, matmulT } from '../../ops/linalg.js';
import { conv1d, conv2d, convTranspose2d } from '../../ops/conv.js';
import { avgPool1d, avgPool2d, maxPool1d, maxPool2d } from '../../ops/pool.js';
import { mean, sum } from '../../ops/reduce.js';
import { pad, reshape } from '../../ops/shape.js';
import { attrFloat, attrInt, attrInts, attrString, axis, fmtDims, optionalInts, tensorIn, type OpContext, type OpDef, type Value } from './import-values.js';

function gemm(ctx: OpContext, inputs: (Value | null)[]): Value {
  const a = tensorIn(ctx, inputs, 0, 'A'), b = tensorIn(ctx, inputs, 1, 'B');
  const alpha = attrFloat(ctx, 'alpha', 1), beta = attrFloat(ctx, 'beta', 1);
  let y = matmulT(a, b, attrInt(ctx, 'transA', 0) === 1, attrInt(ctx, 'transB', 0) === 1);
  if (alpha !== 1) y = E.mul(y, alpha);
  if (inputs[2]) {
    const c = tensorIn(ctx, inputs, 2, 'C');
    y = E.add(y, beta === 1 ? c : E.mul(c, beta));
  }
  return y;
}

/** Per-dim (begin, end) pads from `pads` or auto_pad, for spatial dims of x. */
function spatialPads(ctx: OpContext, x: Tensor, kernel: number[], strides: number[], dilations: number[]): [number[], number[]] {
  const n = kernel.length;
  const auto = attrString(ctx, 'auto_pad', 'NOTSET');
  if (auto === 'NOTSET') {
    const p = attrInts(ctx, 'pads', null) ?? new Array<number>(2 * n).fill(0);
    if (p.length !== 2 * n) throw new Error(`${ctx.where}: pads ${fmtDims(p)} must have ${2 * n} values`);
    return [p.slice(0, n), p.slice(n)];
  }
  if (auto === 'VALID') return [new Array<number>(n).fill(0), new Array<number>(n).fill(0)];
  if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') throw new Error(`${ctx.where}: auto_pad '${auto}' is not supported`);
  const begin: number[] = [], end: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = x.shape[x.ndim - n + i]!;
    const total = Math.max(0, (Math.ceil(size / strides[i]!) - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - size);
    const small = Math.floor(total / 2);
    begin.push(auto === 'SAME_UPPER' ? small : total - small);
    end.push(total - begin[i]!);
  }
  return [begin, end];
}

/** Symmetric pads go to the op; otherwise x is zero-padded first (F.pad order: last dim first). */
function padInput(x: Tensor, begin: number[], end: number[]): [Tensor, number[]] {
  if (begin.every((b, i) => b === end[i])) return [x, begin];
  const p: number[] = [];
  for (let i = begin.length - 1; i >= 0; i--) p.push(begin[i]!, end[i]!);
  return [pad(x, p), begin.map(() => 0)];
}

function convOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = tensorIn(ctx, inputs, 0, 'X'), w = tensorIn(ctx, inputs, 1, 'W');
  const b = inputs[2] ? tensorIn(ctx, inputs, 2, 'B') : null;
  const n = w.ndim - 2;
  if (n !== 1 && n !== 2) throw new Error(`${ctx.where}: only 1-D and 2-D convolutions are supported (weight ${fmtDims(w.shape)})`);
  const kernel = attrInts(ctx, 'kernel_shape', null) ?? w.shape.slice(2);
  if (kernel.some((k, i) => k !== w.shape[2 + i])) throw new Error(`${ctx.where}: kernel_shape ${fmtDims(kernel)} does not match the weight ${fmtDims(w.shape)}`);
  const strides = attrInts(ctx, 'strides', null) ?? new Array<number>(n).fill(1);
  const dilations = attrInts(ctx, 'dilations', null) ?? new Array<number>(n).fill(1);
  const [begin, end] = spatialPads(ctx, x, kernel, strides, dilations);
  const [xp, padding] = padInput(x, begin, end);
  const groups = attrInt(ctx, 'group', 1);
  if (n === 1) return conv1d(xp, w, b, { stride: strides[0]!, padding: padding[0]!, dilation: dilations[0]!, groups });
  return conv2d(xp, w, b, { stride: strides as [number, number], padding: padding as [number, number], dilation: dilations as [number, number], groups });
}

function convTransposeOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = tensorIn(ctx, inputs, 0, 'X'), w = tensorIn(ctx, inputs, 1, 'W');
  const b = inputs[2] ? tensorIn(ctx, inputs, 2, 'B') : null;
  if (w.ndim !== 4) throw new Error(`${ctx.where}: only 2-D transposed convolutions are supported (weight ${fmtDims(w.shape)})`);
  if (attrInts(ctx, 'output_shape', null)) throw new Error(`${ctx.where}: output_shape is not supported (give pads and output_padding)`);
  if (attrString(ctx, 'auto_pad', 'NOTSET') !== 'NOTSET') throw new Error(`${ctx.where}: auto_pad is not supported for ConvTranspose`);
  const p = attrInts(ctx, 'pads', null) ?? [0, 0, 0, 0];
  if (p[0] !== p[2] || p[1] !== p[3]) throw new Error(`${ctx.where}: asymmetric pads ${fmtDims(p)} are not supported`);
  return convTranspose2d(x, w, b, {
    stride: (attrInts(ctx, 'strides', null) ?? [1, 1]) as [number, number], padding: [p[0]!, p[1]!],
    outputPadding: (attrInts(ctx, 'output_padding', null) ?? [0, 0]) as [number, number],
    dilation: (attrInts(ctx, 'dilations', null) ?? [1, 1]) as [number, number], groups: attrInt(ctx, 'group', 1),
  });
}

function poolOp(kind: 'max' | 'avg'): OpDef['run'] {
  return (ctx, inputs) => {
    const x = tensorIn(ctx, inputs, 0, 'X');
    if (ctx.node.outputs.length > 1 && ctx.node.outputs[1]) throw new Error(`${ctx.where}: the Indices output is not supported`);
    const kernel = attrInts(ctx, 'kernel_shape', null);
    if (!kernel || (kernel.length !== 1 && kernel.length !== 2)) throw new Error(`${ctx.where}: kernel_shape must give 1 or 2 dims`);
    const n = kernel.length;
    const strides = attrInts(ctx, 'strides', null) ?? new Array<number>(n).fill(1);
    const dilations = attrInts(ctx, 'dilations', null) ?? new Array<number>(n).fill(1);
    const [begin, end] = spatialPads(ctx, x, kernel, strides, dilations);
    if (begin.some((b, i) => b !== end[i])) throw new Error(`${ctx.where}: asymmetric pads are not supported for pooling`);
    const ceilMode = attrInt(ctx, 'ceil_mode', 0) === 1;
    if (kind === 'max') {
      const o = { stride: strides as [number, number], padding: begin as [number, number], dilation: dilations as [number, number], ceilMode };
      return n === 1 ? maxPool1d(x, kernel[0]!, { ...o, stride: strides[0]!, padding: begin[0]!, dilation: dilations[0]! }) : maxPool2d(x, kernel as [number, number], o);
    }
    if (dilations.some((d) => d !== 1)) throw new Error(`${ctx.where}: dilated average pooling is not supported`);
    const o = { stride: strides as [number, number], padding: begin as [number, number], ceilMode, countIncludePad: attrInt(ctx, 'count_include_pad', 0) === 1 };
    return n === 1 ? avgPool1d(x, kernel[0]!, { ...o, stride: strides[0]!, padding: begin[0]! }) : avgPool2d(x, kernel as [number, number], o);
  };
}

/** (x − mean)/√(var + eps) over dims, the biased variance: what every normalisation uses. */
function normalize(x: Tensor, dims: number[], eps: number): { y: Tensor; m: Tensor; v: Tensor } {
  const m = mean(x, dims, true);
  const xc = E.sub(x, m);
  const v = mean(E.mul(xc, xc), dims, true);
  return { y: E.mul(xc, E.rsqrt(E.add(v, eps))), m, v };
}

const channelShape = (x: Tensor): number[] => [1, -1, ...new Array<number>(Math.max(0, x.ndim - 2)).fill(1)];

function batchNorm(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = tensorIn(ctx, inputs, 0, 'X');
  const [scale, bias, rm, rv] = [1, 2, 3, 4].map((i) => tensorIn(ctx, inputs, i)) as [Tensor, Tensor, Tensor, Tensor];
  const eps = attrFloat(ctx, 'epsilon', 1e-5);
  if (ctx.node.outputs.filter(Boolean).length > 1) throw new Error(`${ctx.where}: the running-statistics outputs (training_mode graphs) are not supported`);
  const cs = channelShape(x);
  let y: Tensor;
  if (ctx.training) {
    // Batch statistics, and the running ones updated as PyTorch does (unbiased variance).
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const r = normalize(x, dims, eps);
    y = r.y;
    const momentum = attrFloat(ctx, 'momentum', 0.9), n = x.numel() / x.shape[1]!;
    noGrad(() => scope(() => {
      ctx.setBuffer(ctx.node.inputs[3]!, E.add(E.mul(rm, momentum), E.mul(reshape(r.m.detach(), [-1]), 1 - momentum)));
      ctx.setBuffer(ctx.node.inputs[4]!, E.add(E.mul(rv, momentum), E.mul(reshape(r.v.detach(), [-1]), (1 - momentum) * n / Math.max(n - 1, 1))));
    }));
  } else {
    y = E.mul(E.sub(x, reshape(rm, cs)), E.rsqrt(E.add(reshape(rv, cs), eps)));
  }
  return E.add(E.mul(y, reshape(scale, cs)), reshape(bias, cs));
}

function layerNorm(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = tensorIn(ctx, inputs, 0, 'X');
  if (ctx.node.outputs.filter(Boolean).length > 1) throw new Error(`${ctx.where}: the Mean and InvStdDev outputs are not supported`);
  const a = axis(ctx, attrInt(ctx, 'axis', -1), x.ndim);
  const dims = Array.from({ length: x.ndim - a }, (_, i) => a + i);
  let y = normalize(x, dims, attrFloat(ctx, 'epsilon', 1e-5)).y;
  y = E.mul(y, tensorIn(ctx, inputs, 1, 'Scale'));
  return inputs[2] ? E.add(y, tensorIn(ctx, inputs, 2, 'B')) : y;
}

function instanceNorm(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = tensorIn(ctx, inputs, 0, 'input');
  const dims = Array.from({ length: x.ndim - 2 }, (_, i) => i + 2);
  const y = normalize(x, dims, attrFloat(ctx, 'epsilon', 1e-5)).y;
  const cs = channelShape(x);
  return E.add(E.mul(y, reshape(tensorIn(ctx, inputs, 1, 'scale'), cs)), reshape(tensorIn(ctx, inputs, 2, 'B'), cs));
}

function reduce(f: typeof mean): OpDef['run'] {
  return (ctx, inputs) => {
    const x = tensorIn(ctx, inputs, 0, 'data');
    const given = (ctx.opset >= 18 || ctx.node.opType === 'ReduceSum' ? optionalInts(ctx, inputs, 1) : null) ?? attrInts(ctx, 'axes', null);
    const keep = attrInt(ctx, 'keepdims', 1) === 1;
    if (!given || !given.length) {
      if (attrInt(ctx, 'noop_with_empty_axes', 0) === 1) return x;
      return f(x, [...Array(x.ndim).keys()], keep);
    }
    return f(x, given.map((a) => axis(ctx, a, x.ndim)), keep);
  };
}

export const NN_OPS: Record<string, OpDef> = {
  Gemm: { attrs: ['alpha', 'beta', 'transA', 'transB'], run: gemm },
  MatMul: { attrs: [], run: (ctx, inputs) => matmul(tensorIn(ctx, inputs, 0, 'A'), tensorIn(ctx, inputs, 1, 'B')) },
  Conv: { attrs: ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'auto_pad'], run: convOp },
  ConvTranspose: { attrs: ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'output_padding', 'output_shape', 'auto_pad'], run: convTransposeOp },
  MaxPool: { attrs: ['kernel_shape', 'strides', 'pads', 'dilations', 'ceil_mode', 'auto_pad', 'storage_order'], run: poolOp('max') },
  AveragePool: { attrs: ['kernel_shape', 'strides', 'pads', 'dilations', 'ceil_mode', 'auto_pad', 'count_include_pad'], run: poolOp('avg') },
  GlobalAveragePool: { attrs: [], run: (ctx, inputs) => { const x = tensorIn(ctx, inputs, 0); return mean(x, Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), true); } },
  BatchNormalization: { attrs: ['epsilon', 'momentum', 'training_mode'], run: batchNorm },
  LayerNormalization: { attrs: ['axis', 'epsilon', 'stash_type'], run: layerNorm },
  InstanceNormalization: { attrs: ['epsilon'], run: instanceNorm },
  Softmax: { attrs: ['axis'], run: (ctx, inputs) => { const x = tensorIn(ctx, inputs, 0); return softmax(x, axis(ctx, attrInt(ctx, 'axis', -1), x.ndim)); } },
  LogSoftmax: { attrs: ['axis'], run: (ctx, inputs) => { const x = tensorIn(ctx, inputs, 0); return logSoftmax(x, axis(ctx, attrInt(ctx, 'axis', -1), x.ndim)); } },
  ReduceMean: { attrs: ['axes', 'keepdims', 'noop_with_empty_axes'], run: reduce(mean) },
  ReduceSum: { attrs: ['keepdims', 'noop_with_empty_axes'], run: reduce(sum as typeof mean) },
  Dropout: {
    attrs: ['seed'],
    run: (ctx, inputs) => {
      const x = tensorIn(ctx, inputs, 0);
      if (ctx.node.outputs.filter(Boolean).length > 1) throw new Error(`${ctx.where}: the mask output is not supported`);
      const ratio = inputs[1] ? Number(tensorIn(ctx, inputs, 1).item()) : 0.5;
      const train = inputs[2] ? Boolean(tensorIn(ctx, inputs, 2).item()) : ctx.training;
      return train && ratio > 0 ? dropout(x, ratio, true) : x;
    },
  },
};
