// The layers' fused paths against the ops one by one: conv2d and linear with their bias and a ReLU
// after them in the kernel's writes (through F and nn.Sequential), max pooling's values alone, and
// inference's Conv2d + ReLU + MaxPool2d pooled in cache — each test counts the fused kernel's calls.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { conv2dParams } from '../src/ops/conv.js';
import { getBackend } from '../src/backend/backend.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { calls, close, withRelu } from './helpers/fused.js';

const backends = await testBackends();
after(closeBackends);
const withFused = backends.filter((b) => getBackend(b).fused);

// conv2d with its bias and ReLU in the kernel's writes (fused.conv2dBiasAct, reached through
// F.relu(F.conv2d(x, w, b)), a biased conv2d, and nn.Sequential's Conv2d + ReLU) against the
// composite relu(conv2d(x, w) + b) built from the unfused ops on the same backend.
for (const backend of withFused) {
  describe(`fused conv2d + bias + ReLU equals the composite on ${backend} (float32)`, () => {
    // the add reads the conv's result, so the ReLU after it has nothing to fold into
    const composite = (x: nb.Tensor, w: nb.Tensor, b: nb.Tensor | null, act: boolean, o: nb.F.ConvOptions) => {
      const y = nb.F.conv2d(x, w, null, o).add(b ? b.reshape([-1, 1, 1]) : 0);
      return act ? y.relu() : y;
    };
    const fusedConv = (x: nb.Tensor, w: nb.Tensor, b: nb.Tensor | null, act: boolean, o: nb.F.ConvOptions) => {
      const y = nb.F.conv2d(x, w, b, o);
      return act ? nb.F.relu(y) : y;
    };
    const cases: [string, number[], number[], nb.F.ConvOptions][] = [
      ['1 → 8 channels, 3×3 (few input channels)', [2, 1, 12, 12], [8, 1, 3, 3], {}],
      ['8 → 12 channels, 3×3, padding 1 (Winograd)', [3, 8, 9, 11], [12, 8, 3, 3], { padding: 1 }],
      ['6 → 4 channels, 2×3, stride 2, groups 2 (im2col)', [2, 6, 10, 9], [4, 3, 2, 3], { stride: 2, groups: 2 }],
      ['unbatched 3 → 5, 3×3', [3, 7, 8], [5, 3, 3, 3], {}],
    ];
    for (const [name, xs, ws, o] of cases) {
      for (const [withBias, act] of [[true, true], [true, false], [false, true]] as const) {
        test(`${name}, bias=${withBias}, relu=${act}: output and the gradients of x, w, b`, () => nb.scope(() => {
          nb.setBackend(backend);
          nb.manualSeed(4);
          const x = nb.randn(xs).requiresGrad_(), w = nb.randn(ws).mul(0.5).detach().requiresGrad_();
          const b = withBias ? nb.randn([ws[0]!]).requiresGrad_() : null;
          let yF!: nb.Tensor;
          // unbatched input is unsqueezed and squeezed back: the squeeze reads the conv before a ReLU could fold in
          const folds = xs.length === 4 || !act ? 1 : 0;
          assert.equal(calls(backend, 'conv2dBiasAct', () => { yF = fusedConv(x, w, b, act, o); yF.dataSync(); }, (...a) => a[4] === act && (a[2] !== null) === withBias), folds);
          const yC = composite(x, w, b, act, o);
          close('output', yF, yC);
          assert.ok(yC.dataSync().some((v) => v === 0) || !act, 'the ReLU clips something (the mask is exercised)');
          const cot = nb.randnLike(yC);
          const [gxF, gwF, gbF] = nb.grad((x: nb.Tensor, w: nb.Tensor, b: nb.Tensor) => fusedConv(x, w, withBias ? b : null, act, o).mul(cot).sum())(x, w, b ?? nb.zeros([ws[0]!]));
          const [gxC, gwC, gbC] = nb.grad((x: nb.Tensor, w: nb.Tensor, b: nb.Tensor) => composite(x, w, withBias ? b : null, act, o).mul(cot).sum())(x, w, b ?? nb.zeros([ws[0]!]));
          close('grad x', gxF!, gxC!); close('grad w', gwF!, gwC!);
          if (withBias) close('grad b', gbF!, gbC!, { rtol: 1e-4, atol: 1e-4 });
        }));
      }
    }
    test('gradients of gradients (createGraph) through the fused op equal the composite\'s', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(5);
      const x = nb.randn([2, 4, 7, 7]).requiresGrad_(), w = nb.randn([6, 4, 3, 3]).mul(0.4).detach().requiresGrad_(), b = nb.randn([6]);
      // y = relu(conv(x, w) + b); d/dw of |d Σ y³ / dx|² goes through the gradient's own graph
      const gg = (f: (x: nb.Tensor) => nb.Tensor) => {
        w.grad = null;
        const [gx] = nb.grad((x: nb.Tensor) => f(x).pow(3).sum(), { createGraph: true })(x);
        gx!.square().sum().backward();
        return w.grad!;
      };
      close('d/dw of |d loss/dx|²', gg((x) => fusedConv(x, w, b, true, {})), gg((x) => composite(x, w, b, true, {})), { rtol: 1e-3, atol: 1e-3 });
    }));
    test('nn.Sequential runs Conv2d + ReLU fused, with the same outputs and parameter gradients as the layers one by one', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(6);
      const conv = new nb.nn.Conv2d(3, 8, 3, { padding: 1 }), relu = new nb.nn.ReLU();
      const seq = new nb.nn.Sequential(conv, relu, new nb.nn.Flatten());
      const x = nb.randn([2, 3, 6, 6]);
      let y1!: nb.Tensor;
      assert.equal(calls(backend, 'conv2dBiasAct', () => { y1 = seq.forward(x); y1.square().sum().backward(); }, withRelu), 1, 'Conv2d + ReLU ran as one kernel');
      const g1 = [conv.weight.grad!, conv.bias!.grad!].map((g) => g.mul(1));
      seq.zeroGrad();
      const y2 = composite(x, conv.weight, conv.bias, true, { padding: 1 }).flatten(1);
      y2.square().sum().backward();
      close('output', y1, y2);
      close('weight grad', g1[0]!, conv.weight.grad!, { rtol: 1e-4, atol: 1e-4 });
      close('bias grad', g1[1]!, conv.bias!.grad!, { rtol: 1e-4, atol: 1e-4 });
    }));
  });
}

// Max pooling without a graph and without indices asked for takes the values-only path.
for (const backend of withFused) {
  test(`maxPool2d under noGrad (values only) equals the recorded op's values on ${backend}`, () => nb.scope(() => {
    nb.setBackend(backend);
    nb.manualSeed(7);
    for (const [shape, k, o] of [[[2, 3, 9, 13], 2, {}], [[1, 2, 8, 8], 3, { stride: 2, padding: 1 }]] as const) {
      const x = nb.randn([...shape]);
      const want = nb.F.maxPool2d(x.detach().requiresGrad_(), k, o);
      close(`maxPool2d ${shape} k=${k}`, nb.noGrad(() => nb.F.maxPool2d(x, k, o)), want);
    }
  }));
}

// nn.Linear's bias and ReLU in one pass after the product (fused.linearBiasAct), reached through
// F.relu(F.linear(x, w, b)), a biased F.linear and nn.Sequential's Linear + ReLU, against the
// composite relu(x·wᵀ + b) from the unfused ops on the same backend.
for (const backend of withFused) {
  describe(`fused linear + bias + ReLU equals the composite on ${backend} (float32)`, () => {
    const composite = (x: nb.Tensor, w: nb.Tensor, b: nb.Tensor | null, act: boolean) => {
      let y = nb.matmul(x, w.t());
      if (b) y = y.add(b);
      return act ? y.relu() : y;
    };
    const cases: [string, number[], number[]][] = [
      ['[6, 9] → 5 (columns not a multiple of 4)', [6, 9], [5, 9]],
      ['[2, 3, 16] → 12 (batch dims)', [2, 3, 16], [12, 16]],
      ['[130, 64] → 40 (rows over threads)', [130, 64], [40, 64]],
      ['[7] → 4 (unbatched)', [7], [4, 7]],
    ];
    for (const [name, xs, ws] of cases) {
      for (const [withBias, act] of [[true, true], [true, false], [false, true]] as const) {
        test(`${name}, bias=${withBias}, relu=${act}: output and the gradients of x, w, b`, () => nb.scope(() => {
          nb.setBackend(backend);
          nb.manualSeed(8);
          const x = nb.randn(xs), w = nb.randn(ws).mul(0.5), b = nb.randn([ws[0]!]);
          const f = (x: nb.Tensor, w: nb.Tensor, b: nb.Tensor) => { const y = nb.F.linear(x, w, withBias ? b : null); return act ? nb.F.relu(y) : y; };
          const c = (x: nb.Tensor, w: nb.Tensor, b: nb.Tensor) => composite(x.ndim === 1 ? x.unsqueeze(0) : x, w, withBias ? b : null, act).reshape([...xs.slice(0, -1), ws[0]!]);
          let yF!: nb.Tensor;
          // an unbatched x is reshaped to [1, k] and back: the reshape reads the result before the ReLU
          const relus = xs.length === 2 && act ? 1 : 0;
          assert.equal(calls(backend, 'linearBiasAct', () => { yF = f(x, w, b); yF.dataSync(); }, withRelu), relus);
          const yC = c(x, w, b);
          close('output', yF, yC);
          if (act) assert.ok(yC.dataSync().some((v) => v === 0), 'the ReLU clips something (the mask is exercised)');
          const cot = nb.randnLike(yC);
          const gF = nb.grad((x: nb.Tensor, w: nb.Tensor, b: nb.Tensor) => f(x, w, b).mul(cot).sum())(x, w, b);
          const gC = nb.grad((x: nb.Tensor, w: nb.Tensor, b: nb.Tensor) => c(x, w, b).mul(cot).sum())(x, w, b);
          close('grad x', gF[0]!, gC[0]!); close('grad w', gF[1]!, gC[1]!);
          if (withBias) close('grad b', gF[2]!, gC[2]!, { rtol: 1e-4, atol: 1e-4 });
        }));
      }
    }
    test('nn.Sequential runs Linear + ReLU fused, with the same outputs and gradients as the layers one by one', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(9);
      const lin = new nb.nn.Linear(10, 6), relu = new nb.nn.ReLU(), head = new nb.nn.Linear(6, 3);
      const x = nb.randn([8, 10]);
      assert.equal(calls(backend, 'linearBiasAct', () => new nb.nn.Sequential(lin, relu, head).forward(x).square().sum().backward(), withRelu), 1, 'Linear + ReLU ran as one pass');
      const g1 = [lin.weight.grad!, lin.bias!.grad!, head.weight.grad!].map((g) => g.mul(1));
      for (const p of [lin.weight, lin.bias!, head.weight, head.bias!]) p.grad = null;
      head.forward(composite(x, lin.weight, lin.bias, true)).square().sum().backward();
      close('Linear weight grad', g1[0]!, lin.weight.grad!, { rtol: 1e-4, atol: 1e-4 });
      close('Linear bias grad', g1[1]!, lin.bias!.grad!, { rtol: 1e-4, atol: 1e-4 });
      close('head weight grad', g1[2]!, head.weight.grad!, { rtol: 1e-4, atol: 1e-4 });
    }));
  });
}

// Inference's Conv2d + ReLU + MaxPool2d with each image's conv output pooled in cache
// (fused.conv2dBiasActMaxPool: the direct first-layer conv) against the three ops one by one.
for (const backend of withFused) {
  describe(`fused conv2d + ReLU + 2×2 max pooling (inference) equals the ops one by one on ${backend}`, () => {
    const cases: [string, number[], number[], nb.F.ConvOptions][] = [
      ["1 → 32 channels, 28×28 (the benchmark CNN's first layer)", [5, 1, 28, 28], [32, 1, 3, 3], {}],
      ['3 → 6 channels, 3×3 padding 1, odd 11×13 output', [3, 3, 11, 13], [6, 3, 3, 3], { padding: 1 }],
      ['2 → 5 channels, 5×5 stride 2', [2, 2, 17, 16], [5, 2, 5, 5], { stride: 2 }],
    ];
    for (const [name, xs, ws, o] of cases) {
      test(name, () => nb.scope(() => {
        nb.setBackend(backend);
        nb.manualSeed(10);
        const x = nb.randn(xs), w = nb.randn(ws), b = nb.randn([ws[0]!]);
        const want = nb.noGrad(() => nb.F.maxPool2d(nb.F.conv2d(x, w, b, o).add(0).relu(), 2));
        const p = conv2dParams('test', x, x, w, o);
        const q = { n: p.n, c: p.cOut, h: p.oh, w: p.ow, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, dh: 1, dw: 1, oh: p.oh >> 1, ow: p.ow >> 1, countIncludePad: true, divisorOverride: 0 };
        const direct = getBackend(backend).fused!.conv2dBiasActMaxPool!(x._s('test'), w._s('test'), b._s('test'), p, true, q);
        assert.ok(direct, 'the fused kernel takes these first-layer shapes (the comparison is not vacuous)');
        getBackend(backend).free(direct);
        const pooled = (b: nb.Tensor | null) => nb.noGrad(() => nb.F.maxPool2d(nb.F.relu(nb.F.conv2d(x, w, b, o)), 2));
        let got!: nb.Tensor, got0!: nb.Tensor;
        assert.equal(calls(backend, 'conv2dBiasActMaxPool', () => { got = pooled(b); got0 = pooled(null); }), 2);
        close('pooled', got, want);
        close('without bias', got0, nb.noGrad(() => nb.F.maxPool2d(nb.F.conv2d(x, w, null, o).add(0).relu(), 2)));
      }));
    }
    test('nn.Sequential fuses Conv2d + ReLU + MaxPool2d: same outputs in eval/noGrad, and training still gets every gradient', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(11);
      const conv = new nb.nn.Conv2d(1, 8, 3), relu = new nb.nn.ReLU(), pool = new nb.nn.MaxPool2d(2);
      const seq = new nb.nn.Sequential(conv, relu, pool, new nb.nn.Flatten());
      const x = nb.randn([4, 1, 14, 14]);
      // one by one, with the conv's result read before the ReLU (nothing to fold)
      const one = (t: nb.Tensor) => pool.forward(relu.forward(conv.forward(t).add(0)) as nb.Tensor) as nb.Tensor;
      let ev!: nb.Tensor;
      assert.equal(calls(backend, 'conv2dBiasActMaxPool', () => { ev = nb.noGrad(() => seq.forward(x)); }), 1, 'inference pooled in cache');
      close('eval output', ev, nb.noGrad(() => one(x).flatten(1)));
      const withIdx = new nb.nn.Sequential(conv, relu, new nb.nn.MaxPool2d(2, { returnIndices: true }));
      assert.equal(calls(backend, 'conv2dBiasActMaxPool', () => nb.noGrad(() => withIdx.forward(x))), 0, 'a pooling that returns indices is left to itself');
      assert.equal(calls(backend, 'conv2dBiasActMaxPool', () => seq.forward(x).square().sum().backward()), 0, 'training keeps the indices');
      const gw = conv.weight.grad!.mul(1);
      conv.weight.grad = null; conv.bias!.grad = null;
      one(x).square().sum().backward();
      close('weight grad through the fused Sequential', gw, conv.weight.grad!, { rtol: 1e-4, atol: 1e-4 });
    }));
  });
}
