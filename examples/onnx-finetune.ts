// Transfer learning from a model trained elsewhere: a CNN PyTorch trained on Fashion-MNIST classes 0–4
// (scripts/train_torch_fmnist_onnx.py → fixtures/onnx/fmnist-cnn-0to4.onnx) is imported from ONNX,
// its head replaced, its features frozen, and fine-tuned for one epoch on the other classes 5–9.
// Run: npm run build && node --import tsx examples/onnx-finetune.ts [model.onnx]
import { readFileSync } from 'node:fs';
import * as nb from 'nabla';
import { fashionMnistSync, importModelFile } from 'nabla/node';

const { nn, optim, F, data, onnx } = nb;
nb.manualSeed(0);
const file = process.argv[2] ?? new URL('../fixtures/onnx/fmnist-cnn-0to4.onnx', import.meta.url).pathname;

// The value the old head reads, and the graph cut there: the imported features, frozen.
const head = onnx.findHeadInput(readFileSync(file), file);
const features = await importModelFile(file, { outputs: [head.value] });
features.requiresGrad_(false);
const model = new nn.Sequential(features, new nn.Linear(head.features, 5));
console.log(`imported ${file}: ${features.numParameters().toLocaleString('en-US')} frozen parameters (${features.namedParameters().map(([k]) => k).join(', ')}); new head ${head.features} → 5`);

/** Classes 5–9 (sandal, shirt, sneaker, bag, ankle boot) as labels 0–4. */
function split(s: 'train' | 'test') {
  const d = fashionMnistSync({ split: s });
  const keep = [...d.labels.keys()].filter((i) => d.labels[i]! >= 5);
  const x = new Float32Array(keep.length * 784);
  keep.forEach((i, k) => { for (let p = 0; p < 784; p++) x[k * 784 + p] = (d.images[i * 784 + p]! / 255 - 0.286) / 0.353; });
  return { x: nb.tensor(x, { shape: [keep.length, 1, 28, 28] }), y: nb.tensor(Int32Array.from(keep, (i) => d.labels[i]! - 5)), n: keep.length };
}
const train = split('train'), test = split('test');
const accuracy = () => nb.scope(() => nb.noGrad(() => (model.eval().forward(test.x) as nb.Tensor).argmax(1).eq(test.y).float().mean().item()));
console.log(`test accuracy on classes 5–9 with the untrained head: ${(100 * accuracy()).toFixed(2)}%`);

const optimizer = new optim.Adam(model.parameters().filter((p) => p.requiresGrad), { lr: 1e-3 });
const loader = new data.DataLoader(new data.TensorDataset(train.x, train.y), { batchSize: 64, shuffle: true });
const t0 = performance.now();
model.train();
for (const [x, y] of loader) {
  const loss = F.crossEntropy(model.forward(x) as nb.Tensor, y);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
}
console.log(`one epoch on ${train.n} images in ${((performance.now() - t0) / 1000).toFixed(1)} s; test accuracy on classes 5–9: ${(100 * accuracy()).toFixed(2)}%`);
