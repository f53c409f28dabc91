// bench/peers/tfjs.ts's issue-14 workloads: the programs of bench/torch_generative.py written with tf ops,
// tf.variable and tf.train (no tf.layers): nanoGPT's char-level GPT (training, generation), the word-LM
// Transformer, the VAE and the 28×28 DCGAN (NHWC, tfjs's layout). Same sizes, same kinds of
// initialisation; tfjs has no AdamW, so its decoupled weight decay is applied before tf.train.adam's step.

import * as tf from '@tensorflow/tfjs';
import type { GptSize, Job, Result } from './common.js';
import { loadFashion, loadText, loadWords, textBatch, trainEpoch, trainWindows, wordBatch } from './common.js';

let seed = 1;
const normal = (shape: number[], std: number, mean = 0) => tf.variable(tf.randomNormal(shape, mean, std, 'float32', seed++));
const uniform = (shape: number[], bound: number) => tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', seed++));
const zeros = (shape: number[]) => tf.variable(tf.zeros(shape));
const ones = (shape: number[]) => tf.variable(tf.ones(shape));

/** LayerNorm over the last dim (eps 1e-5). */
function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
}
/** Exact GELU, x·Φ(x), as nn.GELU(). */
const gelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
/** x [..., in] · w [in, out] + b. */
function dense(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const s = x.shape;
  const y = tf.matMul(tf.reshape(x, [-1, s[s.length - 1]!]) as tf.Tensor2D, w as tf.Tensor2D);
  return tf.reshape(b ? tf.add(y, b) : y, [...s.slice(0, -1), w.shape[1]!]);
}
/** [-1e9 above the diagonal, 0 elsewhere] for the last T of S keys. */
const causal = (T: number, S: number) => tf.tensor2d(Array.from({ length: T * S }, (_, i) => ((i % S) > S - T + Math.floor(i / S) ? -1e9 : 0)), [T, S]);

/** One step: loss and gradients, clipped to a global norm, decoupled weight decay on `decay`, then the optimizer. */
function step(opt: tf.Optimizer, vars: tf.Variable[], loss: () => tf.Scalar, o: { clip?: number; decay?: tf.Variable[]; wd?: number; lr?: number } = {}): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, vars);
    if (o.clip) {
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]!;
      const k = o.clip / (norm + 1e-6);
      if (k < 1) for (const n of Object.keys(grads)) grads[n] = tf.mul(grads[n]!, k);
    }
    if (o.decay) for (const v of o.decay) v.assign(tf.mul(v, 1 - o.lr! * o.wd!));
    opt.applyGradients(grads);
    return value.dataSync()[0]!;
  });
}

function gptModel(c: GptSize) {
  const C = c.nEmbd, nh = c.nHead, hs = C / nh;
  const wte = normal([c.vocab, C], 0.02), wpe = normal([c.block, C], 0.02);
  const projStd = 0.02 / Math.sqrt(2 * c.nLayer);
  const layers = Array.from({ length: c.nLayer }, () => ({
    ln1g: ones([C]), ln1b: zeros([C]), attnW: normal([C, 3 * C], 0.02), attnB: zeros([3 * C]), projW: normal([C, C], projStd), projB: zeros([C]),
    ln2g: ones([C]), ln2b: zeros([C]), fcW: normal([C, 4 * C], 0.02), fcB: zeros([4 * C]), fc2W: normal([4 * C, C], projStd), fc2B: zeros([C]),
  }));
  const lnfg = ones([C]), lnfb = zeros([C]);
  const vars = [wte, wpe, ...layers.flatMap((l) => Object.values(l)), lnfg, lnfb];
  const decay = [wte, wpe, ...layers.flatMap((l) => [l.attnW, l.projW, l.fcW, l.fc2W])];
  /** idx [B, T] → logits [B, T, V] (or [B, 1, V] with lastOnly); caches: per layer [k, v] of earlier tokens. */
  const forward = (idx: tf.Tensor2D, opts: { caches?: tf.Tensor[][]; lastOnly?: boolean } = {}) => {
    const [B, T] = idx.shape;
    const pos0 = opts.caches?.[0]?.length ? opts.caches[0][0]!.shape[2]! : 0;
    let x = tf.add(tf.gather(wte, idx), tf.gather(wpe, tf.range(pos0, pos0 + T, 1, 'int32')));
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, nh, hs]), [0, 2, 1, 3]);
    layers.forEach((l, li) => {
      const [q, k0, v0] = tf.split(dense(layerNorm(x, l.ln1g, l.ln1b), l.attnW, l.attnB), 3, 2);
      let k = heads(k0!), v = heads(v0!);
      const cache = opts.caches?.[li];
      if (cache) {
        if (cache.length) { k = tf.concat([cache[0]!, k], 2); v = tf.concat([cache[1]!, v], 2); }
        cache.splice(0, 2, k, v);
      }
      const S = k.shape[2]!;
      let att = tf.mul(tf.matMul(heads(q!), k, false, true), 1 / Math.sqrt(hs));
      if (T > 1) att = tf.add(att, causal(T, S));
      const y = tf.reshape(tf.transpose(tf.matMul(tf.softmax(att), v), [0, 2, 1, 3]), [B, T, C]);
      x = tf.add(x, dense(y, l.projW, l.projB));
      x = tf.add(x, dense(gelu(dense(layerNorm(x, l.ln2g, l.ln2b), l.fcW, l.fcB)), l.fc2W, l.fc2B));
    });
    x = layerNorm(x, lnfg, lnfb);
    if (opts.lastOnly) x = tf.slice(x, [0, T - 1, 0], [B, 1, C]);
    return tf.reshape(tf.matMul(tf.reshape(x, [-1, C]) as tf.Tensor2D, wte, false, true), [B, -1, c.vocab]); // tied head
  };
  return { vars, decay, forward };
}

function gpt(j: Job) {
  const s = j.gpt;
  const text = loadText(j.dataDir);
  const m = gptModel(s);
  const opt = tf.train.adam(s.lr, s.betas[0], s.betas[1], 1e-8);
  return trainWindows(s, (i) => {
    const { x, y } = textBatch(text, i, s.batch, s.seq);
    return step(opt, m.vars, () => {
      const logits = tf.reshape(m.forward(tf.tensor2d(x, [s.batch, s.seq], 'int32')), [-1, s.vocab]);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), s.vocab), logits) as tf.Scalar;
    }, { clip: s.clip, decay: m.decay, wd: s.weightDecay, lr: s.lr });
  });
}

function gptGen(j: Job): Partial<Result> {
  const s = j.gptGen;
  const text = loadText(j.dataDir);
  const m = gptModel(s);
  const generate = (cached: boolean) => tf.tidy(() => {
    const ids = [text.tokens[0]!];
    const caches = cached ? Array.from({ length: s.nLayer }, () => [] as tf.Tensor[]) : undefined;
    for (let i = 0; i < s.newTokens; i++) {
      const inp = !cached || !caches![0]!.length ? ids.slice(-s.block) : ids.slice(-1);
      const logits = m.forward(tf.tensor2d(inp, [1, inp.length], 'int32'), { caches, lastOnly: true });
      ids.push(tf.argMax(tf.reshape(logits, [-1])).dataSync()[0]!);
    }
    return ids;
  }) as unknown as number[];
  const out: Partial<Result> = {};
  for (const [key, cached] of [['genFull', false], ['genCached', true]] as const) {
    generate(cached);
    const t: number[] = [];
    const t0 = performance.now();
    while (t.length < s.runs && (t.length < 2 || performance.now() - t0 < s.capS * 1000)) {
      const a = performance.now(); generate(cached); t.push(performance.now() - a);
    }
    t.sort((a, b) => a - b);
    out[key] = s.newTokens / (t[t.length >> 1]! / 1000);
  }
  return out;
}

/** word_language_model's Transformer (post-norm encoder layers, ReLU, dropout), batch-first inside. */
function wlm(j: Job) {
  const s = j.wlm, E = s.emsize, H = s.nhead, hd = E / H, F = s.nhid;
  const words = loadWords(j.dataDir);
  const V = words.vocab;
  const pe = tf.tensor2d(Array.from({ length: s.seq * E }, (_, k) => {
    const p = Math.floor(k / E), i = k % E, a = p * Math.exp((i - (i % 2)) * (-Math.log(10000) / E));
    return i % 2 ? Math.cos(a) : Math.sin(a);
  }), [s.seq, E]);
  const emb = uniform([V, E], 0.1), decW = uniform([E, V], 0.1), decB = zeros([V]);
  const layers = Array.from({ length: s.nlayers }, () => ({
    inW: uniform([E, 3 * E], Math.sqrt(6 / (4 * E))), inB: zeros([3 * E]), outW: uniform([E, E], 1 / Math.sqrt(E)), outB: zeros([E]),
    l1W: uniform([E, F], 1 / Math.sqrt(E)), l1B: uniform([F], 1 / Math.sqrt(E)), l2W: uniform([F, E], 1 / Math.sqrt(F)), l2B: uniform([E], 1 / Math.sqrt(F)),
    n1g: ones([E]), n1b: zeros([E]), n2g: ones([E]), n2b: zeros([E]),
  }));
  const vars = [emb, decW, decB, ...layers.flatMap((l) => Object.values(l))];
  const opt = tf.train.sgd(s.lr);
  const mask = causal(s.seq, s.seq);
  const drop = (x: tf.Tensor) => tf.dropout(x, s.dropout);
  return trainWindows(s, (i) => {
    const { x, y } = wordBatch(words, i, s.batch, s.seq);
    return step(opt, vars, () => {
      const N = s.batch, T = s.seq;
      const ids = tf.transpose(tf.tensor2d(x, [T, N], 'int32')); // [N, T]
      let h = drop(tf.add(tf.mul(tf.gather(emb, ids), Math.sqrt(E)), pe)); // [N, T, E]
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [N, T, H, hd]), [0, 2, 1, 3]);
      for (const l of layers) {
        const [q, k, v] = tf.split(dense(h, l.inW, l.inB), 3, 2);
        const att = drop(tf.softmax(tf.add(tf.mul(tf.matMul(heads(q!), heads(k!), false, true), 1 / Math.sqrt(hd)), mask)));
        const sa = dense(tf.reshape(tf.transpose(tf.matMul(att, heads(v!)), [0, 2, 1, 3]), [N, T, E]), l.outW, l.outB);
        h = layerNorm(tf.add(h, drop(sa)), l.n1g, l.n1b);
        h = layerNorm(tf.add(h, drop(dense(drop(tf.relu(dense(h, l.l1W, l.l1B))), l.l2W, l.l2B))), l.n2g, l.n2b);
      }
      const logp = tf.logSoftmax(dense(tf.transpose(h, [1, 0, 2]), decW, decB)); // [T, N, V], as the example's output
      const picked = tf.sum(tf.mul(tf.reshape(logp, [T * N, V]), tf.oneHot(tf.tensor1d(y, 'int32'), V)), 1);
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    }, { clip: s.clip });
  });
}

function vae(j: Job) {
  const spec = j.vae, B = spec.batch;
  const d = loadFashion(j.dataDir);
  const lin = (i: number, o: number) => [uniform([i, o], 1 / Math.sqrt(i)), uniform([o], 1 / Math.sqrt(i))] as const;
  const [w1, b1] = lin(784, 400), [w21, b21] = lin(400, 20), [w22, b22] = lin(400, 20), [w3, b3] = lin(20, 400), [w4, b4] = lin(400, 784);
  const vars = [w1, b1, w21, b21, w22, b22, w3, b3, w4, b4];
  const opt = tf.train.adam(spec.lr, 0.9, 0.999, 1e-8);
  return trainEpoch(spec, d.nTrain, (i) => step(opt, vars, () => {
    const x = tf.tensor2d(d.trainX.subarray(i * B * 784, (i + 1) * B * 784), [B, 784]);
    const h1 = tf.relu(dense(x, w1, b1));
    const mu = dense(h1, w21, b21), logvar = dense(h1, w22, b22);
    const z = tf.add(mu, tf.mul(tf.randomNormal(mu.shape), tf.exp(tf.mul(logvar, 0.5))));
    const r = tf.sigmoid(dense(tf.relu(dense(z, w3, b3)), w4, b4));
    // binary_cross_entropy(reduction='sum'), its logs clamped at -100 as PyTorch does
    const bce = tf.neg(tf.sum(tf.add(tf.mul(x, tf.maximum(tf.log(r), -100)), tf.mul(tf.sub(1, x), tf.maximum(tf.log(tf.sub(1, r)), -100)))));
    const kld = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(logvar, 1), tf.square(mu)), tf.exp(logvar))), -0.5);
    return tf.div(tf.add(bce, kld), B) as tf.Scalar; // per sample (the others divide the summed loss after backward)
  }));
}

/** The 28×28 DCGAN in NHWC; batch norm with batch statistics and running averages, as in training mode. */
function dcgan(j: Job) {
  const s = j.dcgan, B = s.batch;
  const d = loadFashion(j.dataDir);
  const { nz, ngf, ndf } = s;
  const bn = (c: number) => ({ g: normal([c], 0.02, 1), b: zeros([c]), rm: tf.variable(tf.zeros([c]), false), rv: tf.variable(tf.ones([c]), false) });
  const batchNorm = (x: tf.Tensor4D, p: ReturnType<typeof bn>): tf.Tensor4D => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const n = x.size / x.shape[3];
    tf.tidy(() => { p.rm.assign(tf.add(tf.mul(p.rm, 0.9), tf.mul(mean, 0.1))); p.rv.assign(tf.add(tf.mul(p.rv, 0.9), tf.mul(variance, 0.1 * n / (n - 1)))); });
    return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, p.b as tf.Tensor1D, p.g as tf.Tensor1D, 1e-5);
  };
  // ConvTranspose2d weights [k, k, out, in], Conv2d [k, k, in, out]
  const g1 = normal([7, 7, ngf * 4, nz], 0.02), g2 = normal([4, 4, ngf * 2, ngf * 4], 0.02), g3 = normal([4, 4, 1, ngf * 2], 0.02);
  const gb1 = bn(ngf * 4), gb2 = bn(ngf * 2);
  const d1 = normal([4, 4, 1, ndf], 0.02), d2 = normal([4, 4, ndf, ndf * 2], 0.02), d3 = normal([7, 7, ndf * 2, 1], 0.02);
  const db2 = bn(ndf * 2);
  const G = (z: tf.Tensor4D) => {
    let h = tf.relu(batchNorm(tf.conv2dTranspose(z, g1 as tf.Tensor4D, [B, 7, 7, ngf * 4], 1, 'valid'), gb1)) as tf.Tensor4D;
    h = tf.relu(batchNorm(tf.conv2dTranspose(h, g2 as tf.Tensor4D, [B, 14, 14, ngf * 2], 2, 'same'), gb2)) as tf.Tensor4D;
    return tf.tanh(tf.conv2dTranspose(h, g3 as tf.Tensor4D, [B, 28, 28, 1], 2, 'same')) as tf.Tensor4D;
  };
  const D = (x: tf.Tensor4D) => {
    let h = tf.leakyRelu(tf.conv2d(x, d1 as tf.Tensor4D, 2, 'same'), 0.2) as tf.Tensor4D;
    h = tf.leakyRelu(batchNorm(tf.conv2d(h, d2 as tf.Tensor4D, 2, 'same'), db2), 0.2) as tf.Tensor4D;
    return tf.reshape(tf.sigmoid(tf.conv2d(h, d3 as tf.Tensor4D, 1, 'valid')), [B]);
  };
  const bce = (p: tf.Tensor, label: number) => tf.neg(tf.mean(tf.maximum(tf.log(label ? p : tf.sub(1, p)), -100))) as tf.Scalar;
  const optD = tf.train.adam(s.lr, s.beta1, 0.999, 1e-8), optG = tf.train.adam(s.lr, s.beta1, 0.999, 1e-8);
  const dVars = [d1, d2, d3, db2.g, db2.b], gVars = [g1, g2, g3, gb1.g, gb1.b, gb2.g, gb2.b];
  const realAll = d.trainX.map((v) => v * 2 - 1);
  return trainEpoch(s, d.nTrain, (i) => tf.tidy(() => {
    const real = tf.tensor4d(realAll.subarray(i * B * 784, (i + 1) * B * 784), [B, 28, 28, 1]);
    const noise = tf.randomNormal([B, 1, 1, nz]) as tf.Tensor4D;
    const fake = G(noise); // outside a gradient tape: fake.detach()
    const errD = step(optD, dVars, () => tf.add(bce(D(real), 1), bce(D(fake), 0)) as tf.Scalar);
    const errG = step(optG, gVars, () => bce(D(G(noise)), 1)); // tfjs records G's forward again under G's tape
    return errD + errG;
  }));
}

export const generative = {
  gpt, 'gpt-gen': gptGen, wlm, vae, dcgan,
} satisfies Record<string, (j: Job) => Partial<Result>>;
