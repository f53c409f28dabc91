// What an imported graph computes with: nabla tensors for data, and small host-side integer arrays
// (int64 in ONNX) for shapes, axes and indices — so Shape→Gather→Concat→Reshape runs on the host.

import { Tensor } from '../../tensor/tensor.js';
import { tensor } from '../../tensor/create.js';
import type { OnnxAttr, OnnxNode, OnnxTensor } from './proto.js';

/** An integer (or bool) tensor held on the host: shapes and axes, and int64 initializers. */
export class Ints {
  constructor(readonly dims: number[], readonly data: number[]) {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`internal: ${data.length} ints for dims [${dims.join(', ')}]`);
  }
  static vector(v: number[]): Ints {
    return new Ints([v.length], v);
  }
  static scalar(v: number): Ints {
    return new Ints([], [v]);
  }
}

export type Value = Tensor | Ints;

/** What an op implementation sees: the node (for errors and attributes), training mode, and helpers. */
export interface OpContext {
  node: OnnxNode;
  /** 'node 12 (Conv "/features/0/Conv")' — the place errors name */
  where: string;
  training: boolean;
  opset: number;
  /** the module's own state for ops that keep some (BatchNormalization running statistics) */
  setBuffer(name: string, t: Tensor): void;
}

export type OpImpl = (ctx: OpContext, inputs: (Value | null)[]) => (Value | null)[] | Value;

/** An op: the attributes it understands (any other is an error) and how it runs. */
export interface OpDef {
  attrs: string[];
  run: OpImpl;
}

export function attr(ctx: OpContext, name: string): OnnxAttr | undefined {
  return ctx.node.attrs[name];
}

export function attrInt(ctx: OpContext, name: string, dflt: number): number {
  const a = attr(ctx, name);
  if (!a) return dflt;
  if (a.type !== 'int') throw new Error(`${ctx.where}: attribute '${name}' must be an int, got ${a.type}`);
  return a.value;
}

export function attrFloat(ctx: OpContext, name: string, dflt: number): number {
  const a = attr(ctx, name);
  if (!a) return dflt;
  if (a.type !== 'float' && a.type !== 'int') throw new Error(`${ctx.where}: attribute '${name}' must be a float, got ${a.type}`);
  return a.value;
}

export function attrInts(ctx: OpContext, name: string, dflt: number[] | null): number[] | null {
  const a = attr(ctx, name);
  if (!a) return dflt;
  if (a.type !== 'ints') throw new Error(`${ctx.where}: attribute '${name}' must be a list of ints, got ${a.type}`);
  return a.value;
}

export function attrString(ctx: OpContext, name: string, dflt: string): string {
  const a = attr(ctx, name);
  if (!a) return dflt;
  if (a.type !== 'string') throw new Error(`${ctx.where}: attribute '${name}' must be a string, got ${a.type}`);
  return a.value;
}

/** Input i as a tensor (host ints become an int32 tensor; float constants stay float). */
export function tensorIn(ctx: OpContext, inputs: (Value | null)[], i: number, what = `input ${i}`): Tensor {
  const v = inputs[i];
  if (!v) throw new Error(`${ctx.where}: ${what} is missing`);
  if (v instanceof Tensor) return v;
  return tensor(Int32Array.from(v.data, (x) => clampInt32(ctx, x)), { shape: v.dims, dtype: 'int32' });
}

/** Input i as host ints: a shape, axes, indices (a tensor is read back, which only suits small ones). */
export function intsIn(ctx: OpContext, inputs: (Value | null)[], i: number, what = `input ${i}`): Ints {
  const v = inputs[i];
  if (!v) throw new Error(`${ctx.where}: ${what} is missing`);
  if (v instanceof Ints) return v;
  if (v.dtype !== 'int32' && v.dtype !== 'bool') throw new Error(`${ctx.where}: ${what} must be integers, got ${v.dtype}`);
  return new Ints([...v.shape], Array.from(v.dataSync()));
}

export function optionalInts(ctx: OpContext, inputs: (Value | null)[], i: number): number[] | null {
  return inputs[i] ? intsIn(ctx, inputs, i).data : null;
}

function clampInt32(ctx: OpContext, x: number): number {
  if (x > 2147483647 || x < -2147483648) throw new Error(`${ctx.where}: integer ${x} does not fit in int32`);
  return x;
}

/** A negative axis counted from the end, checked against the rank. */
export function axis(ctx: OpContext, a: number, rank: number, what = 'axis'): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(a) || a < -r || a >= r) throw new Error(`${ctx.where}: ${what} ${a} is out of range for rank ${rank}`);
  return a < 0 ? a + r : a;
}

export function shapeOf(v: Value): number[] {
  return v instanceof Tensor ? [...v.shape] : v.dims;
}

/** An ONNX tensor as a Value: floats become a nabla tensor, integers and bools stay on the host. */
export function valueOfOnnx(t: OnnxTensor): Value {
  if (t.dtype === 'float32' || t.dtype === 'float64') return tensor(t.data as Float32Array, { shape: t.dims, dtype: t.dtype });
  return new Ints([...t.dims], Array.from(t.data as ArrayLike<number>));
}

export const fmtDims = (d: readonly number[]): string => `[${d.join(', ')}]`;
