// fit() end to end: an MLP learns the shipped Fashion-MNIST sample with memory flat across epochs;
// EarlyStopping stops and restores the best weights; checkpoints, JSONL logs, schedulers, progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import * as nn from '../src/nn/index.js';
import * as optim from '../src/optim/index.js';
import { crossEntropy, mseLoss } from '../src/nn/loss.js';
import { DataLoader, TensorDataset } from '../src/data/index.js';
import { fashionMnistSync } from '../src/data/datasets/fashion-mnist-node.js';
import { imagesToFloat32, labelsToInt32 } from '../src/data/datasets/fashion-mnist.js';
import {
  fit, evaluate, EarlyStopping, ModelCheckpoint, JsonlLogger, LambdaCallback, Progress, formatDuration, type ProgressStream,
} from '../src/train/index.js';

const SAMPLE = new URL('../data/fashion-mnist-sample/', import.meta.url).pathname;

function fashion(split: 'train' | 'test', n: number): TensorDataset {
  const d = fashionMnistSync({ split, root: SAMPLE, log: null });
  const k = Math.min(n, d.n);
  return new TensorDataset(
    { data: imagesToFloat32(d.images.subarray(0, k * 784)), shape: [k, 784] },
    { data: labelsToInt32(d.labels.subarray(0, k)), shape: [k] },
  );
}

class Recorder {
  readonly lines: string[] = [];
  isTTY = false;
  write(s: string): void {
    this.lines.push(s);
  }
}

test('fit: an MLP learns Fashion-MNIST (shipped sample): loss falls, test accuracy > 70%, memory flat across epochs', async () => {
  nb.manualSeed(0);
  const train = new DataLoader(fashion('train', 3000), { batchSize: 64, shuffle: true, seed: 1 });
  const test_ = new DataLoader(fashion('test', 1000), { batchSize: 250 });
  const model = new nn.Sequential(new nn.Linear(784, 64), new nn.ReLU(), new nn.Linear(64, 10));
  const optimizer = new optim.Adam(model.parameters(), { lr: 2e-3 });
  const mem: number[] = [];
  const bytes: number[] = [];
  const out = new Recorder();
  const t0 = Date.now();
  const history = await fit(model, {
    train, val: test_, loss: crossEntropy, optimizer, epochs: 4, metrics: ['accuracy'], verbose: 'lines', stream: out,
    callbacks: [new LambdaCallback({ onEpochEnd: () => { mem.push(nb.memory().tensors); bytes.push(nb.memory().bytes); } })],
  });
  const secs = (Date.now() - t0) / 1000;
  assert.deepEqual(history.epoch, [1, 2, 3, 4]);
  for (const k of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr']) assert.equal(history[k]!.length, 4, k);
  assert.ok(history.loss[3]! < history.loss[0]! * 0.75, `train loss ${history.loss.join(' → ')}`);
  assert.ok(history.valAccuracy![3]! > 0.7, `test accuracy ${history.valAccuracy!.join(' → ')} (${secs} s)`);
  // The first epoch creates Adam's moments; after it nothing grows.
  assert.deepEqual(mem.slice(1), [mem[0], mem[0], mem[0]], `live tensors per epoch ${mem.join(', ')}`);
  assert.deepEqual(bytes.slice(1), [bytes[0], bytes[0], bytes[0]]);
  // evaluate() reproduces the last epoch's validation numbers.
  const ev = await evaluate(model, test_, { loss: crossEntropy, metrics: ['accuracy', 'f1'] });
  assert.ok(Math.abs(ev.accuracy! - history.valAccuracy![3]!) < 1e-12);
  assert.ok(Math.abs(ev.loss! - history.valLoss[3]!) < 1e-6);
  assert.ok(ev.f1! > 0.5 && ev.f1! <= 1);
  assert.equal(nb.memory().tensors, mem[0]);
  // Plain lines: step lines and one summary per epoch, with train and validation values.
  const text = out.lines.join('');
  assert.equal(text.includes('\r'), false);
  assert.match(text, /Epoch 1\/4  step +\d+\/47  loss \d\.\d{4}  accuracy \d\.\d{4}  [\d,]+ samples\/s  ETA \d+:\d\d\n/);
  assert.match(text, /Epoch 4\/4  loss \d\.\d{4}  accuracy \d\.\d{4}  valLoss \d\.\d{4}  valAccuracy \d\.\d{4}  lr 2\.00e-3  \d+:\d\d  [\d,]+ samples\/s\n/);
});

/** y = w·x with one weight, no bias. */
class Scale extends nn.Module {
  w = new nn.Parameter(nb.zeros([1, 1]));
  override forward(x: nb.Tensor): nb.Tensor {
    return x.matmul(this.w);
  }
}

test('EarlyStopping stops after `patience` bad epochs and restores the best weights', async () => {
  // Train on y = x, validate on y = x/2: full-batch GD with lr 0.5 on mean((w − 1)²x²) moves
  // w ← w + 0.5·2·mean(x²)·(1 − w). With x evenly in [−1, 1] (mean x² ≈ 1/3) w goes 0 → ~.33 → ~.56 → ~.70 → ~.80,
  // and the validation loss ∝ (w − ½)² is lowest after epoch 2, then rises: with patience 2 it stops after epoch 4.
  const xs = Float32Array.from({ length: 33 }, (_, i) => -1 + i / 16);
  const train = new DataLoader(new TensorDataset({ data: xs, shape: [33, 1] }, { data: xs.slice(), shape: [33, 1] }), { batchSize: 33 });
  const val = new DataLoader(new TensorDataset({ data: xs, shape: [33, 1] }, { data: xs.map((v) => v / 2), shape: [33, 1] }), { batchSize: 33 });
  const model = new Scale();
  const weights: number[] = [];
  const es = new EarlyStopping({ monitor: 'valLoss', patience: 2, restoreBestWeights: true });
  const history = await fit(model, {
    train, val, loss: mseLoss, optimizer: new optim.SGD(model.parameters(), { lr: 0.5 }), epochs: 20, verbose: false,
    callbacks: [new LambdaCallback({ onEpochEnd: () => void weights.push(model.w.item()) }), es],
  });
  assert.equal(history.epoch.length, 4);
  assert.equal(es.stoppedEpoch, 3);
  assert.equal(es.bestEpoch, 1);
  const best = history.valLoss.indexOf(Math.min(...history.valLoss));
  assert.equal(best, 1);
  assert.ok(weights[3]! > 0.75 && weights[1]! > 0.5 && weights[1]! < 0.6, `weights ${weights.join(', ')}`);
  assert.equal(model.w.item(), weights[1], 'the weights of epoch 2 are back');
  // Without restoring, the last weights stay; minDelta larger than any change stops after epoch 1 + patience.
  const m2 = new Scale();
  const es2 = new EarlyStopping({ monitor: 'loss', patience: 1, minDelta: 10 });
  const h2 = await fit(m2, { train, loss: mseLoss, optimizer: new optim.SGD(m2.parameters(), { lr: 0.5 }), epochs: 10, verbose: false, callbacks: [es2] });
  assert.equal(h2.epoch.length, 2);
  assert.ok(Math.abs(m2.w.item() - weights[1]!) < 1e-6);
  await assert.rejects(
    fit(new Scale(), { train, loss: mseLoss, optimizer: new optim.SGD(new Scale().parameters(), { lr: 0.1 }), epochs: 1, verbose: false, callbacks: [new EarlyStopping()] }),
    /EarlyStopping: the logs have no 'valLoss' \(they have: loss, lr\)/,
  );
});

test('ModelCheckpoint saves through the given function; JsonlLogger writes one line per epoch; schedulers step', async () => {
  const xs = Float32Array.from({ length: 16 }, (_, i) => i / 8 - 1);
  const train = new DataLoader(new TensorDataset({ data: xs, shape: [16, 1] }, { data: xs.map((v) => 3 * v), shape: [16, 1] }), { batchSize: 4 });
  const model = new Scale();
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  const saved: { path: string; epoch: number; w: number }[] = [];
  const lines: string[] = [];
  const ckpt = new ModelCheckpoint({
    path: 'out/epoch-{epoch}-{loss}.safetensors', monitor: 'loss', saveBestOnly: true,
    save: async (path, m, extra) => { saved.push({ path, epoch: extra.epoch, w: (m as Scale).w.item() }); },
  });
  const history = await fit(model, {
    train, loss: mseLoss, optimizer: opt, epochs: 3, verbose: false, scheduler: new optim.StepLR(opt as never, { stepSize: 1, gamma: 0.5 }),
    callbacks: [ckpt, new JsonlLogger({ write: (l) => void lines.push(l), everySteps: 4 })],
  });
  // The loss falls every epoch, so every epoch is a new best.
  assert.deepEqual(saved.map((s) => s.epoch), [0, 1, 2]);
  assert.equal(saved[0]!.path, `out/epoch-1-${history.loss[0]!.toFixed(4)}.safetensors`);
  assert.deepEqual(history.lr, [0.1, 0.05, 0.025]);
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, number | string>);
  assert.ok(lines.every((l) => l.endsWith('\n')));
  assert.deepEqual(parsed.filter((p) => p.type === 'epoch').map((p) => p.epoch), [1, 2, 3]);
  assert.deepEqual(parsed.filter((p) => p.type === 'step').map((p) => p.globalStep), [4, 8, 12]);
  assert.equal(parsed.find((p) => p.type === 'epoch' && p.epoch === 2)!.loss, history.loss[1]);
});

test('fit: stops after the current step when aborted; rejects bad batches and bad options', async () => {
  const xs = Float32Array.from({ length: 40 }, (_, i) => i / 40);
  const train = new DataLoader(new TensorDataset({ data: xs, shape: [40, 1] }, { data: xs, shape: [40, 1] }), { batchSize: 4 });
  const model = new Scale();
  const ac = new AbortController();
  let steps = 0;
  let end: { interrupted: boolean; epoch: number; step: number } | null = null;
  const h = await fit(model, {
    train, loss: mseLoss, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), epochs: 5, verbose: false, signal: ac.signal,
    callbacks: [new LambdaCallback({
      onBatchEnd: (s) => { steps++; if (s === 3) ac.abort(); },
      onTrainEnd: (ctx) => { const st = ctx.state(); end = { interrupted: ctx.interrupted, epoch: st.epoch, step: st.step }; },
    })],
  });
  assert.equal(steps, 3);
  // The first epoch did not end, so it is not in the history; the state says where to resume.
  assert.equal(h.epoch.length, 0);
  assert.deepEqual(end, { interrupted: true, epoch: 0, step: 3 });
  await assert.rejects(fit(model, { train: [[nb.ones(2)]] as never, loss: mseLoss, optimizer: new optim.SGD(model.parameters()), epochs: 1, verbose: false }), /each batch must be \[input, target\] tensors/);
  await assert.rejects(fit(model, { train, loss: mseLoss, optimizer: new optim.SGD(model.parameters()), epochs: -1 }), /epochs must be a non-negative integer/);
  await assert.rejects(
    fit(model, { train, loss: (o, y) => mseLoss(o, y, { reduction: 'none' }), optimizer: new optim.SGD(model.parameters()), epochs: 1, verbose: false }),
    /the loss must be one number per batch, got shape \[4, 1\]/,
  );
});

test('progress: a live bar redrawn with \\r on a terminal, plain lines otherwise', () => {
  let now = 0;
  const tty: ProgressStream & { out: string[] } = { isTTY: true, columns: 200, out: [], write(s: string) { this.out.push(s); } };
  const bar = new Progress({ stream: tty, now: () => now, redrawMs: 0 });
  assert.equal(bar.mode, 'bar');
  bar.startEpoch(1, 3, 10);
  now = 2000; // 2 s for 5 steps of 32 → 80 samples/s, 5 steps left → ETA 2 s
  bar.update(5, 160, { loss: 0.5 });
  assert.equal(tty.out[0], '\rEpoch 1/3  [===========>            ]  5/10  loss 0.5000  80 samples/s  ETA 0:02');
  now = 4000;
  bar.update(10, 320, { loss: 0.25 });
  assert.match(tty.out[1]!, /^\rEpoch 1\/3  \[========================\] 10\/10  loss 0\.2500  80 samples\/s  ETA 0:00$/);
  bar.endEpoch(320, { loss: 0.25, valLoss: 0.3 });
  assert.match(tty.out[2]!, /^\rEpoch 1\/3  loss 0\.2500  valLoss 0\.3000  0:04  80 samples\/s *\n$/);
  const plain = new Recorder();
  const lines = new Progress({ stream: plain, now: () => now, every: 2 });
  assert.equal(lines.mode, 'lines');
  lines.startEpoch(2, 3, 5);
  for (let s = 1; s <= 5; s++) lines.update(s, s * 10, { loss: 1 / s });
  assert.deepEqual(plain.lines.map((l) => l.split('  ').slice(0, 2).join('  ')), ['Epoch 2/3  step 2/5', 'Epoch 2/3  step 4/5']);
  assert.deepEqual([formatDuration(59.6), formatDuration(61), formatDuration(3725)], ['1:00', '1:01', '1:02:05']);
});
