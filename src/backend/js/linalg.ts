// Batched matrix product with transposed operands and broadcast (stride-0) batches.

import type { MatmulParams, Storage } from '../backend.js';
import { js, sameDType, type JsMemory, type JsStorage } from './storage.js';

export function matmul(mem: JsMemory, a: Storage, b: Storage, p: MatmulParams): JsStorage {
  const as = js(a, 'matmul (a)', ['float32', 'float64', 'int32']);
  const bs = js(b, 'matmul (b)', ['float32', 'float64', 'int32']);
  const dtype = sameDType('matmul', as, bs);
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = p;
  for (const [name, v] of Object.entries({ batch, m, k, n, aBatchStride, bBatchStride })) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`matmul: ${name} = ${v} must be a non-negative integer`);
  }
  // The last batch's matrix must end inside each storage.
  if (batch > 0 && m * k > 0 && (batch - 1) * aBatchStride + m * k > as.size) {
    throw new RangeError(`matmul: a has ${as.size} elements, too few for batch ${batch} × ${m}×${k} with batch stride ${aBatchStride}`);
  }
  if (batch > 0 && k * n > 0 && (batch - 1) * bBatchStride + k * n > bs.size) {
    throw new RangeError(`matmul: b has ${bs.size} elements, too few for batch ${batch} × ${k}×${n} with batch stride ${bBatchStride}`);
  }
  const out = mem.alloc(dtype, batch * m * n);
  const A = as.data, B = bs.data, C = out.data;
  const int = dtype === 'int32';
  for (let t = 0; t < batch; t++) {
    const a0 = t * aBatchStride, b0 = t * bBatchStride, c0 = t * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0; // float64 accumulator, rounded once on store
        for (let l = 0; l < k; l++) {
          const av = A[a0 + (transA ? l * m + i : i * k + l)]!; // A is k×m when transposed
          const bv = B[b0 + (transB ? j * k + l : l * n + j)]!; // B is n×k when transposed
          acc = int ? (acc + Math.imul(av, bv)) | 0 : acc + av * bv;
        }
        C[c0 + i * n + j] = acc;
      }
    }
  }
  return out;
}
