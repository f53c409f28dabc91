// Issue 17's faithfulness numbers on the Fashion-MNIST CNN that `nabla train` writes: the deletion
// metric (remove the most-attributed pixels first and track the confidence in the predicted class;
// lower area = more faithful) for each method against random orders, IG's completeness gaps, and the
// Adebayo et al. check (Grad-CAM after re-initialising the last layer).
// Run: nabla train --model cnn --out runs/cnn && node --import tsx bench/explain-deletion.ts runs/cnn/best.safetensors [images]
// (Batches stay at a few hundred rows: on main the wasm heap past 2 GiB reads back wrong — issue 11.)
import * as nb from '../src/index.js';
import { fashionMnistSync } from '../src/node.js';
import { loadRun } from '../src/cli/run-config.js';

const { explain } = nb;
const [path, count] = process.argv.slice(2);
if (!path) throw new Error('usage: bench/explain-deletion.ts CHECKPOINT [images (default 200)]');
const N = Number(count ?? 200);

const { config, ctx, model } = await loadRun(path, () => {});
if (config.task !== 'fashion-mnist' || config.model !== 'cnn') throw new Error(`${path}: expected a checkpoint of nabla train fashion-mnist --model cnn, got ${config.task} ${config.model}`);
const meta = ctx.meta as { mean: number; std: number };
const test = fashionMnistSync({ split: 'test', log: null });
const x = nb.keep(nb.tensor(Float32Array.from(test.images.subarray(0, N * 784), (v) => (v / 255 - meta.mean) / meta.std), { shape: [N, 1, 28, 28] }));
const y = Array.from(test.labels.subarray(0, N));
const pred = Array.from(nb.noGrad(() => (model.forward(x) as nb.Tensor).argmax(1)).dataSync());
const black = -meta.mean / meta.std; // a zero pixel, normalised as the model sees it
const camLayer = '6'; // the second conv block's ReLU (14×14)
console.log(`${path}: ${N} test images, accuracy ${(100 * pred.filter((p, i) => p === y[i]).length / N).toFixed(1)}%; CPU ${(await import('node:os')).cpus()[0]?.model}, backend ${nb.getBackend().name}`);

const t = (f: () => nb.Tensor): [nb.Tensor, number] => {
  const t0 = performance.now();
  const r = nb.keep(f());
  return [r, (performance.now() - t0) / 1000];
};
const methods: [string, () => nb.Tensor][] = [
  ['saliency', () => explain.saliency(model, x, { target: pred })],
  ['(x − black) × gradient', () => nb.mul(nb.sub(x, black), explain.saliency(model, x, { target: pred, abs: false }))],
  ['integratedGradients (black, 50 steps)', () => explain.integratedGradients(model, x, { target: pred, baselines: black })],
  ['smoothGrad (saliency, 20 × σ 0.3)', () => explain.smoothGrad(model, x, { target: pred, nSamples: 20, stdevs: 0.3, seed: 1 })],
  ['guidedBackprop', () => explain.guidedBackprop(model, x, { target: pred })],
  ['deepLift (black)', () => explain.deepLift(model, x, { target: pred, baselines: black })],
  ['gradCam (layer 6, bilinear)', () => explain.gradCam(model, x, { target: pred, layer: camLayer, reluAttributions: true })],
  ['occlusion (4×4, stride 2, black)', () => explain.occlusion(model, x, { target: pred, slidingWindowShapes: [1, 4, 4], strides: [1, 2, 2], baselines: black, perturbationsPerEval: 2 })],
];
const randomAuc = [1, 2, 3].map((seed) => explain.deletionCurve(model, x, null, { target: pred, random: true, seed, baseline: black }));
const rnd = randomAuc.reduce((a, r) => a + r.meanAuc, 0) / randomAuc.length;
const fmt = (c: number[]): string => [0, 2, 5, 10, 20].map((s) => c[s]!.toFixed(3)).join(' ');
console.log(`\ndeletion metric (black baseline, 20 steps): mean AUC of the confidence in the predicted class; curve at 0, 10, 25, 50, 100% removed`);
console.log(`${'random order (3 seeds)'.padEnd(40)} AUC ${rnd.toFixed(4)}  curve ${fmt(randomAuc[0]!.meanCurve)}`);
for (const [label, run] of methods) {
  const [attr, secs] = t(run);
  const d = explain.deletionCurve(model, x, attr, { target: pred, baseline: black });
  const faster = d.auc.filter((a, i) => a < randomAuc[0]!.auc[i]!).length;
  console.log(`${label.padEnd(40)} AUC ${d.meanAuc.toFixed(4)}  curve ${fmt(d.meanCurve)}  (${(100 * faster / N).toFixed(0)}% of images below random; ${secs.toFixed(1)} s)`);
  attr.dispose();
}

const r = explain.integratedGradients(model, x, { target: pred, baselines: black, returnConvergenceDelta: true });
const s = r.attributions.sum([1, 2, 3]).dataSync(), d = r.delta.dataSync();
const gaps = Array.from(d, (v, i) => Math.abs(v) / Math.abs(s[i]! - v)).sort((a, b) => a - b);
console.log(`\nintegrated gradients, 50 Gauss–Legendre steps: completeness gap median ${(100 * gaps[Math.floor(N / 2)]!).toFixed(2)}%, ` +
  `90th percentile ${(100 * gaps[Math.floor(0.9 * N)]!).toFixed(2)}%, worst ${(100 * gaps.at(-1)!).toFixed(2)}%; within 1%: ${gaps.filter((g) => g < 0.01).length}/${N}`);

const cam = (): Float32Array => explain.gradCam(model, x, { layer: camLayer, target: pred, upsample: 'none' }).dataSync() as Float32Array;
const trained = cam();
const last = (model as nb.nn.Sequential).at(13) as nb.nn.Linear;
nb.manualSeed(99);
nb.noGrad(() => nb.nn.init.kaimingUniform_(last.weight, { a: Math.sqrt(5) }));
const random = cam();
const per = 14 * 14;
const rho = Array.from({ length: N }, (_, i) => explain.spearman(trained.subarray(i * per, (i + 1) * per), random.subarray(i * per, (i + 1) * per)));
console.log(`Adebayo et al.: Grad-CAM (layer ${camLayer}) after re-initialising the last layer: mean Spearman ρ with the trained maps ${(rho.reduce((a, b) => a + b, 0) / N).toFixed(3)}`);
