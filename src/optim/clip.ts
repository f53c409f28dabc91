// Gradient clipping (torch.nn.utils' clip_grad_norm_ / clip_grad_value_): rescales or clamps the
// .grad of parameters in place, between backward() and optimizer.step().

import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { abs, clamp, mul, amax, norm } from '../ops/index.js';

function gradsOf(name: string, params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  const out: Tensor[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${name}: parameter ${i} is not a Tensor`);
    if (p.grad) out.push(p);
  });
  return out;
}

function replaceGrad(p: Tensor, g: Tensor): void {
  const old = p.grad!;
  p.grad = keep(g);
  old.dispose();
}

/**
 * Scales all gradients together so that their total normType-norm (as if concatenated) is at most
 * maxNorm: g ·= maxNorm / (total + 1e-6) when that is < 1, as PyTorch does. Returns the total norm
 * before clipping (a number). errorIfNonfinite: throw when the total is NaN or infinite.
 */
export function clipGradNorm(params: Iterable<Tensor> | Tensor, maxNorm: number, normType = 2, opts: { errorIfNonfinite?: boolean } = {}): number {
  const name = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new RangeError(`${name}: maxNorm must be a number ≥ 0, got ${String(maxNorm)}`);
  if (!(normType > 0)) throw new RangeError(`${name}: normType must be > 0 or Infinity, got ${normType}`);
  const ps = gradsOf(name, params);
  if (ps.length === 0) return 0;
  return noGrad(() => {
    let total = 0;
    for (const p of ps) {
      const n = normType === Infinity ? amax(abs(p.grad!)) : norm(p.grad!, normType);
      const v = n.item();
      n.dispose();
      total = normType === Infinity ? Math.max(total, v) : total + v ** normType;
    }
    if (normType !== Infinity) total = total ** (1 / normType);
    if (opts.errorIfNonfinite && !Number.isFinite(total)) {
      throw new Error(`${name}: the total norm of order ${normType} of the gradients is ${total}, so they cannot be clipped (pass errorIfNonfinite: false to clip anyway)`);
    }
    const coef = maxNorm / (total + 1e-6);
    if (coef < 1) for (const p of ps) replaceGrad(p, mul(p.grad!, coef));
    return total;
  });
}

/** Clamps every gradient element to [−clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  const name = 'clipGradValue';
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new RangeError(`${name}: clipValue must be a number ≥ 0, got ${String(clipValue)}`);
  const ps = gradsOf(name, params);
  noGrad(() => {
    for (const p of ps) replaceGrad(p, clamp(p.grad!, -clipValue, clipValue));
  });
}
