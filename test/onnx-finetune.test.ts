// Fine-tuning a model trained elsewhere (the small real version of examples/onnx-finetune.ts): PyTorch's
// Fashion-MNIST CNN (fixtures/onnx/fmnist-cnn-0to4.onnx) cut before its head, frozen, a new head trained.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import * as onnx from '../src/io/onnx/index.js';
import { fashionMnistSync } from '../src/node.js';

const { nn, optim, F } = nb;
const FILE = new URL('../fixtures/onnx/fmnist-cnn-0to4.onnx', import.meta.url);

test('an imported PyTorch CNN, head replaced and features frozen, learns new classes', () => {
  nb.manualSeed(0);
  const bytes = readFileSync(FILE);
  const head = onnx.findHeadInput(bytes);
  assert.deepEqual({ features: head.features, head: head.head }, { features: 1568, head: ['classifier.weight', 'classifier.bias'] });
  const features = onnx.importModel(bytes, { outputs: [head.value] });
  assert.deepEqual(features.namedParameters().map(([k]) => k), ['features.0.weight', 'features.0.bias', 'features.3.weight', 'features.3.bias'], 'the old head is cut off');
  features.requiresGrad_(false);
  const before = features.parameters().map((p) => Float32Array.from(p.dataSync() as Float32Array));
  const model = new nn.Sequential(features, new nn.Linear(head.features, 5));
  // the sample shipped in the repo: its classes 5–9 as labels 0–4
  const d = fashionMnistSync({ split: 'train', systemDir: null, cacheDir: null, log: null });
  const keep = [...d.labels.keys()].filter((i) => d.labels[i]! >= 5).slice(0, 256);
  const x = nb.tensor(Float32Array.from(keep.flatMap((i) => Array.from(d.images.subarray(i * 784, (i + 1) * 784), (p) => (p / 255 - 0.286) / 0.353))), { shape: [keep.length, 1, 28, 28] });
  const y = nb.tensor(Int32Array.from(keep, (i) => d.labels[i]! - 5));
  const opt = new optim.Adam(model.parameters().filter((p) => p.requiresGrad), { lr: 1e-3 });
  const lossAt = () => nb.scope(() => nb.noGrad(() => F.crossEntropy(model.eval().forward(x) as nb.Tensor, y).item()));
  const first = lossAt();
  model.train();
  for (let step = 0; step < 30; step++) {
    nb.scope(() => {
      const loss = F.crossEntropy(model.forward(x) as nb.Tensor, y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  }
  const last = lossAt();
  assert.ok(last < first * 0.5, `the new head learns on frozen features: loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  features.parameters().forEach((p, i) => assert.deepEqual(p.dataSync(), before[i], 'frozen features are unchanged'));
});
