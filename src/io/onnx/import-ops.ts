// Imported ONNX operators, part 1: element-wise math, comparisons, and the shape/index operators
// (Reshape, Transpose, Concat, Gather, Slice, Squeeze, Unsqueeze, Shape, Constant, Cast, Split …).

import { Tensor } from '../../tensor/tensor.js';
import { full, tensor } from '../../tensor/create.js';
import * as E from '../../ops/elementwise.js';
import { cast } from '../../ops/layout.js';
import { elu, leakyRelu, gelu } from '../../ops/activation.js';
import { cat, expand, pad, permute, reshape, slice, split, squeeze, unsqueeze } from '../../ops/shape.js';
import { embedding, indexSelect } from '../../ops/indexing.js';
import {
  Ints, attr, attrFloat, attrInt, attrInts, attrString, axis, fmtDims, intsIn, optionalInts, shapeOf, tensorIn, valueOfOnnx,
  type OpContext, type OpDef, type Value,
} from './import-values.js';

const ONNX_CODE_TO_DTYPE: Record<number, 'float32' | 'float64' | 'int32' | 'bool' | 'int64'> = { 1: 'float32', 11: 'float64', 6: 'int32', 7: 'int64', 9: 'bool' };

/** Host broadcasting for small integer arithmetic (shapes): equal shapes or one side a single element. */
function hostBinary(ctx: OpContext, a: Ints, b: Ints, f: (x: number, y: number) => number): Ints {
  if (a.data.length === 1 && b.data.length !== 1) return new Ints(b.dims, b.data.map((y) => f(a.data[0]!, y)));
  if (b.data.length === 1) return new Ints(a.dims.length >= b.dims.length ? a.dims : b.dims, a.data.map((x) => f(x, b.data[0]!)));
  if (a.data.length !== b.data.length) throw new Error(`${ctx.where}: integer shapes ${fmtDims(a.dims)} and ${fmtDims(b.dims)} do not broadcast`);
  return new Ints(a.dims, a.data.map((x, i) => f(x, b.data[i]!)));
}

/** Two inputs as tensors of a common dtype: a host integer side takes the other's dtype. */
function pairOf(ctx: OpContext, inputs: (Value | null)[]): [Tensor, Tensor] {
  const [a, b] = inputs;
  if (!a || !b) throw new Error(`${ctx.where}: needs two inputs`);
  const as = (v: Value, other: Value): Tensor =>
    v instanceof Tensor ? v : other instanceof Tensor && other.dtype !== 'int32' && other.dtype !== 'bool'
      ? tensor(Float64Array.from(v.data), { shape: v.dims, dtype: other.dtype }) : tensorIn(ctx, [v], 0);
  return [as(a, b), as(b, a)];
}

function binary(t: (a: Tensor, b: Tensor) => Tensor, host?: (x: number, y: number) => number): OpDef {
  return {
    attrs: [],
    run: (ctx, inputs) => {
      const [a, b] = inputs;
      if (host && a instanceof Ints && b instanceof Ints) return hostBinary(ctx, a, b, host);
      const [x, y] = pairOf(ctx, inputs);
      return t(x, y);
    },
  };
}

function unary(f: (x: Tensor, ctx: OpContext) => Tensor, attrs: string[] = []): OpDef {
  return { attrs, run: (ctx, inputs) => f(tensorIn(ctx, inputs, 0), ctx) };
}

function reshapeOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = inputs[0];
  if (!x) throw new Error(`${ctx.where}: input 0 is missing`);
  if (attrInt(ctx, 'allowzero', 0) !== 0) throw new Error(`${ctx.where}: allowzero=1 is not supported`);
  const want = intsIn(ctx, inputs, 1, 'shape').data;
  const src = shapeOf(x);
  const shape = want.map((d, i) => {
    if (d !== 0) return d;
    if (i >= src.length) throw new Error(`${ctx.where}: shape ${fmtDims(want)} copies dim ${i}, but the input ${fmtDims(src)} has only ${src.length}`);
    return src[i]!;
  });
  if (x instanceof Tensor) return reshape(x, shape);
  const n = x.data.length;
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const full_ = shape.map((d) => (d === -1 ? n / known : d));
  return new Ints(full_, x.data);
}

function concat(ctx: OpContext, inputs: (Value | null)[]): Value {
  const vals = inputs.filter((v): v is Value => v !== null);
  if (vals.every((v) => v instanceof Ints)) {
    const ints = vals as Ints[];
    if (ints.some((v) => v.dims.length !== 1)) throw new Error(`${ctx.where}: only 1-D integer tensors are concatenated on the host`);
    return Ints.vector(ints.flatMap((v) => v.data));
  }
  const ts = vals.map((v, i) => tensorIn(ctx, vals, i));
  return cat(ts, axis(ctx, attrInt(ctx, 'axis', 0), ts[0]!.ndim));
}

function gatherOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const data = inputs[0], idx = inputs[1];
  if (!data || !idx) throw new Error(`${ctx.where}: needs data and indices`);
  const ax = axis(ctx, attrInt(ctx, 'axis', 0), shapeOf(data).length);
  const n = shapeOf(data)[ax]!;
  if (data instanceof Ints && idx instanceof Ints) {
    if (data.dims.length !== 1) throw new Error(`${ctx.where}: only 1-D integer data is gathered on the host`);
    const pick = idx.data.map((i) => {
      const j = i < 0 ? i + n : i;
      if (j < 0 || j >= n) throw new Error(`${ctx.where}: index ${i} is out of range for size ${n}`);
      return data.data[j]!;
    });
    return new Ints(idx.dims, pick);
  }
  const x = tensorIn(ctx, inputs, 0);
  let ind = tensorIn(ctx, inputs, 1, 'indices');
  if (ind.dtype !== 'int32') throw new Error(`${ctx.where}: indices must be integers, got ${ind.dtype}`);
  if (idx instanceof Ints && idx.data.some((i) => i < 0)) ind = tensor(Int32Array.from(idx.data, (i) => (i < 0 ? i + n : i)), { shape: idx.dims, dtype: 'int32' });
  if (ax === 0 && x.ndim === 2) return embedding(ind, x);
  const flat = indexSelect(x, ax, reshape(ind, [-1]));
  return reshape(flat, [...x.shape.slice(0, ax), ...ind.shape, ...x.shape.slice(ax + 1)]);
}

function sliceOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = inputs[0];
  if (!x) throw new Error(`${ctx.where}: input 0 is missing`);
  const shape = shapeOf(x);
  const starts = intsIn(ctx, inputs, 1, 'starts').data, ends = intsIn(ctx, inputs, 2, 'ends').data;
  const axes = optionalInts(ctx, inputs, 3) ?? starts.map((_, i) => i);
  const steps = optionalInts(ctx, inputs, 4) ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) throw new Error(`${ctx.where}: starts, ends, axes and steps differ in length`);
  if (steps.some((s) => s < 1)) throw new Error(`${ctx.where}: only positive steps are supported, got ${fmtDims(steps)}`);
  if (x instanceof Ints) {
    if (x.dims.length !== 1 || axes.some((a) => axis(ctx, a, 1) !== 0)) throw new Error(`${ctx.where}: only 1-D integer data is sliced on the host`);
    const n = x.data.length, c = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    const out: number[] = [];
    for (let i = c(starts[0]!); i < c(ends[0]!); i += steps[0]!) out.push(x.data[i]!);
    return Ints.vector(out);
  }
  let t: Tensor = x;
  axes.forEach((a, i) => { t = slice(t, axis(ctx, a, shape.length), starts[i]!, ends[i]!, steps[i]!); });
  return t;
}

function squeezeOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = inputs[0]!;
  const shape = shapeOf(x);
  const axes = (optionalInts(ctx, inputs, 1) ?? attrInts(ctx, 'axes', null) ?? shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => axis(ctx, a, shape.length));
  for (const a of axes) if (shape[a] !== 1) throw new Error(`${ctx.where}: cannot squeeze axis ${a} of size ${shape[a]} (input ${fmtDims(shape)})`);
  if (x instanceof Ints) return new Ints(shape.filter((_, i) => !axes.includes(i)), x.data);
  return axes.length ? squeeze(x, axes) : reshape(x, shape);
}

function unsqueezeOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = inputs[0]!;
  const shape = shapeOf(x);
  const given = optionalInts(ctx, inputs, 1) ?? attrInts(ctx, 'axes', null);
  if (!given) throw new Error(`${ctx.where}: axes are missing`);
  const rank = shape.length + given.length;
  const axes = given.map((a) => axis(ctx, a, rank)).sort((a, b) => a - b);
  const out = [...shape];
  for (const a of axes) out.splice(a, 0, 1);
  return x instanceof Ints ? new Ints(out, x.data) : reshape(x, out);
}

function castOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const to = ONNX_CODE_TO_DTYPE[attrInt(ctx, 'to', 0)];
  if (!to) throw new Error(`${ctx.where}: cast to element type ${attrInt(ctx, 'to', 0)} is not supported`);
  const x = inputs[0]!;
  if (x instanceof Ints) {
    if (to === 'int64' || to === 'int32') return x;
    if (to === 'bool') return new Ints(x.dims, x.data.map((v) => (v ? 1 : 0)));
    return tensor(Float64Array.from(x.data), { shape: x.dims, dtype: to });
  }
  return cast(x, to === 'int64' ? 'int32' : to);
}

function constantOp(ctx: OpContext): Value {
  const names = Object.keys(ctx.node.attrs);
  if (names.length !== 1) throw new Error(`${ctx.where}: needs exactly one value attribute, got ${names.join(', ') || 'none'}`);
  const a = attr(ctx, names[0]!)!;
  switch (names[0]) {
    case 'value': if (a.type === 'tensor') return valueOfOnnx(a.value); break;
    case 'value_float': return tensor(new Float32Array([attrFloat(ctx, 'value_float', 0)]), { shape: [], dtype: 'float32' });
    case 'value_floats': if (a.type === 'floats') return tensor(Float32Array.from(a.value), { dtype: 'float32' }); break;
    case 'value_int': return Ints.scalar(attrInt(ctx, 'value_int', 0));
    case 'value_ints': return Ints.vector(attrInts(ctx, 'value_ints', [])!);
  }
  throw new Error(`${ctx.where}: constant attribute '${names[0]}' is not supported`);
}

function constantOfShape(ctx: OpContext, inputs: (Value | null)[]): Value {
  const shape = intsIn(ctx, inputs, 0, 'shape').data;
  const a = attr(ctx, 'value');
  const v = a?.type === 'tensor' ? a.value : { dtype: 'float32' as const, data: [0], dims: [1], name: '' };
  if (v.data.length !== 1) throw new Error(`${ctx.where}: value must hold one element`);
  const x = Number(v.data[0]);
  if (v.dtype === 'float32' || v.dtype === 'float64') return full(shape, x, { dtype: v.dtype });
  return new Ints(shape, new Array<number>(shape.reduce((p, d) => p * d, 1)).fill(x));
}

function splitOp(ctx: OpContext, inputs: (Value | null)[]): Value[] {
  const x = tensorIn(ctx, inputs, 0);
  const ax = axis(ctx, attrInt(ctx, 'axis', 0), x.ndim);
  const n = ctx.node.outputs.length;
  const sizes = optionalInts(ctx, inputs, 1) ?? attrInts(ctx, 'split', null);
  if (sizes) return split(x, sizes, ax);
  const size = Math.ceil(x.shape[ax]! / n);
  return split(x, size, ax);
}

function whereOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const c = tensorIn(ctx, inputs, 0, 'condition');
  const [a, b] = pairOf(ctx, inputs.slice(1));
  return E.where(c.dtype === 'bool' ? c : cast(c, 'bool'), a, b);
}

function expandOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = tensorIn(ctx, inputs, 0);
  const want = intsIn(ctx, inputs, 1, 'shape').data;
  // ONNX's Expand broadcasts both ways (a 1 in the shape keeps the input's dim)
  const nd = Math.max(want.length, x.ndim);
  const out = Array.from({ length: nd }, (_, i) => {
    const a = x.shape[i - (nd - x.ndim)] ?? 1, b = want[i - (nd - want.length)] ?? 1;
    return a === 1 ? b : a;
  });
  return expand(x, out);
}

function padOp(ctx: OpContext, inputs: (Value | null)[]): Value {
  const x = tensorIn(ctx, inputs, 0);
  const mode = attrString(ctx, 'mode', 'constant');
  if (mode !== 'constant') throw new Error(`${ctx.where}: mode '${mode}' is not supported (only 'constant')`);
  const p = intsIn(ctx, inputs, 1, 'pads').data;
  const value = inputs[2] ? Number(tensorIn(ctx, inputs, 2).item()) : 0;
  const axes = (optionalInts(ctx, inputs, 3) ?? [...Array(x.ndim).keys()]).map((a) => axis(ctx, a, x.ndim));
  if (p.length !== 2 * axes.length) throw new Error(`${ctx.where}: pads ${fmtDims(p)} must have ${2 * axes.length} values`);
  // ONNX: all begins, then all ends; nabla's pad: (begin, end) of the last dim first
  const per = new Array<[number, number]>(x.ndim).fill([0, 0]);
  axes.forEach((a, i) => { per[a] = [p[i]!, p[i + axes.length]!]; });
  return pad(x, per.reverse().flat(), value);
}

const act = (f: (x: Tensor) => Tensor): OpDef => unary(f);

export const BASIC_OPS: Record<string, OpDef> = {
  Identity: { attrs: [], run: (ctx, inputs) => inputs[0] ?? (() => { throw new Error(`${ctx.where}: input 0 is missing`); })() },
  Add: binary(E.add, (x, y) => x + y),
  Sub: binary(E.sub, (x, y) => x - y),
  Mul: binary(E.mul, (x, y) => x * y),
  Div: binary((a, b) => (a.dtype === 'int32' && b.dtype === 'int32' ? cast(E.floor(E.div(a, b)), 'int32') : E.div(a, b)), (x, y) => Math.trunc(x / y)),
  Pow: binary(E.pow),
  Equal: binary(E.eq, (x, y) => Number(x === y)),
  Greater: binary(E.gt, (x, y) => Number(x > y)),
  Less: binary(E.lt, (x, y) => Number(x < y)),
  Neg: act(E.neg), Abs: act(E.abs), Exp: act(E.exp), Log: act(E.log), Sqrt: act(E.sqrt), Reciprocal: act(E.reciprocal),
  Erf: act(E.erf), Tanh: act(E.tanh), Sigmoid: act(E.sigmoid), Relu: act(E.relu), Floor: act(E.floor), Ceil: act(E.ceil),
  Not: act(E.logicalNot),
  LeakyRelu: unary((x, ctx) => leakyRelu(x, attrFloat(ctx, 'alpha', 0.01)), ['alpha']),
  Elu: unary((x, ctx) => elu(x, attrFloat(ctx, 'alpha', 1)), ['alpha']),
  // log(1 + eˣ) through PyTorch's softplus (linear above 20, where the two agree in float)
  Softplus: act((x) => E.where(E.gt(x, 20), x, E.log1p(E.exp(E.where(E.gt(x, 20), 0, x))))),
  Gelu: unary((x, ctx) => {
    const a = attrString(ctx, 'approximate', 'none');
    if (a !== 'none' && a !== 'tanh') throw new Error(`${ctx.where}: approximate must be 'none' or 'tanh', got '${a}'`);
    return gelu(x, { approximate: a });
  }, ['approximate']),
  Reshape: { attrs: ['allowzero'], run: reshapeOp },
  Flatten: {
    attrs: ['axis'],
    run: (ctx, inputs) => {
      const x = tensorIn(ctx, inputs, 0);
      const a = attrInt(ctx, 'axis', 1), ax = a < 0 ? a + x.ndim : a;
      if (ax < 0 || ax > x.ndim) throw new Error(`${ctx.where}: axis ${a} is out of range for rank ${x.ndim}`);
      const lead = x.shape.slice(0, ax).reduce((p, d) => p * d, 1);
      return reshape(x, [lead, x.shape.slice(ax).reduce((p, d) => p * d, 1)]);
    },
  },
  Transpose: {
    attrs: ['perm'],
    run: (ctx, inputs) => {
      const x = tensorIn(ctx, inputs, 0);
      const perm = attrInts(ctx, 'perm', null) ?? [...Array(x.ndim).keys()].reverse();
      if (perm.length !== x.ndim) throw new Error(`${ctx.where}: perm ${fmtDims(perm)} does not fit rank ${x.ndim}`);
      return permute(x, perm);
    },
  },
  Concat: { attrs: ['axis'], run: concat },
  Gather: { attrs: ['axis'], run: gatherOp },
  Slice: { attrs: [], run: sliceOp },
  Squeeze: { attrs: ['axes'], run: squeezeOp },
  Unsqueeze: { attrs: ['axes'], run: unsqueezeOp },
  Shape: {
    attrs: ['start', 'end'],
    run: (ctx, inputs) => {
      const s = shapeOf(inputs[0]!), n = s.length;
      const c = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
      return Ints.vector(s.slice(c(attrInt(ctx, 'start', 0)), c(attrInt(ctx, 'end', n))));
    },
  },
  Size: { attrs: [], run: (_ctx, inputs) => Ints.scalar(shapeOf(inputs[0]!).reduce((p, d) => p * d, 1)) },
  Constant: { attrs: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'], run: constantOp },
  ConstantOfShape: { attrs: ['value'], run: constantOfShape },
  Cast: { attrs: ['to', 'saturate'], run: castOp },
  Split: { attrs: ['axis', 'split', 'num_outputs'], run: splitOp },
  Where: { attrs: [], run: whereOp },
  Expand: { attrs: [], run: expandOp },
  Pad: { attrs: ['mode'], run: padOp },
};
