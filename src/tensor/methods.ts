// Tensor methods: `x.add(y)` and `nb.add(x, y)` are one op. Every record of the op table (unary,
// binary, reduction) is a method unless its entry says method: false — their types and functions
// are derived here; the composites below are listed by hand (their arguments differ from the
// function's). tensor.ts installs them on Tensor.prototype when the first tensor is made.

import type { Tensor } from './tensor.js';
import { checkDType, type DType } from './dtype.js';
import * as ops from '../ops/index.js';
import type {
  Dim, IndexSpec, TensorLike, ValuesIndices, VarOptions, SortOptions, TopkOptions, UniqueOptions, UniqueResult,
  SearchsortedOptions, BincountOptions, NanToNumOptions, IscloseOptions, DiagonalOptions, AddmmOptions,
} from '../ops/index.js';
import { full, tensor as makeTensor, type CreateOptions } from './create.js';
import type { NestedArray } from './tensor.js';
import { runBackward, type BackwardOptions } from '../autograd/backward.js';
import { installInPlaceMethods } from './inplace-methods.js';

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
    max(other: Tensor): Tensor;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): ValuesIndices;
    min(other: Tensor): Tensor;
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
    to(dtypeOrDevice: DType | 'cpu' | (string & {}) | { dtype?: DType; device?: string }): Tensor;
    float(): Tensor;
    double(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    detach(): Tensor;
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
    // ---- issue 13: PyTorch's everyday methods, and the methods of the ops added with them
    /** the shape (PyTorch's torch.Size as an array), or the size of one dim */
    size(): readonly number[];
    size(dim: number): number;
    /** the number of dims (ndim) */
    dim(): number;
    /** the elements as nested arrays (PyTorch's tolist; the same as toArray) */
    tolist(): NestedArray;
    /** int32, Nabla's index dtype (PyTorch's long is int64; indices here are int32 everywhere) */
    long(): Tensor;
    /** PyTorch's .cpu(): every backend's tensors are in CPU memory already, so a new handle to the same values */
    cpu(): Tensor;
    /** x.newZeros([2, 3]) or, as PyTorch's new_zeros(2, 3), x.newZeros(2, 3); options last */
    newZeros(...shapeThenOpts: number[] | [readonly number[]] | [...number[], CreateOptions] | [readonly number[], CreateOptions]): Tensor;
    newOnes(...shapeThenOpts: number[] | [readonly number[]] | [...number[], CreateOptions] | [readonly number[], CreateOptions]): Tensor;
    newFull(shape: readonly number[], value: number, opts?: CreateOptions): Tensor;
    newTensor(data: NestedArray, opts?: CreateOptions): Tensor;
    viewAs(other: Tensor): Tensor;
    reshapeAs(other: Tensor): Tensor;
    typeAs(other: Tensor): Tensor;
    /** the transpose of the last two dims (PyTorch's x.mT) */
    readonly mT: Tensor;
    /** PyTorch's x.T: the dims reversed (a matrix transposed; a vector or scalar as it is) */
    readonly T: Tensor;
    /** for (const row of x): x[0], x[1], … along dim 0, as iterating a torch.Tensor (a 0-d tensor refuses) */
    [Symbol.iterator](): Iterator<Tensor>;
    sort(opts?: SortOptions): ValuesIndices;
    sort(dim: number, descending?: boolean): ValuesIndices;
    argsort(opts?: SortOptions): Tensor;
    argsort(dim: number, descending?: boolean): Tensor;
    topk(k: number, opts?: TopkOptions): ValuesIndices;
    unique(opts?: UniqueOptions): Tensor | UniqueResult;
    bincount(opts?: BincountOptions): Tensor;
    nonzero(): Tensor;
    argwhere(): Tensor;
    maskedSelect(mask: Tensor): Tensor;
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
    diag(diagonal?: number): Tensor;
    diagonal(offset?: number | DiagonalOptions, dim1?: number, dim2?: number): Tensor;
    outer(other: Tensor): Tensor;
    addmm(m1: Tensor, m2: Tensor, opts?: AddmmOptions): Tensor;
    baddbmm(b1: Tensor, b2: Tensor, opts?: AddmmOptions): Tensor;
    roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
    cumprod(dim: number): Tensor;
    nanToNum(opts?: NanToNumOptions): Tensor;
    any(dim?: Dim, keepdim?: boolean): Tensor;
    all(dim?: Dim, keepdim?: boolean): Tensor;
    isclose(other: Tensor | number, opts?: IscloseOptions): Tensor;
    allclose(other: Tensor | number, opts?: IscloseOptions): boolean;
    multinomial(numSamples: number, opts?: { replacement?: boolean }): Tensor;
  }
}

function shapeArgs(args: (number | readonly number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as number[])] : (args as number[]);
}

/** (2, 3), ([2, 3]) or either with trailing options → [shape, options] (new_zeros(*size) in PyTorch). */
function sizeAndOpts(args: (number | readonly number[] | CreateOptions)[]): [number[], CreateOptions | undefined] {
  const last = args[args.length - 1];
  const opts = last !== undefined && typeof last === 'object' && !Array.isArray(last) ? (last as CreateOptions) : undefined;
  return [shapeArgs((opts ? args.slice(0, -1) : args) as (number | readonly number[])[]), opts];
}

/** A copy of the dtype change (or a view of the same storage when there is none), like PyTorch's .to(). */
const to = (x: Tensor, d: DType): Tensor => (x.dtype === d ? ops.reshape(x, x.shape) : ops.cast(x, d));

const composites: Record<string, (this: Tensor, ...a: never[]) => unknown> = {
  maskedFill(this: Tensor, m: Tensor, v: number | Tensor) { return ops.maskedFill(this, m, v); },
  clamp(this: Tensor, lo?: number | null, hi?: number | null) { return ops.clamp(this, lo, hi); },
  softmax(this: Tensor, d: number) { return ops.softmax(this, d); },
  logSoftmax(this: Tensor, d: number) { return ops.logSoftmax(this, d); },
  mean(this: Tensor, d?: Dim, k?: boolean) { return ops.mean(this, d, k); },
  max(this: Tensor, d?: number | Tensor, k?: boolean) { return d === undefined ? ops.max(this) : typeof d === 'number' ? ops.max(this, d, k) : ops.max(this, d); },
  min(this: Tensor, d?: number | Tensor, k?: boolean) { return d === undefined ? ops.min(this) : typeof d === 'number' ? ops.min(this, d, k) : ops.min(this, d); },
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
  to(this: Tensor, d: DType | 'cpu' | { dtype?: DType; device?: string }) { return toAny(this, d); },
  float(this: Tensor) { return to(this, 'float32'); },
  double(this: Tensor) { return to(this, 'float64'); },
  int(this: Tensor) { return to(this, 'int32'); },
  bool(this: Tensor) { return to(this, 'bool'); },
  /** backward(), backward(gradient, opts) or, as PyTorch's keyword form, backward({retainGraph, createGraph}) */
  backward(this: Tensor, g?: Tensor | null | BackwardOptions, o?: BackwardOptions) {
    if (g !== null && g !== undefined && (typeof g !== 'object' || Object.getPrototypeOf(g) === Object.prototype)) {
      if (typeof g !== 'object' || o !== undefined) throw new TypeError(`backward: the first argument is the output's gradient (a tensor) or the options {retainGraph, createGraph}, got ${typeof g}`);
      runBackward(this, null, g as BackwardOptions);
    } else runBackward(this, g as Tensor | null | undefined, o);
  },
};

/** .to(dtype), .to('cpu') (every backend's memory is the CPU's: a new handle), .to({dtype, device}). */
function toAny(x: Tensor, d: DType | 'cpu' | { dtype?: DType; device?: string }): Tensor {
  const device = (v: string): void => {
    if (v !== 'cpu' && v !== x.device) throw new Error(`to: device '${v}' is not available; tensors live in CPU memory ('cpu'), on backend ${x.device}`);
  };
  if (typeof d === 'object' && d !== null) {
    for (const k of Object.keys(d)) if (k !== 'dtype' && k !== 'device') throw new TypeError(`to: unknown option '${k}' (known: dtype, device)`);
    if (d.device !== undefined) device(d.device);
    return to(x, d.dtype ?? x.dtype);
  }
  // x.to(y.device): the backend's name is the device every tensor is on, as 'cpu' is.
  if (d === x.device) return to(x, x.dtype);
  if (d === 'cpu' || d === 'cuda' as string || d === 'mps' as string) {
    device(d);
    return to(x, x.dtype);
  }
  return to(x, checkDType(d, `to: '${d}' is neither a device ('cpu', '${x.device}') nor a dtype`));
}

/** The block of issue 13: PyTorch's everyday methods, and the new ops as methods. */
const issue13: Record<string, (this: Tensor, ...a: never[]) => unknown> = {
  size(this: Tensor, d?: number) {
    if (d === undefined) return this.shape;
    if (!Number.isInteger(d) || d < -Math.max(this.ndim, 1) || d >= Math.max(this.ndim, 1)) throw new RangeError(`size: dim ${d} is out of range for a tensor of ${this.ndim} dimensions`);
    return this.ndim === 0 ? 1 : this.shape[d < 0 ? d + this.ndim : d]!;
  },
  dim(this: Tensor) { return this.ndim; },
  tolist(this: Tensor) { return this.toArray(); },
  long(this: Tensor) { return to(this, 'int32'); },
  cpu(this: Tensor) { return to(this, this.dtype); },
  newZeros(this: Tensor, ...a: (number | readonly number[] | CreateOptions)[]) { const [s, o] = sizeAndOpts(a); return full(s, 0, { dtype: this.dtype, ...o }); },
  newOnes(this: Tensor, ...a: (number | readonly number[] | CreateOptions)[]) { const [s, o] = sizeAndOpts(a); return full(s, 1, { dtype: this.dtype, ...o }); },
  newFull(this: Tensor, s: readonly number[], v: number, o?: CreateOptions) { return full(s, v, { dtype: this.dtype, ...o }); },
  newTensor(this: Tensor, data: NestedArray, o?: CreateOptions) { return makeTensor(data, { dtype: this.dtype, ...o }); },
  viewAs(this: Tensor, o: Tensor) { return ops.reshape(this, o.shape); },
  reshapeAs(this: Tensor, o: Tensor) { return ops.reshape(this, o.shape); },
  typeAs(this: Tensor, o: Tensor) { return to(this, o.dtype); },
  sort(this: Tensor, a?: number | SortOptions, d?: boolean) { return typeof a === 'number' ? ops.sort(this, a, d) : ops.sort(this, a); },
  argsort(this: Tensor, a?: number | SortOptions, d?: boolean) { return typeof a === 'number' ? ops.argsort(this, a, d) : ops.argsort(this, a); },
  topk(this: Tensor, k: number, o?: TopkOptions) { return ops.topk(this, k, o); },
  unique(this: Tensor, o?: UniqueOptions) { return ops.unique(this, o ?? {}); },
  bincount(this: Tensor, o?: BincountOptions) { return ops.bincount(this, o); },
  nonzero(this: Tensor) { return ops.nonzero(this); },
  argwhere(this: Tensor) { return ops.argwhere(this); },
  maskedSelect(this: Tensor, m: Tensor) { return ops.maskedSelect(this, m); },
  tril(this: Tensor, k?: number) { return ops.tril(this, k); },
  triu(this: Tensor, k?: number) { return ops.triu(this, k); },
  diag(this: Tensor, k?: number) { return ops.diag(this, k); },
  diagonal(this: Tensor, o?: number | DiagonalOptions, a?: number, b?: number) { return typeof o === 'object' ? ops.diagonal(this, o) : ops.diagonal(this, o, a, b); },
  outer(this: Tensor, o: Tensor) { return ops.outer(this, o); },
  addmm(this: Tensor, a: Tensor, b: Tensor, o?: AddmmOptions) { return ops.addmm(this, a, b, o); },
  baddbmm(this: Tensor, a: Tensor, b: Tensor, o?: AddmmOptions) { return ops.baddbmm(this, a, b, o); },
  roll(this: Tensor, s: number | readonly number[], d?: number | readonly number[]) { return ops.roll(this, s, d); },
  cumprod(this: Tensor, d: number) { return ops.cumprod(this, d); },
  nanToNum(this: Tensor, o?: NanToNumOptions) { return ops.nanToNum(this, o); },
  any(this: Tensor, d?: Dim, k?: boolean) { return ops.any(this, d, k); },
  all(this: Tensor, d?: Dim, k?: boolean) { return ops.all(this, d, k); },
  isclose(this: Tensor, o: Tensor | number, opt?: IscloseOptions) { return ops.isclose(this, o, opt); },
  allclose(this: Tensor, o: Tensor | number, opt?: IscloseOptions) { return ops.allclose(this, o, opt); },
  multinomial(this: Tensor, n: number, o?: { replacement?: boolean }) { return ops.multinomial(this, n, o); },
};

/** Puts the methods on Tensor.prototype: every method record of the op table, then the composites. */
export function installMethods(proto: object): void {
  installInPlaceMethods(proto);
  const P = proto as Record<string, unknown>;
  for (const [name, v] of Object.entries(ops)) {
    const r = v as { kind?: string; def?: { method?: boolean } };
    if (typeof v !== 'function' || !r.kind || r.def?.method === false) continue;
    const f = v as (x: Tensor, ...a: unknown[]) => Tensor;
    P[name] = function (this: Tensor, ...a: unknown[]) { return f(this, ...a); };
  }
  for (const [k, f] of Object.entries(composites)) P[k] = f;
  for (const [k, f] of Object.entries(issue13)) P[k] = f;
  Object.defineProperty(proto, 'mT', {
    get(this: Tensor) {
      if (this.ndim < 2) throw new Error(`mT: needs a tensor of at least 2 dimensions, got shape [${this.shape.join(', ')}]`);
      return ops.transpose(this, -2, -1);
    },
    configurable: true,
  });
  Object.defineProperty(proto, Symbol.iterator, {
    value: function* (this: Tensor): Generator<Tensor> {
      if (this.ndim === 0) throw new TypeError('iteration over a 0-d tensor (PyTorch: iteration over a 0-d tensor)');
      const n = this.shape[0]!;
      for (let i = 0; i < n; i++) yield ops.select(this, 0, i);
    },
    configurable: true,
  });
  Object.defineProperty(proto, 'T', {
    get(this: Tensor) {
      return ops.permute(this, this.shape.map((_, i) => this.ndim - 1 - i));
    },
    configurable: true,
  });
}
