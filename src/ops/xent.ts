// Softmax cross-entropy of logits rows [M, C] at int32 classes: −logSoftmax(x)[r, t_r] per row, 0
// where t_r = ignoreIndex. The composite here is the definition; the rewrite table runs a backend's
// one-pass kernel for it (./fused/sequences.ts).

import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { runBackward } from '../autograd/backward.js';
import { defineOp } from './dispatch.js';
import { mul, neg } from './elementwise.js';
import { gather } from './indexing.js';
import { logSoftmax } from './activation.js';
import { reshape } from './layout.js';

/** Per-row losses; the classes must already be checked (every one in [0, C) or ignoreIndex). */
export const crossEntropyRows = defineOp('crossEntropyRows', (x: Tensor, target: Tensor, ignoreIndex: number): Tensor => {
  const t = target.dataSync() as Int32Array;
  const idx = new Int32Array(t.length), w = new Float32Array(t.length);
  t.forEach((k, i) => { if (k !== ignoreIndex) { idx[i] = k; w[i] = 1; } });
  const chosen = reshape(gather(logSoftmax(x, 1), 1, tensor(idx, { dtype: 'int32', shape: [t.length, 1] })), [t.length]);
  return neg(mul(chosen, tensor(w, { dtype: x.dtype, shape: [t.length] })));
}, {
  /** The composite's vector-Jacobian product, recorded (createGraph through the fused kernel). */
  gradOf: (rows: Tensor, g: Tensor, x: Tensor): Tensor | null => (runBackward(rows, g, { createGraph: true }, [x]) as (Tensor | null)[])[0] ?? null,
});
