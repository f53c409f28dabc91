// The op table the fixture and gradcheck tests share: fixture op key → how to call Nabla's
// public API with the case's inputs and kwargs (PyTorch's keyword names, camelCased). Every record
// of src/ops (unary, binary, reduction) is enrolled from the registry; composites are listed here.

import * as nb from '../../src/index.js';
import { records } from '../../src/ops/registry.js';

type T = nb.Tensor;
export type OpOut = T | T[] | { values: T; indices: T };
// kwargs come from JSON, so each entry reads the fields it knows
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Kw = Record<string, any>;
export type OpFn = (x: T[], k: Kw) => OpOut;

const unary = (name: string): OpFn => (x) => (x[0] as unknown as Record<string, () => T>)[name]!.call(x[0]);

/**
 * Binary op: tensor ∘ tensor, or with kwargs.scalar a JS number as the second operand (the first
 * with kwargs.scalarFirst, through the top-level function); kwargs.alpha goes to add/sub.
 */
const binary = (name: string): OpFn => (x, k) => {
  const fns = nb as unknown as Record<string, (a: T | number, b: T | number, o?: Kw) => T>;
  if (k.scalarFirst) return fns[name]!(k.scalar, x[0]!);
  const other: T | number = k.scalar !== undefined ? k.scalar : x[1]!;
  if (k.alpha !== undefined) return fns[name]!(x[0]!, other, { alpha: k.alpha });
  return (x[0] as unknown as Record<string, (o: T | number) => T>)[name]!.call(x[0], other);
};

/** Options object without the keys the call passes positionally. */
function opts(k: Kw, ...drop: string[]): Kw {
  const o: Kw = {};
  for (const [key, v] of Object.entries(k)) if (!drop.includes(key)) o[key] = v;
  return o;
}

/** How the tests call a record: a unary as a method, a binary through binary(), a reduction with dim/keepdim. */
function fromRecord(r: ReturnType<typeof records>[number]): OpFn {
  const name = r.kernel.name;
  if (r.kind === 'unary') return r.def.method === false ? (x) => (nb as unknown as Record<string, (t: T) => T>)[name]!(x[0]!) : unary(name);
  if (r.kind === 'binary') return binary(name);
  return (x, k) => (nb as unknown as Record<string, (t: T, d?: unknown, kd?: boolean) => T>)[name]!(x[0]!, k.dim, k.keepdim);
}

export const OPS: Record<string, OpFn> = {
  // ---- every record (element-wise, reductions), from the op table
  ...Object.fromEntries(records().filter((r) => !r.def.test?.exempt?.fixtures).map((r) => [r.kernel.name, fromRecord(r)])),
  clamp: (x, k) => x[0]!.clamp(k.min, k.max),
  where: (x, k) => nb.where(x[0]!, x[1]!, k.other !== undefined ? k.other : x[2]!),
  maskedFill: (x, k) => x[0]!.maskedFill(x[1]!, k.value),
  leakyRelu: (x, k) => nb.F.leakyRelu(x[0]!, k.negativeSlope),
  elu: (x, k) => nb.F.elu(x[0]!, k.alpha),
  gelu: (x, k) => (k.approximate === undefined ? nb.F.gelu(x[0]!) : nb.F.gelu(x[0]!, { approximate: k.approximate })),
  silu: (x) => nb.F.silu(x[0]!),
  softplus: (x, k) => nb.F.softplus(x[0]!, k),
  softmax: (x, k) => nb.F.softmax(x[0]!, k.dim),
  logSoftmax: (x, k) => nb.F.logSoftmax(x[0]!, k.dim),

  cast: (x, k) => nb.cast(x[0]!, k.dtype),

  // ---- reductions and scans
  mean: (x, k) => x[0]!.mean(k.dim, k.keepdim),
  max: (x, k) => (k.other ? nb.max(x[0]!, x[1]!) : k.dim === undefined ? x[0]!.max() : x[0]!.max(k.dim, k.keepdim)),
  min: (x, k) => (k.other ? x[0]!.min(x[1]!) : k.dim === undefined ? x[0]!.min() : x[0]!.min(k.dim, k.keepdim)),
  var: (x, k) => x[0]!.var(k.dim, opts(k, 'dim')),
  std: (x, k) => x[0]!.std(k.dim, opts(k, 'dim')),
  logsumexp: (x, k) => x[0]!.logsumexp(k.dim, k.keepdim),
  norm: (x, k) => x[0]!.norm(k.p, k.dim, k.keepdim),
  cumsum: (x, k) => x[0]!.cumsum(k.dim),

  // ---- shape and indexing
  reshape: (x, k) => x[0]!.reshape(k.shape),
  view: (x, k) => x[0]!.view(k.shape),
  flatten: (x, k) => x[0]!.flatten(k.startDim, k.endDim),
  squeeze: (x, k) => x[0]!.squeeze(k.dim),
  unsqueeze: (x, k) => x[0]!.unsqueeze(k.dim),
  transpose: (x, k) => x[0]!.transpose(k.dim0, k.dim1),
  t: (x) => x[0]!.t(),
  permute: (x, k) => x[0]!.permute(k.dims),
  expand: (x, k) => x[0]!.expand(k.shape),
  broadcastTo: (x, k) => x[0]!.broadcastTo(k.shape),
  contiguous: (x) => x[0]!.contiguous(),
  clone: (x) => x[0]!.clone(),
  flip: (x, k) => x[0]!.flip(k.dims),
  select: (x, k) => x[0]!.select(k.dim, k.index),
  index: (x, k) => x[0]!.index(...(k.specs as nb.IndexSpec[])),
  unflatten: (x, k) => x[0]!.unflatten(k.dim, k.sizes),
  broadcastTensors: (x) => nb.broadcastTensors(...x),
  sumTo: (x, k) => nb.sumTo(x[0]!, k.shape),
  indexAdd: (x, k) => x[0]!.indexAdd(k.dim, x[1]!, x[2]!),
  cat: (x, k) => nb.cat(x, k.dim),
  stack: (x, k) => nb.stack(x, k.dim),
  split: (x, k) => x[0]!.split(k.splitSizeOrSections, k.dim),
  chunk: (x, k) => x[0]!.chunk(k.chunks, k.dim),
  narrow: (x, k) => x[0]!.narrow(k.dim, k.start, k.length),
  slice: (x, k) => x[0]!.slice(k.dim, k.start, k.end, k.step),
  indexSelect: (x, k) => x[0]!.indexSelect(k.dim, x[1]!),
  gather: (x, k) => x[0]!.gather(k.dim, x[1]!),
  scatterAdd: (x, k) => x[0]!.scatterAdd(k.dim, x[1]!, x[2]!),
  pad: (x, k) => nb.F.pad(x[0]!, k.pad, k.value),
  repeat: (x, k) => x[0]!.repeat(k.repeats),

  // ---- linear algebra and networks
  matmul: (x) => x[0]!.matmul(x[1]!),
  mm: (x) => x[0]!.mm(x[1]!),
  bmm: (x) => x[0]!.bmm(x[1]!),
  linear: (x) => nb.F.linear(x[0]!, x[1]!, x[2]),
  conv1d: (x, k) => nb.F.conv1d(x[0]!, x[1]!, x[2], k),
  conv2d: (x, k) => nb.F.conv2d(x[0]!, x[1]!, x[2], k),
  convTranspose2d: (x, k) => nb.F.convTranspose2d(x[0]!, x[1]!, x[2], k),
  maxPool1d: (x, k) => nb.F.maxPool1d(x[0]!, k.kernelSize, opts(k, 'kernelSize')),
  maxPool2d: (x, k) => nb.F.maxPool2d(x[0]!, k.kernelSize, opts(k, 'kernelSize')),
  maxPool2dWithIndices: (x, k) => nb.F.maxPool2dWithIndices(x[0]!, k.kernelSize, opts(k, 'kernelSize')),
  avgPool1d: (x, k) => nb.F.avgPool1d(x[0]!, k.kernelSize, opts(k, 'kernelSize')),
  avgPool2d: (x, k) => nb.F.avgPool2d(x[0]!, k.kernelSize, opts(k, 'kernelSize')),
  adaptiveAvgPool2d: (x, k) => nb.F.adaptiveAvgPool2d(x[0]!, k.outputSize),
  embedding: (x) => nb.F.embedding(x[0]!, x[1]!),
  dropout: (x, k) => nb.F.dropout(x[0]!, k.p, k.training),
  oneHot: (x, k) => nb.F.oneHot(x[0]!, k.numClasses),

  // ---- issue 13: ordering, selection, matrices, tests on values
  sort: (x, k) => x[0]!.sort(k),
  argsort: (x, k) => nb.argsort(x[0]!, k),
  topk: (x, k) => x[0]!.topk(k.k, opts(k, 'k')),
  unique: (x, k) => {
    const u = nb.unique(x[0]!, k);
    if (u instanceof nb.Tensor) return u;
    return [u.values, ...(u.inverse ? [u.inverse] : []), ...(u.counts ? [u.counts] : [])];
  },
  searchsorted: (x, k) => nb.searchsorted(x[0]!, x[1]!, k),
  bincount: (x, k) => x[0]!.bincount({ ...k, ...(x[1] ? { weights: x[1] } : {}) }),
  nonzero: (x) => x[0]!.nonzero(),
  argwhere: (x) => nb.argwhere(x[0]!),
  maskedSelect: (x) => x[0]!.maskedSelect(x[1]!),
  tril: (x, k) => x[0]!.tril(k.diagonal),
  triu: (x, k) => nb.triu(x[0]!, k.diagonal),
  diagonal: (x, k) => x[0]!.diagonal(k),
  diag: (x, k) => nb.diag(x[0]!, k.diagonal),
  outer: (x) => x[0]!.outer(x[1]!),
  addmm: (x, k) => nb.addmm(x[0]!, x[1]!, x[2]!, k),
  baddbmm: (x, k) => x[0]!.baddbmm(x[1]!, x[2]!, k),
  cdist: (x, k) => nb.cdist(x[0]!, x[1]!, k.p ?? 2),
  einsum: (x, k) => nb.einsum(k.equation, ...x),
  cumprod: (x, k) => x[0]!.cumprod(k.dim),
  nanToNum: (x, k) => x[0]!.nanToNum(k),
  any: (x, k) => x[0]!.any(k.dim, k.keepdim),
  all: (x, k) => nb.all(x[0]!, k.dim, k.keepdim),
  isclose: (x, k) => nb.isclose(x[0]!, x[1]!, k),
  allclose: (x, k) => nb.tensor(x[0]!.allclose(x[1]!, k)),
  roll: (x, k) => x[0]!.roll(k.shifts, k.dims),

  // ---- creation
  arange: (_x, k) => (k.start === undefined ? nb.arange(k.end) : nb.arange(k.start, k.end, k.step)),
  linspace: (_x, k) => nb.linspace(k.start, k.end, k.steps),
  eye: (_x, k) => nb.eye(k.n, k.m),
  full: (_x, k) => nb.full(k.shape, k.value),
};

/** Every output of an op as a list (max/min with a dim give values then indices). */
export function outputsOf(o: OpOut): T[] {
  if (Array.isArray(o)) return o;
  if ('values' in o && 'indices' in o && !(o instanceof nb.Tensor)) return [o.values, o.indices];
  return [o as T];
}
