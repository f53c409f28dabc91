// The axioms attributions are judged by, as tests: completeness of integrated gradients and
// DeepLift, sensitivity, implementation invariance, and — on a CNN trained here on Debian's
// Fashion-MNIST — the Adebayo et al. randomisation check and the deletion metric.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as nb from '../src/index.js';
import { fashionMnistSync } from '../src/data/datasets/fashion-mnist-node.js';
import { imagesToFloat32, labelsToInt32 } from '../src/data/datasets/fashion-mnist.js';
import { fixtureModel, fx, toT } from './helpers/explain-models.js';

const { nn, explain } = nb;

/** |Σ attributions − (f(x) − f(b))| / |f(x) − f(b)| per example. */
function relGaps(r: { attributions: nb.Tensor; delta: nb.Tensor }): number[] {
  const dims = Array.from({ length: r.attributions.ndim - 1 }, (_, i) => i + 1);
  const s = r.attributions.sum(dims).dataSync(), d = r.delta.dataSync();
  return Array.from(d, (v, i) => Math.abs(v) / Math.abs(s[i]! - v));
}

describe('completeness', () => {
  test('integrated gradients (50 Gauss–Legendre steps) sums to f(x) − f(baseline) within 1e-4 on smooth models', () => {
    nb.manualSeed(3);
    const smooth = new nn.Sequential(new nn.Linear(6, 16), new nn.Tanh(), new nn.Linear(16, 16), new nn.GELU(), new nn.Linear(16, 3)).eval();
    const x = nb.randn([8, 6]);
    const r = explain.integratedGradients(smooth, x, { target: 1, returnConvergenceDelta: true });
    for (const g of relGaps(r)) assert.ok(g < 1e-4, `MLP (tanh, GELU): gap ${g}`);
    const { model } = fixtureModel('lstm_emb', 'float32');
    const e = toT(fx.inputs.lstm_emb!, 'float32');
    for (const g of relGaps(explain.integratedGradients(model, e, { target: 2, returnConvergenceDelta: true }))) assert.ok(g < 1e-4, `LSTM: gap ${g}`);
  });

  test('DeepLift sums to f(x) − f(baseline) exactly (rescale rule; ReLU, sigmoid, tanh, ELU, max pooling)', () => {
    for (const name of ['mlp', 'mlp2', 'cnn']) {
      const { module } = fixtureModel(name, 'float64');
      const x = toT(fx.inputs[name]!, 'float64');
      for (const g of relGaps(explain.deepLift(module, x, { target: 0, baselines: 0.1, returnConvergenceDelta: true }))) assert.ok(g < 1e-9, `${name}: gap ${g}`);
    }
  });

  test('Shapley value sampling: every order\'s credits add up to f(x) − f(baseline)', () => {
    const { model } = fixtureModel('mlp', 'float64');
    const x = toT(fx.inputs.mlp!, 'float64');
    const phi = explain.shapleyValueSampling(model, x, { target: 2, nSamples: 3, seed: 5 }).sum(1).dataSync();
    const out = nb.noGrad(() => (model as nb.nn.Module).forward(x) as nb.Tensor), out0 = nb.noGrad(() => (model as nb.nn.Module).forward(nb.zerosLike(x)) as nb.Tensor);
    const fx_ = out.select(1, 2).dataSync(), f0 = out0.select(1, 2).dataSync();
    phi.forEach((p, i) => assert.ok(Math.abs(p - (fx_[i]! - f0[i]!)) < 1e-12, `example ${i}: Σφ ${p} vs ${fx_[i]! - f0[i]!}`));
  });
});

describe('sensitivity', () => {
  // f(x) = 1 − relu(1 − x₀) + 0·x₁: flat (gradient 0) at x₀ = 2, yet f(2, ·) − f(0, ·) = 1.
  const saturating = (x: nb.Tensor): nb.Tensor => nb.sub(1, nb.relu(nb.sub(1, x.select(1, 0)))).add(x.select(1, 1).mul(0));
  const x = nb.tensor([[2, 0.5]]), b = nb.tensor([[0, 0.5]]);

  test('a feature that changes the output gets the change as attribution; the unchanged one gets 0', () => {
    const methods: [string, nb.Tensor][] = [
      ['integratedGradients', explain.integratedGradients(saturating, x, { baselines: b, method: 'riemann_middle', nSteps: 64 })],
      ['featureAblation', explain.featureAblation(saturating, x, { baselines: b })],
      ['occlusion', explain.occlusion(saturating, x, { baselines: b, slidingWindowShapes: [1] })],
      ['shapleyValues', explain.shapleyValues(saturating, x, { baselines: b })],
      ['shapleyValueSampling', explain.shapleyValueSampling(saturating, x, { baselines: b, nSamples: 4, seed: 1 })],
    ];
    for (const [name, a] of methods) {
      const [a0, a1] = a.dataSync();
      assert.ok(Math.abs(a0! - 1) < 1e-6, `${name}: the changed feature got ${a0}, expected 1`);
      assert.equal(a1, 0, `${name}: the unchanged feature got ${a1}`);
    }
  });

  test('the gradient fails it where the model saturates (saliency and input × gradient give 0) — the known failure mode', () => {
    assert.deepEqual(Array.from(explain.saliency(saturating, x).dataSync()), [0, 0]);
    assert.deepEqual(Array.from(explain.inputXGradient(saturating, x).dataSync()), [0, 0]);
  });
});

test('implementation invariance: two functionally equal networks get equal gradient attributions', () => {
  // B doubles A's hidden layer (each unit twice, half the outgoing weight) and scales the first
  // layer by 2 and the second by 1/2: relu(2h)/2 = relu(h), so B computes exactly A's function.
  nb.manualSeed(11);
  const a1 = new nn.Linear(5, 7, { dtype: 'float64' }), a2 = new nn.Linear(7, 3, { dtype: 'float64' });
  const A = new nn.Sequential(a1, new nn.ReLU(), a2).eval();
  const b1 = new nn.Linear(5, 14, { dtype: 'float64' }), b2 = new nn.Linear(14, 3, { dtype: 'float64' });
  nb.noGrad(() => {
    b1.weight._assign(nb.cat([a1.weight, a1.weight], 0).mul(2));
    b1.bias!._assign(nb.cat([a1.bias!, a1.bias!], 0).mul(2));
    b2.weight._assign(nb.cat([a2.weight, a2.weight], 1).mul(0.25));
    b2.bias!._assign(a2.bias!.clone());
  });
  const B = new nn.Sequential(b1, new nn.ReLU(), b2).eval();
  const x = nb.randn([6, 5], { dtype: 'float64' });
  const dist = nb.randn([4, 5], { dtype: 'float64' });
  const fa = nb.noGrad(() => A.forward(x)).dataSync(), fb = nb.noGrad(() => B.forward(x)).dataSync();
  fa.forEach((v, i) => assert.ok(Math.abs(v - fb[i]!) < 1e-12, 'the two networks must compute the same function'));
  const runs: [string, (m: nb.nn.Module) => nb.Tensor][] = [
    ['saliency', (m) => explain.saliency(m, x, { target: 2 })],
    ['inputXGradient', (m) => explain.inputXGradient(m, x, { target: 2 })],
    ['integratedGradients', (m) => explain.integratedGradients(m, x, { target: 2, baselines: 0.3 })],
    ['smoothGrad', (m) => explain.smoothGrad(m, x, { target: 2, nSamples: 6, stdevs: 0.2, seed: 4 })],
    ['gradientShap', (m) => explain.gradientShap(m, x, { target: 2, baselines: dist, nSamples: 6, seed: 4 })],
    ['guidedBackprop', (m) => explain.guidedBackprop(m, x, { target: 2 })],
    ['occlusion', (m) => explain.occlusion(m, x, { target: 2, slidingWindowShapes: [2] })],
  ];
  for (const [name, run] of runs) {
    const ra = run(A).dataSync(), rb = run(B).dataSync();
    ra.forEach((v, i) => assert.ok(Math.abs(v - rb[i]!) <= 1e-10 * Math.max(1, Math.abs(v)), `${name}: element ${i}: ${v} vs ${rb[i]}`));
  }
});

const DEBIAN = '/usr/share/datasets/fashion-mnist';
const skip = existsSync(`${DEBIAN}/train-images-idx3-ubyte.gz`) ? false : `Debian's dataset-fashion-mnist is not installed (${DEBIAN})`;

test('HiResCAM: equal to Grad-CAM behind global average pooling and a linear layer; behind a flattening linear head its map adds up to the logit minus the bias, which Grad-CAM\'s need not', () => {
  nb.manualSeed(5);
  const x = nb.randn([3, 2, 6, 6]);
  // GAP + linear: ∂y/∂A[c, i, j] = w_c / (H·W) at every position, so the spatial mean of the gradient is the gradient
  const gap = new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(4, 3)).eval();
  const g = explain.gradCam(gap, x, { target: [0, 1, 2], layer: '1', upsample: 'none' }).dataSync();
  const h = explain.hiResCam(gap, x, { target: [0, 1, 2], layer: '1', upsample: 'none' }).dataSync();
  g.forEach((v, i) => assert.ok(Math.abs(v - h[i]!) < 1e-5 * (1 + Math.abs(v)), `position ${i}: ${v} vs ${h[i]}`));
  // flatten + linear: y = Σ w ⊙ A + b, so Σ (∂y/∂A ⊙ A) = y − b exactly, position by position
  const flat = new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 36, 3)).eval();
  const y = nb.noGrad(() => flat.forward(x)).dataSync(), b = (flat.at(3) as nb.nn.Linear).bias!.dataSync();
  const hm = explain.hiResCam(flat, x, { target: 2, layer: '1', upsample: 'none' }).sum([1, 2, 3]).dataSync();
  const gm = explain.gradCam(flat, x, { target: 2, layer: '1', upsample: 'none' }).sum([1, 2, 3]).dataSync();
  for (let n = 0; n < 3; n++) {
    assert.ok(Math.abs(hm[n]! - (y[n * 3 + 2]! - b[2]!)) < 1e-4, `HiResCAM sums to y − b: ${hm[n]} vs ${y[n * 3 + 2]! - b[2]!}`);
    assert.ok(Math.abs(gm[n]! - (y[n * 3 + 2]! - b[2]!)) > 1e-3, `Grad-CAM's mean weights do not (${gm[n]})`);
  }
});

describe('on a CNN trained on Fashion-MNIST (4,000 images, 2 epochs)', { skip }, () => {
  let model: nb.nn.Sequential, x: nb.Tensor, pred: number[];
  const N = 32;
  before(async () => {
    const d = fashionMnistSync({ split: 'train', root: DEBIAN, log: null });
    const n = 4000;
    const ds = new nb.data.TensorDataset({ data: imagesToFloat32(d.images.subarray(0, n * 784)), shape: [n, 1, 28, 28] }, { data: labelsToInt32(d.labels.subarray(0, n)), shape: [n] });
    nb.manualSeed(2);
    model = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(8, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(16 * 7 * 7, 10));
    await nb.train.fit(model, {
      train: new nb.data.DataLoader(ds, { batchSize: 64, shuffle: true, seed: 2 }), loss: nb.F.crossEntropy,
      optimizer: new nb.optim.Adam(model.parameters(), { lr: 2e-3 }), epochs: 2, verbose: false,
    });
    model.eval();
    const t = fashionMnistSync({ split: 'test', root: DEBIAN, log: null });
    x = nb.keep(nb.tensor(imagesToFloat32(t.images.subarray(0, N * 784)), { shape: [N, 1, 28, 28] }));
    pred = Array.from(nb.noGrad(() => model.forward(x)).argmax(1).dataSync());
  });

  test('integrated gradients at 50 steps: ≥ 90% of the images within 1% of completeness, all within 2%; within 1% at 200', () => {
    const gaps = relGaps(explain.integratedGradients(model, x, { target: pred, returnConvergenceDelta: true })).sort((a, b) => a - b);
    assert.ok(gaps.filter((g) => g < 0.01).length >= 0.9 * N, `gaps ${gaps.map((g) => g.toExponential(1)).join(' ')}`);
    assert.ok(gaps.at(-1)! < 0.02, `worst gap ${gaps.at(-1)}`);
    const fine = relGaps(explain.integratedGradients(model, x, { target: pred, nSteps: 200, returnConvergenceDelta: true }));
    assert.ok(Math.max(...fine) < 0.01, `200 steps: worst gap ${Math.max(...fine)}`);
  });

  test('Adebayo et al.: re-initialising the last layer changes Grad-CAM (mean rank correlation with the trained maps < 0.5)', () => {
    const cam = (): Float32Array | Float64Array => explain.gradCam(model, x, { layer: '4', target: pred, upsample: 'none' }).dataSync() as Float32Array;
    const trained = cam();
    const last = model.at(7) as nb.nn.Linear;
    const saved = nb.keep(last.weight.clone());
    try {
      nb.manualSeed(99);
      nb.noGrad(() => nb.nn.init.kaimingUniform_(last.weight, { a: Math.sqrt(5) }));
      const random = cam();
      const per = 14 * 14;
      const rho = Array.from({ length: N }, (_, i) => explain.spearman(trained.subarray(i * per, (i + 1) * per), random.subarray(i * per, (i + 1) * per)));
      const mean = rho.reduce((a, b) => a + b, 0) / N;
      assert.ok(mean < 0.5, `mean Spearman ρ ${mean}`);
    } finally {
      nb.noGrad(() => last.weight._assign(saved));
      saved.dispose();
    }
    // and the trained maps are reproduced once the weights are back
    assert.deepEqual(Array.from(cam()), Array.from(trained));
  });

  test('deletion metric: removing the most-attributed pixels first lowers confidence faster than random order (saliency, IG, Grad-CAM)', () => {
    const random = [1, 2, 3].map((seed) => explain.deletionCurve(model, x, null, { target: pred, random: true, seed }).meanAuc);
    const methods: [string, nb.Tensor][] = [
      ['saliency', explain.saliency(model, x, { target: pred })],
      ['integratedGradients', explain.integratedGradients(model, x, { target: pred })],
      ['gradCam', explain.gradCam(model, x, { layer: '4', target: pred, reluAttributions: true })],
    ];
    for (const [name, attr] of methods) {
      const auc = explain.deletionCurve(model, x, attr, { target: pred }).meanAuc;
      // below every random order's area (bench/explain-deletion.ts has the numbers on nabla train's CNN)
      assert.ok(auc < Math.min(...random), `${name}: deletion AUC ${auc.toFixed(3)} vs random ${random.map((r) => r.toFixed(3)).join(', ')}`);
    }
  });
});
