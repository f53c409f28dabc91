// Entry point of the WebAssembly kernels: everything exported here is callable from src/backend/wasm.
export * from './gemm';
export * from './elementwise.gen';
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
