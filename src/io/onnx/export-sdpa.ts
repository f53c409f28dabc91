// F.scaledDotProductAttention as ONNX nodes (opset 17 has no attention op): MatMul(q·scale, kᵀ), the
// mask added (bool → Where to 0 / -inf; causal → a constant [L, S] like causalSoftmax), Softmax, MatMul v.

import type { Tensor } from '../../tensor/tensor.js';
import { onnxDType, type GraphBuilder } from './builder.js';
import { dtypeCode } from './proto.js';
import type { OpCall } from './export-ops.js';
import type { ScaledDotProductAttentionOptions } from '../../nn/attention.js';

export function scaledDotProductAttention(b: GraphBuilder, c: OpCall): string[] {
  const [q, k, v, opts = {}] = c.args as [Tensor, Tensor, Tensor, ScaledDotProductAttentionOptions | undefined];
  const p = c.path, where = `op 'scaledDotProductAttention' in the forward of '${p || '(root)'}'`;
  const out = c.outputs[0]!, dt = onnxDType(out, where);
  if ((opts.dropoutP ?? 0) > 0) {
    throw new Error(`exportModel: ${where}: dropoutP ${opts.dropoutP} drops attention weights at random even in eval mode (as PyTorch's dropout_p); pass dropoutP 0 (e.g. training ? p : 0) to export`);
  }
  // inputs in the output's dtype (the op promotes nothing, but a float64 mask or float32 q must agree in ONNX)
  const inDt = (t: Tensor): string => (onnxDType(t, where) === dt ? c.val(t) : b.op(p, 'Cast', [c.val(t)], { to: dtypeCode(dt) }));
  const L = q.shape[q.ndim - 2]!, S = k.shape[k.ndim - 2]!, E = q.shape[q.ndim - 1]!;
  const kPerm = Array.from({ length: k.ndim }, (_, i) => (i === k.ndim - 2 ? k.ndim - 1 : i === k.ndim - 1 ? k.ndim - 2 : i));
  const qs = b.op(p, 'Mul', [inDt(q), b.scalar(p, dt, opts.scale ?? 1 / Math.sqrt(E))]);
  let scores = b.op(p, 'MatMul', [qs, b.op(p, 'Transpose', [inDt(k)], { perm: kPerm })]);
  if (opts.isCausal) {
    const mask = Array.from({ length: L * S }, (_, i) => (i % S > Math.floor(i / S) ? -Infinity : 0));
    scores = b.op(p, 'Add', [scores, b.constant(p, dt, [L, S], mask)]);
  } else if (opts.attnMask) {
    const m = opts.attnMask;
    // bool: true = takes part (PyTorch 2's convention) → 0, false → -inf; float: added as is
    const add = m.dtype === 'bool' ? b.op(p, 'Where', [c.val(m), b.scalar(p, dt, 0), b.scalar(p, dt, -Infinity)]) : inDt(m);
    scores = b.op(p, 'Add', [scores, add]);
  }
  return [b.op(p, 'MatMul', [b.op(p, 'Softmax', [scores], { axis: -1 }), inDt(v)])];
}
