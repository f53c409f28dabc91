// Nabla's public API: tensors, ops, autograd, memory, backends (nn, optim, data, io, train join later).

import './tensor/methods.js';
import { registerBackend, setBackend } from './backend/backend.js';
import { jsBackend } from './backend/js/index.js';
import { installAsyncContext } from './tensor/async-context.js';

registerBackend(jsBackend);
await installAsyncContext();
await installDefaultBackend();

/**
 * The default backend is wasm (SIMD kernels on every core); NABLA_BACKEND=js selects the reference
 * backend. If wasm cannot start (no SIMD, or a page without cross-origin isolation), say so once and
 * use js — never silently.
 */
async function installDefaultBackend(): Promise<void> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const wanted = env.NABLA_BACKEND ?? 'wasm';
  if (wanted === 'js') return;
  if (wanted !== 'wasm') throw new Error(`nabla: NABLA_BACKEND must be 'wasm' or 'js', got '${wanted}'`);
  try {
    const { createWasmBackend } = await import('./backend/wasm/index.js');
    registerBackend(await createWasmBackend());
    setBackend('wasm');
  } catch (e) {
    console.warn(`nabla: the wasm backend could not start (${(e as Error).message}); using the js backend`);
  }
}

export { Tensor, type NestedArray } from './tensor/tensor.js';
export type { DType, TypedArray } from './tensor/dtype.js';
export { promoteTypes } from './tensor/dtype.js';
export {
  tensor, scalar, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye,
  rand, randn, randint, randLike, randnLike, randintLike, type CreateOptions,
} from './tensor/create.js';
export { manualSeed, getRngState, setRngState, type RngState } from './tensor/random.js';
export { scope, keep, memory, beginScope, endScope, type MemoryInfo } from './tensor/memory.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/graph.js';
export { grad, valueAndGrad, type BackwardOptions } from './autograd/backward.js';
export { setBackend, getBackend, listBackends, registerBackend, type Backend } from './backend/backend.js';

export {
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalNot,
  where, maskedFill, neg, abs, exp, log, log1p, expm1, sqrt, rsqrt, reciprocal, sin, cos, tanh, sigmoid,
  relu, erf, square, sign, floor, ceil, round, clamp, cast, resultType, type TensorLike,
} from './ops/elementwise.js';
export {
  sum, mean, prodReduce as prod, amax, amin, argmax, argmin, variance as var, std, logsumexp, norm, cumsum,
  sumTo, type Dim, type ValuesIndices, type VarOptions,
} from './ops/reduce.js';
export {
  reshape, flatten, unflatten, squeeze, unsqueeze, permute, transpose, t, expand, broadcastTo, broadcastTensors,
  slice, narrow, select, index, flip, cat, stack, split, chunk, pad, repeat, contiguous, clone, type IndexSpec,
} from './ops/shape.js';
export { gather, scatterAdd, indexSelect, indexAdd, embedding, oneHot } from './ops/indexing.js';
export { matmul, mm, bmm, linear } from './ops/linalg.js';
export { softmax, logSoftmax, leakyRelu, elu, gelu, silu, softplus, dropout } from './ops/activation.js';
export { conv1d, conv2d, convTranspose2d } from './ops/conv.js';
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool2d } from './ops/pool.js';

import { maxDim } from './ops/reduce.js';
import type { Tensor as T } from './tensor/tensor.js';
import { amax as amax_, amin as amin_ } from './ops/reduce.js';
/** max(x) → largest element; max(x, dim, keepdim) → {values, indices}. */
export function max(x: T): T;
export function max(x: T, dim: number, keepdim?: boolean): { values: T; indices: T };
export function max(x: T, dim?: number, keepdim = false): T | { values: T; indices: T } {
  return dim === undefined ? amax_(x) : maxDim('max', x, dim, keepdim);
}
export function min(x: T): T;
export function min(x: T, dim: number, keepdim?: boolean): { values: T; indices: T };
export function min(x: T, dim?: number, keepdim = false): T | { values: T; indices: T } {
  return dim === undefined ? amin_(x) : maxDim('min', x, dim, keepdim);
}

export * as F from './functional.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export { serialize, deserialize, toRecords, fromRecords } from './io/tensors.js';
export * as train from './train/index.js';
export * as text from './text/index.js';
export * as models from './models/index.js';
export * as apps from './apps/index.js';
export * as explain from './explain/index.js';
// ONNX export and import on bytes (files: exportModelFile/importModelFile in nabla/node).
export * as onnx from './io/onnx/index.js';
