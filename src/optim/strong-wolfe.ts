// The strong-Wolfe line search LBFGS uses (PyTorch's _strong_wolfe and _cubic_interpolate, ported
// from torch/optim's lswolfe.lua): bracket a step satisfying both Wolfe conditions, then zoom in.

import type { Tensor } from '../tensor/tensor.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/**
 * The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to the
 * bounds (by default the interval between the points); their midpoint if the cubic has none.
 */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/** f and its flat gradient at x + t·d (the parameters are put back to x afterwards). */
export type Directional = (t: number, d: Tensor) => { f: number; g: Tensor };

export interface WolfeResult { f: number; g: Tensor; t: number; evals: number }

export interface WolfeOptions {
  c1?: number;
  c2?: number;
  toleranceChange?: number;
  maxLs?: number;
  /**
   * Rounds a scalar to the parameters' precision. PyTorch evaluates the Wolfe tests on 0-d tensors
   * of that dtype (f + c1·t·gtd is a float32 sum for float32 parameters), which can decide a branch.
   */
  round?: (x: number) => number;
}

function dot(a: Tensor, b: Tensor): number {
  return sum(mul(a, b)).item();
}

/**
 * Finds a step t along d from a point with value f, gradient g and directional derivative gtd
 * that satisfies f(t) ≤ f + c1·t·gtd and |g(t)·d| ≤ −c2·gtd; as PyTorch's, step for step.
 */
export function strongWolfe(obj: Directional, t: number, d: Tensor, f: number, g: Tensor, gtd: number, opts: WolfeOptions = {}): WolfeResult {
  const c1 = opts.c1 ?? 1e-4, c2 = opts.c2 ?? 0.9, tolChange = opts.toleranceChange ?? 1e-9, maxLs = opts.maxLs ?? 25;
  const r = opts.round ?? ((x: number): number => x);
  // sufficient decrease (Armijo) and curvature, as PyTorch computes them
  const armijo = (fx: number, tx: number): boolean => r(fx) > r(f + r(r(c1 * tx) * gtd));
  const curvature = (gtdx: number): boolean => Math.abs(gtdx) <= r(r(-c2) * gtd);
  const dNorm = d.abs().amax().item();
  let { f: fNew, g: gNew } = obj(t, d);
  let evals = 1;
  let gtdNew = dot(gNew, d);

  // bracket an interval containing a point satisfying the Wolfe criteria
  let tPrev = 0, fPrev = f, gPrev = g, gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [], bracketF: number[] = [], bracketG: Tensor[] = [], bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (armijo(fNew, t) || (lsIter > 1 && fNew >= fPrev)) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    if (curvature(gtdNew)) {
      [bracket, bracketF, bracketG] = [[t], [fNew], [gNew]];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    // interpolate
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    // next step
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    ({ f: fNew, g: gNew } = obj(t, d));
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  // reached the maximum number of iterations?
  if (lsIter === maxLs) [bracket, bracketF, bracketG] = [[0, t], [f, fNew], [g, gNew]];

  // zoom: refine the bracket until a point satisfies the criteria
  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    // the bracket is too small
    if (r(Math.abs(bracket[1]! - bracket[0]!) * dNorm) < tolChange) break;
    t = cubicInterpolate(bracket[0]!, bracketF[0]!, bracketGtd[0]!, bracket[1]!, bracketF[1]!, bracketGtd[1]!);
    // Too close to an end of the bracket: if the last step also was, or t is at (or past) an end,
    // move it to 0.1·|bracket| from the nearest end.
    const bMax = Math.max(...bracket), bMin = Math.min(...bracket);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else insufProgress = true;
    } else insufProgress = false;

    ({ f: fNew, g: gNew } = obj(t, d));
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;

    if (armijo(fNew, t) || fNew >= bracketF[lowPos]!) {
      // Armijo condition not satisfied, or not lower than the lowest point
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew;
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (curvature(gtdNew)) done = true;
      else if (gtdNew * (bracket[highPos]! - bracket[lowPos]!) >= 0) {
        // the old high becomes the new low
        bracket[highPos] = bracket[lowPos]!;
        bracketF[highPos] = bracketF[lowPos]!;
        bracketG[highPos] = bracketG[lowPos]!;
        bracketGtd[highPos] = bracketGtd[lowPos]!;
      }
      // the new point becomes the new low
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew;
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return { f: bracketF[lowPos]!, g: bracketG[lowPos]!, t: bracket[lowPos]!, evals };
}
