// Fused fast paths (Backend.fused, taken through the rewrite table) against the ops' definitions:
// optimizer updates, the LSTM and GRU recurrences, softmax cross-entropy, ReLU's backward (outputs,
// gradients, gradients of gradients) on random inputs — each test also counts the fused kernel's
// calls, so a comparison cannot pass by never taking it. The layers' fusions: fused-layers.test.ts.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { adamUpdate, type AdamHyper } from '../src/optim/adam.js';
import { sgdUpdate, type SGDHyper } from '../src/optim/sgd.js';
import { gru, gruComposite, lstm, lstmComposite } from '../src/ops/recurrent.js';
import { getBackend } from '../src/backend/backend.js';
import { calls, close } from './helpers/fused.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const backends = await testBackends();
after(closeBackends);
const withFused = backends.filter((b) => getBackend(b).fused);

test('the wasm backend has fused fast paths (so the comparisons below are not vacuous)', () => {
  if (!backends.includes('wasm')) return;
  const f = getBackend('wasm').fused!;
  for (const k of ['sgdStep', 'adamStep', 'lstmForward', 'lstmBackward', 'gruForward', 'gruBackward', 'softmaxCrossEntropy', 'softmaxCrossEntropyBackward', 'reluBackward'] as const) assert.equal(typeof f[k], 'function', `wasm: fused.${k}`);
});

const sgdCases: [string, Partial<SGDHyper>][] = [
  ['plain', {}],
  ['momentum', { momentum: 0.9 }],
  ['momentum + dampening', { momentum: 0.9, dampening: 0.3 }],
  ['nesterov + weight decay', { momentum: 0.8, nesterov: true, weightDecay: 0.01 }],
  ['maximize + weight decay', { momentum: 0.5, weightDecay: 0.1, maximize: true }],
];
const adamCases: [string, Partial<AdamHyper>, boolean][] = [
  ['Adam', {}, false],
  ['Adam + L2 weight decay', { weightDecay: 0.05 }, false],
  ['AdamW', { weightDecay: 0.01 }, true],
  ['Adam amsgrad + maximize', { amsgrad: true, maximize: true }, false],
  ['AdamW amsgrad, other betas', { amsgrad: true, weightDecay: 0.1, betas: [0.8, 0.99], eps: 1e-6 }, true],
];

for (const backend of withFused) {
  describe(`fused optimizer steps equal the composite on ${backend} (float32, 3 steps, 1027 elements)`, () => {
    for (const [name, opts] of sgdCases) {
      test(`SGD ${name}`, () => nb.scope(() => {
        nb.setBackend(backend);
        nb.manualSeed(1);
        const h: SGDHyper = { lr: 0.05, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...opts };
        const p0 = nb.randn([1027]);
        // two trajectories from the same start: the optimizer (fused) and sgdUpdate (composite)
        const p = new nb.nn.Parameter(p0.mul(1));
        const opt = new nb.optim.SGD([p], h);
        let q = p0, buf: nb.Tensor | null = null;
        for (let k = 0; k < 3; k++) {
          const g = nb.randn([1027]);
          p.grad = nb.keep(g.mul(1));
          assert.equal(calls(backend, 'sgdStep', () => opt.step()), 1, 'the optimizer step took the fused kernel');
          const r = nb.noGrad(() => sgdUpdate.definition(q, g, buf, h));
          q = r.param; buf = r.buf;
          close(`SGD ${name} step ${k + 1}: parameter`, p, q);
          if (buf) close(`SGD ${name} step ${k + 1}: momentum buffer`, opt.stateDict().state[0]!.momentum_buffer as nb.Tensor, buf);
        }
        opt.dispose();
      }));
    }
    for (const [name, opts, decoupled] of adamCases) {
      test(name, () => nb.scope(() => {
        nb.setBackend(backend);
        nb.manualSeed(2);
        const h: AdamHyper = { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...opts };
        const p0 = nb.randn([1027]);
        const p = new nb.nn.Parameter(p0.mul(1));
        const opt = decoupled ? new nb.optim.AdamW([p], h) : new nb.optim.Adam([p], h);
        let q = p0;
        let s = { step: 0, expAvg: nb.zeros([1027]), expAvgSq: nb.zeros([1027]), maxExpAvgSq: h.amsgrad ? nb.zeros([1027]) : null };
        for (let k = 0; k < 3; k++) {
          const g = nb.randn([1027]);
          p.grad = nb.keep(g.mul(1));
          assert.equal(calls(backend, 'adamStep', () => opt.step()), 1, 'the optimizer step took the fused kernel');
          const r = nb.noGrad(() => adamUpdate.definition(q, g, { ...s, step: k + 1 }, h, decoupled));
          q = r.param; s = r.state;
          close(`${name} step ${k + 1}: parameter`, p, q);
          const st = opt.stateDict().state[0]!;
          close(`${name} step ${k + 1}: exp_avg`, st.exp_avg as nb.Tensor, s.expAvg);
          close(`${name} step ${k + 1}: exp_avg_sq`, st.exp_avg_sq as nb.Tensor, s.expAvgSq);
          if (h.amsgrad) close(`${name} step ${k + 1}: max_exp_avg_sq`, st.max_exp_avg_sq as nb.Tensor, s.maxExpAvgSq);
        }
        opt.dispose();
      }));
    }
  });

  describe(`fused LSTM recurrence equals the composite on ${backend} (float32)`, () => {
    const cases: [string, number, number, number, boolean][] = [
      ['L=5, N=3, H=8', 5, 3, 8, false],
      ['reverse, L=4, N=2, H=6 (H not a multiple of 4)', 4, 2, 6, true],
      ['L=1, N=1, H=4', 1, 1, 4, false],
      ['L=7, N=5, H=33', 7, 5, 33, true],
      // the step kernels' products in K blocks of 512 (backward: K = 4H; forward: K = H)
      ['L=2, N=3, H=160', 2, 3, 160, false],
      ['reverse, L=2, N=2, H=516', 2, 2, 516, true],
      // big enough for the units to split over two threads (when there are two), H not a multiple of 8
      ['L=3, N=128, H=130', 3, 128, 130, false],
    ];
    for (const [name, L, N, H, reverse] of cases) {
      test(`${name}: outputs, and gradients of xp, h0, c0, whh from every output`, () => nb.scope(() => {
        nb.setBackend(backend);
        nb.manualSeed(3);
        const xp = nb.randn([L, N, 4 * H]).requiresGrad_(), h0 = nb.randn([N, H]).requiresGrad_();
        const c0 = nb.randn([N, H]).requiresGrad_(), whh = nb.randn([4 * H, H]).mul(0.3).detach().requiresGrad_();
        const cot = [nb.randn([L, N, H]), nb.randn([N, H]), nb.randn([N, H])];
        const inputs = [xp, h0, c0, whh];
        const fwd = (f: typeof lstmComposite) => {
          const r = f(xp, h0, c0, whh, reverse);
          const outs = [r.output, r.h, r.c];
          const loss = outs.map((o, k) => o.mul(cot[k]!).sum()).reduce((a, b) => a.add(b));
          for (const t of inputs) t.grad = null;
          loss.backward();
          return { outs, grads: inputs.map((t) => t.grad!) };
        };
        const got = fwd(lstm), want = fwd(lstmComposite);
        ['output', 'h', 'c'].forEach((k, i) => close(`${name}: ${k}`, got.outs[i]!, want.outs[i]!));
        ['xp', 'h0', 'c0', 'whh'].forEach((k, i) => close(`${name}: grad of ${k}`, got.grads[i]!, want.grads[i]!));
      }));
    }

    test('only some outputs used (c alone; output alone), and no gradient wanted for whh', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(4);
      const xp = nb.randn([3, 2, 16]).requiresGrad_(), h0 = nb.randn([2, 4]), c0 = nb.randn([2, 4]);
      const whh = nb.randn([16, 4]).mul(0.5);
      for (const pick of [2, 0]) {
        const g = (f: typeof lstmComposite) => {
          xp.grad = null;
          const r = f(xp, h0, c0, whh, false);
          [r.output, r.h, r.c][pick]!.square().sum().backward();
          return xp.grad!;
        };
        close(`output ${pick} alone: grad of xp`, g(lstm), g(lstmComposite));
      }
    }));

    test('gradients of gradients (createGraph) through the fused op equal the composite\'s', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(5);
      const xp = nb.randn([3, 2, 12]).requiresGrad_(), h0 = nb.randn([2, 3]), c0 = nb.randn([2, 3]);
      const whh = nb.randn([12, 3]).mul(0.5).detach().requiresGrad_();
      const gg = (f: typeof lstmComposite) => {
        whh.grad = null;
        const [gx] = nb.grad((x: nb.Tensor) => f(x, h0, c0, whh, false).output.tanh().sum(), { createGraph: true })(xp);
        gx!.square().sum().backward();
        return whh.grad!;
      };
      close('d/dwhh of |d loss/d xp|²', gg(lstm), gg(lstmComposite), { rtol: 1e-3, atol: 1e-5 });
    }));
  });
}

for (const backend of withFused) {
  describe(`fused GRU recurrence equals the composite on ${backend} (float32)`, () => {
    const cases: [string, number, number, number, boolean, boolean][] = [
      ['L=5, N=3, H=8', 5, 3, 8, false, true],
      ['reverse, L=4, N=2, H=6 (H not a multiple of 4)', 4, 2, 6, true, true],
      ['L=1, N=1, H=4', 1, 1, 4, false, true],
      ['L=7, N=5, H=33', 7, 5, 33, true, true],
      ['no b_hh, L=6, N=4, H=12', 6, 4, 12, false, false],
      ['no b_hh, reverse, L=3, N=2, H=5', 3, 2, 5, true, false],
      // the step kernels' products in K blocks of 512 (backward: K = 3H; forward: K = H)
      ['L=2, N=3, H=200', 2, 3, 200, false, true],
      ['reverse, L=2, N=2, H=516', 2, 2, 516, true, true],
      // big enough for the units to split over two threads (when there are two), H not a multiple of 8
      ['L=3, N=128, H=130', 3, 128, 130, false, true],
    ];
    for (const [name, L, N, H, reverse, bias] of cases) {
      test(`${name}: outputs, and gradients of xp, h0, whh${bias ? ', bhh' : ''} from every output`, () => nb.scope(() => {
        nb.setBackend(backend);
        nb.manualSeed(3);
        const xp = nb.randn([L, N, 3 * H]).requiresGrad_(), h0 = nb.randn([N, H]).requiresGrad_();
        const whh = nb.randn([3 * H, H]).mul(0.3).detach().requiresGrad_();
        const bhh = bias ? nb.randn([3 * H]).requiresGrad_() : null;
        const cot = [nb.randn([L, N, H]), nb.randn([N, H])];
        const inputs = bhh ? [xp, h0, whh, bhh] : [xp, h0, whh];
        const fwd = (f: typeof gruComposite) => {
          const r = f(xp, h0, whh, bhh, reverse);
          const outs = [r.output, r.h];
          const loss = outs.map((o, k) => o.mul(cot[k]!).sum()).reduce((a, b) => a.add(b));
          for (const t of inputs) t.grad = null;
          loss.backward();
          return { outs, grads: inputs.map((t) => t.grad!) };
        };
        const got = fwd(gru), want = fwd(gruComposite);
        ['output', 'h'].forEach((k, i) => close(`${name}: ${k}`, got.outs[i]!, want.outs[i]!));
        ['xp', 'h0', 'whh', 'bhh'].slice(0, inputs.length).forEach((k, i) => close(`${name}: grad of ${k}`, got.grads[i]!, want.grads[i]!, { rtol: 1e-4, atol: 1e-5 }));
      }));
    }

    test('L = 0: an empty output, h = h0, and h0\'s gradient passes through', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(4);
      const xp = nb.randn([0, 2, 9]).requiresGrad_(), h0 = nb.randn([2, 3]).requiresGrad_();
      const whh = nb.randn([9, 3]), bhh = nb.randn([9]);
      const r = gru(xp, h0, whh, bhh, false);
      assert.deepEqual(r.output.shape, [0, 2, 3]);
      close('h', r.h, h0);
      const cot = nb.randn([2, 3]);
      r.h.mul(cot).sum().backward();
      close('grad of h0', h0.grad!, cot);
    }));

    test('only some outputs used (h alone; output alone), and no gradient wanted for whh or bhh', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(4);
      const xp = nb.randn([3, 2, 12]).requiresGrad_(), h0 = nb.randn([2, 4]);
      const whh = nb.randn([12, 4]).mul(0.5), bhh = nb.randn([12]);
      for (const pick of [1, 0]) {
        const g = (f: typeof gruComposite) => {
          xp.grad = null;
          const r = f(xp, h0, whh, bhh, pick === 1);
          [r.output, r.h][pick]!.square().sum().backward();
          return xp.grad!;
        };
        close(`output ${pick} alone: grad of xp`, g(gru), g(gruComposite));
      }
    }));

    test('gradients of gradients (createGraph) through the fused op equal the composite\'s', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(5);
      const xp = nb.randn([3, 2, 9]).requiresGrad_(), h0 = nb.randn([2, 3]).requiresGrad_();
      const whh = nb.randn([9, 3]).mul(0.5).detach().requiresGrad_(), bhh = nb.randn([9]).requiresGrad_();
      const gg = (f: typeof gruComposite) => {
        whh.grad = null; bhh.grad = null;
        const [gx, gh] = nb.grad((x: nb.Tensor, h: nb.Tensor) => {
          const r = f(x, h, whh, bhh, false);
          return r.output.tanh().sum().add(r.h.square().sum());
        }, { createGraph: true })(xp, h0);
        gx!.square().sum().add(gh!.square().sum()).backward();
        return [whh.grad!, bhh.grad!];
      };
      const got = gg(gru), want = gg(gruComposite);
      close('d/dwhh of |d loss/d (xp, h0)|²', got[0]!, want[0]!, { rtol: 1e-3, atol: 1e-5 });
      close('d/dbhh of |d loss/d (xp, h0)|²', got[1]!, want[1]!, { rtol: 1e-3, atol: 1e-5 });
    }));

    test('nn.GRU runs the fused op: the same outputs and parameter gradients as the composite (2 layers, bidirectional)', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(6);
      const m = new nb.nn.GRU(5, 7, { numLayers: 2, bidirectional: true, batchFirst: true });
      const x = nb.randn([3, 4, 5]), h0 = nb.randn([4, 3, 7]);
      const run = () => {
        m.zeroGrad();
        const [out, h] = m.forward(x, h0);
        out.square().sum().add(h.sum()).backward();
        return [out, h, ...m.parameters().map((p) => p.grad!.mul(1))];
      };
      const got = run();
      const f = getBackend(backend).fused!;
      // without fused.gruForward the op runs the composite
      const fwd = f.gruForward;
      f.gruForward = undefined;
      let want: nb.Tensor[];
      try { want = run(); } finally { f.gruForward = fwd; }
      got.forEach((g, i) => close(`nn.GRU result ${i}`, g, want[i]!, { rtol: 1e-4, atol: 1e-5 }));
    }));
  });
}

for (const backend of withFused) {
  describe(`fused softmax cross-entropy equals nllLoss(logSoftmax(x)) on ${backend} (float32)`, () => {
    const cases: [string, number, number, 'mean' | 'sum' | 'none', number | undefined, number][] = [
      ['mean, 10 classes', 7, 10, 'mean', undefined, 1],
      ['sum, 65 classes, large logits', 5, 65, 'sum', undefined, 30],
      ['none, 3 classes', 6, 3, 'none', undefined, 1],
      ['mean with ignoreIndex 2', 9, 5, 'mean', 2, 1],
      ['none with ignoreIndex -100 present', 4, 6, 'none', -100, 1],
    ];
    for (const [name, M, C, reduction, ignoreIndex, scale] of cases) {
      test(`${name}: loss and gradient`, () => nb.scope(() => {
        nb.setBackend(backend);
        nb.manualSeed(6);
        const x = nb.randn([M, C]).mul(scale).detach().requiresGrad_();
        const tt = nb.randint(0, C, [M]).dataSync() as Int32Array;
        if (ignoreIndex !== undefined) { tt[1] = ignoreIndex; tt[M - 1] = ignoreIndex; }
        const t = nb.tensor(tt, { dtype: 'int32', shape: [M] });
        const opts = { reduction, ...(ignoreIndex !== undefined ? { ignoreIndex } : {}) };
        const cot = reduction === 'none' ? nb.randn([M]) : nb.tensor(1.7);
        const run = (f: () => nb.Tensor) => {
          x.grad = null;
          const l = f();
          l.mul(cot).sum().backward();
          return [l.detach(), x.grad!];
        };
        let gotL!: nb.Tensor, gotG!: nb.Tensor;
        assert.equal(calls(backend, 'softmaxCrossEntropy', () => { [gotL, gotG] = run(() => nb.F.crossEntropy(x, t, opts)); }), 1);
        const [wantL, wantG] = run(() => nb.F.nllLoss(nb.F.logSoftmax(x, 1), t, opts));
        close(`${name}: loss`, gotL, wantL!);
        close(`${name}: gradient`, gotG, wantG!);
      }));
    }

    test('gradients of gradients (createGraph) equal the composite\'s', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(7);
      const x = nb.randn([4, 5]).detach().requiresGrad_();
      const t = nb.tensor([1, 0, 4, 2], { dtype: 'int32' });
      const gg = (f: (x: nb.Tensor) => nb.Tensor) => {
        x.grad = null;
        const [gx] = nb.grad(f, { createGraph: true })(x);
        gx!.square().sum().backward();
        return x.grad!;
      };
      close('d/dx |d loss/d x|²', gg((v) => nb.F.crossEntropy(v, t)), gg((v) => nb.F.nllLoss(nb.F.logSoftmax(v, 1), t)), { rtol: 1e-3, atol: 1e-6 });
    }));
  });
}

for (const backend of withFused) {
  describe(`fused ReLU backward equals where(x > 0, g, 0) on ${backend} (float32)`, () => {
    test('random values with zeros, -0, NaN and ±inf, 1 and 1031 elements', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(8);
      for (const n of [1, 1031]) {
        const d = nb.randn([n]).dataSync() as Float32Array;
        if (n > 5) { d[0] = 0; d[1] = -0; d[2] = NaN; d[3] = Infinity; d[4] = -Infinity; }
        const x = nb.tensor(d, { shape: [n] }).requiresGrad_();
        const g = nb.randn([n]);
        assert.equal(calls(backend, 'reluBackward', () => nb.relu(x).backward(g)), 1);
        close(`relu grad (${n})`, x.grad!, nb.where(nb.gt(x.detach(), 0), g, 0));
      }
    }));
  });
}

describe('fused kernels give identical bits on 1 and 2 threads (work split over rows and elements, never a sum)', () => {
  test('LSTM and GRU forward and backward, Adam, softmax cross-entropy, ReLU backward', async () => {
    if (!backends.includes('wasm')) return;
    const W = getBackend('wasm') as unknown as { setNumThreads(n: number): Promise<void>; numThreads(): number };
    const before = W.numThreads();
    const run = (): Float32Array[] => nb.scope(() => {
      nb.setBackend('wasm');
      nb.manualSeed(9);
      const xp = nb.randn([3, 128, 520]).requiresGrad_(), h0 = nb.randn([128, 130]), c0 = nb.randn([128, 130]);
      const whh = nb.randn([520, 130]).mul(0.1).detach().requiresGrad_();
      const r = lstm(xp, h0, c0, whh, false);
      r.output.square().sum().add(r.c.sum()).backward();
      const gx = nb.randn([3, 128, 3 * 130]).requiresGrad_(), gh0 = nb.randn([128, 130]).requiresGrad_();
      const gw = nb.randn([3 * 130, 130]).mul(0.1).detach().requiresGrad_(), gb = nb.randn([3 * 130]).requiresGrad_();
      const q = gru(gx, gh0, gw, gb, true);
      q.output.square().sum().add(q.h.sum()).backward();
      const p = new nb.nn.Parameter(nb.randn([70000]));
      const opt = new nb.optim.Adam([p], { lr: 0.01, amsgrad: true });
      p.grad = nb.keep(nb.randn([70000]));
      opt.step();
      const x = nb.randn([4096, 65]).requiresGrad_();
      nb.F.crossEntropy(nb.relu(x), nb.randint(0, 65, [4096])).backward();
      const out = [r.output, r.h, r.c, xp.grad!, whh.grad!, q.output, q.h, gx.grad!, gh0.grad!, gw.grad!, gb.grad!, p, x.grad!].map((t) => t.dataSync() as Float32Array);
      opt.dispose();
      return out;
    });
    try {
      await W.setNumThreads(1);
      const one = run();
      await W.setNumThreads(2);
      assert.equal(W.numThreads(), 2);
      const two = run();
      one.forEach((a, i) => assert.deepEqual(two[i], a, `result ${i} differs between 1 and 2 threads`));
    } finally {
      await W.setNumThreads(before);
    }
  });
});
