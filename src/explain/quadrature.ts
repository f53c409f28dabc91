// The rules that integrate a gradient along a path from 0 to 1: points α_k in [0, 1] and weights w_k
// (Σ w_k f(α_k) ≈ ∫₀¹ f) — Riemann sums and Gauss–Legendre, as integrated gradients uses them.

export const IG_METHODS = ['gausslegendre', 'riemann_left', 'riemann_right', 'riemann_middle', 'riemann_trapezoid'] as const;
export type IgMethod = (typeof IG_METHODS)[number];

export interface Quadrature {
  alphas: number[];
  weights: number[];
}

/**
 * Points and weights of `method` with n points on [0, 1]. The Riemann rules are Captum's, except the
 * trapezoid: Captum's weights 1/n (halved at both ends) add up to (n−1)/n, so its completeness gap
 * never closes at a fixed n; here the spacing is 1/(n−1) and the weights add up to 1.
 */
export function quadrature(method: IgMethod, n: number): Quadrature {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`integratedGradients: nSteps must be an integer ≥ 1, got ${n}`);
  if (method === 'gausslegendre') {
    const { nodes, weights } = gaussLegendre(n);
    return { alphas: nodes.map((x) => 0.5 * (x + 1)), weights: weights.map((w) => 0.5 * w) };
  }
  if (!IG_METHODS.includes(method)) throw new Error(`integratedGradients: unknown method '${String(method)}' (methods: ${IG_METHODS.join(', ')})`);
  if (n < 2) throw new RangeError(`integratedGradients: the Riemann rules need nSteps ≥ 2, got ${n}`);
  const idx = Array.from({ length: n }, (_, k) => k);
  switch (method) {
    case 'riemann_left': return { alphas: idx.map((k) => k / n), weights: idx.map(() => 1 / n) };
    case 'riemann_right': return { alphas: idx.map((k) => (k + 1) / n), weights: idx.map(() => 1 / n) };
    case 'riemann_middle': return { alphas: idx.map((k) => (k + 0.5) / n), weights: idx.map(() => 1 / n) };
    case 'riemann_trapezoid': return {
      alphas: idx.map((k) => k / (n - 1)),
      weights: idx.map((k) => (k === 0 || k === n - 1 ? 0.5 : 1) / (n - 1)),
    };
  }
}

/**
 * Gauss–Legendre nodes (ascending, on [−1, 1]) and weights for n points: Newton's method on the
 * Legendre polynomial P_n from Chebyshev starting points, P_n and P_n' by the three-term recurrence.
 */
export function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes = new Array<number>(n), weights = new Array<number>(n);
  const half = Math.floor((n + 1) / 2);
  for (let i = 0; i < half; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1, p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1, pm = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pm)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) <= 1e-16 * Math.max(1, Math.abs(x))) break;
    }
    // Recompute P_n' at the converged root for the weight.
    let p0 = 1, p1 = x;
    for (let k = 2; k <= n; k++) {
      const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
      p0 = p1;
      p1 = p2;
    }
    dp = n === 1 ? 1 : (n * (x * p1 - p0)) / (x * x - 1);
    const w = 2 / ((1 - x * x) * dp * dp);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) nodes[half - 1] = 0;
  return { nodes, weights };
}
