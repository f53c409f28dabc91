// The bridge between tensors and safetensors records: a state dict to bytes and back
// (browser-safe; the Node file layer is src/io/node-files.ts).

import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { encodeSafetensors, decodeSafetensors, type TensorRecord } from './safetensors.js';

/** Plain records of a state dict (copies of the data). */
export function toRecords(sd: Record<string, Tensor>): Record<string, TensorRecord> {
  const out: Record<string, TensorRecord> = {};
  for (const [k, t] of Object.entries(sd)) {
    // int32 counters are int64 in PyTorch's files (num_batches_tracked): store them the same way.
    const rec: TensorRecord = { dtype: t.dtype, shape: [...t.shape], data: t.dataSync(), ...(t.dtype === 'int32' ? { stored: 'I64' } : {}) };
    Object.defineProperty(out, k, { value: rec, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Tensors from records (each a new tensor the caller owns). */
export function fromRecords(records: Record<string, TensorRecord>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, r] of Object.entries(records)) {
    Object.defineProperty(out, k, { value: tensor(r.data, { shape: r.shape, dtype: r.dtype }), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A state dict as safetensors bytes, with optional string metadata. */
export function serialize(sd: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  return encodeSafetensors(toRecords(sd), metadata);
}

/** Tensors and metadata from safetensors bytes; `name` (a file name) goes into error messages. */
export function deserialize(bytes: Uint8Array, name?: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const d = decodeSafetensors(bytes, name);
  return { tensors: fromRecords(d.tensors), metadata: d.metadata };
}
