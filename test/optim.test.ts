// Optimizers against PyTorch (fixtures/optim.json): parameters after each of 6 steps of a fixed
// quadratic, in float32; clipping; exact resume through stateDict; hyperparameter errors; memory.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import * as optim from '../src/optim/index.js';
import { Parameter } from '../src/nn/module.js';
import { mseLoss } from '../src/nn/loss.js';
import { assertClose, TOL } from './helpers/allclose.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const backends = await testBackends();
after(closeBackends);

interface OptCase {
  name: string; optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad'; options: Record<string, unknown>;
  groups: Record<string, unknown>[] | null; shapes: number[][]; p0: number[][]; c: number[][]; d: number[][]; trajectory: number[][][];
}
interface ClipFx { inputs: number[][]; shapes: number[][]; cases: { kind: 'norm' | 'value'; maxNorm?: number; normType?: number | 'inf'; clipValue?: number; total?: number; grads: number[][] }[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/optim.json', import.meta.url), 'utf8')) as { steps: number; optimizers: OptCase[]; clip: ClipFx };

type Ctor = new (params: optim.Params, opts?: Record<string, unknown>) => optim.Optimizer;
const CTORS: Record<string, Ctor> = {
  SGD: optim.SGD as unknown as Ctor, Adam: optim.Adam as unknown as Ctor, AdamW: optim.AdamW as unknown as Ctor,
  RMSprop: optim.RMSprop as unknown as Ctor, Adagrad: optim.Adagrad as unknown as Ctor,
};

const f32 = (a: number[], shape: number[]): nb.Tensor => nb.tensor(Float32Array.from(a), { shape });

for (const backend of backends) describe(`optimizers vs PyTorch (float32, 6 steps of grad = c·p + d) on ${backend}`, () => {
  for (const c of fx.optimizers) {
    test(c.name, () => {
      nb.setBackend(backend);
      const params = c.p0.map((v, i) => new Parameter(f32(v, c.shapes[i]!)));
      const cs = c.c.map((v, i) => nb.keep(f32(v, c.shapes[i]!)));
      const ds = c.d.map((v, i) => nb.keep(f32(v, c.shapes[i]!)));
      const groups = c.groups ? [{ ...c.groups[0], params: [params[0]!] }, { ...c.groups[1], params: [params[1]!] }] : params;
      const opt = new CTORS[c.optimizer]!(groups as optim.Params, c.options);
      c.trajectory.forEach((want, step) => {
        nb.scope(() => {
          params.forEach((p, i) => {
            const g = nb.noGrad(() => cs[i]!.mul(p).add(ds[i]!));
            p.grad?.dispose();
            p.grad = nb.keep(g);
          });
          opt.step();
        });
        params.forEach((p, i) => assertClose(`${c.name} step ${step + 1} param ${i}`, p.dataSync(), want[i]!, c.shapes[i]!, TOL.float32));
      });
      // after the first step the live tensors stay flat: state replaced, intermediates freed
      const mid = nb.memory().tensors;
      nb.scope(() => opt.step());
      assert.equal(nb.memory().tensors, mid, `${c.name}: a step leaked ${nb.memory().tensors - mid} tensors`);
      opt.dispose();
      for (const t of [...params, ...cs, ...ds]) t.dispose();
    });
  }
});

for (const backend of backends) describe(`gradient clipping vs PyTorch on ${backend}`, () => {
  for (const c of fx.clip.cases) {
    const label = c.kind === 'norm' ? `clipGradNorm(maxNorm=${c.maxNorm}, normType=${c.normType})` : `clipGradValue(${c.clipValue})`;
    test(label, () => nb.scope(() => {
      nb.setBackend(backend);
      const ps = fx.clip.shapes.map((s) => nb.zeros(s, { requiresGrad: true }));
      ps.forEach((p, i) => (p.grad = nb.keep(f32(fx.clip.inputs[i]!, fx.clip.shapes[i]!))));
      if (c.kind === 'norm') {
        const total = optim.clipGradNorm(ps, c.maxNorm!, c.normType === 'inf' ? Infinity : c.normType);
        assertClose(`${label} total norm`, [total], [c.total!], [1], TOL.float32);
      } else optim.clipGradValue(ps, c.clipValue!);
      ps.forEach((p, i) => assertClose(`${label} grad ${i}`, p.grad!.dataSync(), c.grads[i]!, fx.clip.shapes[i]!, TOL.float32));
      for (const p of ps) p.dispose();
    }));
  }
  test('no gradients: total 0, nothing to do', () => {
    const p = nb.zeros([2], { requiresGrad: true });
    assert.equal(optim.clipGradNorm([p], 1), 0);
    p.dispose();
  });
  test('errorIfNonfinite', () => nb.scope(() => {
    const p = nb.zeros([2], { requiresGrad: true });
    p.grad = nb.keep(nb.tensor([Infinity, 1]));
    assert.throws(() => optim.clipGradNorm([p], 1, 2, { errorIfNonfinite: true }), /clipGradNorm: the total norm of order 2 of the gradients is Infinity/);
    p.dispose();
  }));
});

/** A small regression model as a list of parameters, and one training step of it. */
function model(seed: number): Parameter[] {
  nb.manualSeed(seed);
  return [new Parameter(nb.randn([4, 3]).mul(0.5)), new Parameter(nb.zeros([3])), new Parameter(nb.randn([3, 1]).mul(0.5))];
}
function trainStep(ps: Parameter[], opt: optim.Optimizer, x: nb.Tensor, y: nb.Tensor): void {
  nb.scope(() => {
    opt.zeroGrad();
    const h = x.matmul(ps[0]!).add(ps[1]!).tanh();
    mseLoss(h.matmul(ps[2]!), y).backward();
    opt.step();
  });
}

describe('stateDict / loadStateDict: 3 steps, save, reload into a fresh optimizer, 3 more == 6 straight', () => {
  const makers: [string, (ps: Parameter[]) => optim.Optimizer][] = [
    ['SGD nesterov', (ps) => new optim.SGD([{ params: ps.slice(0, 2), lr: 0.05 }, { params: ps.slice(2) }], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
    ['Adam amsgrad', (ps) => new optim.Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 0.01 })],
    ['AdamW', (ps) => new optim.AdamW(ps, { lr: 0.01 })],
    ['RMSprop centered momentum', (ps) => new optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5 })],
    ['Adagrad', (ps) => new optim.Adagrad(ps, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 })],
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
      const weights = first.map((p) => nb.keep(p.clone()));
      assert.deepEqual(Object.keys(sd.state), ['0', '1', '2']);
      assert.deepEqual(sd.param_groups.flatMap((g) => g.params as number[]), [0, 1, 2]);
      // JSON-shaped hyperparameters under PyTorch's names
      assert.ok('lr' in sd.param_groups[0]! && ('weight_decay' in sd.param_groups[0]!));

      const resumed = model(99).map((p, i) => {
        p._assign(weights[i]!.clone());
        return p;
      });
      const o3 = make(resumed);
      o3.loadStateDict(sd);
      for (let i = 0; i < 3; i++) trainStep(resumed, o3, x, y);
      resumed.forEach((p, i) => assertClose(`${name}: param ${i} after resume`, p.dataSync(), straight[i]!.dataSync(), p.shape, { rtol: 0, atol: 0 }));
      // the state dict was copied on load: disposing it leaves the optimizer working
      for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (v instanceof nb.Tensor) v.dispose();
      trainStep(resumed, o3, x, y);
      for (const o of [o1, o2, o3]) o.dispose();
      for (const t of [x, y, ...straight, ...first, ...resumed, ...weights]) t.dispose();
    });
  }

  test('a PyTorch-style state with the step count as a tensor loads as a number', () => nb.scope(() => {
    const ps = model(1);
    const x = nb.randn([8, 4]), y = nb.randn([8, 1]);
    const a = new optim.Adam(ps, { lr: 0.01 });
    trainStep(ps, a, x, y);
    const sd = a.stateDict();
    for (const s of Object.values(sd.state)) s.step = nb.tensor([s.step as number], { dtype: 'float32' }).reshape([]);
    const b = new optim.Adam(ps, { lr: 0.01 });
    b.loadStateDict(sd);
    assert.equal(b.stateDict().state[0]!.step, 1);
    a.dispose();
    b.dispose();
    for (const p of ps) p.dispose();
  }));

  test('loadStateDict refuses a mismatched state, naming what differs', () => nb.scope(() => {
    const ps = model(1);
    const x = nb.randn([8, 4]), y = nb.randn([8, 1]);
    const o = new optim.Adam(ps);
    trainStep(ps, o, x, y);
    const sd = o.stateDict();
    assert.throws(() => new optim.Adam(ps.slice(0, 2)).loadStateDict(sd), /Adam.loadStateDict: group 0 has 3 parameters in the state, 2 here/);
    const other = [new Parameter(nb.zeros([2, 2])), ps[1]!, ps[2]!];
    assert.throws(() => new optim.Adam(other).loadStateDict(sd), /state 'exp_avg' of parameter 0 has shape \[4, 3\], the parameter \[2, 2\]/);
    o.dispose();
    for (const p of [...ps, other[0]!]) p.dispose();
  }));
});

describe('parameter groups and zeroGrad', () => {
  test('groups keep their own hyperparameters and inherit the rest', () => {
    const a = nb.zeros([2], { requiresGrad: true }), b = nb.zeros([2], { requiresGrad: true });
    const o = new optim.SGD([{ params: [a], lr: 0.5 }, { params: [b] }], { lr: 0.1, momentum: 0.9 });
    assert.equal(o.paramGroups[0]!.lr, 0.5);
    assert.equal(o.paramGroups[1]!.lr, 0.1);
    assert.equal(o.paramGroups[0]!.momentum, 0.9);
    a.dispose();
    b.dispose();
  });
  test('zeroGrad drops gradients, or zeroes them with setToNone=false; step skips params without grad', () => nb.scope(() => {
    const p = nb.ones([3], { requiresGrad: true });
    const q = nb.ones([3], { requiresGrad: true });
    const o = new optim.SGD([p, q], { lr: 1 });
    p.mul(2).sum().backward();
    o.step();
    assert.deepEqual([...p.dataSync()], [-1, -1, -1]);
    assert.deepEqual([...q.dataSync()], [1, 1, 1]);
    o.zeroGrad(false);
    assert.deepEqual([...p.grad!.dataSync()], [0, 0, 0]);
    o.zeroGrad();
    assert.equal(p.grad, null);
    p.dispose();
    q.dispose();
  }));
  test('step(closure) returns the closure\'s loss', () => nb.scope(() => {
    const p = nb.ones([2], { requiresGrad: true });
    const o = new optim.SGD([p], { lr: 0.5 });
    const loss = o.step(() => {
      o.zeroGrad();
      const l = p.mul(p).sum();
      l.backward();
      return l.item();
    });
    assert.equal(loss, 2);
    // p − 0.5·2p = 0
    assert.deepEqual([...p.dataSync()], [0, 0]);
    p.dispose();
  }));
});

describe('L2 regularisation: weightDecay and l2Penalty agree', () => {
  test('SGD(weightDecay = 2λ) on loss == SGD on loss + l2Penalty(λ)', () => {
    const lambda = 0.05;
    const x = nb.keep(nb.randn([8, 4])), y = nb.keep(nb.randn([8, 1]));
    const a = model(3), b = model(3);
    const oa = new optim.SGD(a, { lr: 0.1, weightDecay: 2 * lambda });
    const ob = new optim.SGD(b, { lr: 0.1 });
    for (let i = 0; i < 4; i++) {
      trainStep(a, oa, x, y);
      nb.scope(() => {
        ob.zeroGrad();
        const h = x.matmul(b[0]!).add(b[1]!).tanh();
        mseLoss(h.matmul(b[2]!), y).add(optim.l2Penalty(b, lambda)).backward();
        ob.step();
      });
    }
    a.forEach((p, i) => assertClose(`param ${i}`, p.dataSync(), b[i]!.dataSync(), p.shape, TOL.float32));
    for (const t of [x, y, ...a, ...b]) t.dispose();
  });
  test('l2Penalty value and gradient: λ·Σp², 2λ·p', () => nb.scope(() => {
    const p = nb.tensor([1, -2, 3], { dtype: 'float32', requiresGrad: true });
    const q = nb.tensor([[0.5]], { dtype: 'float32', requiresGrad: true });
    const pen = optim.l2Penalty([p, q], 0.1);
    // 0.1 · (1 + 4 + 9 + 0.25) = 1.425
    assertClose('penalty', pen.dataSync(), [1.425], [1], TOL.float32);
    pen.backward();
    assertClose('grad', p.grad!.dataSync(), [0.2, -0.4, 0.6], [3], TOL.float32);
    p.dispose();
    q.dispose();
  }));
});

describe('bad hyperparameters are refused with clear errors', () => {
  const p = () => [nb.zeros([2], { requiresGrad: true })];
  const table: [string, () => unknown, RegExp][] = [
    ['negative lr', () => new optim.SGD(p(), { lr: -0.1 }), /SGD: invalid learning rate -0.1/],
    ['nesterov without momentum', () => new optim.SGD(p(), { lr: 0.1, nesterov: true }), /SGD: Nesterov momentum requires momentum > 0 and dampening = 0/],
    ['nesterov with dampening', () => new optim.SGD(p(), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /Nesterov/],
    ['negative momentum', () => new optim.SGD(p(), { lr: 0.1, momentum: -1 }), /SGD: invalid momentum value -1/],
    ['beta1 = 1', () => new optim.Adam(p(), { betas: [1, 0.999] }), /Adam: invalid beta parameter at index 0: 1 \(must be in \[0, 1\)\)/],
    ['beta2 < 0', () => new optim.AdamW(p(), { betas: [0.9, -0.1] }), /AdamW: invalid beta parameter at index 1/],
    ['negative eps', () => new optim.Adam(p(), { eps: -1 }), /Adam: invalid epsilon value -1/],
    ['negative weight decay', () => new optim.AdamW(p(), { weightDecay: -0.01 }), /AdamW: invalid weightDecay value -0.01/],
    ['negative alpha', () => new optim.RMSprop(p(), { alpha: -0.5 }), /RMSprop: invalid alpha value -0.5/],
    ['negative lrDecay', () => new optim.Adagrad(p(), { lrDecay: -1 }), /Adagrad: invalid lrDecay value -1/],
    ['bad group lr', () => new optim.SGD([{ params: p(), lr: -1 }], { lr: 0.1 }), /SGD: invalid learning rate -1/],
    ['snake_case option', () => new optim.SGD([{ params: p(), weight_decay: 0.1 }], { lr: 0.1 }), /SGD: unknown option 'weight_decay'/],
    ['empty params', () => new optim.Adam([]), /Adam: got an empty parameter list/],
    ['int param', () => new optim.Adam([nb.zeros([2], { dtype: 'int32' })]), /Adam: can only optimize floating-point tensors, parameter 0 is int32/],
    ['param in two groups', () => { const q = p()[0]!; return new optim.SGD([{ params: [q] }, { params: [q] }], { lr: 1 }); }, /appears in more than one parameter group/],
    ['clip maxNorm', () => optim.clipGradNorm(p(), -1), /clipGradNorm: maxNorm must be a number ≥ 0/],
    ['l2 lambda', () => optim.l2Penalty(p(), -1), /l2Penalty: lambda must be a number ≥ 0/],
  ];
  for (const [what, fn, re] of table) test(what, () => nb.scope(() => { assert.throws(fn, re); }));
});

describe('every optimizer solves a noise-free least-squares problem', () => {
  // y = X·w* exactly, so the minimiser of mse(X·w, y) is w* = [1, −2, 0.5]
  const makers: [string, (p: nb.Tensor[]) => optim.Optimizer, number][] = [
    ['SGD', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }), 300],
    ['Adam', (p) => new optim.Adam(p, { lr: 0.05 }), 600],
    ['AdamW', (p) => new optim.AdamW(p, { lr: 0.05, weightDecay: 0 }), 600],
    ['RMSprop', (p) => new optim.RMSprop(p, { lr: 0.003, centered: true }), 1200],
    ['Adagrad', (p) => new optim.Adagrad(p, { lr: 0.5 }), 600],
  ];
  for (const [name, make, steps] of makers) {
    test(name, () => nb.scope(() => {
      nb.setBackend(backends[0]!);
      nb.manualSeed(5);
      const X = nb.randn([32, 3]);
      const y = X.matmul(nb.tensor([[1], [-2], [0.5]], { dtype: 'float32' }));
      const w = nb.zeros([3, 1], { requiresGrad: true });
      const o = make([w]);
      for (let i = 0; i < steps; i++) nb.scope(() => { o.zeroGrad(); mseLoss(X.matmul(w), y).backward(); o.step(); });
      assertClose(`${name}: w after ${steps} steps`, w.dataSync(), [1, -2, 0.5], [3], { rtol: 0, atol: 2e-3 });
      o.dispose();
      w.dispose();
    }));
  }
});

test('the fixtures cover every optimizer and option', () => {
  const names = fx.optimizers.map((c) => c.name).join(' ');
  for (const o of ['SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad']) assert.ok(names.includes(`${o}(`), o);
  for (const k of ['momentum', 'nesterov', 'dampening', 'weight_decay', 'amsgrad', 'centered', 'maximize', 'lr_decay', 'initial_accumulator_value', 'groups']) {
    assert.ok(names.includes(k), `no optimizer case with ${k}`);
  }
});
