// Adadelta, Adamax, NAdam and RAdam against PyTorch (fixtures/optim-extra.json): parameters after
// each of 10 steps of a fixed quadratic in float32 on every backend, every option; exact resume
// through stateDict; the options PyTorch 1.13 lacks checked by identities; errors.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { assertClose, TOL } from './helpers/allclose.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const { optim, nn } = nb;
const backends = await testBackends();
after(closeBackends);

interface OptCase {
  name: string; optimizer: string; options: Record<string, unknown>; groups: Record<string, unknown>[] | null;
  shapes: number[][]; p0: number[][]; c: number[][]; d: number[][]; trajectory: number[][][];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/optim-extra.json', import.meta.url), 'utf8')) as { steps: number; optimizers: OptCase[] };

type Ctor = new (params: nb.optim.Params, opts?: Record<string, unknown>) => nb.optim.Optimizer;
const CTORS: Record<string, Ctor> = {
  Adadelta: optim.Adadelta as unknown as Ctor, Adamax: optim.Adamax as unknown as Ctor, NAdam: optim.NAdam as unknown as Ctor, RAdam: optim.RAdam as unknown as Ctor,
};

const f32 = (a: number[], shape: number[]): nb.Tensor => nb.tensor(Float32Array.from(a), { shape });

/** grad = c·p + d for each parameter (the fixture's quadratic), then one step. */
function quadraticStep(opt: nb.optim.Optimizer, params: nb.Tensor[], cs: nb.Tensor[], ds: nb.Tensor[], sign = 1): void {
  nb.scope(() => {
    params.forEach((p, i) => {
      const g = nb.noGrad(() => cs[i]!.mul(p).add(ds[i]!).mul(sign));
      p.grad?.dispose();
      p.grad = nb.keep(g);
    });
    opt.step();
  });
}

for (const backend of backends) describe(`Adadelta, Adamax, NAdam, RAdam vs PyTorch (float32, 10 steps of grad = c·p + d) on ${backend}`, () => {
  for (const c of fx.optimizers) {
    test(c.name, () => {
      nb.setBackend(backend);
      const params = c.p0.map((v, i) => new nn.Parameter(f32(v, c.shapes[i]!)));
      const cs = c.c.map((v, i) => nb.keep(f32(v, c.shapes[i]!)));
      const ds = c.d.map((v, i) => nb.keep(f32(v, c.shapes[i]!)));
      const groups = c.groups ? [{ ...c.groups[0], params: [params[0]!] }, { ...c.groups[1], params: [params[1]!] }] : params;
      const opt = new CTORS[c.optimizer]!(groups as nb.optim.Params, c.options);
      c.trajectory.forEach((want, step) => {
        quadraticStep(opt, params, cs, ds);
        params.forEach((p, i) => assertClose(`${c.name} step ${step + 1} param ${i}`, p.dataSync(), want[i]!, c.shapes[i]!, TOL.float32));
      });
      // after the first steps the live tensors stay flat: state replaced, intermediates freed
      const mid = nb.memory().tensors;
      quadraticStep(opt, params, cs, ds);
      assert.equal(nb.memory().tensors, mid, `${c.name}: a step leaked ${nb.memory().tensors - mid} tensors`);
      opt.dispose();
      for (const t of [...params, ...cs, ...ds]) t.dispose();
    });
  }
});

test('the fixtures cover every optimizer and the options PyTorch 1.13 has', () => {
  const names = fx.optimizers.map((c) => c.name).join(' ');
  for (const o of Object.keys(CTORS)) assert.ok(names.includes(`${o}(`), o);
  for (const k of ['rho', 'eps', 'weight_decay', 'maximize', 'betas', 'momentum_decay', 'groups']) assert.ok(names.includes(k), `no case with ${k}`);
  // RAdam: both branches (ρ_t ≤ 5 early, the rectified update later) — the default betas reach ρ_t > 5 at step 6
  assert.ok(fx.optimizers.some((c) => c.optimizer === 'RAdam' && c.trajectory.length >= 7));
});

/** The same run twice over fresh copies of one start: returns both final parameter sets. */
function twoRuns(make: (ps: nb.Tensor[]) => nb.optim.Optimizer, makeB: (ps: nb.Tensor[]) => nb.optim.Optimizer, runB: (o: nb.optim.Optimizer, ps: nb.Tensor[], cs: nb.Tensor[], ds: nb.Tensor[]) => void): [number[], number[]] {
  const c = fx.optimizers[0]!;
  const mk = (): nb.Tensor[] => c.p0.map((v, i) => new nn.Parameter(f32(v, c.shapes[i]!)));
  const cs = c.c.map((v, i) => nb.keep(f32(v, c.shapes[i]!)));
  const ds = c.d.map((v, i) => nb.keep(f32(v, c.shapes[i]!)));
  const a = mk(), b = mk();
  const oa = make(a), ob = makeB(b);
  for (let i = 0; i < 8; i++) {
    quadraticStep(oa, a, cs, ds);
    runB(ob, b, cs, ds);
  }
  const out: [number[], number[]] = [a.flatMap((p) => [...p.dataSync()]), b.flatMap((p) => [...p.dataSync()])];
  for (const t of [...a, ...b, ...cs, ...ds]) t.dispose();
  oa.dispose();
  ob.dispose();
  return out;
}

describe('options newer than PyTorch 1.13 (NAdam/RAdam maximize and decoupledWeightDecay, PyTorch 2.1), by identities', () => {
  for (const name of ['NAdam', 'RAdam'] as const) {
    const Ctor = CTORS[name]!;
    test(`${name} maximize on the gradient g takes the steps of minimising with −g`, () => {
      const [a, b] = twoRuns((ps) => new Ctor(ps, { lr: 0.05, maximize: true }), (ps) => new Ctor(ps, { lr: 0.05 }), (o, ps, cs, ds) => quadraticStep(o, ps, cs, ds, -1));
      assertClose(`${name} maximize`, a, b, [a.length], { rtol: 0, atol: 0 });
    });
    test(`${name} decoupledWeightDecay: p·(1 − lr·wd) before the update, with the gradient left alone`, () => {
      const lr = 0.05, wd = 0.2;
      const [a, b] = twoRuns((ps) => new Ctor(ps, { lr, weightDecay: wd, decoupledWeightDecay: true }), (ps) => new Ctor(ps, { lr }), (o, ps, cs, ds) => {
        // the gradient at p, then p scaled by hand, then the update without weight decay
        nb.scope(() => {
          ps.forEach((p, i) => {
            const g = nb.noGrad(() => cs[i]!.mul(p).add(ds[i]!));
            p.grad?.dispose();
            p.grad = nb.keep(g);
            p._assign(nb.noGrad(() => p.mul(1 - lr * wd)));
          });
          o.step();
        });
      });
      assertClose(`${name} decoupled weight decay`, a, b, [a.length], TOL.float32);
      // and it is not the L2 form
      const [l2] = twoRuns((ps) => new Ctor(ps, { lr, weightDecay: wd }), (ps) => new Ctor(ps, { lr }), (o, ps, cs, ds) => quadraticStep(o, ps, cs, ds));
      assert.ok(a.some((v, i) => Math.abs(v - l2[i]!) > 1e-4), `${name}: decoupled and L2 weight decay gave the same parameters`);
    });
  }
});

/** A small regression model as a list of parameters, and one training step of it. */
function model(seed: number): nb.Tensor[] {
  nb.manualSeed(seed);
  return [new nn.Parameter(nb.randn([4, 3]).mul(0.5)), new nn.Parameter(nb.zeros([3])), new nn.Parameter(nb.randn([3, 1]).mul(0.5))];
}
function trainStep(ps: nb.Tensor[], opt: nb.optim.Optimizer, x: nb.Tensor, y: nb.Tensor): void {
  nb.scope(() => {
    opt.zeroGrad();
    const h = x.matmul(ps[0]!).add(ps[1]!).tanh();
    nb.F.mseLoss(h.matmul(ps[2]!), y).backward();
    opt.step();
  });
}

describe('stateDict / loadStateDict: 3 steps, save (through JSON-safe checkpoint form), reload, 3 more == 6 straight', () => {
  const makers: [string, (ps: nb.Tensor[]) => nb.optim.Optimizer][] = [
    ['Adadelta', (ps) => new optim.Adadelta([{ params: ps.slice(0, 2), rho: 0.8 }, { params: ps.slice(2) }], { lr: 0.5, weightDecay: 1e-3 })],
    ['Adamax', (ps) => new optim.Adamax(ps, { lr: 0.01, betas: [0.8, 0.99] })],
    ['NAdam', (ps) => new optim.NAdam(ps, { lr: 0.01, momentumDecay: 0.01 })],
    ['RAdam', (ps) => new optim.RAdam(ps, { lr: 0.01, betas: [0.9, 0.9], weightDecay: 0.01, decoupledWeightDecay: true })],
  ];
  for (const [name, make] of makers) {
    test(name, () => {
      nb.manualSeed(7);
      const x = nb.keep(nb.randn([8, 4]));
      const y = nb.keep(nb.randn([8, 1]));
      const straight = model(1);
      const o1 = make(straight);
      for (let i = 0; i < 6; i++) trainStep(straight, o1, x, y);

      const first = model(1);
      const o2 = make(first);
      for (let i = 0; i < 3; i++) trainStep(first, o2, x, y);
      const sd = nb.scope(() => o2.stateDict());
      assert.deepEqual(Object.keys(sd.state), ['0', '1', '2']);
      const resumed = model(99);
      resumed.forEach((p, i) => p._assign(first[i]!.clone()));
      const o3 = make(resumed);
      o3.loadStateDict(sd);
      for (let i = 0; i < 3; i++) trainStep(resumed, o3, x, y);
      resumed.forEach((p, i) => assertClose(`${name}: param ${i} after resume`, p.dataSync(), straight[i]!.dataSync(), p.shape, { rtol: 0, atol: 0 }));
      for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (v instanceof nb.Tensor) v.dispose();
      for (const o of [o1, o2, o3]) o.dispose();
      for (const t of [x, y, ...straight, ...first, ...resumed]) t.dispose();
    });
  }

  test('NAdam loads PyTorch\'s state, whose mu_product is a 0-d tensor', () => nb.scope(() => {
    const ps = model(1);
    const x = nb.randn([8, 4]), y = nb.randn([8, 1]);
    const a = new optim.NAdam(ps, { lr: 0.01 });
    trainStep(ps, a, x, y);
    const sd = a.stateDict();
    const mu = sd.state[0]!.mu_product as number;
    assert.ok(mu > 0 && mu < 1);
    for (const s of Object.values(sd.state)) s.mu_product = nb.tensor([s.mu_product as number], { dtype: 'float32' }).reshape([]);
    const b = new optim.NAdam(ps, { lr: 0.01 });
    b.loadStateDict(sd);
    assert.equal(b.stateDict().state[0]!.mu_product, Math.fround(mu));
    const bad = a.stateDict();
    bad.state[0]!.mu_product = 1.5;
    assert.throws(() => b.loadStateDict(bad), /NAdam.loadStateDict: state 'mu_product' of parameter 0 must be a number in \(0, 1\], got 1.5/);
    a.dispose();
    b.dispose();
    for (const p of ps) p.dispose();
  }));
});

describe('every new optimizer solves a noise-free least-squares problem', () => {
  const makers: [string, (p: nb.Tensor[]) => nb.optim.Optimizer, number][] = [
    ['Adadelta', (p) => new optim.Adadelta(p, { lr: 0.5, eps: 1e-3 }), 500],
    ['Adamax', (p) => new optim.Adamax(p, { lr: 0.05 }), 800],
    ['NAdam', (p) => new optim.NAdam(p, { lr: 0.05 }), 600],
    ['RAdam', (p) => new optim.RAdam(p, { lr: 0.05 }), 800],
  ];
  for (const [name, make, steps] of makers) {
    test(name, () => nb.scope(() => {
      nb.setBackend(backends[0]!);
      nb.manualSeed(5);
      const X = nb.randn([32, 3]);
      const y = X.matmul(nb.tensor([[1], [-2], [0.5]], { dtype: 'float32' }));
      const w = nb.zeros([3, 1], { requiresGrad: true });
      const o = make([w]);
      for (let i = 0; i < steps; i++) nb.scope(() => { o.zeroGrad(); nb.F.mseLoss(X.matmul(w), y).backward(); o.step(); });
      assertClose(`${name}: w after ${steps} steps`, w.dataSync(), [1, -2, 0.5], [3], { rtol: 0, atol: 3e-3 });
      o.dispose();
      w.dispose();
    }));
  }
});

describe('bad hyperparameters and option names are refused with clear errors', () => {
  const p = () => [nb.zeros([2], { requiresGrad: true })];
  const table: [string, () => unknown, RegExp][] = [
    ['snake_case option', () => new optim.NAdam(p(), { momentum_decay: 0.1 } as never), /NAdam: unknown option 'momentum_decay' — did you mean 'momentumDecay'\?/],
    ['snake_case in a group', () => new optim.RAdam([{ params: p(), weight_decay: 0.1 }]), /RAdam: unknown option 'weight_decay' in a parameter group — did you mean 'weightDecay'\?/],
    ['unknown option', () => new optim.Adamax(p(), { amsgrad: true } as never), /Adamax: unknown option 'amsgrad' \(options: lr, betas, eps, weightDecay, maximize\)/],
    ['Adadelta rho', () => new optim.Adadelta(p(), { rho: 1.5 }), /Adadelta: invalid rho value 1.5 \(must be in \[0, 1\]\)/],
    ['Adadelta lr', () => new optim.Adadelta(p(), { lr: -1 }), /Adadelta: invalid learning rate -1/],
    ['Adamax beta', () => new optim.Adamax(p(), { betas: [0.9, 1] }), /Adamax: invalid beta parameter at index 1: 1/],
    ['NAdam momentumDecay', () => new optim.NAdam(p(), { momentumDecay: -0.1 }), /NAdam: invalid momentumDecay value -0.1/],
    ['RAdam eps', () => new optim.RAdam(p(), { eps: -1 }), /RAdam: invalid epsilon value -1/],
    ['RAdam decoupledWeightDecay', () => new optim.RAdam(p(), { decoupledWeightDecay: 1 as never }), /RAdam: decoupledWeightDecay must be true or false, got 1/],
  ];
  for (const [what, fn, re] of table) test(what, () => nb.scope(() => { assert.throws(fn, re); }));
});
