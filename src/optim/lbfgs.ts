// L-BFGS as torch.optim.LBFGS: each step(closure) runs up to maxIter quasi-Newton iterations over
// all parameters as one flat vector (two-loop recursion over the last historySize curvature pairs),
// with a fixed step or PyTorch's strong-Wolfe line search; state dicts in PyTorch's layout.

import { Tensor } from '../tensor/tensor.js';
import { keep, scope } from '../tensor/memory.js';
import { enableGrad, noGrad } from '../autograd/graph.js';
import { tensor, zeros } from '../tensor/create.js';
import { add, mul, neg, sub } from '../ops/elementwise.js';
import { cast } from '../ops/layout.js';
import { sum } from '../ops/reduce.js';
import { cat, clone, narrow, reshape, stack } from '../ops/shape.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { checkOptions } from '../options.js';
import { stepBoundary } from '../autograd/release.js';
import { hasSparseGrad } from '../nn/sparse-grad.js';
import { Optimizer, checkLr, type OptimizerStateDict, type ParamGroup, type ParamState, type Params } from './optimizer.js';
import { strongWolfe } from './strong-wolfe.js';

export interface LBFGSOptions {
  lr?: number;
  /** quasi-Newton iterations per step (default 20) */
  maxIter?: number;
  /** closure evaluations per step (default ⌊maxIter·5/4⌋) */
  maxEval?: number;
  /** stop when the largest |gradient| element is at most this (default 1e-7) */
  toleranceGrad?: number;
  /** stop when the loss or the parameters change by less than this (default 1e-9) */
  toleranceChange?: number;
  /** curvature pairs kept (default 100) */
  historySize?: number;
  /** 'strong_wolfe' (PyTorch's spelling; 'strongWolfe' too) or null for a fixed step lr */
  lineSearchFn?: 'strong_wolfe' | 'strongWolfe' | null;
}

interface LBFGSHyper { lr: number; maxIter: number; maxEval: number; toleranceGrad: number; toleranceChange: number; historySize: number; lineSearchFn: string | null }

/** What PyTorch keeps in state[params[0]] between steps (absent until the first step sets it). */
interface Run {
  funcEvals: number;
  nIter: number;
  d: Tensor | null;
  t: number | null;
  oldDirs: Tensor[];
  oldStps: Tensor[];
  ro: number[];
  hDiag: number | null;
  prevFlatGrad: Tensor | null;
  prevLoss: number | null;
}

const OPTIONS = ['lr', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize', 'lineSearchFn'];

const dot = (a: Tensor, b: Tensor): number => sum(mul(a, b)).item();
const absMax = (a: Tensor): number => a.abs().amax().item();

export class LBFGS extends Optimizer {
  private run: Run | null = null;
  private readonly numel: number;

  constructor(params: Params, opts: LBFGSOptions = {}) {
    checkOptions('LBFGS', opts, OPTIONS);
    const maxIter = opts.maxIter ?? 20;
    super('LBFGS', params, {
      lr: opts.lr ?? 1, maxIter, maxEval: opts.maxEval ?? Math.floor((maxIter * 5) / 4), toleranceGrad: opts.toleranceGrad ?? 1e-7,
      toleranceChange: opts.toleranceChange ?? 1e-9, historySize: opts.historySize ?? 100,
      // PyTorch's spelling of the value, so that state dicts carry what torch.optim.LBFGS reads
      lineSearchFn: opts.lineSearchFn === 'strongWolfe' ? 'strong_wolfe' : (opts.lineSearchFn ?? null),
    });
    if (this.paramGroups.length !== 1) throw new Error(`LBFGS: doesn't support per-parameter options (parameter groups); got ${this.paramGroups.length} groups`);
    const ps = this.paramGroups[0]!.params;
    const dtypes = new Set(ps.map((p) => p.dtype));
    if (dtypes.size > 1) throw new TypeError(`LBFGS: all parameters must have one dtype (they are optimised as one vector), got ${[...dtypes].join(' and ')}`);
    this.numel = ps.reduce((n, p) => n + p.numel(), 0);
  }

  override addParamGroup(input: Parameters<Optimizer['addParamGroup']>[0]): void {
    if (this.paramGroups.length > 0) throw new Error("LBFGS: doesn't support per-parameter options (parameter groups)");
    super.addParamGroup(input);
  }

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr('LBFGS', h.lr);
    for (const k of ['maxIter', 'maxEval', 'historySize']) {
      const v = h[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`LBFGS: ${k} must be a positive integer, got ${String(v)}`);
    }
    for (const k of ['toleranceGrad', 'toleranceChange']) {
      const v = h[k];
      if (typeof v !== 'number' || !(v >= 0)) throw new RangeError(`LBFGS: ${k} must be a number ≥ 0, got ${String(v)}`);
    }
    const ls = h.lineSearchFn;
    if (ls !== null && ls !== 'strong_wolfe' && ls !== 'strongWolfe') throw new Error(`LBFGS: lineSearchFn must be 'strong_wolfe' or null, got ${JSON.stringify(ls)}`);
  }

  /** LBFGS keeps its state itself (under parameter 0, as PyTorch does): see stateDict/loadStateDict. */
  protected override stateSpec(): { tensors: string[]; numbers: string[]; required: string[] } {
    return { tensors: [], numbers: [], required: [] };
  }

  protected override update(): Tensor {
    throw new Error('LBFGS: the update needs the closure; call step(closure)');
  }

  private get params(): Tensor[] {
    return this.paramGroups[0]!.params;
  }

  /** Rounds a scalar the way PyTorch's 0-d tensors of the parameters' dtype do. */
  private round(x: number): number {
    return this.params[0]!.dtype === 'float32' ? Math.fround(x) : x;
  }

  private gatherFlatGrad(): Tensor {
    const views = this.params.map((p, i) => {
      const g = p.grad;
      if (hasSparseGrad(p)) throw new Error(`LBFGS does not support sparse gradients (parameter ${i} of shape ${fmt(p.shape)} from nn.Embedding({sparse: true}))`);
      if (!g) return zeros([p.numel()], { dtype: p.dtype });
      if (!sameShape(g.shape, p.shape)) throw new Error(`LBFGS: parameter ${i} ${fmt(p.shape)} has a gradient of shape ${fmt(g.shape)} (a sparse gradient? LBFGS needs dense ones)`);
      return reshape(g.dtype === p.dtype ? g : cast(g, p.dtype), [p.numel()]);
    });
    return views.length === 1 ? clone(views[0]!) : cat(views);
  }

  /** params += t·d (d flat). */
  private addGrad(t: number, d: Tensor): void {
    let off = 0;
    for (const p of this.params) {
      const n = p.numel();
      p._assign(add(p, mul(reshape(narrow(d, 0, off, n), p.shape), t)));
      off += n;
    }
  }

  private evaluate(closure: () => unknown): number {
    return scope(() => lossValue(enableGrad(closure)));
  }

  /**
   * Runs up to maxIter iterations; `closure` clears the gradients, computes the loss, calls
   * backward() and returns the loss (a one-element tensor or a number). Returns the closure's
   * first result, as PyTorch does.
   */
  override step<T = undefined>(closure?: () => T): T | undefined {
    if (typeof closure !== 'function') throw new TypeError('LBFGS.step: needs a closure that clears the gradients, computes the loss, calls backward() and returns the loss');
    for (const [i, p] of this.params.entries()) if (p.isDisposed) throw new Error(`LBFGS.step: parameter ${i} (shape ${fmt(p.shape)}) was disposed`);
    const h = this.paramGroups[0] as unknown as LBFGSHyper;
    const origLoss = scope(() => enableGrad(closure));
    const loss = lossValue(origLoss);
    noGrad(() => scope(() => this.iterate(closure, h, loss)));
    // a step boundary (DESIGN.md decision 5), as Optimizer.step has
    stepBoundary(this.params);
    return origLoss;
  }

  private iterate(closure: () => unknown, h: LBFGSHyper, loss: number): void {
    const run: Run = this.run ?? { funcEvals: 0, nIter: 0, d: null, t: null, oldDirs: [], oldStps: [], ro: [], hDiag: null, prevFlatGrad: null, prevLoss: null };
    this.run = run;
    let currentEvals = 1;
    run.funcEvals += 1;
    let flatGrad = this.gatherFlatGrad();
    if (absMax(flatGrad) <= h.toleranceGrad) return;

    // Tensors that live from one iteration to the next are kept; the rest go with each iteration's scope.
    let carried = new Set<Tensor>([run.d, run.prevFlatGrad, ...run.oldDirs, ...run.oldStps].filter((t): t is Tensor => t !== null));
    const carry = (): void => {
      const next = new Set<Tensor>([flatGrad, run.d, run.prevFlatGrad, ...run.oldDirs, ...run.oldStps].filter((t): t is Tensor => t !== null));
      for (const t of next) keep(t);
      for (const t of carried) if (!next.has(t)) t.dispose();
      carried = next;
    };
    carry();
    const lineSearch = h.lineSearchFn !== null;
    let nIter = 0;
    const iteration = (): boolean => {
      nIter++;
      run.nIter++;
      // the descent direction
      if (run.nIter === 1) {
        run.d = neg(flatGrad);
        run.oldDirs = [];
        run.oldStps = [];
        run.ro = [];
        run.hDiag = 1;
      } else {
        const y = sub(flatGrad, run.prevFlatGrad!);
        const s = mul(run.d!, run.t!);
        const ys = dot(y, s);
        if (ys > 1e-10) {
          // update the memory (limited: drop the oldest pair when full)
          if (run.oldDirs.length === h.historySize) {
            run.oldDirs.shift();
            run.oldStps.shift();
            run.ro.shift();
          }
          run.oldDirs.push(y);
          run.oldStps.push(s);
          run.ro.push(this.round(1 / ys));
          run.hDiag = this.round(ys / dot(y, y));
        }
        // the two-loop recursion: the inverse-Hessian approximation times −gradient
        const k = run.oldDirs.length;
        const al = new Array<number>(k);
        let q = neg(flatGrad);
        for (let i = k - 1; i >= 0; i--) {
          al[i] = this.round(dot(run.oldStps[i]!, q) * run.ro[i]!);
          q = sub(q, mul(run.oldDirs[i]!, al[i]!));
        }
        let r = mul(q, run.hDiag!);
        for (let i = 0; i < k; i++) {
          const be = this.round(dot(run.oldDirs[i]!, r) * run.ro[i]!);
          r = add(r, mul(run.oldStps[i]!, this.round(al[i]! - be)));
        }
        run.d = r;
      }
      run.prevFlatGrad = flatGrad;
      run.prevLoss = loss;

      // the step length: the first iteration ever is scaled by the gradient's size
      const first = this.round(1 / sum(flatGrad.abs()).item());
      run.t = run.nIter === 1 ? (first < 1 ? this.round(first * h.lr) : h.lr) : h.lr;
      const d = run.d;
      const gtd = dot(flatGrad, d);
      // the directional derivative is below tolerance
      if (gtd > -h.toleranceChange) return true;

      let lsEvals = 0;
      let optCond = false;
      if (lineSearch) {
        const x = this.params.map((p) => clone(p));
        const obj = (t: number, dir: Tensor): { f: number; g: Tensor } => {
          this.addGrad(t, dir);
          const f = this.evaluate(closure);
          const g = this.gatherFlatGrad();
          this.params.forEach((p, i) => p._assign(x[i]!));
          return { f, g };
        };
        const res = strongWolfe(obj, run.t, d, loss, flatGrad, gtd, { round: (v) => this.round(v) });
        [loss, flatGrad, run.t, lsEvals] = [res.f, res.g, res.t, res.evals];
        this.addGrad(run.t, d);
        optCond = absMax(flatGrad) <= h.toleranceGrad;
      } else {
        this.addGrad(run.t, d);
        if (nIter !== h.maxIter) {
          // re-evaluate only if another iteration follows (in a stochastic setting it is wasted)
          loss = this.evaluate(closure);
          flatGrad = this.gatherFlatGrad();
          optCond = absMax(flatGrad) <= h.toleranceGrad;
          lsEvals = 1;
        }
      }
      currentEvals += lsEvals;
      run.funcEvals += lsEvals;

      if (nIter === h.maxIter) return true;
      if (currentEvals >= h.maxEval) return true;
      if (optCond) return true;
      // lack of progress
      if (absMax(mul(d, run.t)) <= h.toleranceChange) return true;
      if (Math.abs(loss - run.prevLoss) < h.toleranceChange) return true;
      return false;
    };
    while (nIter < h.maxIter) {
      const stop = scope(() => {
        const s = iteration();
        carry();
        return s;
      });
      if (stop) break;
    }
    // the last gradient was carried for another iteration that did not come
    const kept = new Set<Tensor | null>([run.d, run.prevFlatGrad, ...run.oldDirs, ...run.oldStps]);
    for (const t of carried) if (!kept.has(t)) t.dispose();
  }

  /** PyTorch's layout: the whole state under parameter 0 (the curvature pairs stacked as [k, n]). */
  override stateDict(): OptimizerStateDict {
    const sd = super.stateDict();
    const run = this.run;
    if (!run) return sd;
    const s: ParamState = { func_evals: run.funcEvals, n_iter: run.nIter };
    if (run.d) {
      const dtype = this.params[0]!.dtype;
      const k = run.oldDirs.length;
      noGrad(() => {
        s.d = clone(run.d!);
        s.t = run.t!;
        s.old_dirs = k ? stack(run.oldDirs) : zeros([0, this.numel], { dtype });
        s.old_stps = k ? stack(run.oldStps) : zeros([0, this.numel], { dtype });
        s.ro = tensor(Float64Array.from(run.ro), { dtype, shape: [k] });
        s.H_diag = run.hDiag!;
        s.prev_flat_grad = clone(run.prevFlatGrad!);
        s.prev_loss = run.prevLoss!;
      });
    }
    sd.state[0] = s;
    return sd;
  }

  /**
   * Restores a stateDict() — or PyTorch's, whose curvature pairs are lists of vectors and whose
   * scalars may be 0-d tensors — after checking every entry against these parameters.
   */
  override loadStateDict(sd: OptimizerStateDict, opts: { source?: string } = {}): void {
    const n = opts.source ? `LBFGS.loadStateDict (${opts.source})` : 'LBFGS.loadStateDict';
    if (!sd || typeof sd !== 'object' || !sd.state || typeof sd.state !== 'object' || !Array.isArray(sd.param_groups)) {
      throw new TypeError(`${n}: expected {state, param_groups}`);
    }
    const entries = Object.entries(sd.state);
    if (entries.some(([k]) => k !== '0')) {
      throw new Error(`${n}: LBFGS keeps its state under parameter 0, got state for parameter(s) ${entries.map(([k]) => k).filter((k) => k !== '0').join(', ')}`);
    }
    const g = sd.param_groups[0];
    const merged: Record<string, unknown> = { ...this.paramGroups[0] };
    if (sd.param_groups.length === 1 && g && typeof g === 'object') {
      for (const [k, v] of Object.entries(g)) if (k !== 'params') merged[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
      try {
        this.checkHyper(merged);
      } catch (e) {
        throw new Error(`${n}: group 0: ${(e as Error).message}`, { cause: e });
      }
    }
    const run = entries.length ? this.parseRun(n, entries[0]![1] as Record<string, unknown>, merged.historySize as number) : null;
    try {
      super.loadStateDict({ ...sd, state: {} }, opts);
    } catch (e) {
      disposeRun(run);
      throw e;
    }
    disposeRun(this.run);
    this.run = run;
  }

  private parseRun(n: string, s: Record<string, unknown>, historySize: number): Run {
    if (!s || typeof s !== 'object') throw new Error(`${n}: the state of parameter 0 is not an object`);
    const num = (k: string, integer: boolean): number => {
      const v = s[k];
      const x = v instanceof Tensor ? (v.numel() === 1 ? v.item() : NaN) : v;
      if (typeof x !== 'number' || !Number.isFinite(x) || (integer && (!Number.isInteger(x) || x < 0))) {
        throw new Error(`${n}: state '${k}' must be ${integer ? 'a non-negative integer' : 'a finite number'}, got ${v instanceof Tensor ? `a tensor of shape ${fmt(v.shape)}` : JSON.stringify(v)}`);
      }
      return x;
    };
    const full = ['func_evals', 'n_iter', 'd', 't', 'old_dirs', 'old_stps', 'ro', 'H_diag', 'prev_flat_grad', 'prev_loss', 'al'];
    for (const k of Object.keys(s)) if (!full.includes(k)) throw new Error(`${n}: the state has '${k}', which LBFGS does not keep (it keeps ${full.slice(0, -1).join(', ')})`);
    const run: Run = { funcEvals: num('func_evals', true), nIter: num('n_iter', true), d: null, t: null, oldDirs: [], oldStps: [], ro: [], hDiag: null, prevFlatGrad: null, prevLoss: null };
    if (!('d' in s)) return run;
    for (const k of full.slice(2, -1)) if (!(k in s)) throw new Error(`${n}: the state has 'd' but no '${k}' (a state after a step has all of ${full.slice(0, -1).join(', ')})`);
    const dtype = this.params[0]!.dtype;
    const vec = (k: string, v: unknown, where = `state '${k}'`): Tensor => {
      if (!(v instanceof Tensor) || v.isDisposed) throw new Error(`${n}: ${where} must be a tensor`);
      if (!sameShape(v.shape, [this.numel])) throw new Error(`${n}: ${where} has shape ${fmt(v.shape)}; the parameters have ${this.numel} elements, so it must be [${this.numel}]`);
      return v;
    };
    const rows = (k: string): Tensor[] => {
      const v = s[k];
      if (Array.isArray(v)) return v.map((x, i) => vec(k, x, `state '${k}'[${i}]`));
      if (!(v instanceof Tensor) || v.ndim !== 2 || v.shape[1] !== this.numel) {
        throw new Error(`${n}: state '${k}' must be a [k, ${this.numel}] tensor or a list of [${this.numel}] tensors, got ${v instanceof Tensor ? `shape ${fmt(v.shape)}` : typeof v}`);
      }
      return Array.from({ length: v.shape[0]! }, (_, i) => v.select(0, i));
    };
    const roRaw = s.ro;
    const ro = Array.isArray(roRaw) ? roRaw.map((x) => (x instanceof Tensor ? x.item() : x)) : roRaw instanceof Tensor && roRaw.ndim === 1 ? [...roRaw.dataSync()] : null;
    if (!ro || ro.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw new Error(`${n}: state 'ro' must be a 1-d tensor or a list of numbers`);
    return noGrad(() => scope(() => {
      const own = (t: Tensor): Tensor => keep(clone(t.dtype === dtype ? t : cast(t, dtype)));
      const dirs = rows('old_dirs'), stps = rows('old_stps');
      if (dirs.length !== stps.length || dirs.length !== ro.length) {
        throw new Error(`${n}: the history lengths differ: old_dirs ${dirs.length}, old_stps ${stps.length}, ro ${ro.length}`);
      }
      if (dirs.length > historySize) throw new Error(`${n}: the state holds ${dirs.length} curvature pairs, more than historySize ${historySize}`);
      const d = vec('d', s.d), pfg = vec('prev_flat_grad', s.prev_flat_grad);
      const scalars = { t: num('t', false), hDiag: num('H_diag', false), prevLoss: num('prev_loss', false) };
      return { ...run, ...scalars, d: own(d), prevFlatGrad: own(pfg), oldDirs: dirs.map(own), oldStps: stps.map(own), ro: ro as number[] };
    }));
  }

  /** Releases the state tensors (the next step starts afresh). */
  override dispose(): void {
    disposeRun(this.run);
    this.run = null;
    super.dispose();
  }
}

function disposeRun(run: Run | null): void {
  if (!run) return;
  for (const t of [run.d, run.prevFlatGrad, ...run.oldDirs, ...run.oldStps]) t?.dispose();
}

/** The closure's loss as a number (a one-element tensor or a number). */
function lossValue(l: unknown): number {
  if (l instanceof Tensor) {
    if (l.numel() !== 1) throw new Error(`LBFGS: the closure must return the loss, a one-element tensor; got shape ${fmt(l.shape)}`);
    return l.item();
  }
  if (typeof l === 'number') return l;
  throw new TypeError(`LBFGS: the closure must return the loss (a one-element tensor or a number), got ${l === undefined ? 'undefined' : typeof l}`);
}
