// onnx.exportModel for every nn layer kind, the CLI's models and an LSTM language model: the file
// passes onnx.checker (full check), runs in ONNX Runtime with Nabla's outputs at two batch sizes, and
// importModel gives back the same outputs and gradients (Nabla → ONNX → Nabla).

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import * as onnx from '../src/io/onnx/index.js';
import { buildModel } from '../src/tasks/fashion-mnist/models.js';
import { assertClose } from './helpers/allclose.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { absMax, hasOnnxPython, onnxCheck, ortRun } from './helpers/onnx.js';

const { nn } = nb;
type Mod = nb.nn.Module;

class Call extends nn.Module {
  constructor(readonly inner: Mod, readonly f: (m: Mod, x: nb.Tensor) => unknown) { super(); }
  override forward(x: nb.Tensor): unknown { return this.f(this.inner, x); }
}

/** An LSTM language model: token ids → embeddings → 2-layer LSTM → logits over the vocabulary. */
class LanguageModel extends nn.Module {
  emb = new nn.Embedding(30, 8);
  lstm = new nn.LSTM(8, 16, { numLayers: 2, batchFirst: true });
  head = new nn.Linear(16, 30);
  override forward(x: nb.Tensor): nb.Tensor {
    const [h] = this.lstm.forward(this.emb.forward(x));
    return this.head.forward(h);
  }
}

/** A forward written only with functional ops on its own parameters, as a user would write one. */
class Functional extends nn.Module {
  w1 = new nn.Parameter(nb.randn([8, 3, 3, 3]).mul(0.3));
  b1 = new nn.Parameter(nb.randn([8]).mul(0.1));
  w2 = new nn.Parameter(nb.randn([6, 8, 3, 3]).mul(0.2));
  fcW = new nn.Parameter(nb.randn([5, 6 * 2 * 2 + 6]).mul(0.2));
  fcB = new nn.Parameter(nb.zeros([5]));
  scale = new nn.Parameter(nb.ones([1, 6, 1, 1]).mul(1.5));
  override forward(x: nb.Tensor): nb.Tensor {
    let h = nb.F.conv2d(nb.F.pad(x, [1, 1, 1, 1], 0.5), this.w1, this.b1).relu();
    h = nb.F.pad(h, [1, 0, 0, 1], { mode: 'reflect' }).narrow(2, 0, 8).narrow(3, 1, 8);
    h = nb.F.maxPool2d(h, 2);
    h = nb.F.conv2d(h, this.w2, null, { padding: 'same' });
    h = nb.F.gelu(h.mul(this.scale).add(0.1)).sub(nb.F.silu(h), { alpha: 0.5 });
    const pooled = nb.F.avgPool2d(h, 2);
    const g = h.mean([2, 3]);
    const flat = pooled.reshape([pooled.shape[0]!, -1]);
    let y = nb.F.linear(nb.cat([flat, nb.tanh(g)], 1), this.fcW, this.fcB);
    y = nb.F.leakyRelu(y, 0.1).div(nb.sqrt(y.square().sum(1, true).add(1)));
    y = nb.F.dropout(y, 0.3, this.training).clamp(-0.9, 0.9);
    return nb.F.logSoftmax(y.mul(nb.tensor([1, 2, 3, 4, 5])), 1);
  }
}

/** A functional sequence model: embedding, batched matmul attention, split heads, stack. */
class FunctionalSeq extends nn.Module {
  emb = new nn.Parameter(nb.randn([20, 8]));
  proj = new nn.Linear(8, 8);
  override forward(ids: nb.Tensor): nb.Tensor {
    const e = nb.F.embedding(ids, this.emb);
    const q = this.proj.forward(e);
    const att = nb.F.softmax(nb.matmul(q, e.transpose(1, 2)).div(Math.sqrt(8)), -1);
    const ctx = nb.matmul(att, e);
    const [a, b] = nb.split(ctx, 4, 2) as [nb.Tensor, nb.Tensor];
    const s = nb.stack([a!, b!], 1).permute([0, 2, 1, 3]).flatten(2);
    return nb.F.elu(s.unsqueeze(1).squeeze(1), 0.5).narrow(1, 1, 4);
  }
}

class Conv3dNet extends nn.Module {
  a = new nn.Conv3d(2, 4, [2, 3, 2], { stride: [1, 2, 1], dilation: [2, 1, 1], padding: [1, 0, 1], groups: 2 });
  b = new nn.Conv3d(4, 3, [2, 2, 3], { padding: 'same' });
  c = new nn.Conv3d(3, 2, 3, { padding: 1, paddingMode: 'reflect' });
  t = new nn.ConvTranspose1d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 });
  override forward(x: nb.Tensor): nb.Tensor {
    const y = this.c.forward(this.b.forward(this.a.forward(x)));
    return this.t.forward(y.flatten(2));
  }
}

const img = (c: number, h: number, w = h) => (n: number) => nb.randn([n, c, h, w]);
const seq = (l: number, f: number) => (n: number) => nb.randn([n, l, f]);
const ids = (l: number, v: number) => (n: number) => nb.randint(0, v, [n, l], { dtype: 'int32' });

const CASES: [string, () => Mod, (n: number) => nb.Tensor][] = [
  ['Linear', () => new nn.Sequential(new nn.Linear(6, 4), new nn.ReLU(), new nn.Linear(4, 3)), (n) => nb.randn([n, 6])],
  ['Linear on 3-D input', () => new nn.Linear(6, 4), seq(3, 6)],
  ['Conv1d + pools 1-D', () => new nn.Sequential(new nn.Conv1d(3, 4, 3, { padding: 'same' }), new nn.MaxPool1d(2, { ceilMode: true }), new nn.Conv1d(4, 4, 2, { stride: 2, groups: 2 }), new nn.AvgPool1d(2)), (n) => nb.randn([n, 3, 17])],
  ['Conv2d', () => new nn.Sequential(new nn.Conv2d(4, 6, 3, { padding: 'same', dilation: 2, groups: 2 }), new nn.Conv2d(6, 3, [3, 2], { stride: 2, padding: [1, 0], bias: false })), img(4, 11)],
  ['ConvTranspose2d', () => new nn.ConvTranspose2d(3, 4, 3, { stride: 2, padding: 1, outputPadding: 1 }), img(3, 5)],
  ['pools 2-D', () => new nn.Sequential(new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }), new nn.AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }), new nn.AdaptiveAvgPool2d(2)), img(2, 9)],
  ['AdaptiveAvgPool2d(1) + Flatten', () => new nn.Sequential(new nn.AdaptiveAvgPool2d(1), new nn.Flatten()), img(3, 5)],
  ['BatchNorm1d/2d', () => new nn.Sequential(new nn.BatchNorm2d(4), new nn.Flatten(), new nn.BatchNorm1d(36, { affine: false })), img(4, 3)],
  ['LayerNorm, GroupNorm', () => new nn.Sequential(new nn.GroupNorm(2, 4), new nn.LayerNorm([3, 3]), new nn.LayerNorm(3, { elementwiseAffine: false })), img(4, 3)],
  ['activations', () => new nn.Sequential(new nn.Linear(5, 8), new nn.LeakyReLU(0.2), new nn.ELU(0.7), new nn.GELU(), new nn.GELU({ approximate: 'tanh' }), new nn.SiLU(), new nn.Sigmoid(), new nn.Tanh(), new nn.Softplus({ beta: 2, threshold: 3 }), new nn.Softmax(1), new nn.LogSoftmax(1)), (n) => nb.randn([n, 5]).mul(3)],
  ['Dropout, Dropout2d, Identity, Flatten, Unflatten', () => new nn.Sequential(new nn.Dropout2d(0.5), new nn.Flatten(0, -1), new nn.Unflatten(0, [-1, 2, 3, 3]), new nn.Identity(), new nn.Flatten(2), new nn.Dropout(0.3)), img(2, 3)],
  ['Embedding', () => new nn.Sequential(new nn.Embedding(10, 4, { paddingIdx: 0 }), new nn.Flatten(), new nn.Linear(12, 3)), ids(3, 10)],
  ['LSTM (2 layers, bidirectional)', () => new Call(new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true, batchFirst: true }), (m, x) => m.forward(x)), seq(4, 5)],
  ['LSTM (time-major)', () => new Call(new nn.LSTM(5, 6), (m, x) => m.forward(x)), (n) => nb.randn([4, n, 5])],
  ['GRU (2 layers, bidirectional)', () => new Call(new nn.GRU(5, 6, { numLayers: 2, bidirectional: true, batchFirst: true }), (m, x) => m.forward(x)), seq(4, 5)],
  ['RNN (relu)', () => new Call(new nn.RNN(5, 6, { nonlinearity: 'relu', batchFirst: true, numLayers: 2 }), (m, x) => m.forward(x)), seq(4, 5)],
  ['MultiheadAttention', () => new Call(new nn.MultiheadAttention(8, 2, { batchFirst: true }), (m, x) => m.forward(x, x, x)), seq(5, 8)],
  ['TransformerEncoder', () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, activation: 'gelu' }), 2, { norm: new nn.LayerNorm(8) }), seq(5, 8)],
  ['Conv1d/Conv2d paddingMode reflect and replicate (ONNX Pad, then Conv)', () => new nn.Sequential(new nn.Conv2d(3, 4, [3, 4], { padding: 'same', paddingMode: 'reflect' }), new nn.Conv2d(4, 2, 3, { padding: [2, 1], stride: 2, paddingMode: 'replicate' })), img(3, 9)],
  ['Conv3d (groups, strides, dilation, asymmetric same, reflect) and ConvTranspose1d, traced op by op', () => new Conv3dNet(), (n) => nb.randn([n, 2, 5, 6, 5])],
  ['TransformerEncoderLayer (pre-norm, time-major)', () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, normFirst: true }), (n) => nb.randn([5, n, 8])],
  ['CLI mlp', () => buildModel('mlp', 10, 0.2), img(1, 28)],
  ['CLI cnn', () => buildModel('cnn', 10, 0.2), img(1, 28)],
  ['LSTM language model', () => new LanguageModel(), ids(7, 30)],
  ['CLI resnet-small (functional relu/add in its blocks)', () => buildModel('resnet-small', 10, 0.2), img(1, 28)],
  ['custom functional forward (F.*, nb.*, tensor methods)', () => new Functional(), img(3, 8)],
  ['custom functional sequence forward (embedding, matmul, softmax, split, stack)', () => new FunctionalSeq(), ids(6, 20)],
];

/** Running statistics away from 0/1, so eval-mode batch norm really uses them. */
function warmUp(m: Mod, make: (n: number) => nb.Tensor): void {
  if (!m.modules().some((x) => x instanceof nn.BatchNorm1d || x instanceof nn.BatchNorm2d)) return;
  m.train();
  nb.noGrad(() => nb.scope(() => { for (let i = 0; i < 3; i++) m.forward(make(4).mul(2).add(0.5)); }));
}

const outputs = (y: unknown): nb.Tensor[] => (y instanceof nb.Tensor ? [y] : Array.isArray(y) ? y.flat(2).filter((t): t is nb.Tensor => t instanceof nb.Tensor) : []);

const backends = await testBackends();
after(closeBackends);

describe('exportModel → onnx.checker and ONNX Runtime', () => {
  for (const [name, make, input] of CASES) {
    test(name, async () => {
      nb.setBackend(backends.includes('wasm') ? 'wasm' : backends[0]!);
      nb.manualSeed(7);
      const m = make();
      warmUp(m, input);
      // time-major models have the batch in dim 1: name it there
      const timeMajor = name.includes('time-major');
      const dynamicAxes = Object.fromEntries(['input', ...(name.startsWith('LSTM') ? ['output0', 'output1', 'output2'] : ['output'])].map((k) => [k, { 1: 'batch' }]));
      const bytes = onnx.exportModel(m, input(3), timeMajor ? { dynamicAxes } : {});
      if (hasOnnxPython) assert.equal(onnxCheck(bytes), '', `${name}: onnx.checker`);
      m.eval();
      for (const n of [2, 5]) {
        const x = input(n);
        const want = nb.noGrad(() => outputs(m.forward(x)));
        const got = await ortRun(bytes, [x]);
        assert.equal(got.length, want.length, `${name}: outputs`);
        want.forEach((w, i) => {
          assert.deepEqual(got[i]!.dims, [...w.shape], `${name} output ${i} shape`);
          const wd = w.dataSync();
          const scale = absMax(wd);
          // within 1e-5 of the output's scale (float32 sums in another order differ in the last bits)
          assertClose(`${name} output ${i} (batch ${n})`, got[i]!.data, wd, w.shape, { rtol: 1e-5, atol: 1e-5 * scale });
        });
      }
    });
  }
});

test('an op without an ONNX mapping fails naming the op and the module path', () => {
  class Block extends nn.Module {
    lin = new nn.Linear(4, 4);
    override forward(x: nb.Tensor): nb.Tensor { return nb.cumsum(this.lin.forward(x), 1); }
  }
  class Net extends nn.Module {
    body = new nn.Sequential(new nn.Linear(3, 4), new Block());
    override forward(x: nb.Tensor): nb.Tensor { return this.body.forward(x); }
  }
  assert.throws(() => onnx.exportModel(new Net(), nb.randn([2, 3])), /op 'cumsum' in the forward of 'body\.1' \(Block\) has no ONNX mapping/);
  // dropout that stays random in eval is refused, not exported as something else
  class Drop extends nn.Module {
    override forward(x: nb.Tensor): nb.Tensor { return nb.F.dropout(x, 0.5, true); }
  }
  assert.throws(() => onnx.exportModel(new Drop(), nb.randn([2, 3])), /op 'dropout' in the forward of '\(root\)': dropout with training=true/);
});

test("Conv1d paddingMode 'circular': ONNX Pad 'wrap' at opset 19, refused before it", async () => {
  nb.manualSeed(5);
  const m = new nn.Conv1d(2, 3, 4, { padding: 'same', paddingMode: 'circular' });
  const x = nb.randn([2, 2, 7]);
  assert.throws(() => onnx.exportModel(m, x), /module '\(root\)' \(Conv1d\): paddingMode 'circular' needs opset 19 \(ONNX Pad mode 'wrap'\), exporting at 17/);
  const got = await ortRun(onnx.exportModel(m, x, { opset: 19 }), [x]);
  const want = nb.noGrad(() => m.forward(x));
  assertClose('circular Conv1d in ONNX Runtime', got[0]!.data, want.dataSync(), want.shape, { rtol: 1e-5, atol: 1e-6 });
});
