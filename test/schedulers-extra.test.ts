// LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR, CyclicLR, CosineAnnealingWarmRestarts and
// ChainedScheduler against PyTorch (fixtures/optim-extra.json): LR and momentum sequences over 30
// steps for two parameter groups, resume through stateDict, and bad arguments.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';

const { optim } = nb;

interface Snap { lr: number[]; momentum: (number | null)[] }
type Opts = Record<string, unknown> & { type: string };
interface SchedCase { name: string; optimizer: 'SGD' | 'Adam'; options: Opts; children: Opts[] | null; epochs: number[] | null; steps: number; sequence: Snap[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/optim-extra.json', import.meta.url), 'utf8')) as { schedulers: SchedCase[] };

/** The fixture's lambdas by name, written as gen_optim_extra_fixtures.py writes them. */
const LAMBDAS: Record<string, (e: number) => number> = {
  pow095: (e) => 0.95 ** e,
  warmup5: (e) => Math.min(1, (e + 1) / 5),
  inv: (e) => 1 / (1 + 0.1 * e),
  const09: () => 0.9,
  const095: () => 0.95,
  every3: (e) => (e % 3 === 0 ? 0.8 : 1),
  half: (x) => 0.5 ** x,
  recip: (x) => 1 / x,
};
const fn = (v: unknown): unknown => (Array.isArray(v) ? v.map((x) => LAMBDAS[x as string]!) : LAMBDAS[v as string]!);

function makeOptimizer(kind: 'SGD' | 'Adam'): { opt: nb.optim.Optimizer; params: nb.Tensor[] } {
  const params = [nb.zeros([1], { requiresGrad: true }), nb.zeros([1], { requiresGrad: true })];
  const groups = [{ params: [params[0]!], lr: 0.1 }, { params: [params[1]!], lr: 0.05 }];
  const opt = kind === 'SGD' ? new optim.SGD(groups, { lr: 0.1, momentum: 0.9 }) : new optim.Adam(groups, { lr: 0.1, betas: [0.9, 0.999] });
  return { opt, params };
}

function makeScheduler(opt: nb.optim.Optimizer, o: Opts, children?: Opts[] | null): nb.optim.LRScheduler {
  const { type, ...rest } = o;
  const r = rest as never;
  switch (type) {
    case 'LambdaLR': return new optim.LambdaLR(opt, { ...rest, lrLambda: fn(rest.lrLambda) } as never);
    case 'MultiplicativeLR': return new optim.MultiplicativeLR(opt, { ...rest, lrLambda: fn(rest.lrLambda) } as never);
    case 'ConstantLR': return new optim.ConstantLR(opt, r);
    case 'PolynomialLR': return new optim.PolynomialLR(opt, r);
    case 'CyclicLR': return new optim.CyclicLR(opt, (rest.scaleFn ? { ...rest, scaleFn: fn(rest.scaleFn) } : rest) as never);
    case 'CosineAnnealingWarmRestarts': return new optim.CosineAnnealingWarmRestarts(opt, r);
    case 'StepLR': return new optim.StepLR(opt, r);
    case 'ExponentialLR': return new optim.ExponentialLR(opt, r);
    case 'LinearLR': return new optim.LinearLR(opt, r);
    case 'CosineAnnealingLR': return new optim.CosineAnnealingLR(opt, r);
    case 'ChainedScheduler': return new optim.ChainedScheduler(children!.map((c) => makeScheduler(opt, c)));
    case 'SequentialLR': return new optim.SequentialLR(opt, { schedulers: children!.map((c) => makeScheduler(opt, c)), milestones: rest.milestones as number[] });
    default: throw new Error(`unknown scheduler ${type}`);
  }
}

function snap(opt: nb.optim.Optimizer): Snap {
  return {
    lr: opt.paramGroups.map((g) => g.lr),
    momentum: opt.paramGroups.map((g) => (Array.isArray(g.betas) ? (g.betas[0] as number) : ((g.momentum as number | undefined) ?? null))),
  };
}

/** LRs computed with the same double-precision formulas as PyTorch: equal up to a few ulps. */
function assertSnap(what: string, got: Snap, want: Snap): void {
  const close = (a: number | null, b: number | null): boolean => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-12 + 1e-12 * Math.abs(b));
  got.lr.forEach((v, i) => assert.ok(close(v, want.lr[i]!), `${what}: lr of group ${i} is ${v}, PyTorch has ${want.lr[i]}`));
  got.momentum.forEach((v, i) => assert.ok(close(v, want.momentum[i]!), `${what}: momentum of group ${i} is ${v}, PyTorch has ${want.momentum[i]}`));
}

const stepOf = (s: nb.optim.LRScheduler, c: SchedCase, i: number): void => (c.epochs ? s.step(c.epochs[i]) : s.step());

describe('the new LR schedulers vs PyTorch (30 steps, two param groups)', () => {
  for (const c of fx.schedulers) {
    test(c.name, () => {
      const { opt, params } = makeOptimizer(c.optimizer);
      const s = makeScheduler(opt, c.options, c.children);
      assertSnap(`${c.name} after construction`, snap(opt), c.sequence[0]!);
      for (let i = 0; i < c.steps; i++) {
        opt.step();
        stepOf(s, c, i);
        assertSnap(`${c.name} step ${i + 1}`, snap(opt), c.sequence[i + 1]!);
        assert.deepEqual(s.getLastLr(), opt.paramGroups.map((g) => g.lr), `${c.name}: getLastLr() after step ${i + 1}`);
      }
      for (const p of params) p.dispose();
    });
  }
});

describe('scheduler stateDict: 12 steps, save (as JSON), load into a fresh optimizer + scheduler, continue == straight', () => {
  for (const c of fx.schedulers) {
    test(c.name, () => {
      const a = makeOptimizer(c.optimizer);
      const sa = makeScheduler(a.opt, c.options, c.children);
      for (let i = 0; i < 12; i++) {
        a.opt.step();
        stepOf(sa, c, i);
      }
      const osd = a.opt.stateDict();
      const ssd = JSON.parse(JSON.stringify(sa.stateDict())) as Record<string, unknown>;
      const b = makeOptimizer(c.optimizer);
      const sb = makeScheduler(b.opt, c.options, c.children);
      b.opt.loadStateDict(osd);
      sb.loadStateDict(ssd);
      for (let i = 12; i < c.steps; i++) {
        b.opt.step();
        stepOf(sb, c, i);
        assertSnap(`${c.name} resumed, step ${i + 1}`, snap(b.opt), c.sequence[i + 1]!);
      }
      for (const p of [...a.params, ...b.params]) p.dispose();
    });
  }
});

test('the fixtures cover every new scheduler and option', () => {
  const names = fx.schedulers.map((c) => c.name).join(' ');
  for (const s of ['LambdaLR', 'MultiplicativeLR', 'ConstantLR', 'PolynomialLR', 'CyclicLR', 'CosineAnnealingWarmRestarts', 'ChainedScheduler']) {
    assert.ok(names.includes(`${s}(`), s);
  }
  for (const k of ['triangular2', 'exp_range', 'stepSizeDown', 'per-group', 'scaleFn', 'scaleMode=iterations', 'cycleMomentum=false', 'tMult', 'etaMin',
    'fractional epochs', 'power', 'factor', 'Adam', 'SequentialLR']) {
    assert.ok(names.includes(k), `no scheduler case with ${k}`);
  }
});

test('CyclicLR cycles Adam\'s β1 as PyTorch ≥ 2.2 does (1.13 refused): the same sequence SGD\'s momentum follows', () => {
  const c = fx.schedulers.find((k) => k.name.startsWith('CyclicLR(triangular2'))!;
  const { opt, params } = makeOptimizer('Adam');
  const s = makeScheduler(opt, c.options);
  assertSnap('Adam after construction', snap(opt), c.sequence[0]!);
  for (let i = 0; i < c.steps; i++) {
    opt.step();
    s.step();
    assertSnap(`Adam step ${i + 1}`, snap(opt), c.sequence[i + 1]!);
    // β2 is left alone
    for (const g of opt.paramGroups) assert.equal((g.betas as number[])[1], 0.999);
  }
  for (const p of params) p.dispose();
});

test('LambdaLR\'s state dict leaves the functions out (they are code) and keeps them on load', () => {
  const { opt, params } = makeOptimizer('SGD');
  const s = new optim.LambdaLR(opt, { lrLambda: LAMBDAS.pow095! });
  s.step();
  const sd = s.stateDict();
  assert.ok(!('lrLambdas' in sd));
  assert.equal(JSON.stringify(JSON.parse(JSON.stringify(sd))), JSON.stringify(sd));
  const t = new optim.LambdaLR(opt, { lrLambda: LAMBDAS.pow095! });
  t.loadStateDict(sd);
  t.step();
  assert.ok(Math.abs(opt.paramGroups[0]!.lr - 0.1 * 0.95 ** 2) < 1e-15);
  for (const p of params) p.dispose();
});

describe('the new schedulers refuse bad arguments', () => {
  const table: [string, (o: nb.optim.Optimizer) => unknown, RegExp][] = [
    ['LambdaLR not a function', (o) => new optim.LambdaLR(o, { lrLambda: 0.5 as never }), /LambdaLR: lrLambda must be a function of the epoch/],
    ['LambdaLR per group', (o) => new optim.LambdaLR(o, { lrLambda: [LAMBDAS.inv!] }), /LambdaLR: expected 2 lrLambda functions \(one per param group\), got 1/],
    ['LambdaLR returns NaN', (o) => new optim.LambdaLR(o, { lrLambda: () => Number.NaN }), /LambdaLR: lrLambda of group 0 returned NaN at epoch 0, not a number/],
    ['snake_case', (o) => new optim.MultiplicativeLR(o, { lr_lambda: LAMBDAS.inv } as never), /MultiplicativeLR: unknown option 'lr_lambda' — did you mean 'lrLambda'\?/],
    ['ConstantLR factor', (o) => new optim.ConstantLR(o, { factor: 1.5 }), /ConstantLR: factor must be in \[0, 1\], got 1.5/],
    ['ConstantLR snake_case', (o) => new optim.ConstantLR(o, { total_iters: 3 } as never), /ConstantLR: unknown option 'total_iters' — did you mean 'totalIters'\?/],
    ['PolynomialLR totalIters', (o) => new optim.PolynomialLR(o, { totalIters: 0 }), /PolynomialLR: totalIters must be a positive integer, got 0/],
    ['CyclicLR baseLr', (o) => new optim.CyclicLR(o, { maxLr: 0.1 } as never), /CyclicLR: baseLr must be a finite number \(or one per param group\), got undefined/],
    ['CyclicLR per group', (o) => new optim.CyclicLR(o, { baseLr: [0.1, 0.2, 0.3], maxLr: 1 }), /CyclicLR: expected 2 values for baseLr \(one per param group\), got 3/],
    ['CyclicLR mode', (o) => new optim.CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, mode: 'sawtooth' as never }), /CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' \(or give a scaleFn\), got 'sawtooth'/],
    ['CyclicLR stepSizeUp', (o) => new optim.CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 0 }), /CyclicLR: stepSizeUp must be a number > 0, got 0/],
    ['CyclicLR snake_case', (o) => new optim.CyclicLR(o, { base_lr: 0.01, maxLr: 0.1 } as never), /CyclicLR: unknown option 'base_lr' — did you mean 'baseLr'\?/],
    ['WarmRestarts t0', (o) => new optim.CosineAnnealingWarmRestarts(o, { t0: 2.5 }), /CosineAnnealingWarmRestarts: t0 \(epochs before the first restart\) must be a positive integer, got 2.5/],
    ['WarmRestarts tMult', (o) => new optim.CosineAnnealingWarmRestarts(o, { t0: 2, tMult: 0 }), /tMult must be an integer ≥ 1, got 0/],
    ['WarmRestarts PyTorch spelling', (o) => new optim.CosineAnnealingWarmRestarts(o, { T_0: 2 } as never), /CosineAnnealingWarmRestarts: unknown option 'T_0'/],
    ['WarmRestarts negative epoch', (o) => new optim.CosineAnnealingWarmRestarts(o, { t0: 2 }).step(-1), /expected a non-negative epoch, got -1/],
    ['ChainedScheduler empty', () => new optim.ChainedScheduler([]), /ChainedScheduler: schedulers must be a non-empty array/],
    ['ChainedScheduler plateau', (o) => new optim.ChainedScheduler([new optim.ReduceLROnPlateau(o) as never]), /ReduceLROnPlateau steps on a metric and cannot be chained/],
    ['ChainedScheduler two optimizers', (o) => new optim.ChainedScheduler([new optim.ConstantLR(o), new optim.ConstantLR(makeOptimizer('SGD').opt)]),
      /ChainedScheduler: expects all schedulers to belong to the same optimizer, but schedulers\[1\] \(ConstantLR\) belongs to another/],
  ];
  for (const [what, f, re] of table) {
    test(what, () => {
      const { opt, params } = makeOptimizer('SGD');
      assert.throws(() => f(opt), re);
      for (const p of params) p.dispose();
    });
  }
  for (const [what, f, re] of [
    ['StepLR (before: ignored)', (o: nb.optim.Optimizer) => new optim.StepLR(o, { step_size: 3 } as never), /StepLR: unknown option 'step_size' — did you mean 'stepSize'\?/],
    ['CosineAnnealingLR', (o: nb.optim.Optimizer) => new optim.CosineAnnealingLR(o, { tMax: 3, eta_min: 0.1 } as never), /CosineAnnealingLR: unknown option 'eta_min' — did you mean 'etaMin'\?/],
    ['OneCycleLR', (o: nb.optim.Optimizer) => new optim.OneCycleLR(o, { max_lr: 0.1, totalSteps: 3 } as never), /OneCycleLR: unknown option 'max_lr' — did you mean 'maxLr'\?/],
    ['ReduceLROnPlateau', (o: nb.optim.Optimizer) => new optim.ReduceLROnPlateau(o, { min_lr: 0.1 } as never), /ReduceLROnPlateau: unknown option 'min_lr' — did you mean 'minLr'\?/],
    ['LinearLR last_epoch', (o: nb.optim.Optimizer) => new optim.LinearLR(o, { last_epoch: 3 } as never), /LinearLR: unknown option 'last_epoch' — did you mean 'lastEpoch'\?/],
  ] as const) {
    test(`${what} refuses a snake_case option`, () => {
      const { opt, params } = makeOptimizer('SGD');
      assert.throws(() => f(opt), re);
      for (const p of params) p.dispose();
    });
  }
  test('CyclicLR cycleMomentum needs momentum or betas', () => {
    const p = nb.zeros([1], { requiresGrad: true });
    assert.throws(() => new optim.CyclicLR(new optim.Adagrad([p]), { baseLr: 0.01, maxLr: 0.1 }), /CyclicLR: cycleMomentum needs an optimizer with momentum or betas \(Adagrad has neither\); pass cycleMomentum: false/);
    p.dispose();
  });
});
