// The op table: every op nabla exports, one module per family. The records (unary, binary,
// reduction: src/ops/record.ts, broadcast.ts) carry their kernels, dtype rules, backward and
// PyTorch's spelling; the rest are composites defined with defineOp. Tensor methods, the wasm
// kernels and the tests are derived from the records exported here (./registry.ts).

export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './indexing.js';
export { index, indexPut, indexPutAt, newaxis, type IndexSpec } from './subscript.js';
export { cast, reshape, permute } from './layout.js';
export { expand, sumTo } from './broadcast.js';
export { resultType, type TensorLike, type UnaryFn, type BinaryFn } from './record.js';
export { matmul, mm, bmm, linear } from './linalg.js';
export { softmax, logSoftmax, logsumexp, leakyRelu, elu, gelu, silu, softplus, dropout } from './activation.js';
export { conv1d, conv2d, convTranspose2d, type ConvOptions, type ConvTransposeOptions } from './conv.js';
export { maxPool1d, maxPool2d, maxPool2dWithIndices, avgPool1d, avgPool2d, adaptiveAvgPool2d, type MaxPoolOptions, type AvgPoolOptions } from './pool.js';
export { tril, triu, diagonal, diag, outer, addmm, baddbmm, cdist, roll, type DiagonalOptions, type AddmmOptions } from './matrix.js';
export { einsum } from './einsum.js';
export {
  sort, argsort, topk, unique, searchsorted, bincount, nonzero, argwhere, maskedSelect,
  type SortOptions, type TopkOptions, type UniqueOptions, type UniqueResult, type SearchsortedOptions, type BincountOptions,
} from './sorting.js';
export { nanToNum, any, all, isclose, allclose, type NanToNumOptions, type IscloseOptions } from './predicates.js';
export { multinomial, randperm } from './sampling.js';
export { setTracer, type TraceEvent, type Tracer } from './dispatch.js';
