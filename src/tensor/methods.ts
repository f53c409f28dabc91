// Tensor methods: `x.add(y)` and `nb.add(x, y)` are one op. Every record of the op table (unary,
// binary, reduction) is a method unless its entry says method: false — their types and functions
// are derived here; the composites below are listed by hand (their arguments differ from the
// function's). tensor.ts installs them on Tensor.prototype when the first tensor is made.

import type { Tensor } from './tensor.js';
import type { DType } from './dtype.js';
import * as ops from '../ops/index.js';
import type { Dim, IndexSpec, TensorLike, ValuesIndices, VarOptions } from '../ops/index.js';
import { runBackward, type BackwardOptions } from '../autograd/backward.js';

type Ops = typeof ops;
/** The exports of the op table whose record makes them a method. */
type RecordName = {
  [K in keyof Ops]: Ops[K] extends { kind: 'unary' | 'binary' | 'reduction'; def: { method?: infer M } } ? (M extends false ? never : K) : never
}[keyof Ops];
type MethodOf<F> = F extends { kind: 'unary' } ? () => Tensor
  : F extends { kind: 'binary' } ? (other: TensorLike, opts?: { alpha?: number }) => Tensor
  : F extends { kind: 'reduction' } ? (dim?: Dim, keepdim?: boolean) => Tensor
  : never;
export type RecordMethods = { [K in RecordName]: MethodOf<Ops[K]> };

declare module './tensor.js' {
  interface Tensor extends RecordMethods {
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    mean(dim?: Dim, keepdim?: boolean): Tensor;
    max(): Tensor;
    max(dim: number, keepdim?: boolean): ValuesIndices;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): ValuesIndices;
    var(dim?: Dim, opts?: VarOptions): Tensor;
    std(dim?: Dim, opts?: VarOptions): Tensor;
    logsumexp(dim: Dim, keepdim?: boolean): Tensor;
    norm(p?: number | 'fro', dim?: Dim, keepdim?: boolean): Tensor;
    cumsum(dim: number): Tensor;
    reshape(...shape: number[] | [readonly number[]]): Tensor;
    view(...shape: number[] | [readonly number[]]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    unflatten(dim: number, sizes: readonly number[]): Tensor;
    squeeze(dim?: number | readonly number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    t(): Tensor;
    permute(...dims: number[] | [readonly number[]]): Tensor;
    expand(...shape: number[] | [readonly number[]]): Tensor;
    expandAs(other: Tensor): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    select(dim: number, index: number): Tensor;
    index(...specs: IndexSpec[]): Tensor;
    flip(dims: readonly number[]): Tensor;
    split(sizeOrSizes: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    repeat(...reps: number[] | [readonly number[]]): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    indexAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
    to(dtype: DType): Tensor;
    float(): Tensor;
    double(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    detach(): Tensor;
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
  }
}

function shapeArgs(args: (number | readonly number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as number[])] : (args as number[]);
}

/** A copy of the dtype change (or a view of the same storage when there is none), like PyTorch's .to(). */
const to = (x: Tensor, d: DType): Tensor => (x.dtype === d ? ops.reshape(x, x.shape) : ops.cast(x, d));

const composites: Record<string, (this: Tensor, ...a: never[]) => unknown> = {
  maskedFill(this: Tensor, m: Tensor, v: number | Tensor) { return ops.maskedFill(this, m, v); },
  clamp(this: Tensor, lo?: number | null, hi?: number | null) { return ops.clamp(this, lo, hi); },
  softmax(this: Tensor, d: number) { return ops.softmax(this, d); },
  logSoftmax(this: Tensor, d: number) { return ops.logSoftmax(this, d); },
  mean(this: Tensor, d?: Dim, k?: boolean) { return ops.mean(this, d, k); },
  max(this: Tensor, d?: number, k?: boolean) { return d === undefined ? ops.max(this) : ops.max(this, d, k); },
  min(this: Tensor, d?: number, k?: boolean) { return d === undefined ? ops.min(this) : ops.min(this, d, k); },
  var(this: Tensor, d?: Dim, o?: VarOptions) { return ops.var(this, d, o); },
  std(this: Tensor, d?: Dim, o?: VarOptions) { return ops.std(this, d, o); },
  logsumexp(this: Tensor, d: Dim, k?: boolean) { return ops.logsumexp(this, d, k); },
  norm(this: Tensor, p?: number | 'fro', d?: Dim, k?: boolean) { return ops.norm(this, p, d, k); },
  cumsum(this: Tensor, d: number) { return ops.cumsum(this, d); },
  reshape(this: Tensor, ...s: (number | readonly number[])[]) { return ops.reshape(this, shapeArgs(s)); },
  view(this: Tensor, ...s: (number | readonly number[])[]) { return ops.reshape(this, shapeArgs(s)); },
  flatten(this: Tensor, a?: number, b?: number) { return ops.flatten(this, a, b); },
  unflatten(this: Tensor, d: number, s: readonly number[]) { return ops.unflatten(this, d, s); },
  squeeze(this: Tensor, d?: number | readonly number[]) { return ops.squeeze(this, d); },
  unsqueeze(this: Tensor, d: number) { return ops.unsqueeze(this, d); },
  transpose(this: Tensor, a: number, b: number) { return ops.transpose(this, a, b); },
  t(this: Tensor) { return ops.t(this); },
  permute(this: Tensor, ...d: (number | readonly number[])[]) { return ops.permute(this, shapeArgs(d)); },
  expand(this: Tensor, ...s: (number | readonly number[])[]) { return ops.expand(this, shapeArgs(s)); },
  expandAs(this: Tensor, o: Tensor) { return ops.expand(this, o.shape); },
  broadcastTo(this: Tensor, s: readonly number[]) { return ops.broadcastTo(this, s); },
  slice(this: Tensor, d: number, a?: number | null, b?: number | null, st?: number) { return ops.slice(this, d, a, b, st); },
  narrow(this: Tensor, d: number, a: number, n: number) { return ops.narrow(this, d, a, n); },
  select(this: Tensor, d: number, i: number) { return ops.select(this, d, i); },
  index(this: Tensor, ...sp: IndexSpec[]) { return ops.index(this, ...sp); },
  flip(this: Tensor, d: readonly number[]) { return ops.flip(this, d); },
  split(this: Tensor, s: number | readonly number[], d?: number) { return ops.split(this, s, d); },
  chunk(this: Tensor, c: number, d?: number) { return ops.chunk(this, c, d); },
  repeat(this: Tensor, ...r: (number | readonly number[])[]) { return ops.repeat(this, shapeArgs(r)); },
  contiguous(this: Tensor) { return ops.contiguous(this); },
  clone(this: Tensor) { return ops.clone(this); },
  indexSelect(this: Tensor, d: number, i: Tensor) { return ops.indexSelect(this, d, i); },
  gather(this: Tensor, d: number, i: Tensor) { return ops.gather(this, d, i); },
  scatterAdd(this: Tensor, d: number, i: Tensor, s: Tensor) { return ops.scatterAdd(this, d, i, s); },
  indexAdd(this: Tensor, d: number, i: Tensor, s: Tensor) { return ops.indexAdd(this, d, i, s); },
  matmul(this: Tensor, o: Tensor) { return ops.matmul(this, o); },
  mm(this: Tensor, o: Tensor) { return ops.mm(this, o); },
  bmm(this: Tensor, o: Tensor) { return ops.bmm(this, o); },
  to(this: Tensor, d: DType) { return to(this, d); },
  float(this: Tensor) { return to(this, 'float32'); },
  double(this: Tensor) { return to(this, 'float64'); },
  int(this: Tensor) { return to(this, 'int32'); },
  bool(this: Tensor) { return to(this, 'bool'); },
  backward(this: Tensor, g?: Tensor | null, o?: BackwardOptions) { runBackward(this, g, o); },
};

/** Puts the methods on Tensor.prototype: every method record of the op table, then the composites. */
export function installMethods(proto: object): void {
  const P = proto as Record<string, unknown>;
  for (const [name, v] of Object.entries(ops)) {
    const r = v as { kind?: string; def?: { method?: boolean } };
    if (typeof v !== 'function' || !r.kind || r.def?.method === false) continue;
    const f = v as (x: Tensor, ...a: unknown[]) => Tensor;
    P[name] = function (this: Tensor, ...a: unknown[]) { return f(this, ...a); };
  }
  for (const [k, f] of Object.entries(composites)) P[k] = f;
}
