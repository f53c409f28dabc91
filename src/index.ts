// Nabla's public API: tensors, ops, autograd, memory, backends, nn, optim, data, io, train.
// Importing it starts nothing: `await nb.ready()` starts the default backend (wasm on every core,
// else js with a notice); in Node the first op starts it if ready() was not awaited.

export { Tensor, type NestedArray } from './tensor/tensor.js';
export type { DType, TypedArray } from './tensor/dtype.js';
export { promoteTypes } from './tensor/dtype.js';
export {
  tensor, scalar, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye,
  rand, randn, randint, randLike, randnLike, randintLike, type CreateOptions,
} from './tensor/create.js';
export { manualSeed, getRngState, setRngState, type RngState } from './tensor/random.js';
export { scope, keep, memory, checkHeap, beginScope, endScope, type MemoryInfo } from './tensor/memory.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/graph.js';
export { grad, valueAndGrad, type BackwardOptions } from './autograd/backward.js';
export { ready, setBackend, getBackend, listBackends, registerBackend } from './backend/default.js';
export type { Backend } from './backend/backend.js';

export * from './ops/index.js';
export { embedding, oneHot } from './ops/indexing.js';

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
