// Entry point of the WebAssembly kernels: everything exported here is callable from src/backend/wasm
// (typed in src/backend/wasm/exports.gen.ts). gen/ is generated from the op table by scripts/gen-kernels.ts.
export * from './gemm';
export * from './gen/unary';
export * from './gen/binary';
export * from './gen/reduce';
export * from './gen/layout';
export * from './generic';
export * from './indexing';
export * from './conv';
export * from './pool';
export * from './transpose';
export * from './winograd';
export * from './winograd4';
export * from './fused';
export * from './winograd-weight';
export * from './epilogue';
export * from './conv-direct';
export * from './gru';
export { rnn_pack_f32 } from './recurrent';
export * from './conv-pool';
export * from './sum';
export * from './rows';
export * from './loss';
export * from './conv-rows';
export * from './random';
export * from './channels';
