// Issue 17's memory bar, measured: every nb.explain method called 10⁴ times (no scope around the
// calls; each result disposed, as a user would) holds nb.memory() flat.
// Run: node --import tsx bench/explain-soak.ts [calls per method] [method…]
import * as nb from '../src/index.js';

const { nn, explain } = nb;
const calls = Number(process.argv[2] ?? 10_000);
const only = process.argv.slice(3);
nb.manualSeed(0);
const cnn = new nn.Sequential(new nn.Conv2d(1, 3, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(48, 4)).eval();
const x = nb.randn([2, 1, 8, 8]), dist = nb.randn([3, 1, 8, 8]);
const mask = nb.arange(64).reshape([1, 8, 8]).div(32).floor().int();
class Text extends nn.Module {
  emb = new nn.Embedding(12, 5);
  lstm = new nn.LSTM(5, 6, { batchFirst: true });
  fc = new nn.Linear(6, 3);
  override forward(ids: nb.Tensor): nb.Tensor {
    return this.fc.forward(this.lstm.forward(this.emb.forward(ids))[0].select(1, -1));
  }
}
const text = new Text().eval();
const ids = nb.tensor([[1, 5, 7, 2], [3, 3, 11, 0]], { dtype: 'int32' });

const methods: [string, () => unknown][] = [
  ['saliency', () => explain.saliency(cnn, x, { target: 1 })],
  ['inputXGradient', () => explain.inputXGradient(cnn, x, { target: 1 })],
  ['integratedGradients', () => explain.integratedGradients(cnn, x, { target: 1, nSteps: 8, returnConvergenceDelta: true })],
  ['smoothGrad', () => explain.smoothGrad(cnn, x, { target: 1, nSamples: 4 })],
  ['gradientShap', () => explain.gradientShap(cnn, x, { target: 1, baselines: dist, nSamples: 4 })],
  ['guidedBackprop', () => explain.guidedBackprop(cnn, x, { target: 1 })],
  ['deconvolution', () => explain.deconvolution(cnn, x, { target: 1 })],
  ['deepLift', () => explain.deepLift(cnn, x, { target: 1, returnConvergenceDelta: true })],
  ['occlusion', () => explain.occlusion(cnn, x, { target: 1, slidingWindowShapes: [1, 4, 4], strides: 4 })],
  ['featureAblation', () => explain.featureAblation(cnn, x, { target: 1, featureMask: mask })],
  ['shapleyValueSampling', () => explain.shapleyValueSampling(cnn, x, { target: 1, featureMask: mask, nSamples: 2 })],
  ['shapleyValues', () => explain.shapleyValues(cnn, x, { target: 1, featureMask: mask })],
  ['gradCam', () => explain.gradCam(cnn, x, { target: 1, layer: '1' })],
  ['guidedGradCam', () => explain.guidedGradCam(cnn, x, { target: 1, layer: '1' })],
  ['layerGradientXActivation', () => explain.layerGradientXActivation(cnn, x, { target: 1, layer: '1' })],
  ['hiResCam', () => explain.hiResCam(cnn, x, { target: 1, layer: '1', reluAttributions: true })],
  ['layerIntegratedGradients', () => explain.layerIntegratedGradients(text, ids, { target: 1, layer: 'emb', nSteps: 8, returnConvergenceDelta: true })],
  ['deletionCurve', () => explain.deletionCurve(cnn, x, null, { target: 1, random: true, steps: 4 })],
];

function release(r: unknown): void {
  if (r instanceof nb.Tensor) r.dispose();
  else if (r && typeof r === 'object') for (const v of Object.values(r)) if (v instanceof nb.Tensor) v.dispose();
}

console.log(`nb.explain soak: ${calls} calls per method, backend ${nb.getBackend().name}`);
let flat = true;
for (const [name, call] of methods) {
  if (only.length && !only.includes(name)) continue;
  release(call());
  const m0 = nb.memory(), t0 = performance.now();
  let peak = m0.bytes;
  for (let i = 1; i <= calls; i++) {
    release(call());
    if (i % 1000 === 0) peak = Math.max(peak, nb.memory().bytes);
  }
  const m1 = nb.memory();
  const ok = m1.tensors === m0.tensors && m1.bytes === m0.bytes;
  flat &&= ok;
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(`${name.padEnd(26)} live tensors ${m0.tensors} → ${m1.tensors}  bytes ${m0.bytes} → ${m1.bytes} (peak at a checkpoint ${peak})  rss ${rss.toFixed(0)} MiB  ${((performance.now() - t0) / calls).toFixed(2)} ms/call  ${ok ? 'flat' : 'GREW'}`);
}
console.log(flat ? 'every method held memory flat' : 'memory grew');
process.exitCode = flat ? 0 : 1;
