// Issue 3's end-to-end bar on real data: an MLP and a small CNN trained with fit() on Fashion-MNIST
// from Debian's dataset-fashion-mnist (installed by .ci/run) reach a stated test accuracy. Subsets
// and few epochs keep it to about a minute; the full runs are `nabla train` (README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as nb from '../src/index.js';
import { fashionMnistSync } from '../src/data/datasets/fashion-mnist-node.js';
import { imagesToFloat32, labelsToInt32 } from '../src/data/datasets/fashion-mnist.js';

const { nn, optim, F, data, train } = nb;
const DEBIAN = '/usr/share/datasets/fashion-mnist';
const skip = existsSync(`${DEBIAN}/train-images-idx3-ubyte.gz`) ? false : `Debian's dataset-fashion-mnist is not installed (${DEBIAN})`;

function subset(split: 'train' | 'test', n: number, shape: number[]): InstanceType<typeof data.TensorDataset> {
  const d = fashionMnistSync({ split, root: DEBIAN, log: null });
  // The first n images of the file (the official files are in no particular class order).
  const k = Math.min(n, d.n);
  return new data.TensorDataset(
    { data: imagesToFloat32(d.images.subarray(0, k * 784)), shape: [k, ...shape] },
    { data: labelsToInt32(d.labels.subarray(0, k)), shape: [k] },
  );
}

test('fit: an MLP on 20,000 Debian Fashion-MNIST images reaches > 84% on the 10,000 test images in 3 epochs', { skip }, async () => {
  nb.manualSeed(1);
  const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
  const history = await train.fit(model, {
    train: new data.DataLoader(subset('train', 20000, [784]), { batchSize: 64, shuffle: true, seed: 1 }),
    val: new data.DataLoader(subset('test', 10000, [784]), { batchSize: 1000 }),
    loss: F.crossEntropy, optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }), epochs: 3, metrics: ['accuracy'], verbose: false,
  });
  const acc = history.valAccuracy!.at(-1)!;
  assert.ok(acc > 0.84, `test accuracy ${history.valAccuracy!.join(' → ')}`);
});

test('fit: a small CNN on 6,000 Debian Fashion-MNIST images reaches > 80% on the test images in 2 epochs', { skip }, async () => {
  nb.manualSeed(2);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(32 * 7 * 7, 64), new nn.ReLU(), new nn.Linear(64, 10),
  );
  const history = await train.fit(model, {
    train: new data.DataLoader(subset('train', 6000, [1, 28, 28]), { batchSize: 64, shuffle: true, seed: 2 }),
    val: new data.DataLoader(subset('test', 2000, [1, 28, 28]), { batchSize: 500 }),
    loss: F.crossEntropy, optimizer: new optim.Adam(model.parameters(), { lr: 2e-3 }), epochs: 2, metrics: ['accuracy'], verbose: false,
  });
  const acc = history.valAccuracy!.at(-1)!;
  assert.ok(acc > 0.8, `test accuracy ${history.valAccuracy!.join(' → ')}`);
});
