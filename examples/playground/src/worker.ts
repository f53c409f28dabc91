// The playground's training worker: nabla runs here, off the page's thread, so the page never waits
// for a step. It trains on the shipped Fashion-MNIST sample one step at a time, returning to its
// message queue between steps (so pause, predict and save get through mid-run), evaluates on the
// test sample, answers drawings with class probabilities and a saliency map, and saves checkpoints
// that `nabla eval` reads.

import * as nb from 'nabla';
// Not in nabla's public API (yet): the same model builders, data loader and checkpoint encoder
// `nabla train` uses, so a file saved here is one `nabla eval` rebuilds and reads.
import { buildModel } from '../../../src/tasks/fashion-mnist/models.js';
import { fashionMnistFromUrl, FASHION_MNIST_CLASSES, type ImageDataset } from '../../../src/data/datasets/fashion-mnist.js';
import { encodeCheckpoint } from '../../../src/io/checkpoint.js';
import type { BackendFacts, FromWorker, RunConfig, StepPoint, ToWorker } from './protocol.js';

/** Normalisation of `nabla train` and `nabla eval` (src/tasks/fashion-mnist/data.ts, which imports node: modules): Fashion-MNIST's mean and std of x/255. */
const MEAN = 0.286, STD = 0.353;
/** Dropout of `nabla train`'s defaults (0 for the MLP, 0.25 for the CNN), saved in the checkpoint's config. */
const DROPOUT = { mlp: 0, cnn: 0.25 } as const;
const EVAL_EVERY = 50;
/** How often the page gets the steps since the last message (ms): enough for smooth curves. */
const POST_EVERY_MS = 50;
const DATA_URL = new URL('../../../data/fashion-mnist-sample/', import.meta.url);

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

/**
 * Starts nabla's default backend (wasm on every core where the page is cross-origin isolated).
 * Importing nabla starts nothing, and in a page the kernels load asynchronously: ready() is required.
 */
async function startBackend(): Promise<BackendFacts> {
  await nb.ready();
  const info = nb.getBackend().info() as Record<string, unknown>;
  return {
    backend: String(info.backend ?? info.name ?? nb.getBackend().name), threads: Number(info.threads ?? 1),
    cores: Number(info.cores ?? navigator.hardwareConcurrency ?? 1), simd: info.simd === true, relaxedSimd: info.relaxedSimd === true,
    crossOriginIsolated: (self as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  };
}

interface Split { x: Float32Array; y: Int32Array; n: number }

function toSplit(d: ImageDataset): Split {
  const x = new Float32Array(d.images.length);
  for (let i = 0; i < x.length; i++) x[i] = (d.images[i]! / 255 - MEAN) / STD;
  return { x, y: Int32Array.from(d.labels), n: d.n };
}

interface Run {
  config: RunConfig;
  model: nb.nn.Module;
  opt: nb.optim.Optimizer;
  step: number;
  epoch: number;
  order: number[];
  pos: number;
  running: boolean;
  msPerStep: number;
}

let train!: Split, test!: Split;
let run: Run | null = null;

function makeOptimizer(c: RunConfig, model: nb.nn.Module): nb.optim.Optimizer {
  const params = model.parameters();
  if (c.optimizer === 'sgd') return new nb.optim.SGD(params, { lr: c.lr, momentum: 0.9, nesterov: true });
  if (c.optimizer === 'adam') return new nb.optim.Adam(params, { lr: c.lr });
  return new nb.optim.AdamW(params, { lr: c.lr, weightDecay: 0.01 });
}

function trainStep(r: Run): StepPoint {
  const B = r.config.batchSize;
  if (r.pos + B > train.n) { // a new epoch: reshuffle (the seeded RNG), drop the last partial batch
    r.order = nb.data.randperm(train.n);
    r.pos = 0;
    r.epoch++;
  }
  const xb = new Float32Array(B * 784), yb = new Int32Array(B);
  for (let k = 0; k < B; k++) {
    const i = r.order[r.pos + k]!;
    xb.set(train.x.subarray(i * 784, (i + 1) * 784), k * 784);
    yb[k] = train.y[i]!;
  }
  r.pos += B;
  return nb.scope(() => {
    const logits = r.model.forward(nb.tensor(xb, { shape: [B, 1, 28, 28] })) as nb.Tensor;
    const loss = nb.F.crossEntropy(logits, nb.tensor(yb, { shape: [B] }));
    r.opt.zeroGrad();
    loss.backward();
    r.opt.step();
    r.step++;
    return { step: r.step, loss: loss.item(), acc: correct(logits.dataSync() as Float32Array, yb) / B, ms: 0 };
  });
}

function correct(logits: Float32Array, y: Int32Array): number {
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
    if (best === y[i]) right++;
  }
  return right;
}

/** Accuracy and mean loss on the test sample, in eval mode (no dropout, batch norm's running statistics). */
function evaluate(model: nb.nn.Module): { accuracy: number; loss: number } {
  model.eval();
  let right = 0, lossSum = 0;
  try {
    nb.noGrad(() => {
      for (let s = 0; s < test.n; s += 250) {
        const n = Math.min(250, test.n - s);
        nb.scope(() => {
          const y = test.y.subarray(s, s + n);
          const logits = model.forward(nb.tensor(test.x.slice(s * 784, (s + n) * 784), { shape: [n, 1, 28, 28] })) as nb.Tensor;
          lossSum += nb.F.crossEntropy(logits, nb.tensor(Int32Array.from(y), { shape: [n] }), { reduction: 'sum' }).item();
          right += correct(logits.dataSync() as Float32Array, y);
        });
      }
    });
  } finally {
    model.train();
  }
  return { accuracy: right / test.n, loss: lossSum / test.n };
}

/** Lets the worker's message queue run (a MessageChannel round trip: no timer clamping). */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

async function loop(r: Run): Promise<void> {
  let points: StepPoint[] = [];
  let lastPost = performance.now();
  while (r.running && run === r) {
    const t0 = performance.now();
    const p = trainStep(r);
    const ms = (p.ms = performance.now() - t0);
    points.push(p);
    r.msPerStep = r.msPerStep === 0 ? ms : 0.9 * r.msPerStep + 0.1 * ms;
    if (r.step % EVAL_EVERY === 0) {
      post({ type: 'steps', points, epoch: r.epoch, msPerStep: r.msPerStep });
      points = [];
      post({ type: 'eval', step: r.step, ...evaluate(r.model) });
    }
    if (performance.now() - lastPost >= POST_EVERY_MS && points.length > 0) {
      post({ type: 'steps', points, epoch: r.epoch, msPerStep: r.msPerStep });
      points = [];
      lastPost = performance.now();
    }
    await yieldToMessages();
  }
  if (points.length > 0) post({ type: 'steps', points, epoch: r.epoch, msPerStep: r.msPerStep });
  if (run === r) post({ type: 'paused', step: r.step });
}

function start(config: RunConfig): void {
  if (run) run.running = false;
  nb.manualSeed(config.seed);
  const model = buildModel(config.model, 10, DROPOUT[config.model]);
  const r: Run = { config, model, opt: makeOptimizer(config, model), step: 0, epoch: 0, order: [], pos: Infinity, running: true, msPerStep: 0 };
  run = r;
  post({ type: 'started', config, parameters: model.numParameters(), summary: model.toString() });
  post({ type: 'eval', step: 0, ...evaluate(model) });
  void loop(r).catch(fail);
}

/** Class probabilities of a 28×28 image, and the saliency map: |∂ logit of the top class / ∂ pixel|. */
function predict(pixels: Float32Array): void {
  if (!run) throw new Error('train the model first (press Train), then draw');
  const model = run.model;
  const input = new Float32Array(784);
  for (let i = 0; i < 784; i++) input[i] = (pixels[i]! - MEAN) / STD;
  model.eval();
  try {
    const { probs, saliency } = nb.scope(() => {
      const x = nb.tensor(input, { shape: [1, 1, 28, 28] });
      const probs = Array.from(nb.noGrad(() => nb.softmax(model.forward(x) as nb.Tensor, 1).dataSync()));
      const top = probs.indexOf(Math.max(...probs));
      const [g] = nb.grad((xi: nb.Tensor) => nb.sum(nb.narrow(model.forward(xi) as nb.Tensor, 1, top, 1)))(x);
      return { probs, saliency: Float32Array.from(g!.dataSync(), Math.abs) };
    });
    post({ type: 'prediction', probs, saliency, input: pixels }, [saliency.buffer]);
  } finally {
    model.train();
  }
}

function save(): void {
  if (!run) throw new Error('nothing to save yet: press Train first');
  const r = run;
  const { accuracy } = evaluate(r.model);
  const bytes = nb.scope(() => encodeCheckpoint({
    model: nb.toRecords(r.model.stateDict()),
    step: r.step,
    epoch: r.epoch,
    config: { ...r.config, dataset: 'fashion-mnist', sample: true, dropout: DROPOUT[r.config.model], source: 'nabla playground' },
  }));
  post({ type: 'saved', bytes, fileName: `nabla-playground-${r.config.model}-step${r.step}.safetensors`, step: r.step, accuracy }, [bytes.buffer]);
}

function fail(e: unknown): void {
  post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}

function handle(m: ToWorker): void {
  switch (m.type) {
    case 'start': return start(m.config);
    case 'pause': if (run) run.running = false; return;
    case 'resume':
      if (run && !run.running) { run.running = true; void loop(run).catch(fail); }
      return;
    case 'predict': return predict(m.pixels);
    case 'testImage': {
      const index = m.index ?? Math.floor(Math.random() * test.n);
      const pixels = Float32Array.from(test.x.subarray(index * 784, (index + 1) * 784), (v) => v * STD + MEAN);
      return post({ type: 'testImage', pixels, label: test.y[index]!, index });
    }
    case 'save': return save();
  }
}

// Messages that arrive while the data loads wait here, then run in order.
const queued: ToWorker[] = [];
let loaded = false;
self.onmessage = (e: MessageEvent<ToWorker>) => {
  if (!loaded) queued.push(e.data);
  else try { handle(e.data); } catch (err) { fail(err); }
};

try {
  const facts = await startBackend();
  const [tr, te] = await Promise.all([fashionMnistFromUrl(DATA_URL.href, 'train'), fashionMnistFromUrl(DATA_URL.href, 'test')]);
  train = toSplit(tr);
  test = toSplit(te);
  post({ type: 'ready', facts, classes: [...FASHION_MNIST_CLASSES], trainSize: train.n, testSize: test.n });
  loaded = true;
  for (const m of queued.splice(0)) try { handle(m); } catch (err) { fail(err); }
} catch (e) {
  fail(e);
}
