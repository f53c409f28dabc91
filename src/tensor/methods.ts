// Tensor methods: each delegates to the op table, so `x.add(y)` and `nb.add(x, y)` are one op.
// Installed on Tensor.prototype (package.json lists this file under sideEffects).

import { Tensor } from './tensor.js';
import type { DType } from './dtype.js';
import * as E from '../ops/elementwise.js';
import * as R from '../ops/reduce.js';
import * as S from '../ops/shape.js';
import * as I from '../ops/indexing.js';
import * as L from '../ops/linalg.js';
import * as A from '../ops/activation.js';
import { runBackward, type BackwardOptions } from '../autograd/backward.js';

type TL = E.TensorLike;
type Dim = R.Dim;

declare module './tensor.js' {
  interface Tensor {
    add(other: TL, opts?: { alpha?: number }): Tensor;
    sub(other: TL, opts?: { alpha?: number }): Tensor;
    mul(other: TL): Tensor;
    div(other: TL): Tensor;
    pow(exponent: TL): Tensor;
    maximum(other: TL): Tensor;
    minimum(other: TL): Tensor;
    eq(other: TL): Tensor;
    ne(other: TL): Tensor;
    lt(other: TL): Tensor;
    le(other: TL): Tensor;
    gt(other: TL): Tensor;
    ge(other: TL): Tensor;
    logicalAnd(other: TL): Tensor;
    logicalOr(other: TL): Tensor;
    logicalNot(): Tensor;
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    reciprocal(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    erf(): Tensor;
    square(): Tensor;
    sign(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    sum(dim?: Dim, keepdim?: boolean): Tensor;
    mean(dim?: Dim, keepdim?: boolean): Tensor;
    prod(dim?: number | null, keepdim?: boolean): Tensor;
    amax(dim?: Dim, keepdim?: boolean): Tensor;
    amin(dim?: Dim, keepdim?: boolean): Tensor;
    max(): Tensor;
    max(dim: number, keepdim?: boolean): R.ValuesIndices;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): R.ValuesIndices;
    argmax(dim?: number | null, keepdim?: boolean): Tensor;
    argmin(dim?: number | null, keepdim?: boolean): Tensor;
    var(dim?: Dim, opts?: R.VarOptions): Tensor;
    std(dim?: Dim, opts?: R.VarOptions): Tensor;
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
    index(...specs: S.IndexSpec[]): Tensor;
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

const P = Tensor.prototype as unknown as Record<string, unknown>;
const methods: Record<string, (this: Tensor, ...a: never[]) => unknown> = {
  add(this: Tensor, o: TL, opts?: { alpha?: number }) { return E.add(this, o, opts); },
  sub(this: Tensor, o: TL, opts?: { alpha?: number }) { return E.sub(this, o, opts); },
  mul(this: Tensor, o: TL) { return E.mul(this, o); },
  div(this: Tensor, o: TL) { return E.div(this, o); },
  pow(this: Tensor, o: TL) { return E.pow(this, o); },
  maximum(this: Tensor, o: TL) { return E.maximum(this, o); },
  minimum(this: Tensor, o: TL) { return E.minimum(this, o); },
  eq(this: Tensor, o: TL) { return E.eq(this, o); },
  ne(this: Tensor, o: TL) { return E.ne(this, o); },
  lt(this: Tensor, o: TL) { return E.lt(this, o); },
  le(this: Tensor, o: TL) { return E.le(this, o); },
  gt(this: Tensor, o: TL) { return E.gt(this, o); },
  ge(this: Tensor, o: TL) { return E.ge(this, o); },
  logicalAnd(this: Tensor, o: TL) { return E.logicalAnd(this, o); },
  logicalOr(this: Tensor, o: TL) { return E.logicalOr(this, o); },
  logicalNot(this: Tensor) { return E.logicalNot(this); },
  maskedFill(this: Tensor, m: Tensor, v: number | Tensor) { return E.maskedFill(this, m, v); },
  clamp(this: Tensor, lo?: number | null, hi?: number | null) { return E.clamp(this, lo, hi); },
  softmax(this: Tensor, d: number) { return A.softmax(this, d); },
  logSoftmax(this: Tensor, d: number) { return A.logSoftmax(this, d); },
  sum(this: Tensor, d?: Dim, k?: boolean) { return R.sum(this, d, k); },
  mean(this: Tensor, d?: Dim, k?: boolean) { return R.mean(this, d, k); },
  prod(this: Tensor, d?: number | null, k?: boolean) { return R.prodReduce(this, d, k); },
  amax(this: Tensor, d?: Dim, k?: boolean) { return R.amax(this, d, k); },
  amin(this: Tensor, d?: Dim, k?: boolean) { return R.amin(this, d, k); },
  max(this: Tensor, d?: number, k?: boolean) { return d === undefined ? R.amax(this) : R.maxDim('max', this, d, k); },
  min(this: Tensor, d?: number, k?: boolean) { return d === undefined ? R.amin(this) : R.maxDim('min', this, d, k); },
  argmax(this: Tensor, d?: number | null, k?: boolean) { return R.argmax(this, d, k); },
  argmin(this: Tensor, d?: number | null, k?: boolean) { return R.argmin(this, d, k); },
  var(this: Tensor, d?: Dim, o?: R.VarOptions) { return R.variance(this, d, o); },
  std(this: Tensor, d?: Dim, o?: R.VarOptions) { return R.std(this, d, o); },
  logsumexp(this: Tensor, d: Dim, k?: boolean) { return R.logsumexp(this, d, k); },
  norm(this: Tensor, p?: number | 'fro', d?: Dim, k?: boolean) { return R.norm(this, p, d, k); },
  cumsum(this: Tensor, d: number) { return R.cumsum(this, d); },
  reshape(this: Tensor, ...s: (number | readonly number[])[]) { return S.reshape(this, shapeArgs(s)); },
  view(this: Tensor, ...s: (number | readonly number[])[]) { return S.reshape(this, shapeArgs(s)); },
  flatten(this: Tensor, a?: number, b?: number) { return S.flatten(this, a, b); },
  unflatten(this: Tensor, d: number, s: readonly number[]) { return S.unflatten(this, d, s); },
  squeeze(this: Tensor, d?: number | readonly number[]) { return S.squeeze(this, d); },
  unsqueeze(this: Tensor, d: number) { return S.unsqueeze(this, d); },
  transpose(this: Tensor, a: number, b: number) { return S.transpose(this, a, b); },
  t(this: Tensor) { return S.t(this); },
  permute(this: Tensor, ...d: (number | readonly number[])[]) { return S.permute(this, shapeArgs(d)); },
  expand(this: Tensor, ...s: (number | readonly number[])[]) { return S.expand(this, shapeArgs(s)); },
  expandAs(this: Tensor, o: Tensor) { return S.expand(this, o.shape); },
  broadcastTo(this: Tensor, s: readonly number[]) { return S.broadcastTo(this, s); },
  slice(this: Tensor, d: number, a?: number | null, b?: number | null, st?: number) { return S.slice(this, d, a, b, st); },
  narrow(this: Tensor, d: number, a: number, n: number) { return S.narrow(this, d, a, n); },
  select(this: Tensor, d: number, i: number) { return S.select(this, d, i); },
  index(this: Tensor, ...sp: S.IndexSpec[]) { return S.index(this, ...sp); },
  flip(this: Tensor, d: readonly number[]) { return S.flip(this, d); },
  split(this: Tensor, s: number | readonly number[], d?: number) { return S.split(this, s, d); },
  chunk(this: Tensor, c: number, d?: number) { return S.chunk(this, c, d); },
  repeat(this: Tensor, ...r: (number | readonly number[])[]) { return S.repeat(this, shapeArgs(r)); },
  contiguous(this: Tensor) { return S.contiguous(this); },
  clone(this: Tensor) { return S.clone(this); },
  indexSelect(this: Tensor, d: number, i: Tensor) { return I.indexSelect(this, d, i); },
  gather(this: Tensor, d: number, i: Tensor) { return I.gather(this, d, i); },
  scatterAdd(this: Tensor, d: number, i: Tensor, s: Tensor) { return I.scatterAdd(this, d, i, s); },
  indexAdd(this: Tensor, d: number, i: Tensor, s: Tensor) { return I.indexAdd(this, d, i, s); },
  matmul(this: Tensor, o: Tensor) { return L.matmul(this, o); },
  mm(this: Tensor, o: Tensor) { return L.mm(this, o); },
  bmm(this: Tensor, o: Tensor) { return L.bmm(this, o); },
  to(this: Tensor, d: DType) { return this.dtype === d ? S.reshape(this, this.shape) : E.cast(this, d); },
  float(this: Tensor) { return this.dtype === 'float32' ? S.reshape(this, this.shape) : E.cast(this, 'float32'); },
  double(this: Tensor) { return this.dtype === 'float64' ? S.reshape(this, this.shape) : E.cast(this, 'float64'); },
  int(this: Tensor) { return this.dtype === 'int32' ? S.reshape(this, this.shape) : E.cast(this, 'int32'); },
  bool(this: Tensor) { return this.dtype === 'bool' ? S.reshape(this, this.shape) : E.cast(this, 'bool'); },
  detach(this: Tensor) {
    // A new leaf sharing the storage, outside the graph.
    const buf = this._live('detach');
    return new Tensor(buf.retain(), this.shape, this.dtype);
  },
  backward(this: Tensor, g?: Tensor | null, o?: BackwardOptions) { runBackward(this, g, o); },
};
for (const name of ['neg', 'abs', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'reciprocal', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'erf', 'square', 'sign', 'floor', 'ceil', 'round'] as const) {
  const f = E[name] as (x: Tensor) => Tensor;
  methods[name] = function (this: Tensor) { return f(this); };
}
for (const [k, f] of Object.entries(methods)) P[k] = f;

export const methodsInstalled = true;
