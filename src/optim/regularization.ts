// Explicit L2 regularisation: a differentiable penalty to add to the loss (the alternative to an
// optimizer's weightDecay, which adds the same gradient inside the update).

import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { add, mul, sum } from '../ops/index.js';

/**
 * λ·Σ_p Σ p² over the parameters, a scalar with gradient 2λ·p. Adding it to the loss equals SGD's
 * weightDecay = 2λ (PyTorch's weight_decay wd is the gradient of (wd/2)·Σ p²).
 */
export function l2Penalty(params: Iterable<Tensor>, lambda: number): Tensor {
  if (typeof lambda !== 'number' || !(lambda >= 0)) throw new RangeError(`l2Penalty: lambda must be a number ≥ 0, got ${String(lambda)}`);
  const list = [...params];
  if (list.length === 0) throw new Error('l2Penalty: got an empty parameter list');
  return scope(() => {
    let acc: Tensor | null = null;
    for (const p of list) {
      const s = sum(mul(p, p));
      acc = acc ? add(acc, s) : s;
    }
    return mul(acc!, lambda);
  });
}
