// bench/run.ts's TensorFlow.js peer (@tensorflow/tfjs on its cpu or wasm backend): the same models
// written with tf ops, tf.variable and tf.train optimizers (no tf.layers), PyTorch's default
// initialisation. Run by bench/run.ts: node --import tsx bench/peers/tfjs.ts '<job json>' cpu|wasm

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// The umbrella package, as a user installs it: tfjs-core alone registers no gradients.
import * as tf from '@tensorflow/tfjs';
import { gemmTfjs } from '../gemm.js';
import { generative } from './tfjs-generative.js';
import { accuracy, argmaxRows, loadFashion, loadText, medianMs, runPeer, textBatch, trainEpoch, trainWindows, type Job } from './common.js';

const backend = process.argv[3] as 'cpu' | 'wasm';
if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`bench/peers/tfjs.ts: backend must be cpu or wasm, got ${process.argv[3]}`);
const job = JSON.parse(process.argv[2]!) as Job;

let threads = '1';
if (job.workload !== 'gemm') { // gemm.ts sets its backend up itself
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    await tf.setBackend('wasm');
    threads = String(wasm.getThreadsCount()); // 1 in Node: its threaded build needs a browser's Web Workers
  }
  await tf.setBackend(backend);
  await tf.ready();
}

/** PyTorch's default init for Linear/Conv weights and biases: U(-1/√fanIn, 1/√fanIn). */
const uniform = (shape: number[], fanIn: number, seed: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', seed));

interface Model { vars: tf.Variable[]; forward(x: tf.Tensor): tf.Tensor2D; inShape(b: number): number[] }

function mlp(): Model {
  const w1 = uniform([784, 512], 784, 1), b1 = uniform([512], 784, 2), w2 = uniform([512, 256], 512, 3), b2 = uniform([256], 512, 4);
  const w3 = uniform([256, 10], 256, 5), b3 = uniform([10], 256, 6);
  return {
    vars: [w1, b1, w2, b2, w3, b3], inShape: (b) => [b, 784],
    forward: (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1), b1)), w2), b2)), w3), b3),
  };
}

/** The CNN in NHWC (tfjs's layout): conv 3×3·32, ReLU, pool 2, conv 3×3·64, ReLU, pool 2, dense 128, ReLU, dense 10. */
function cnn(): Model {
  const c1 = uniform([3, 3, 1, 32], 9, 1), cb1 = uniform([32], 9, 2), c2 = uniform([3, 3, 32, 64], 288, 3), cb2 = uniform([64], 288, 4);
  const d1 = uniform([1600, 128], 1600, 5), db1 = uniform([128], 1600, 6), d2 = uniform([128, 10], 128, 7), db2 = uniform([10], 128, 8);
  return {
    vars: [c1, cb1, c2, cb2, d1, db1, d2, db2], inShape: (b) => [b, 28, 28, 1],
    forward: (x) => {
      let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, c1 as tf.Tensor4D, 1, 'valid'), cb1)) as tf.Tensor4D, 2, 2, 'valid');
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2 as tf.Tensor4D, 1, 'valid'), cb2)) as tf.Tensor4D, 2, 2, 'valid');
      const f = tf.reshape(h, [x.shape[0]!, 1600]) as tf.Tensor2D;
      return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(f, d1), db1)), d2), db2);
    },
  };
}

/** Mean softmax cross-entropy over the batch (tf.losses' default reduction divides by the batch). */
const xent = (logits: tf.Tensor2D, y: Int32Array, classes: number) =>
  tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), classes), logits) as tf.Scalar;

/** One optimizer step; returns the loss. */
function step(opt: tf.Optimizer, vars: tf.Variable[], loss: () => tf.Scalar): number {
  const cost = tf.tidy(() => opt.minimize(loss, true, vars)!);
  const v = cost.dataSync()[0]!;
  cost.dispose();
  return v;
}

function classifier(kind: 'mlp' | 'cnn', j: Job) {
  const spec = j[kind];
  const d = loadFashion(j.dataDir);
  const m = kind === 'mlp' ? mlp() : cnn();
  const opt = kind === 'mlp' ? tf.train.momentum(spec.lr, 0.9) : tf.train.adam(spec.lr, 0.9, 0.999, 1e-8);
  const B = spec.batch;
  const r = trainEpoch(spec, d.nTrain, (i) => step(opt, m.vars, () =>
    xent(m.forward(tf.tensor(d.trainX.subarray(i * B * 784, (i + 1) * B * 784), m.inShape(B))), d.trainY.subarray(i * B, (i + 1) * B), 10)));
  const acc = accuracy(d, spec.testN, spec.evalCapS, (x, b) => tf.tidy(() => argmaxRows(m.forward(tf.tensor(x, m.inShape(b))).dataSync(), b, 10)));
  return { ...r, ...acc };
}

/**
 * Char-LSTM with PyTorch's gate order (i, f, g, o) and init (U(±1/√256)); the input projection is one
 * matMul for all time steps, then h·W_hh per step. Embedding = tf.gather (its gradient needs UnsortedSegmentSum).
 */
function lstm(j: Job) {
  const s = j.lstm, H = 256, E = 64, V = 65;
  const text = loadText(j.dataDir);
  const bound = 1 / Math.sqrt(H);
  const u = (shape: number[], seed: number) => tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', seed));
  const emb = tf.variable(tf.randomNormal([V, E], 0, 1, 'float32', 1));
  const wih = u([E, 4 * H], 2), whh = u([H, 4 * H], 3), bias = u([4 * H], 4); // b_ih + b_hh as one vector
  const hw = uniform([H, V], H, 5), hb = uniform([V], H, 6);
  const vars = [emb, wih, whh, bias, hw, hb];
  const opt = tf.train.adam(s.lr, 0.9, 0.999, 1e-8);
  return trainWindows(s, (i) => {
    const { x, y } = textBatch(text, i, s.batch, s.seq);
    return step(opt, vars, () => {
      const e = tf.gather(emb, tf.tensor1d(x, 'int32')); // [B·T, E]
      const xp = tf.reshape(tf.add(tf.matMul(e, wih), bias), [s.batch, s.seq, 4 * H]);
      const steps = tf.unstack(xp, 1);
      let h = tf.zeros([s.batch, H]) as tf.Tensor2D, c = tf.zeros([s.batch, H]) as tf.Tensor2D;
      const hs: tf.Tensor2D[] = [];
      for (const xt of steps) {
        const [gi, gf, gg, go] = tf.split(tf.add(xt, tf.matMul(h, whh)), 4, 1) as tf.Tensor2D[];
        c = tf.add(tf.mul(tf.sigmoid(gf!), c), tf.mul(tf.sigmoid(gi!), tf.tanh(gg!)));
        h = tf.mul(tf.sigmoid(go!), tf.tanh(c));
        hs.push(h);
      }
      const out = tf.reshape(tf.stack(hs, 1), [s.batch * s.seq, H]) as tf.Tensor2D;
      return xent(tf.add(tf.matMul(out, hw), hb), y, V);
    });
  });
}

function infer(j: Job) {
  const d = loadFashion(j.dataDir);
  const m = cnn();
  const ms = j.infer.batches.map((b) => {
    const x = tf.tensor(d.testX.slice(0, b * 784), m.inShape(b));
    const t = medianMs(() => tf.tidy(() => { m.forward(x).dataSync(); }), j.infer.windowS);
    x.dispose();
    return t;
  });
  return { ms };
}

await runPeer(`tfjs-${backend}`, threads, {
  gemm: async (j) => {
    const r = await gemmTfjs(backend, j.gemm.sizes, j.gemm.windowS);
    return { threads: String(r.threads), gflops: r.gflops as number[] };
  },
  mlp: (j) => classifier('mlp', j),
  cnn: (j) => classifier('cnn', j),
  lstm,
  infer,
  ...generative,
});
