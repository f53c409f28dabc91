// nb.onnx (also nabla/onnx, and onnx in nabla/node): models out to ONNX (exportModel) and in from ONNX (importModel), on bytes — file access is
// in the Node layer (nabla/node) and the CLI.

export { exportModel, traceModel, type ExportOptions } from './export.js';
export { decodeModel, encodeModel, type OnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from './proto.js';
export { importModel, OnnxModule, SUPPORTED_OPS, type ImportOptions } from './import.js';
export { findHeadInput } from './transfer.js';
export { splitWeights } from './weights.js';
