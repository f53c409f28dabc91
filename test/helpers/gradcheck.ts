// Finite-difference gradient checks in float64: the gradient nb.grad computes is compared
// with central differences (f(x+h) - f(x-h)) / 2h, element by element; gradgradcheck does the
// same for a Hessian-vector product built with createGraph (gradients of gradients).

import * as nb from '../../src/index.js';
import { assertClose, type Tol } from './allclose.js';

export interface GradcheckOptions extends Partial<Tol> {
  /** step h (float64) */
  eps?: number;
  /** check at most this many elements of each input (evenly spread); all when undefined */
  maxElems?: number;
}

type ScalarFn = (...xs: nb.Tensor[]) => nb.Tensor;

/** Deterministic values in [-1, 1) (a small LCG), so a failing check can be rerun as is. */
export function pseudoRandom(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function evalAt(f: ScalarFn, arrays: Float64Array[], shapes: (readonly number[])[]): number {
  return nb.scope(() => {
    const xs = arrays.map((a, i) => nb.tensor(a, { dtype: 'float64', shape: shapes[i], requiresGrad: true }));
    const v = f(...xs);
    if (v.numel() !== 1) throw new Error(`gradcheck: the function must return one element, got shape [${v.shape.join(', ')}]`);
    return v.item();
  });
}

/**
 * Asserts that nb.grad(f) at xs (float64 tensors) matches central differences.
 * f must return a one-element tensor; `what` names the check in failure messages.
 */
export function gradcheck(what: string, f: ScalarFn, xs: nb.Tensor[], opts: GradcheckOptions = {}): void {
  const eps = opts.eps ?? 1e-6;
  const tol: Tol = { rtol: opts.rtol ?? 1e-5, atol: opts.atol ?? 1e-6 };
  for (const x of xs) {
    if (x.dtype !== 'float64') throw new Error(`gradcheck(${what}): inputs must be float64, got ${x.dtype}`);
  }
  const shapes = xs.map((x) => x.shape);
  const base = xs.map((x) => Float64Array.from(x.dataSync() as Float64Array));
  nb.scope(() => {
    const analytic = nb.grad(f)(...xs);
    xs.forEach((x, i) => {
      const a = analytic[i]!.dataSync();
      const n = base[i]!.length;
      const picks = pick(n, opts.maxElems);
      const got = new Float64Array(picks.length);
      const want = new Float64Array(picks.length);
      picks.forEach((j, k) => {
        const orig = base[i]![j]!;
        base[i]![j] = orig + eps;
        const fp = evalAt(f, base, shapes);
        base[i]![j] = orig - eps;
        const fm = evalAt(f, base, shapes);
        base[i]![j] = orig;
        want[k] = (fp - fm) / (2 * eps);
        got[k] = a[j]!;
      });
      const where = picks.length === n ? '' : ` (${picks.length} of ${n} elements)`;
      assertClose(`${what}: d/d input ${i} [${x.shape.join(', ')}]${where}, analytic vs numeric`, got, want, [picks.length], tol);
    });
  });
}

function pick(n: number, max: number | undefined): number[] {
  if (max === undefined || n <= max) return Array.from({ length: n }, (_, j) => j);
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(Math.floor((k * (n - 1)) / (max - 1)));
  return [...out];
}

/**
 * Second order: with random w_i, h(x) = Σ_i <∂f/∂x_i (x), w_i> is built with createGraph and
 * its gradient (a Hessian-vector product) is checked against central differences of h.
 */
export function gradgradcheck(what: string, f: ScalarFn, xs: nb.Tensor[], opts: GradcheckOptions = {}): void {
  const ws = xs.map((x, i) => nb.keep(nb.tensor(pseudoRandom(x.numel(), 7 + i), { dtype: 'float64', shape: x.shape })));
  const h: ScalarFn = (...ys) => {
    const gs = nb.grad(f, { createGraph: true })(...ys);
    let acc: nb.Tensor | null = null;
    gs.forEach((g, i) => {
      const term = g.mul(ws[i]!).sum();
      acc = acc ? acc.add(term) : term;
    });
    return acc!;
  };
  try {
    gradcheck(`${what} (second order)`, h, xs, { rtol: 1e-4, atol: 1e-5, ...opts });
  } finally {
    for (const w of ws) w.dispose();
  }
}
