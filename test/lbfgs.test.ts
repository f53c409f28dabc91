// LBFGS against torch.optim.LBFGS (fixtures/optim-extra.json): step(closure) on Rosenbrock's
// function and an L2-regularised logistic regression, with and without the strong-Wolfe line search,
// in float64 and float32 on every backend — parameters, returned loss and state after each step;
// exact resume through a state dict; PyTorch-shaped state; memory; errors.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { optimizerFromCheckpoint, optimizerToCheckpoint } from '../src/io/state.js';
import { assertClose, type Tol } from './helpers/allclose.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const { optim, nn, F } = nb;
const backends = await testBackends();
after(closeBackends);

interface Spread { loss: number; params: number[] | number; t: number; hDiag: number; prevLoss: number; counters: boolean }
interface StepFx {
  loss: number; params: number[][]; funcEvals: number; nIter: number; t: number | null; hDiag: number | null; history: number | null; prevLoss: number | null;
  /** how far PyTorch's own run moved when only the loss's arithmetic was reordered (relative), and whether its counters changed */
  spread: Spread;
}
interface LbfgsCase {
  name: string; problem: 'rosenbrock' | 'logistic'; dtype: 'float32' | 'float64'; options: Record<string, unknown>;
  shapes: number[][]; x0: number[][]; X?: number[]; y?: number[]; steps: StepFx[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/optim-extra.json', import.meta.url), 'utf8')) as { lbfgs: LbfgsCase[] };

type Dt = 'float32' | 'float64';

/** The fixture's problem: its parameters (fresh, at x0) and its loss as a function of them. */
function problem(c: { problem: string; shapes: number[][]; x0: number[][]; X?: number[]; y?: number[] }, dtype: Dt): { params: nb.Tensor[]; loss: () => nb.Tensor; data: nb.Tensor[] } {
  const params = c.x0.map((v, i) => new nn.Parameter(nb.tensor(v, { dtype, shape: c.shapes[i] })));
  if (c.problem === 'rosenbrock') {
    const x = params[0]!;
    // (1 − a)² + 100·(b − a²)²
    return {
      params, data: [], loss: () => {
        const a = x.narrow(0, 0, 1), b = x.narrow(0, 1, 1);
        // PyTorch's order of operations: (1 − a)·(1 − a) + (100·(b − a·a))·(b − a·a)
        const u = a.neg().add(1), v = b.sub(a.mul(a));
        return u.mul(u).add(v.mul(100).mul(v)).sum();
      },
    };
  }
  const X = nb.keep(nb.tensor(c.X!, { dtype, shape: [24, 3] })), y = nb.keep(nb.tensor(c.y!, { dtype, shape: [24, 1] }));
  const [w, b] = params as [nb.Tensor, nb.Tensor];
  return { params, data: [X, y], loss: () => F.binaryCrossEntropyWithLogits(X.matmul(w).add(b), y).add(w.mul(w).sum().mul(0.01)) };
}

function closureOf(opt: nb.optim.Optimizer, loss: () => nb.Tensor): () => nb.Tensor {
  return () => {
    opt.zeroGrad();
    const l = loss();
    l.backward();
    return l;
  };
}

const BASE: Record<Dt, Tol> = {
  // the same arithmetic as PyTorch in double; a fused multiply-add here or there is all that differs
  float64: { rtol: 1e-9, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-6 },
};

/**
 * PyTorch's answer is only defined to within what PyTorch itself moves when the loss's arithmetic
 * is reordered (the fixture measures it: Rosenbrock near its minimum, or float32 H_diag when y·y is
 * tiny, amplify rounding a millionfold). Allow ten times that spread, and never less than BASE.
 */
function tolFor(dtype: Dt, spread: number): Tol {
  return { rtol: Math.max(BASE[dtype].rtol, 10 * spread), atol: BASE[dtype].atol };
}

for (const backend of backends) describe(`LBFGS vs PyTorch on ${backend}`, () => {
  for (const c of fx.lbfgs) {
    test(c.name, () => {
      nb.setBackend(backend);
      const { params, loss, data } = problem(c, c.dtype);
      const before = nb.memory().tensors;
      const opt = new optim.LBFGS(params, c.options);
      c.steps.forEach((want, k) => {
        const what = `${c.name} step ${k + 1}`;
        const sp = want.spread;
        const tol = (x: number | number[]): Tol => tolFor(c.dtype, typeof x === 'number' ? x : Math.max(...x));
        nb.scope(() => {
          const l = opt.step(closureOf(opt, loss)) as nb.Tensor;
          assertClose(`${what} returned loss`, [l.item()], [want.loss], [1], tol(sp.loss));
        });
        params.forEach((p, i) => assertClose(`${what} param ${i}`, p.dataSync(), want.params[i]!, c.shapes[i]!, tol(sp.params)));
        nb.scope(() => {
          const s = opt.stateDict().state[0]!;
          // The line search's decisions — iteration counts, the step t, and H_diag, which follows from
          // t — in float64 where PyTorch's own did not move under reordering. In float32 the stopping and
          // line-search tests near the minimum compare losses that differ in their last bits, so these
          // are not a property of the algorithm there; the values (loss, parameters) are checked.
          if (c.dtype === 'float64' && !sp.counters) {
            assert.equal(s.func_evals, want.funcEvals, `${what}: func_evals`);
            assert.equal(s.n_iter, want.nIter, `${what}: n_iter`);
            if (want.history !== null) assert.equal((s.old_dirs as nb.Tensor).shape[0], want.history, `${what}: curvature pairs kept`);
          }
          if (c.dtype === 'float64') {
            if (want.t !== null) assertClose(`${what} t`, [s.t as number], [want.t], [1], tol(sp.t));
            if (want.hDiag !== null) assertClose(`${what} H_diag`, [s.H_diag as number], [want.hDiag], [1], tol(sp.hDiag));
          }
          if (want.prevLoss !== null) assertClose(`${what} prev_loss`, [s.prev_loss as number], [want.prevLoss], [1], tol(sp.prevLoss));
        });
        // nothing but the gradients and the state stays alive: d, prev_flat_grad and the curvature pairs
        const pairs = nb.scope(() => (opt.stateDict().state[0]!.old_dirs as nb.Tensor).shape[0]!);
        assert.equal(nb.memory().tensors - before, params.length + 2 + 2 * pairs, `${what}: live tensors`);
      });
      opt.dispose();
      for (const t of [...params, ...data]) t.dispose();
    });
  }
});

test('the fixtures cover the options and both line searches', () => {
  const names = fx.lbfgs.map((c) => c.name).join(' ');
  for (const k of ['defaults', 'strong_wolfe', 'history_size', 'max_iter', 'max_eval', 'tolerance_change', 'tolerance_grad', 'lr', 'rosenbrock', 'logistic', 'float32', 'float64']) {
    assert.ok(names.includes(k), `no LBFGS case with ${k}`);
  }
  // the history is full (pairs dropped) in some case, and the line search's zoom runs (more evaluations than iterations)
  assert.ok(fx.lbfgs.some((c) => c.options.historySize !== undefined && c.steps.some((s) => s.history === c.options.historySize)));
  assert.ok(fx.lbfgs.some((c) => c.options.lineSearchFn && c.steps[0]!.funcEvals > c.steps[0]!.nIter + 1));
});

describe('LBFGS state dicts', () => {
  const c = fx.lbfgs.find((k) => k.problem === 'rosenbrock' && k.options.historySize === 3)!;
  test('2 steps, save through a checkpoint\'s form (JSON + tensors), load into a fresh LBFGS, 2 more == 4 straight', () => {
    const a = problem(c, 'float64');
    const oa = new optim.LBFGS(a.params, c.options);
    for (let i = 0; i < 4; i++) nb.scope(() => { oa.step(closureOf(oa, a.loss)); });

    const b = problem(c, 'float64');
    const ob = new optim.LBFGS(b.params, c.options);
    for (let i = 0; i < 2; i++) nb.scope(() => { ob.step(closureOf(ob, b.loss)); });
    const saved = nb.scope(() => {
      const part = optimizerToCheckpoint(ob.stateDict());
      return { tensors: part.tensors, state: JSON.parse(JSON.stringify(part.state)) as typeof part.state };
    });
    const r = problem(c, 'float64');
    r.params.forEach((p, i) => p._assign(b.params[i]!.clone()));
    const or = new optim.LBFGS(r.params, c.options);
    const sd = optimizerFromCheckpoint(saved, 'test');
    or.loadStateDict(sd);
    for (const v of Object.values(sd.state[0]!)) if (v instanceof nb.Tensor) v.dispose();
    for (let i = 0; i < 2; i++) nb.scope(() => { or.step(closureOf(or, r.loss)); });
    assertClose('resumed', r.params[0]!.dataSync(), a.params[0]!.dataSync(), [2], { rtol: 0, atol: 0 });
    assert.deepEqual(nb.scope(() => { const s = or.stateDict().state[0]!; return [s.func_evals, s.n_iter]; }), nb.scope(() => { const s = oa.stateDict().state[0]!; return [s.func_evals, s.n_iter]; }));
    for (const o of [oa, ob, or]) o.dispose();
    for (const t of [...a.params, ...b.params, ...r.params]) t.dispose();
  });

  test('PyTorch\'s layout loads: lists of vectors for old_dirs/old_stps/ro, 0-d tensors for t and H_diag, and its al scratch', () => {
    const a = problem(c, 'float64');
    const oa = new optim.LBFGS(a.params, c.options);
    nb.scope(() => { oa.step(closureOf(oa, a.loss)); });
    const sd = oa.stateDict();
    const s = sd.state[0]!;
    const k = (s.old_dirs as nb.Tensor).shape[0]!;
    const torchLike = {
      ...s,
      old_dirs: Array.from({ length: k }, (_, i) => (s.old_dirs as nb.Tensor).select(0, i)),
      old_stps: Array.from({ length: k }, (_, i) => (s.old_stps as nb.Tensor).select(0, i)),
      ro: [...(s.ro as nb.Tensor).dataSync()].map((v) => nb.scalar(v, 'float64')),
      t: nb.scalar(s.t as number, 'float64'),
      H_diag: nb.scalar(s.H_diag as number, 'float64'),
      al: [],
    };
    const b = problem(c, 'float64');
    b.params.forEach((p, i) => p._assign(a.params[i]!.clone()));
    const ob = new optim.LBFGS(b.params, c.options);
    ob.loadStateDict({ ...sd, state: { 0: torchLike as never } });
    nb.scope(() => { oa.step(closureOf(oa, a.loss)); ob.step(closureOf(ob, b.loss)); });
    assertClose('after loading the list form', b.params[0]!.dataSync(), a.params[0]!.dataSync(), [2], { rtol: 0, atol: 0 });
    for (const o of [oa, ob]) o.dispose();
    for (const t of [...a.params, ...b.params]) t.dispose();
  });

  test('a state that does not fit is refused before anything changes', () => nb.scope(() => {
    const a = problem(c, 'float64');
    const oa = new optim.LBFGS(a.params, c.options);
    oa.step(closureOf(oa, a.loss));
    const good = oa.stateDict();
    const s = good.state[0]!;
    const bad = (patch: Record<string, unknown>): nb.optim.OptimizerStateDict => ({ ...good, state: { 0: { ...s, ...patch } as never } });
    const fresh = new optim.LBFGS(a.params, c.options);
    assert.throws(() => fresh.loadStateDict(bad({ d: nb.zeros([3], { dtype: 'float64' }) })), /LBFGS.loadStateDict: state 'd' has shape \[3\]; the parameters have 2 elements, so it must be \[2\]/);
    assert.throws(() => fresh.loadStateDict(bad({ ro: nb.zeros([1], { dtype: 'float64' }) })), /the history lengths differ: old_dirs 3, old_stps 3, ro 1/);
    assert.throws(() => fresh.loadStateDict(bad({ momentum: 1 })), /the state has 'momentum', which LBFGS does not keep/);
    assert.throws(() => fresh.loadStateDict(bad({ n_iter: -1 })), /state 'n_iter' must be a non-negative integer, got -1/);
    assert.throws(() => fresh.loadStateDict({ ...good, state: { 1: s } }), /LBFGS keeps its state under parameter 0, got state for parameter\(s\) 1/);
    assert.throws(() => fresh.loadStateDict({ ...good, param_groups: [{ ...good.param_groups[0], history_size: 2 }] }), /holds 3 curvature pairs, more than historySize 2/);
    assert.throws(() => fresh.loadStateDict({ ...good, param_groups: [{ ...good.param_groups[0], line_search_fn: 'armijo' }] }), /LBFGS.loadStateDict: group 0: LBFGS: lineSearchFn must be 'strong_wolfe' or null, got "armijo"/);
    // nothing was changed by the refused loads: the fresh optimizer still has no state
    assert.deepEqual(fresh.stateDict().state, {});
    for (const o of [oa, fresh]) o.dispose();
    for (const t of a.params) t.dispose();
  }));
});

describe('LBFGS refuses what PyTorch refuses, and says so', () => {
  const p = () => [nb.zeros([2], { requiresGrad: true })];
  const table: [string, () => unknown, RegExp][] = [
    ['no closure', () => new optim.LBFGS(p()).step(), /LBFGS.step: needs a closure that clears the gradients, computes the loss, calls backward\(\) and returns the loss/],
    ['parameter groups', () => { const [a, b] = [p()[0]!, p()[0]!]; return new optim.LBFGS([{ params: [a] }, { params: [b] }]); }, /LBFGS: doesn't support per-parameter options \(parameter groups\)/],
    ['line search name', () => new optim.LBFGS(p(), { lineSearchFn: 'armijo' as never }), /LBFGS: lineSearchFn must be 'strong_wolfe' or null, got "armijo"/],
    ['snake_case option', () => new optim.LBFGS(p(), { line_search_fn: 'strong_wolfe' } as never), /LBFGS: unknown option 'line_search_fn' — did you mean 'lineSearchFn'\?/],
    ['maxIter', () => new optim.LBFGS(p(), { maxIter: 0 }), /LBFGS: maxIter must be a positive integer, got 0/],
    ['mixed dtypes', () => new optim.LBFGS([nb.zeros([2], { requiresGrad: true }), nb.zeros([2], { dtype: 'float64', requiresGrad: true })]), /LBFGS: all parameters must have one dtype/],
    ['closure returns a vector', () => { const ps = p(); const o = new optim.LBFGS(ps); return o.step(() => { o.zeroGrad(); const l = ps[0]!.mul(2); l.sum().backward(); return l; }); },
      /LBFGS: the closure must return the loss, a one-element tensor; got shape \[2\]/],
    ['closure returns nothing', () => { const ps = p(); const o = new optim.LBFGS(ps); return o.step(() => { o.zeroGrad(); ps[0]!.mul(2).sum().backward(); }); },
      /LBFGS: the closure must return the loss \(a one-element tensor or a number\), got undefined/],
  ];
  for (const [what, fn, re] of table) test(what, () => nb.scope(() => { assert.throws(fn, re); }));

  test("lineSearchFn 'strongWolfe' is stored as PyTorch's 'strong_wolfe' (what torch.optim.LBFGS reads from a state dict)", () => nb.scope(() => {
    const o = new optim.LBFGS(p(), { lineSearchFn: 'strongWolfe', historySize: 5 });
    const g = o.stateDict().param_groups[0]!;
    assert.equal(g.line_search_fn, 'strong_wolfe');
    assert.equal(g.history_size, 5);
    assert.equal(g.max_eval, 25);
  }));

  test('a closure returning a number works too, and the first evaluation is what step returns', () => nb.scope(() => {
    const x = new nn.Parameter(nb.tensor([3, -2], { dtype: 'float64' }));
    const o = new optim.LBFGS([x], { lineSearchFn: 'strong_wolfe' });
    const first = o.step(() => {
      o.zeroGrad();
      const l = x.sub(nb.tensor([1, 1], { dtype: 'float64' })).pow(2).sum();
      l.backward();
      return l.item();
    });
    // (3 − 1)² + (−2 − 1)² = 13, and a quadratic is solved in one step
    assert.equal(first, 13);
    assertClose('minimum', x.dataSync(), [1, 1], [2], { rtol: 0, atol: 1e-9 });
    o.dispose();
    x.dispose();
  }));
});
