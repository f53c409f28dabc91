// Why did the CNN say "Sneaker"? A small CNN trained on Fashion-MNIST (Debian's dataset-fashion-mnist
// or the sample shipped with nabla), then explained with nb.explain: saliency, integrated
// gradients, Grad-CAM and occlusion side by side as PNGs, and the deletion metric for each method.
// Run: npm run build && npm run example:explain [-- OUT_DIR]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as nb from 'nabla';
import { fashionMnistSync, writePngFile } from 'nabla/node';

const { nn, optim, F, data, explain } = nb;
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const out = process.argv[2] ?? 'explain-out';
mkdirSync(out, { recursive: true });
nb.manualSeed(0);

// ---- a small CNN, trained for two epochs on 10,000 images (about half a minute on 2 cores) ----
const train = fashionMnistSync({ split: 'train' }), test = fashionMnistSync({ split: 'test' });
const images = (d: typeof train, n: number) => nb.tensor(Float32Array.from(d.images.subarray(0, n * 784), (p) => p / 255), { shape: [n, 1, 28, 28] });
const labels = (d: typeof train, n: number) => nb.tensor(Int32Array.from(d.labels.subarray(0, n)), { shape: [n] });
const nTrain = Math.min(10_000, train.n);
const model = new nn.Sequential(
  new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(32 * 7 * 7, 64), new nn.ReLU(), new nn.Linear(64, 10),
);
const optimizer = new optim.Adam(model.parameters(), { lr: 2e-3 });
const loader = new data.DataLoader(new data.TensorDataset(images(train, nTrain), labels(train, nTrain)), { batchSize: 64, shuffle: true });
for (let epoch = 1; epoch <= 2; epoch++) {
  for (const [x, y] of loader) {
    const loss = F.crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  }
}
model.eval(); // attributions explain the trained model: no dropout masks, no batch statistics

// ---- explain 64 test images: the predicted class of each ----
const n = Math.min(64, test.n);
const x = images(test, n), y = Array.from(labels(test, n).dataSync());
const pred = Array.from(nb.noGrad(() => model.forward(x).argmax(1)).dataSync());
console.log(`test accuracy on these ${n} images: ${(100 * pred.filter((p, i) => p === y[i]).length / n).toFixed(1)}%`);

const methods: Record<string, nb.Tensor> = {
  saliency: explain.saliency(model, x, { target: pred }),
  'integrated gradients': explain.integratedGradients(model, x, { target: pred, nSteps: 50 }),
  'Grad-CAM': explain.gradCam(model, x, { target: pred, layer: '4', reluAttributions: true }),
  occlusion: explain.occlusion(model, x, { target: pred, slidingWindowShapes: [1, 4, 4], strides: [1, 2, 2], perturbationsPerEval: 16 }),
};
const ig = explain.integratedGradients(model, x.narrow(0, 0, 4), { target: pred.slice(0, 4), returnConvergenceDelta: true });
console.log(`integrated gradients, completeness gap of the first 4 images: ${Array.from(ig.delta.dataSync(), (d) => d.toExponential(1)).join(', ')}`);

// ---- pictures: the input, then one heatmap per method; 3 right and 3 wrong predictions ----
const right = pred.map((p, i) => i).filter((i) => pred[i] === y[i]).slice(0, 3);
const wrong = pred.map((p, i) => i).filter((i) => pred[i] !== y[i]).slice(0, 3);
for (const i of [...right, ...wrong]) {
  const img = x.select(0, i);
  const panel = explain.sideBySide([explain.greyImage(img, 6), ...Object.values(methods).map((a) => explain.heatmapOverlay(img, a.select(0, i), { scale: 6 }))]);
  const file = join(out, `${i}-${pred[i] === y[i] ? 'right' : 'wrong'}-${CLASSES[pred[i]!]!.replace('/', '-')}.png`);
  writePngFile(file, panel);
  console.log(`${file}: true ${CLASSES[y[i]!]}, predicted ${CLASSES[pred[i]!]} (input | ${Object.keys(methods).join(' | ')})`);
}

// ---- the deletion metric: remove the most-attributed pixels first; lower area = more faithful ----
const random = explain.deletionCurve(model, x, null, { target: pred, random: true, seed: 1 }).meanAuc;
console.log(`\ndeletion AUC (confidence in the predicted class as pixels are removed; random order ${random.toFixed(3)}):`);
for (const [name, a] of Object.entries(methods)) {
  console.log(`  ${name.padEnd(22)} ${explain.deletionCurve(model, x, a, { target: pred }).meanAuc.toFixed(3)}`);
}
