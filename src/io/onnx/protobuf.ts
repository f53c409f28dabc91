// The protobuf runtime ONNX files are read and written with: protobufjs/light. protobufjs is CommonJS,
// so in dist/ the build replaces this file with an ES-module bundle of it (scripts/bundle-protobuf.mjs).

export { default } from 'protobufjs/light.js';
