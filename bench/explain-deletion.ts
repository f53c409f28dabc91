// Issue 17's faithfulness numbers on the Fashion-MNIST CNN that `nabla train` writes: the deletion
// metric (remove the most-attributed pixels first and track the confidence in the predicted class;
// lower area = more faithful) for each method against random orders, under three deletion baselines —
// black (the background of Fashion-MNIST, so removing a background pixel changes nothing), the
// training set's mean image, and a blurred copy of each image (σ 3 px) —, IG's completeness gaps, and
// the Adebayo et al. check (Grad-CAM after re-initialising the last layer).
// Run: nabla train --model cnn --out runs/cnn && node --import tsx bench/explain-deletion.ts runs/cnn/best.safetensors [images] [--dump DIR]
// --dump writes the images' Grad-CAM maps and AUCs for scripts/check_gradcam_deletion.py (Captum + torch).
// (Batches stay at a few hundred rows: on main the wasm heap past 2 GiB read back wrong — issue 11.)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import { fashionMnistSync } from '../src/node.js';
import { loadRun } from '../src/cli/run-config.js';

const { explain } = nb;
const argv = process.argv.slice(2);
const dumpAt = argv.indexOf('--dump');
const dump = dumpAt >= 0 ? argv.splice(dumpAt, 2)[1] : undefined;
const [path, count] = argv;
if (!path) throw new Error('usage: bench/explain-deletion.ts CHECKPOINT [images (default 200)] [--dump DIR]');
const N = Number(count ?? 200);
const BLUR_SIGMA = 3;

const { config, ctx, model } = await loadRun(path, () => {});
if (config.task !== 'fashion-mnist' || config.model !== 'cnn') throw new Error(`${path}: expected a checkpoint of nabla train fashion-mnist --model cnn, got ${config.task} ${config.model}`);
model.eval();
const meta = ctx.meta as { mean: number; std: number };
const norm = (v: number): number => (v - meta.mean) / meta.std;
const test = fashionMnistSync({ split: 'test', log: null });
const pixels = Float32Array.from(test.images.subarray(0, N * 784), (v) => v / 255);
const x = nb.keep(nb.tensor(Float32Array.from(pixels, norm), { shape: [N, 1, 28, 28] }));
const y = Array.from(test.labels.subarray(0, N));
const pred = Array.from(nb.noGrad(() => (model.forward(x) as nb.Tensor).argmax(1)).dataSync());
const black = norm(0); // a zero pixel, normalised as the model sees it
console.log(`${path}: ${N} test images, accuracy ${(100 * pred.filter((p, i) => p === y[i]).length / N).toFixed(1)}%; CPU ${(await import('node:os')).cpus()[0]?.model}, backend ${nb.getBackend().name}`);

// The deletion baselines. The mean image: the 60,000 training images' per-pixel mean. The blur: a
// Gaussian (σ 3 px, truncated at 3σ, weights summing to 1) in pixel space with black beyond the border.
const train = fashionMnistSync({ split: 'train', log: null });
const meanImg = new Float32Array(784);
for (let i = 0; i < train.images.length; i++) meanImg[i % 784]! += train.images[i]! / 255;
const meanTensor = nb.keep(nb.tensor(meanImg.map((v) => norm(v / (train.images.length / 784))), { shape: [1, 28, 28] }));
const blurTensor = nb.keep(nb.tensor(Float32Array.from(blur(pixels, N, BLUR_SIGMA), norm), { shape: [N, 1, 28, 28] }));
const baselines: [string, number | nb.Tensor][] = [['black', black], ['mean image', meanTensor], [`blur σ${BLUR_SIGMA}`, blurTensor]];

function blur(img: Float32Array, n: number, sigma: number): Float32Array {
  const r = Math.ceil(3 * sigma), k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0), w = k.map((v) => v / ks);
  const out = new Float32Array(img.length), tmp = new Float32Array(784);
  for (let m = 0; m < n; m++) {
    const o = m * 784;
    for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) { let s = 0; for (let d = -r; d <= r; d++) { const jj = j + d; if (jj >= 0 && jj < 28) s += w[d + r]! * img[o + i * 28 + jj]!; } tmp[i * 28 + j] = s; }
    for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) { let s = 0; for (let d = -r; d <= r; d++) { const ii = i + d; if (ii >= 0 && ii < 28) s += w[d + r]! * tmp[ii * 28 + j]!; } out[o + i * 28 + j] = s; }
  }
  return out;
}

const cam = (layer: string, o: { relu?: boolean; upsample?: 'bilinear' | 'nearest' } = {}) => () =>
  explain.gradCam(model, x, { target: pred, layer, reluAttributions: o.relu ?? true, upsample: o.upsample ?? 'bilinear' });
const methods: [string, () => nb.Tensor][] = [
  ['saliency', () => explain.saliency(model, x, { target: pred })],
  ['(x − black) × gradient', () => nb.mul(nb.sub(x, black), explain.saliency(model, x, { target: pred, abs: false }))],
  ['integratedGradients (black, 50 steps)', () => explain.integratedGradients(model, x, { target: pred, baselines: black })],
  ['integratedGradients (mean image)', () => explain.integratedGradients(model, x, { target: pred, baselines: meanTensor })],
  ['smoothGrad (saliency, 20 × σ 0.3)', () => explain.smoothGrad(model, x, { target: pred, nSamples: 20, stdevs: 0.3, seed: 1 })],
  ['guidedBackprop', () => explain.guidedBackprop(model, x, { target: pred })],
  ['deepLift (black)', () => explain.deepLift(model, x, { target: pred, baselines: black })],
  ['gradCam layer 2 (28×28)', cam('2')],
  ['gradCam layer 6 (14×14, bilinear)', cam('6')],
  ['gradCam layer 6 (nearest: Captum\'s default)', cam('6', { upsample: 'nearest' })],
  ['gradCam layer 6, no ReLU', cam('6', { relu: false })],
  ['gradCam layer 7 (7×7, bilinear)', cam('7')],
  ['guidedGradCam layer 6', () => explain.guidedGradCam(model, x, { target: pred, layer: '6' })],
  ['hiResCam layer 6 (14×14, bilinear)', () => explain.hiResCam(model, x, { target: pred, layer: '6', reluAttributions: true })],
  ['hiResCam layer 6 (nearest)', () => explain.hiResCam(model, x, { target: pred, layer: '6', reluAttributions: true, upsample: 'nearest' })],
  ['hiResCam layer 7 (7×7, bilinear)', () => explain.hiResCam(model, x, { target: pred, layer: '7', reluAttributions: true })],
  ['occlusion (4×4, stride 2, black)', () => explain.occlusion(model, x, { target: pred, slidingWindowShapes: [1, 4, 4], strides: [1, 2, 2], baselines: black, perturbationsPerEval: 2 })],
];

const random = baselines.map(([, b]) => [1, 2, 3].map((seed) => explain.deletionCurve(model, x, null, { target: pred, random: true, seed, baseline: b })));
const randomAuc = random.map((rs) => rs.reduce((a, r) => a + r.meanAuc, 0) / rs.length);
/**
 * Of the first 10% of pixels an order removes, the share already equal to the black baseline
 * (removing them changes nothing); for a random order, the expected share: that of black pixels.
 */
function noOpShare(attr: Float32Array | null): number {
  const size = 784, first = Math.round(0.1 * size), xs = x.dataSync();
  let noop = 0;
  for (let i = 0; i < N; i++) {
    if (!attr) {
      for (let j = 0; j < size; j++) if (Math.abs(xs[i * size + j]! - black) < 1e-6) noop += first / size;
      continue;
    }
    const idx = Array.from({ length: size }, (_, j) => j).sort((p, q) => attr[i * size + q]! - attr[i * size + p]!);
    for (let j = 0; j < first; j++) if (Math.abs(xs[i * size + idx[j]!]! - black) < 1e-6) noop++;
  }
  return noop / (N * first);
}

const pad = 46;
console.log(`\ndeletion metric (20 steps): mean AUC of the confidence in the predicted class, for three baselines the removed pixels become;`);
console.log(`"below random": images whose AUC is below the first random order's (black); "no-op": of the first 10% removed, the share already black`);
console.log(`${'method'.padEnd(pad)} ${baselines.map(([n]) => n.padStart(11)).join('')}  below random  no-op   time`);
console.log(`${'random order (3 seeds)'.padEnd(pad)} ${randomAuc.map((a) => a.toFixed(4).padStart(11)).join('')}  ${''.padStart(12)}  ${(100 * noOpShare(null)).toFixed(0).padStart(3)}%`);
const dumped: Record<string, { auc: Record<string, number> }> = {};
for (const [label, runMethod] of methods) {
  const t0 = performance.now();
  const attr = nb.keep(runMethod());
  const secs = (performance.now() - t0) / 1000;
  const d = baselines.map(([, b]) => explain.deletionCurve(model, x, attr, { target: pred, baseline: b }));
  const below = d[0]!.auc.filter((a, i) => a < random[0]![0]!.auc[i]!).length;
  console.log(`${label.padEnd(pad)} ${d.map((r) => r.meanAuc.toFixed(4).padStart(11)).join('')}  ${`${(100 * below / N).toFixed(0)}%`.padStart(12)}  ${(100 * noOpShare(attr.dataSync() as Float32Array)).toFixed(0).padStart(3)}%  ${secs.toFixed(1).padStart(5)} s`);
  if (/^(gradCam|hiResCam)/.test(label)) dumped[label] = { auc: Object.fromEntries(baselines.map(([n], k) => [n, d[k]!.meanAuc])) };
  attr.dispose();
}

const r = explain.integratedGradients(model, x, { target: pred, baselines: black, returnConvergenceDelta: true });
const s = r.attributions.sum([1, 2, 3]).dataSync(), dl = r.delta.dataSync();
const gaps = Array.from(dl, (v, i) => Math.abs(v) / Math.abs(s[i]! - v)).sort((a, b) => a - b);
console.log(`\nintegrated gradients, 50 Gauss–Legendre steps: completeness gap median ${(100 * gaps[Math.floor(N / 2)]!).toFixed(2)}%, ` +
  `90th percentile ${(100 * gaps[Math.floor(0.9 * N)]!).toFixed(2)}%, worst ${(100 * gaps.at(-1)!).toFixed(2)}%; within 1%: ${gaps.filter((g) => g < 0.01).length}/${N}`);

if (dump) {
  // The layer-sized maps (no ReLU, no upsampling) of layers 2, 6 and 7, for the comparison with
  // Captum's LayerGradCam and LayerGradientXActivation (summed over channels: HiResCAM).
  mkdirSync(dump, { recursive: true });
  const raw: Record<string, readonly number[]> = {};
  for (const layer of ['2', '6', '7']) {
    for (const [name, f] of [['gradcam', explain.gradCam], ['hirescam', explain.hiResCam]] as const) {
      const m = f(model, x, { layer, target: pred, upsample: 'none' });
      writeFileSync(join(dump, `${name}-${layer}.f32`), Buffer.from((m.dataSync() as Float32Array).slice().buffer));
      raw[layer] = m.shape;
      m.dispose();
    }
  }
  writeFileSync(join(dump, 'bench.json'), JSON.stringify({ checkpoint: path, n: N, mean: meta.mean, std: meta.std, blurSigma: BLUR_SIGMA, pred, shapes: raw, randomAuc: Object.fromEntries(baselines.map(([n], k) => [n, randomAuc[k]])), gradCam: dumped }, null, 1));
  console.log(`wrote ${dump}/bench.json and the Grad-CAM maps`);
}

const camOf = (): Float32Array => explain.gradCam(model, x, { layer: '6', target: pred, upsample: 'none' }).dataSync() as Float32Array;
const trained = camOf();
const last = (model as nb.nn.Sequential).at(13) as nb.nn.Linear;
nb.manualSeed(99);
nb.noGrad(() => nb.nn.init.kaimingUniform_(last.weight, { a: Math.sqrt(5) }));
const rnd = camOf();
const per = 14 * 14;
const rho = Array.from({ length: N }, (_, i) => explain.spearman(trained.subarray(i * per, (i + 1) * per), rnd.subarray(i * per, (i + 1) * per)));
console.log(`Adebayo et al.: Grad-CAM (layer 6) after re-initialising the last layer: mean Spearman ρ with the trained maps ${(rho.reduce((a, b) => a + b, 0) / N).toFixed(3)}`);
