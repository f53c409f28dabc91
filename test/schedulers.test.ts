// LR schedulers against PyTorch (fixtures/optim.json): each scheduler's LR (and momentum / β1)
// sequence over 30 steps for two parameter groups, resume through stateDict, and bad arguments.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import * as optim from '../src/optim/index.js';

interface Snap { lr: number[]; momentum: (number | null)[] }
interface SchedCase {
  name: string; optimizer: 'SGD' | 'Adam'; options: Record<string, unknown> & { type: string };
  children: (Record<string, unknown> & { type: string })[] | null; metrics: number[] | null; steps: number; sequence: Snap[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/optim.json', import.meta.url), 'utf8')) as { schedulers: SchedCase[] };

type Sched = optim.LRScheduler | optim.ReduceLROnPlateau;

function makeOptimizer(kind: 'SGD' | 'Adam'): { opt: optim.Optimizer; params: nb.Tensor[] } {
  const params = [nb.zeros([1], { requiresGrad: true }), nb.zeros([1], { requiresGrad: true })];
  const groups = [{ params: [params[0]!], lr: 0.1 }, { params: [params[1]!], lr: 0.05 }];
  const opt = kind === 'SGD' ? new optim.SGD(groups, { lr: 0.1, momentum: 0.9 }) : new optim.Adam(groups, { lr: 0.1, betas: [0.9, 0.999] });
  return { opt, params };
}

function makeScheduler(opt: optim.Optimizer, o: Record<string, unknown> & { type: string }, children?: SchedCase['children']): Sched {
  const { type, ...rest } = o;
  switch (type) {
    case 'StepLR': return new optim.StepLR(opt, rest as { stepSize: number });
    case 'MultiStepLR': return new optim.MultiStepLR(opt, rest as { milestones: number[] });
    case 'ExponentialLR': return new optim.ExponentialLR(opt, rest as { gamma: number });
    case 'CosineAnnealingLR': return new optim.CosineAnnealingLR(opt, rest as { tMax: number });
    case 'LinearLR': return new optim.LinearLR(opt, rest);
    case 'OneCycleLR': return new optim.OneCycleLR(opt, rest as unknown as optim.OneCycleOptions);
    case 'ReduceLROnPlateau': return new optim.ReduceLROnPlateau(opt, rest);
    case 'SequentialLR': {
      const schedulers = children!.map((c) => makeScheduler(opt, c) as optim.LRScheduler);
      return new optim.SequentialLR(opt, { schedulers, milestones: rest.milestones as number[] });
    }
    default: throw new Error(`unknown scheduler ${type}`);
  }
}

function snap(opt: optim.Optimizer): Snap {
  return {
    lr: opt.paramGroups.map((g) => g.lr),
    momentum: opt.paramGroups.map((g) => (Array.isArray(g.betas) ? (g.betas[0] as number) : ((g.momentum as number | undefined) ?? null))),
  };
}

function stepScheduler(s: Sched, c: SchedCase, i: number): void {
  if (s instanceof optim.ReduceLROnPlateau) s.step(c.metrics![i]!);
  else s.step();
}

/** LRs computed with the same double-precision formulas as PyTorch: equal up to a few ulps. */
function assertSnap(what: string, got: Snap, want: Snap): void {
  const close = (a: number | null, b: number | null): boolean => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-12 + 1e-12 * Math.abs(b));
  got.lr.forEach((v, i) => assert.ok(close(v, want.lr[i]!), `${what}: lr of group ${i} is ${v}, PyTorch has ${want.lr[i]}`));
  got.momentum.forEach((v, i) => assert.ok(close(v, want.momentum[i]!), `${what}: momentum of group ${i} is ${v}, PyTorch has ${want.momentum[i]}`));
}

describe('LR schedulers vs PyTorch (30 steps, two param groups)', () => {
  for (const c of fx.schedulers) {
    test(c.name, () => {
      const { opt, params } = makeOptimizer(c.optimizer);
      const s = makeScheduler(opt, c.options, c.children);
      assertSnap(`${c.name} after construction`, snap(opt), c.sequence[0]!);
      assert.deepEqual(s.getLastLr(), opt.paramGroups.map((g) => g.lr));
      for (let i = 0; i < c.steps; i++) {
        opt.step();
        stepScheduler(s, c, i);
        assertSnap(`${c.name} step ${i + 1}`, snap(opt), c.sequence[i + 1]!);
        assert.deepEqual(s.getLastLr(), opt.paramGroups.map((g) => g.lr), `${c.name}: getLastLr() after step ${i + 1}`);
      }
      for (const p of params) p.dispose();
    });
  }
});

describe('scheduler stateDict: 12 steps, save, load into a fresh optimizer + scheduler, continue == straight', () => {
  for (const c of fx.schedulers) {
    test(c.name, () => {
      const a = makeOptimizer(c.optimizer);
      const sa = makeScheduler(a.opt, c.options, c.children);
      for (let i = 0; i < 12; i++) {
        a.opt.step();
        stepScheduler(sa, c, i);
      }
      const osd = a.opt.stateDict();
      const ssd = JSON.parse(JSON.stringify(sa.stateDict())) as Record<string, unknown>;
      const b = makeOptimizer(c.optimizer);
      const sb = makeScheduler(b.opt, c.options, c.children);
      b.opt.loadStateDict(osd);
      sb.loadStateDict(ssd);
      for (let i = 12; i < c.steps; i++) {
        b.opt.step();
        stepScheduler(sb, c, i);
        assertSnap(`${c.name} resumed, step ${i + 1}`, snap(b.opt), c.sequence[i + 1]!);
      }
      for (const p of [...a.params, ...b.params]) p.dispose();
    });
  }
});

describe('schedulers refuse bad arguments', () => {
  const table: [string, (o: optim.Optimizer) => unknown, RegExp][] = [
    ['StepLR stepSize', (o) => new optim.StepLR(o, { stepSize: 0 }), /StepLR: stepSize must be a positive integer, got 0/],
    ['LinearLR startFactor', (o) => new optim.LinearLR(o, { startFactor: 2 }), /LinearLR: startFactor must be in \(0, 1\]/],
    ['CosineAnnealingLR tMax', (o) => new optim.CosineAnnealingLR(o, { tMax: -3 }), /tMax must be a positive integer/],
    ['OneCycleLR steps', (o) => new optim.OneCycleLR(o, { maxLr: 0.1 }), /OneCycleLR: give either totalSteps or both epochs and stepsPerEpoch/],
    ['OneCycleLR pctStart', (o) => new optim.OneCycleLR(o, { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }), /pctStart must be in \[0, 1\]/],
    ['OneCycleLR maxLr per group', (o) => new optim.OneCycleLR(o, { maxLr: [0.1, 0.2, 0.3], totalSteps: 10 }), /expected 2 values for maxLr/],
    ['OneCycleLR past the end', (o) => { const s = new optim.OneCycleLR(o, { maxLr: 0.1, totalSteps: 2 }); s.step(); s.step(); s.step(); }, /OneCycleLR: tried to step 4 times; the schedule has 2 total steps/],
    ['SequentialLR milestones', (o) => new optim.SequentialLR(o, { schedulers: [new optim.LinearLR(o), new optim.ExponentialLR(o, { gamma: 0.9 })], milestones: [] }), /expected 1 milestones for 2 schedulers, got 0/],
    ['ReduceLROnPlateau factor', (o) => new optim.ReduceLROnPlateau(o, { factor: 1.5 }), /ReduceLROnPlateau: factor must be < 1/],
    ['ReduceLROnPlateau mode', (o) => new optim.ReduceLROnPlateau(o, { mode: 'avg' as 'min' }), /mode must be 'min' or 'max'/],
  ];
  for (const [what, fn, re] of table) {
    test(what, () => {
      const { opt, params } = makeOptimizer('SGD');
      assert.throws(() => fn(opt), re);
      for (const p of params) p.dispose();
    });
  }
  test('OneCycleLR cycleMomentum needs momentum or betas', () => {
    const p = nb.zeros([1], { requiresGrad: true });
    assert.throws(() => new optim.OneCycleLR(new optim.Adagrad([p]), { maxLr: 0.1, totalSteps: 5 }), /cycleMomentum needs an optimizer with momentum or betas \(Adagrad/);
    p.dispose();
  });
});

test('the fixtures cover every scheduler and option', () => {
  const names = fx.schedulers.map((c) => c.name).join(' ');
  for (const s of ['StepLR', 'MultiStepLR', 'ExponentialLR', 'CosineAnnealingLR', 'LinearLR', 'OneCycleLR', 'SequentialLR', 'ReduceLROnPlateau']) {
    assert.ok(names.includes(`${s}(`), s);
  }
  for (const k of ['threePhase', 'linear', 'cycleMomentum=false', 'Adam', 'mode=max', 'abs', 'cooldown', 'minLr', 'divFactor', 'finalDivFactor', 'pctStart']) {
    assert.ok(names.includes(k), `no scheduler case with ${k}`);
  }
});

test('ReduceLROnPlateau state survives JSON before its first step (best = ±Infinity)', () => {
  const { opt, params } = makeOptimizer('SGD');
  const s = new optim.ReduceLROnPlateau(opt, { mode: 'max', patience: 0 });
  const t = new optim.ReduceLROnPlateau(opt, { mode: 'max', patience: 0 });
  t.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())) as Record<string, unknown>);
  assert.equal(t.best, -Infinity);
  t.step(0.5);
  t.step(0.4);
  // 0.4 is worse than 0.5 and patience is 0: lr 0.1 → 0.01
  assert.ok(Math.abs(opt.paramGroups[0]!.lr - 0.01) < 1e-15);
  for (const p of params) p.dispose();
});

test('OneCycleLR with a warm-up of no length (pctStart 0.25 of 4 steps) starts at maxLr instead of a NaN rate', () => {
  // PyTorch divides 0 by 0 here (ZeroDivisionError); the CLI's resnet-small on 200 images trained NaN from step 2.
  const p = nb.zeros([1], { requiresGrad: true });
  const opt = new optim.SGD([p], { lr: 0.1 });
  const s = new optim.OneCycleLR(opt, { maxLr: 1e-3, totalSteps: 4, pctStart: 0.25 });
  const lrs = [opt.paramGroups[0]!.lr];
  for (let i = 0; i < 3; i++) { opt.step(); s.step(); lrs.push(opt.paramGroups[0]!.lr); }
  assert.ok(lrs.every(Number.isFinite), `lrs ${lrs.join(', ')}`);
  assert.equal(lrs[0], 1e-3);                                   // the warm-up is over at step 0
  // then cosine annealing from maxLr to maxLr / 25 / 1e4 over steps 0…3, as PyTorch's second phase
  const minLr = 1e-3 / 25 / 1e4;
  for (let k = 1; k < 4; k++) {
    const want = minLr + (1e-3 - minLr) * (1 + Math.cos(Math.PI * k / 3)) / 2;
    assert.ok(Math.abs(lrs[k]! - want) < 1e-12, `step ${k}: ${lrs[k]} vs ${want}`);
  }
});
