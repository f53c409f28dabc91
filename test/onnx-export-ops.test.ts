// Op-level ONNX export: every nn layer's own forward, traced op by op (as a subclass, which the
// exporter walks instead of writing the layer whole), passes onnx.checker and runs in ONNX Runtime
// with Nabla's outputs at two batch sizes; what cannot be traced fails naming the op and the module.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import * as onnx from '../src/io/onnx/index.js';
import { decodeModel } from '../src/io/onnx/proto.js';
import { causalSoftmax } from '../src/ops/activation.js';
import { assertClose } from './helpers/allclose.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { absMax, hasOnnxPython, onnxCheck, ortRun } from './helpers/onnx.js';

const { nn } = nb;
type Mod = nb.nn.Module;

/** m re-classed as a subclass with its own forward: export walks it and traces the ops its forward calls. */
function walked<M extends Mod>(m: M): M {
  const Base = Object.getPrototypeOf(m).constructor as new (...a: never[]) => Mod;
  const Sub = class extends Base {
    override forward(...a: unknown[]): unknown { return (super.forward as (...x: unknown[]) => unknown)(...a); }
  };
  Object.setPrototypeOf(m, Sub.prototype);
  return m;
}

/** A parent whose forward calls the layer (so the error's module path is 'inner'). */
class Holder extends nn.Module {
  constructor(readonly inner: Mod, readonly call: (m: Mod, x: nb.Tensor) => unknown = (m, x) => m.forward(x)) { super(); }
  override forward(x: nb.Tensor): unknown { return this.call(this.inner, x); }
}

/** Ops a forward may reach itself: the causal softmax of F.scaledDotProductAttention's isCausal, and F.layerNorm with no weight (layerNormRows). */
class CausalScores extends nn.Module {
  override forward(x: nb.Tensor): nb.Tensor { return causalSoftmax(x); }
}
class PlainLayerNorm extends nn.Module {
  override forward(x: nb.Tensor): nb.Tensor { return nb.F.layerNorm(x, [3], { eps: 1e-3 }); }
}
/** F.batchNorm with the batch's statistics (batchNormTrain, which the wasm backend runs as one kernel). */
class BatchStatsNorm extends nn.Module {
  readonly w = nb.keep(nb.tensor([0.5, 2, -1]));
  readonly b = nb.keep(nb.tensor([0.1, -0.2, 0.3]));
  override forward(x: nb.Tensor): nb.Tensor { return nb.F.batchNorm(x, null, null, { training: true, weight: this.w, bias: this.b, eps: 1e-3 }); }
}

const rows = (f: number) => (n: number) => nb.randn([n, f]).mul(2);
const img = (c: number, h: number) => (n: number) => nb.randn([n, c, h, h]);
const seq = (c: number, l: number) => (n: number) => nb.randn([n, c, l]);

const CASES: [string, () => Mod, (n: number) => nb.Tensor][] = [
  ['Linear', () => new nn.Linear(4, 3), rows(4)],
  ['Conv1d (same)', () => new nn.Conv1d(2, 3, 3, { padding: 'same', dilation: 2 }), seq(2, 9)],
  ['Conv2d (stride, groups)', () => new nn.Conv2d(4, 6, 3, { padding: 1, stride: 2, groups: 2 }), img(4, 7)],
  ['ConvTranspose2d', () => new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }), img(2, 5)],
  ['MaxPool2d', () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }), img(2, 8)],
  ['MaxPool1d', () => new nn.MaxPool1d(2), seq(2, 7)],
  ['AvgPool2d', () => new nn.AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }), img(2, 6)],
  ['AvgPool1d', () => new nn.AvgPool1d(3, { stride: 2 }), seq(2, 9)],
  ['AdaptiveAvgPool2d', () => new nn.AdaptiveAvgPool2d(2), img(2, 6)],
  ['BatchNorm2d', () => new nn.BatchNorm2d(3), img(3, 4)],
  ['BatchNorm1d', () => new nn.BatchNorm1d(5), rows(5)],
  ['LayerNorm', () => new nn.LayerNorm([2, 3]), (n) => nb.randn([n, 4, 2, 3])],
  ['GroupNorm', () => new nn.GroupNorm(2, 4), seq(4, 5)],
  ['ReLU', () => new nn.ReLU(), rows(6)],
  ['LeakyReLU', () => new nn.LeakyReLU(0.2), rows(6)],
  ['ELU', () => new nn.ELU(0.7), rows(6)],
  ['GELU (exact)', () => new nn.GELU(), rows(6)],
  ['GELU (tanh)', () => new nn.GELU({ approximate: 'tanh' }), rows(6)],
  ['SiLU', () => new nn.SiLU(), rows(6)],
  ['Sigmoid', () => new nn.Sigmoid(), rows(6)],
  ['Tanh', () => new nn.Tanh(), rows(6)],
  ['Softplus', () => new nn.Softplus({ beta: 2, threshold: 3 }), rows(6)],
  ['Hardtanh', () => new nn.Hardtanh(-2, 3), rows(6)],
  ['ReLU6', () => new nn.ReLU6(), rows(6)],
  ['Hardswish', () => new nn.Hardswish(), rows(6)],
  ['Hardsigmoid', () => new nn.Hardsigmoid(), rows(6)],
  ['Mish', () => new nn.Mish(), rows(6)],
  ['LogSigmoid', () => new nn.LogSigmoid(), rows(6)],
  ['Softmin', () => new nn.Softmin(1), rows(6)],
  ['Softsign', () => new nn.Softsign(), rows(6)],
  ['Tanhshrink', () => new nn.Tanhshrink(), rows(6)],
  ['Softshrink', () => new nn.Softshrink(0.7), rows(6)],
  ['Hardshrink', () => new nn.Hardshrink(0.3), rows(6)],
  ['Threshold', () => new nn.Threshold(0.1, 20), rows(6)],
  ['CELU', () => new nn.CELU(0.5), rows(6)],
  ['SELU', () => new nn.SELU(), rows(6)],
  ['PReLU (per channel, 4-D)', () => { const m = new nn.PReLU({ numParameters: 3 }); nb.noGrad(() => m.weight.copy_(nb.tensor([0.1, -0.5, 2]))); return m; }, img(3, 4)],
  ['PReLU (one slope)', () => new nn.PReLU({ init: 0.3 }), rows(6)],
  ['Upsample (nearest ×2)', () => new nn.Upsample({ scaleFactor: 2 }), img(2, 3)],
  ['Upsample (nearest to a size)', () => new nn.Upsample({ size: [5, 7] }), img(2, 3)],
  ['Upsample (bilinear to a size)', () => new nn.Upsample({ size: [7, 5], mode: 'bilinear' }), img(2, 4)],
  ['Upsample (bilinear ×1.5, alignCorners)', () => new nn.Upsample({ scaleFactor: 1.5, mode: 'bilinear', alignCorners: true }), img(2, 4)],
  ['Upsample (bicubic ×2)', () => new nn.Upsample({ scaleFactor: 2, mode: 'bicubic' }), img(2, 4)],
  ['Upsample (linear, 3-D, to a size)', () => new nn.Upsample({ size: 9, mode: 'linear' }), seq(2, 4)],
  ['Softmax', () => new nn.Softmax(1), rows(6)],
  ['LogSoftmax', () => new nn.LogSoftmax(-1), rows(6)],
  ['Dropout', () => new nn.Dropout(0.5), rows(6)],
  ['Dropout2d', () => new nn.Dropout2d(0.5), img(2, 3)],
  ['Identity', () => new nn.Identity(), rows(6)],
  ['Flatten', () => new nn.Flatten(), img(2, 3)],
  ['Unflatten', () => new nn.Unflatten(1, [2, 3]), rows(6)],
  ['Embedding', () => new nn.Embedding(10, 4), (n) => nb.randint(0, 10, [n, 3], { dtype: 'int32' })],
  ['TransformerEncoderLayer', () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), (n) => nb.randn([n, 5, 8])],
  ['causalSoftmax (isCausal attention scores)', () => new CausalScores(), (n) => nb.randn([n, 5, 7]).mul(3)],
  ['F.layerNorm (no weight)', () => new PlainLayerNorm(), (n) => nb.randn([n, 4, 3]).mul(2)],
  ['F.batchNorm with the batch\'s statistics', () => new BatchStatsNorm(), (n) => nb.randn([n, 3, 4, 5]).mul(2).add(0.5)],
];

const backends = await testBackends();
after(closeBackends);

describe('every nn layer traced op by op → onnx.checker and ONNX Runtime', () => {
  for (const [name, make, input] of CASES) {
    test(name, async () => {
      nb.setBackend(backends.includes('wasm') ? 'wasm' : backends[0]!);
      nb.manualSeed(11);
      const m = make();
      if (m instanceof nn.BatchNorm1d || m instanceof nn.BatchNorm2d) {
        // running statistics away from 0/1, so eval really uses them
        m.train();
        nb.noGrad(() => nb.scope(() => { for (let i = 0; i < 3; i++) m.forward(input(4).mul(2).add(0.5)); }));
      }
      const bytes = onnx.exportModel(walked(m), input(3));
      if (m instanceof nn.BatchNorm2d) {
        // the layer was traced, not written whole
        const ops = decodeModel(bytes).graph.nodes.map((n) => n.opType);
        assert.ok(!ops.includes('BatchNormalization') && ops.includes('Sub') && ops.includes('Mul'), `traced ops: ${ops.join(', ')}`);
      }
      if (hasOnnxPython) assert.equal(onnxCheck(bytes), '', `${name}: onnx.checker`);
      m.eval();
      for (const n of [2, 5]) {
        const x = input(n);
        const want = nb.noGrad(() => m.forward(x) as nb.Tensor);
        const [got] = await ortRun(bytes, [x]);
        assert.deepEqual(got!.dims, [...want.shape], `${name} shape (batch ${n})`);
        const wd = want.dataSync();
        assertClose(`${name} (batch ${n})`, got!.data, wd, want.shape, { rtol: 1e-5, atol: 1e-5 * absMax(wd) });
      }
    });
  }
});

test('layers whose own forward runs outside the op table fail naming the op and the module when walked (they export whole)', () => {
  const lstm = new Holder(walked(new nn.LSTM(3, 4, { batchFirst: true })), (m, x) => m.forward(x));
  assert.throws(() => onnx.exportModel(lstm, nb.randn([2, 5, 3])), /op 'lstmSeq' in the forward of 'inner' \(\w+\) has no ONNX mapping/);
  const gru = new Holder(walked(new nn.GRU(3, 4, { batchFirst: true })), (m, x) => m.forward(x));
  assert.throws(() => onnx.exportModel(gru, nb.randn([2, 5, 3])), /op 'gruSeq' in the forward of 'inner' \(\w+\) has no ONNX mapping/);
  const rnn = new Holder(walked(new nn.RNN(3, 4, { batchFirst: true })), (m, x) => m.forward(x));
  assert.throws(() => onnx.exportModel(rnn, nb.randn([2, 5, 3])), /computed by op 'rnn' in the forward of 'inner' \(\w+\), which the trace did not see/);
  const mha = new Holder(walked(new nn.MultiheadAttention(4, 2, { batchFirst: true })), (m, x) => (m as nb.nn.MultiheadAttention).forward(x, x, x));
  assert.throws(() => onnx.exportModel(mha, nb.randn([2, 5, 4])), /computed by op 'attention' in the forward of 'inner' \(\w+\), which the trace did not see/);
  // the same layers unwalked export whole
  for (const m of [new nn.LSTM(3, 4, { batchFirst: true }), new nn.GRU(3, 4, { batchFirst: true })]) {
    assert.ok(onnx.exportModel(new Holder(m), nb.randn([2, 5, 3])).length > 0);
  }
});
