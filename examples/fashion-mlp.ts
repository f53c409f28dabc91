// A PyTorch-style training loop written by hand: an MLP on Fashion-MNIST (Debian's
// dataset-fashion-mnist, or the sample shipped with nabla). Run: npm run build && npm run example:mlp
import * as nb from 'nabla';
import { fashionMnistSync } from 'nabla/node';

const { nn, optim, F, data } = nb;
await nb.ready(); // starts the wasm backend (in Node the first op would too; a page must call it)
nb.manualSeed(0);

const train = fashionMnistSync({ split: 'train' });
const test = fashionMnistSync({ split: 'test' });
const toX = (d: typeof train) => nb.tensor(Float32Array.from(d.images, (p) => (p / 255 - 0.286) / 0.353), { shape: [d.n, 784] });
const toY = (d: typeof train) => nb.tensor(Int32Array.from(d.labels), { shape: [d.n] });

const model = new nn.Sequential(
  new nn.Linear(784, 512), new nn.ReLU(),
  new nn.Linear(512, 256), new nn.ReLU(),
  new nn.Linear(256, 10),
);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
const loader = new data.DataLoader(new data.TensorDataset(toX(train), toY(train)), { batchSize: 128, shuffle: true });

for (let epoch = 1; epoch <= 3; epoch++) {
  const t0 = performance.now();
  let total = 0, seen = 0;
  // Each iteration is a step scope: what the step creates is freed when the next batch comes.
  for (const [x, y] of loader) {
    const loss = F.crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    total += loss.item() * y.shape[0]!;
    seen += y.shape[0]!;
  }
  const secs = (performance.now() - t0) / 1000;
  const acc = nb.scope(() => nb.noGrad(() => model.eval().forward(toX(test)).argmax(1).eq(toY(test)).float().mean().item()));
  model.train();
  console.log(`epoch ${epoch}: loss ${(total / seen).toFixed(4)} · test accuracy ${(100 * acc).toFixed(2)}% · ${Math.round(seen / secs)} samples/s`);
}
