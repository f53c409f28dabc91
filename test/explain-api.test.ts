// nb.explain as a user meets it: the forms of target and baseline, seeds, bad input that gets a
// clear error, models left as they were (fusion, forwards, requiresGrad, training mode), no tensor
// leaked by any method, and the pictures and metrics built on attributions.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { encodePng } from '../src/node.js';
import { fixtureModel, fx, toT } from './helpers/explain-models.js';
import { calls } from './helpers/fused.js';
import pngjs from 'pngjs';

const { nn, explain } = nb;

function cnn(): nb.nn.Sequential {
  nb.manualSeed(7);
  return new nn.Sequential(
    new nn.Conv2d(1, 3, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(3 * 4 * 4, 4)).eval();
}

describe('targets and baselines', () => {
  test('a class for all, one per example (array or int tensor), or a function give the same numbers', () => {
    const m = cnn(), x = nb.randn([3, 1, 8, 8]);
    const perEx = explain.saliency(m, x, { target: [2, 2, 2] }).dataSync();
    assert.deepEqual(Array.from(explain.saliency(m, x, { target: 2 }).dataSync()), Array.from(perEx));
    assert.deepEqual(Array.from(explain.saliency(m, x, { target: nb.tensor([2, 2, 2], { dtype: 'int32' }) }).dataSync()), Array.from(perEx));
    assert.deepEqual(Array.from(explain.saliency(m, x, { target: (out) => out.select(1, 2) }).dataSync()), Array.from(perEx));
  });

  test('a baseline may be a number, one sample, or the whole batch', () => {
    const m = cnn(), x = nb.randn([2, 1, 8, 8]);
    const a = explain.integratedGradients(m, x, { target: 1, baselines: 0.5, nSteps: 8 }).dataSync();
    const b = explain.integratedGradients(m, x, { target: 1, baselines: nb.full([1, 8, 8], 0.5), nSteps: 8 }).dataSync();
    const c = explain.integratedGradients(m, x, { target: 1, baselines: nb.full([2, 1, 8, 8], 0.5), nSteps: 8 }).dataSync();
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.deepEqual(Array.from(a), Array.from(c));
  });

  test('internalBatchSize splits the path without changing the result', () => {
    const m = cnn(), x = nb.randn([2, 1, 8, 8]);
    const a = explain.integratedGradients(m, x, { target: 1, nSteps: 10 }).dataSync();
    const b = explain.integratedGradients(m, x, { target: 1, nSteps: 10, internalBatchSize: 3 }).dataSync();
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-6, `element ${i}: ${v} vs ${b[i]}`));
  });

  test('methods that need no gradient run inside noGrad too; gradient methods turn grad on for themselves', () => {
    const m = cnn(), x = nb.randn([1, 1, 8, 8]);
    const inside = nb.noGrad(() => explain.saliency(m, x, { target: 0 })).dataSync();
    assert.deepEqual(Array.from(inside), Array.from(explain.saliency(m, x, { target: 0 }).dataSync()));
  });
});

describe('seeds', () => {
  test('smoothGrad, gradientShap and shapleyValueSampling repeat with a seed and leave the global generator where it was', () => {
    const m = cnn(), x = nb.randn([2, 1, 8, 8]), dist = nb.randn([5, 1, 8, 8]);
    const runs: [string, () => nb.Tensor][] = [
      ['smoothGrad', () => explain.smoothGrad(m, x, { target: 1, nSamples: 3, stdevs: 0.3, seed: 9 })],
      ['gradientShap', () => explain.gradientShap(m, x, { target: 1, baselines: dist, nSamples: 3, stdevs: 0.1, seed: 9 })],
      ['shapleyValueSampling', () => explain.shapleyValueSampling(m, x, { target: 1, featureMask: nb.arange(64).reshape([1, 8, 8]).div(16).floor().int(), nSamples: 2, seed: 9 })],
    ];
    for (const [name, run] of runs) {
      const state = nb.getRngState();
      const a = run().dataSync();
      assert.deepEqual(nb.getRngState(), state, `${name} moved the global generator`);
      assert.deepEqual(Array.from(run().dataSync()), Array.from(a), `${name} is not reproducible`);
    }
    const d1 = explain.smoothGrad(m, x, { target: 1, nSamples: 3, stdevs: 0.3, seed: 1 }).dataSync();
    const d2 = explain.smoothGrad(m, x, { target: 1, nSamples: 3, stdevs: 0.3, seed: 2 }).dataSync();
    assert.notDeepEqual(Array.from(d1), Array.from(d2), 'different seeds must draw different noise');
  });

  test('gradientShap converges to integrated gradients with one baseline and no noise (the expectation over α)', () => {
    const { model } = fixtureModel('mlp', 'float64');
    const x = toT(fx.inputs.mlp!, 'float64');
    const ig = explain.integratedGradients(model, x, { target: 0, nSteps: 200, method: 'riemann_middle' }).dataSync();
    const gs = explain.gradientShap(model, x, { target: 0, baselines: nb.zeros([1, 6], { dtype: 'float64' }), nSamples: 4000, seed: 3 }).dataSync();
    const scale = Math.max(...Array.from(ig, Math.abs));
    ig.forEach((v, i) => assert.ok(Math.abs(v - gs[i]!) < 0.05 * scale, `element ${i}: IG ${v} vs GradientShap ${gs[i]}`));
  });
});

describe('errors name what is wrong', () => {
  const m = cnn(), x = nb.randn([2, 1, 8, 8]);
  const cases: [string, () => unknown, RegExp][] = [
    ['no target for a [N, C] output', () => explain.saliency(m, x), /output has shape \[2, 4\].*target/],
    ['target out of range', () => explain.saliency(m, x, { target: 4 }), /target 4 is out of range for an output of 4 classes/],
    ['wrong number of targets', () => explain.saliency(m, x, { target: [1, 2, 3] }), /3 targets for 2 examples/],
    ['unknown option', () => explain.integratedGradients(m, x, { target: 0, steps: 10 } as never), /unknown option 'steps'/],
    ['unknown IG method', () => explain.integratedGradients(m, x, { target: 0, method: 'simpson' as never }), /unknown method 'simpson'/],
    ['int input to a gradient method', () => explain.saliency(m, nb.zeros([2, 1, 8, 8], { dtype: 'int32' }), { target: 0 }), /int32.*layerIntegratedGradients/],
    ['baseline of the wrong shape', () => explain.integratedGradients(m, x, { target: 0, baselines: nb.zeros([3, 8]) }), /baselines of shape \[3, 8\] match neither/],
    ['unknown layer', () => explain.gradCam(m, x, { target: 0, layer: 'features.3' }), /no layer named 'features.3' \(layers: 0, 1, 2, 3, 4\)/],
    ['a layer name with a function model', () => explain.gradCam((t) => m.forward(t), x, { target: 0, layer: '1' }), /needs the model as an nn.Module/],
    ['guided backprop without nn.ReLU', () => explain.guidedBackprop(new nn.Sequential(new nn.Linear(3, 2), new nn.Tanh()), nb.randn([1, 3]), { target: 0 }), /no nn.ReLU modules/],
    ['occlusion window larger than the sample', () => explain.occlusion(m, x, { target: 0, slidingWindowShapes: [1, 9, 2] }), /slidingWindowShapes must give 3 sizes within one sample's shape \[1, 8, 8\]/],
    ['feature mask of the wrong shape', () => explain.featureAblation(m, x, { target: 0, featureMask: nb.zeros([8, 8], { dtype: 'int32' }) }), /featureMask \[8, 8\] matches neither/],
    ['too many exact Shapley features', () => explain.shapleyValues(m, x, { target: 0 }), /64 features need 2\^64 evaluations/],
    ['smoothGrad noise of the wrong shape', () => explain.smoothGrad(m, x, { target: 0, nSamples: 2, noise: nb.zeros([2, 8, 8]) }), /noise must have shape \[2, 2, 1, 8, 8\]/],
    ['a model returning an array', () => explain.saliency((t) => [t] as never, x), /returned an array, not a tensor/],
    ['deletion without attributions', () => explain.deletionCurve(m, x, null, { target: 0 }), /give the attributions/],
  ];
  for (const [what, run, re] of cases) test(what, () => assert.throws(run, re));

  test('a model in training mode with dropout or batch norm is refused, naming the module', () => {
    const t = new nn.Sequential(new nn.Linear(3, 4), new nn.Dropout(0.2), new nn.Linear(4, 2));
    assert.throws(() => explain.saliency(t, nb.randn([2, 3]), { target: 0 }), /training mode and '1' \(Dropout\).*model\.eval\(\)/);
    t.eval();
    assert.doesNotThrow(() => explain.saliency(t, nb.randn([2, 3]), { target: 0 }));
  });
});

describe('the model is left as it was', () => {
  test('after every hooking method (and after one that throws), forwards, fusion and requiresGrad are restored', () => {
    const m = cnn(), x = nb.randn([2, 1, 8, 8]);
    const own = (): string[] => m.modules().flatMap((mod) => Object.getOwnPropertyNames(mod).filter((k) => k === 'forward'));
    const before = nb.noGrad(() => m.forward(x)).dataSync();
    explain.deepLift(m, x, { target: 1 });
    explain.guidedGradCam(m, x, { target: 1, layer: '1' });
    explain.layerIntegratedGradients(m, x, { target: 1, layer: '0', nSteps: 4 });
    assert.throws(() => explain.gradCam(m, x, { target: 9, layer: '1' }), /out of range/);
    assert.deepEqual(own(), [], 'no instance forward left behind');
    assert.ok(m.parameters().every((p) => p.requiresGrad), 'parameters require grad again');
    let after: Float32Array | null = null;
    const pooled = calls(nb.getBackend().name, 'conv2dBiasActMaxPool', () => { after = nb.noGrad(() => m.forward(x)).dataSync() as Float32Array; });
    if (nb.getBackend().fused?.conv2dBiasActMaxPool) assert.equal(pooled, 1, 'Conv2d + ReLU + MaxPool2d run as one kernel again');
    assert.deepEqual(Array.from(after!), Array.from(before));
  });

  test('a parameter\'s accumulated .grad is untouched by explaining', () => {
    const m = cnn(), x = nb.randn([2, 1, 8, 8]);
    nb.F.crossEntropy(m.forward(x), nb.tensor([0, 1], { dtype: 'int32' })).backward();
    const g = Array.from(m.at(0).parameters()[0]!.grad!.dataSync());
    explain.saliency(m, x, { target: 0 });
    explain.integratedGradients(m, x, { target: 0, nSteps: 4 });
    assert.deepEqual(Array.from(m.at(0).parameters()[0]!.grad!.dataSync()), g);
  });
});

test('no method leaks a tensor or a byte over repeated calls (the 10⁴-call soak: bench/explain-soak.ts)', () => {
  const m = cnn(), x = nb.keep(nb.randn([2, 1, 8, 8])), dist = nb.keep(nb.randn([3, 1, 8, 8]));
  const mask = nb.keep(nb.arange(64).reshape([1, 8, 8]).div(32).floor().int());
  const lstm = fixtureModel('lstm', 'float32').module, ids = nb.keep(toT(fx.inputs.lstm_ids!, 'float32'));
  const calls: [string, () => unknown][] = [
    ['saliency', () => explain.saliency(m, x, { target: 1 })],
    ['inputXGradient', () => explain.inputXGradient(m, x, { target: 1 })],
    ['integratedGradients', () => explain.integratedGradients(m, x, { target: 1, nSteps: 4, returnConvergenceDelta: true, internalBatchSize: 3 })],
    ['smoothGrad', () => explain.smoothGrad(m, x, { target: 1, nSamples: 2 })],
    ['gradientShap', () => explain.gradientShap(m, x, { target: 1, baselines: dist, nSamples: 2 })],
    ['guidedBackprop', () => explain.guidedBackprop(m, x, { target: 1 })],
    ['deconvolution', () => explain.deconvolution(m, x, { target: 1 })],
    ['deepLift', () => explain.deepLift(m, x, { target: 1, returnConvergenceDelta: true })],
    ['occlusion', () => explain.occlusion(m, x, { target: 1, slidingWindowShapes: [1, 4, 4], strides: 4 })],
    ['featureAblation', () => explain.featureAblation(m, x, { target: 1, featureMask: mask })],
    ['shapleyValueSampling', () => explain.shapleyValueSampling(m, x, { target: 1, featureMask: mask, nSamples: 1 })],
    ['shapleyValues', () => explain.shapleyValues(m, x, { target: 1, featureMask: mask })],
    ['gradCam', () => explain.gradCam(m, x, { target: 1, layer: '1' })],
    ['guidedGradCam', () => explain.guidedGradCam(m, x, { target: 1, layer: '1' })],
    ['layerGradientXActivation', () => explain.layerGradientXActivation(m, x, { target: 1, layer: '1' })],
    ['hiResCam', () => explain.hiResCam(m, x, { target: 1, layer: '1', reluAttributions: true })],
    ['layerIntegratedGradients', () => explain.layerIntegratedGradients(lstm, ids, { target: 1, layer: 'emb', nSteps: 3, returnConvergenceDelta: true })],
    ['deletionCurve', () => explain.deletionCurve(m, x, null, { target: 1, random: true, steps: 3 })],
  ];
  for (const [name, call] of calls) {
    nb.scope(() => void call()); // first call: lazily created things (kernels, tables) are not leaks
    const before = nb.memory();
    for (let i = 0; i < 30; i++) nb.scope(() => void call());
    const after = nb.memory();
    assert.equal(after.tensors, before.tensors, `${name}: ${after.tensors - before.tensors} tensors leaked over 30 calls`);
    assert.equal(after.bytes, before.bytes, `${name}: ${after.bytes - before.bytes} bytes leaked over 30 calls`);
    // and what a call returns is all that is left after it
    const r = call();
    const parts = r instanceof nb.Tensor ? [r] : r && typeof r === 'object' && 'attributions' in r ? [(r as { attributions: nb.Tensor }).attributions, (r as unknown as { delta: nb.Tensor }).delta] : [];
    assert.equal(nb.memory().tensors, before.tensors + parts.length, `${name}: only the result survives a call`);
    for (const p of parts) p.dispose();
  }
});

test('layer methods on models whose forward runs in its own scope() (the language and translation models): the layer\'s output outlives it', () => {
  // Before, the captured embedding output was freed when the model's scope ended ("already released").
  nb.manualSeed(3);
  for (const kind of ['lstm', 'transformer'] as const) {
    const lm = nb.models.createCharLM({ ...nb.models.defaultCharLMConfig(kind, 12), embedDim: 8, hiddenSize: 16, numLayers: 1, heads: 2, contextLength: 16, dropout: 0 });
    lm.eval();
    const layer = lm instanceof nb.models.CharGPT ? 'tokEmbed' : 'embed';
    const last = (x: nb.Tensor): nb.Tensor => { const o = lm.forward(x); return o.select(1, o.shape[1]! - 1); };
    const ids = nb.keep(nb.tensor(Int32Array.from([1, 5, 7, 3, 9, 2, 11, 4]), { shape: [1, 8], dtype: 'int32' }));
    const base = nb.keep(nb.tensor(new Int32Array(8).fill(6), { shape: [1, 8], dtype: 'int32' }));
    const call = (): nb.Tensor[] => {
      const r = explain.layerIntegratedGradients(last, ids, { target: 3, layer: (lm as unknown as Record<string, nb.nn.Module>)[layer]!, baselines: base, nSteps: 64, returnConvergenceDelta: true });
      return [r.attributions, r.delta];
    };
    const [a, delta] = call();
    assert.deepEqual(a!.shape, [1, 8, 8]);
    const fx = nb.noGrad(() => last(ids).select(1, 3).item()), fb = nb.noGrad(() => last(base).select(1, 3).item());
    // completeness: Σ attributions = f(x) − f(baseline), up to the quadrature error
    assert.ok(Math.abs(delta!.item()) <= 0.01 * Math.abs(fx - fb) + 1e-5, `${kind}: delta ${delta!.item()} for f(x) − f(b) = ${fx - fb}`);
    assert.ok(Math.abs(a!.sum().item() - (fx - fb)) <= 0.01 * Math.abs(fx - fb) + 1e-5);
    a!.dispose(); delta!.dispose();
    nb.scope(() => void call());
    const before = nb.memory().tensors;
    for (let i = 0; i < 5; i++) nb.scope(() => void call());
    assert.equal(nb.memory().tensors, before, `${kind}: no tensor leaked`);
    nb.scope(() => void explain.layerActivation(last, ids, (lm as unknown as Record<string, nb.nn.Module>)[layer]!));
    assert.equal(nb.memory().tensors, before);
    ids.dispose(); base.dispose();
  }
});

describe('pictures and measures', () => {
  test('heatmapOverlay: grey image where the map is 0, inferno colour where it is large; PNG bytes decode back', () => {
    const img = nb.full([1, 2, 2], 0.5);
    const attr = nb.tensor([[[0, 0], [0, 10]]]);
    const pic = explain.heatmapOverlay(img, attr, { scale: 1, alpha: 1, percentile: 100 });
    assert.equal(pic.width, 2);
    assert.deepEqual(Array.from(pic.data.subarray(0, 4)), [80, 80, 80, 255]); // value 0: the image (0.5 grey, dimmed to 160/255)
    assert.deepEqual(Array.from(pic.data.subarray(12, 16)), [252, 255, 164, 255]); // the top value: inferno's brightest
    const back = pngjs.PNG.sync.read(Buffer.from(encodePng(explain.sideBySide([explain.greyImage(img, 3), pic]))));
    assert.equal(back.width, 6 + 4 + 2);
    assert.equal(back.height, 6);
  });

  test('signed maps: blue for negative, red for positive', () => {
    const pic = explain.heatmapOverlay(null, nb.tensor([[-1, 1]]), { sign: 'all', scale: 1, alpha: 1, percentile: 100 });
    const [r0, , b0] = pic.data.subarray(0, 3), [r1, , b1] = pic.data.subarray(4, 7);
    assert.ok(b0! > r0! && r1! > b1!, `got ${Array.from(pic.data)}`);
  });

  test('spearman: 1 for the same order, −1 reversed, ties averaged (scipy.stats.spearmanr values)', () => {
    assert.equal(explain.spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(explain.spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // scipy.stats.spearmanr([1, 2, 2, 3, 5], [2, 1, 4, 4, 6]).correlation = 0.7631578947368421 (Debian's scipy)
    assert.ok(Math.abs(explain.spearman([1, 2, 2, 3, 5], [2, 1, 4, 4, 6]) - 0.7631578947368421) < 1e-12);
  });

  test('deletionCurve: starts at the model\'s confidence and ends at the all-baseline input\'s', () => {
    const m = cnn(), x = nb.rand([2, 1, 8, 8]);
    const attr = explain.saliency(m, x, { target: [0, 3] });
    const d = explain.deletionCurve(m, x, attr, { target: [0, 3], steps: 4 });
    const p = nb.noGrad(() => nb.softmax(m.forward(x), 1)).toArray() as number[][];
    const p0 = nb.noGrad(() => nb.softmax(m.forward(nb.zerosLike(x)), 1)).toArray() as number[][];
    assert.ok(Math.abs(d.curve[0]![0]! - p[0]![0]!) < 1e-6 && Math.abs(d.curve[1]![0]! - p[1]![3]!) < 1e-6);
    assert.ok(Math.abs(d.curve[0]![4]! - p0[0]![0]!) < 1e-6 && Math.abs(d.curve[1]![4]! - p0[1]![3]!) < 1e-6);
    assert.equal(d.curve[0]!.length, 5);
    // a baseline image (one for all, or one per input) is what removed pixels become: at the end, the model sees it
    const mean = nb.rand([1, 8, 8]), blurred = nb.rand([2, 1, 8, 8]);
    for (const [b, want] of [[mean, [mean, mean]], [blurred, [blurred.select(0, 0), blurred.select(0, 1)]]] as const) {
      const e = explain.deletionCurve(m, x, attr, { target: [0, 3], steps: 4, baseline: b });
      want.forEach((w, i) => {
        const p1 = nb.noGrad(() => nb.softmax(m.forward(w.reshape([1, 1, 8, 8])), 1)).toArray() as number[][];
        assert.ok(Math.abs(e.curve[i]![4]! - p1[0]![i === 0 ? 0 : 3]!) < 1e-6);
      });
      assert.ok(Math.abs(e.curve[0]![0]! - p[0]![0]!) < 1e-6);
    }
    assert.throws(() => explain.deletionCurve(m, x, attr, { target: 0, baseline: nb.rand([8, 8]) }), /deletionCurve: a baseline tensor must have the input's shape \[2, 1, 8, 8\] or one sample's \[1, 8, 8\], got \[8, 8\]/);
  });

  test('topAttributions: largest |value| first, with names', () => {
    assert.deepEqual(explain.topAttributions([0.1, -3, 2], 2, ['a', 'b', 'c']), [{ index: 1, name: 'b', value: -3 }, { index: 2, name: 'c', value: 2 }]);
  });

  test('HTML fragments: bars largest first in the colour of their sign, tokens coloured by sign, text escaped', () => {
    const svg = explain.featureBarsSvg('mean |attribution|', ['age', 'bmi <kg/m²>', 'bp'], [0.1, -0.5, 0.3]);
    const labels = [...svg.matchAll(/text-anchor="end" font-size="12">([^<]*)</g)].map((m) => m[1]);
    assert.deepEqual(labels, ['bmi &lt;kg/m²&gt;', 'bp', 'age']);
    assert.match(svg, /fill="#2166ac"/); // the negative bar is blue
    const html = explain.tokensHtml(['the', '<b>'], [1, -0.5]);
    assert.match(html, /rgba\(178,24,43,0\.850\)[^>]*>the</);
    assert.match(html, /rgba\(33,102,172,0\.425\)[^>]*>&lt;b&gt;</);
    assert.throws(() => explain.tokensHtml(['a'], [1, 2]), /1 tokens for 2 values/);
    assert.match(explain.tokensHtml(['a', 'b'], [1, 0], { characters: true }), /padding:1px 0;border-radius:0;white-space:pre">a</);
    assert.throws(() => explain.tokensHtml(['a'], [1], { chars: true } as never), /tokensHtml: unknown option 'chars' \(options: characters\)/);
    const panels = explain.imagePanelsHtml([{ caption: 'predicted Bag, true Bag', correct: true, images: [{ title: 'input', src: 'data:image/png;base64,AAAA' }] }]);
    assert.match(panels, /<th>input<\/th>/);
    assert.match(panels, /color:#1a7f37">predicted Bag, true Bag/);
  });

  test('the registry: every method by its command-line name gives input-shaped attributions; Grad-CAM finds the last conv activation', () => {
    const m = cnn(), x = nb.rand([2, 1, 8, 8]);
    assert.equal(explain.lastSpatialLayer(m, x), '1');
    const maps = new Map<explain.MethodName, nb.Tensor>();
    for (const name of explain.METHOD_NAMES) {
      const a = explain.runMethod(name, m, x, { target: [0, 1] });
      assert.deepEqual([...a.shape].slice(2), [8, 8], name);
      maps.set(name, a);
    }
    const rows = explain.panels(x, maps, 2);
    assert.equal(rows.length, 2);
    assert.equal(rows[0]!.length, 1 + explain.METHOD_NAMES.length);
    assert.throws(() => explain.runMethod('lime', m, x, { target: 0 }), /unknown method 'lime' \(methods: saliency, /);
  });
});
