// Softmax cross-entropy of logits [M, C] at int32 classes per row, as one op through a backend's
// fused kernels; the composite in src/nn/loss.ts (logSoftmax, gather) stays the definition.

import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { isGradEnabled } from '../autograd/graph.js';
import { runBackward } from '../autograd/backward.js';
import { mul, neg } from './elementwise.js';
import { gather } from './indexing.js';
import { logSoftmax } from './activation.js';
import { reshape } from './shape.js';
import { backendOf, record, wrap } from './util.js';

/**
 * Per-row losses −logSoftmax(x)[r, t_r] (0 where t_r = ignoreIndex) of float32 x [M, C], or null
 * when the backend has no fused kernel for it (the caller then runs the composite). The classes
 * must already be checked: every one in [0, C) or ignoreIndex.
 */
export function softmaxCrossEntropyRows(x: Tensor, target: Tensor, ignoreIndex: number): Tensor | null {
  const be = backendOf('crossEntropy', x, target);
  const f = be.fused;
  if (!f?.softmaxCrossEntropy || !f.softmaxCrossEntropyBackward || x.dtype !== 'float32' || x.ndim !== 2 || target.dtype !== 'int32') return null;
  const [M, C] = [x.shape[0]!, x.shape[1]!];
  if (target.numel() !== M || M === 0 || C === 0) return null;
  const p = { m: M, c: C, ignoreIndex };
  const [ls, lses] = f.softmaxCrossEntropy(x._s('crossEntropy'), target._s('crossEntropy'), p);
  const rows = wrap(be, ls, [M]);
  const lse = wrap(be, lses, [M]);
  const bwd = f.softmaxCrossEntropyBackward;
  record(rows, 'crossEntropy', [x], [x, target, lse], (g, [sx, st, sl]) => {
    if (isGradEnabled()) return [replay(sx!, st!, ignoreIndex, g)];
    return [wrap(be, bwd(sx!._s('crossEntropy backward'), st!._s('crossEntropy backward'), sl!._s('crossEntropy backward'),
      g._s('crossEntropy backward'), g.numel() === 1 ? 0 : 1, 1, p), [M, C])];
  });
  lse.dispose();
  return rows;
}

/** The composite's vector-Jacobian product, recorded (createGraph through the fused op). */
function replay(x: Tensor, target: Tensor, ignoreIndex: number, g: Tensor): Tensor | null {
  const t = target.dataSync() as Int32Array;
  const idx = new Int32Array(t.length), w = new Float32Array(t.length);
  t.forEach((k, i) => { if (k !== ignoreIndex) { idx[i] = k; w[i] = 1; } });
  const chosen = reshape(gather(logSoftmax(x, 1), 1, tensor(idx, { dtype: 'int32', shape: [t.length, 1] })), [t.length]);
  const rows = neg(mul(chosen, tensor(w, { dtype: x.dtype, shape: [t.length] })));
  return (runBackward(rows, g, { createGraph: true }, [x]) as (Tensor | null)[])[0] ?? null;
}
