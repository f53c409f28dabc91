// Nabla → ONNX → Nabla: importModel(exportModel(m)) gives m's outputs and gradients — input grads, and
// every parameter's grad under its stateDict key (RNN weights in ONNX's gate order, mapped here).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import * as onnx from '../src/io/onnx/index.js';
import { buildModel } from '../src/tasks/fashion-mnist/models.js';
import { assertClose } from './helpers/allclose.js';
import { absMax } from './helpers/onnx.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const { nn } = nb;
type Mod = nb.nn.Module;

class Seq2 extends nn.Module {
  constructor(readonly rnn: nb.nn.RNNBase, readonly head: nb.nn.Linear) { super(); }
  override forward(x: nb.Tensor): nb.Tensor {
    const [h] = (this.rnn as nb.nn.LSTM).forward(x);
    return this.head.forward(h);
  }
}

// ONNX's gate order, written from the ONNX operator spec: LSTM i,o,f,c; GRU z,r,h — as PyTorch blocks.
const ONNX_BLOCKS: Record<string, number[]> = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2], RNN: [0] };

function regroup(g: ArrayLike<number>, H: number, cols: number, kind: string): number[] {
  return ONNX_BLOCKS[kind]!.flatMap((b) => Array.from({ length: H * cols }, (_, i) => g[b * H * cols + i]!));
}

/** The expected grad of each imported parameter, from the original's grads. */
function expectedGrads(m: Mod): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const grads = new Map(m.namedParameters().map(([k, p]) => [k, p.grad ? Array.from(p.grad.dataSync()) : null]));
  for (const [path, mod] of m.namedModules()) {
    if (!(mod instanceof nn.RNNBase)) continue;
    const kind = mod instanceof nn.LSTM ? 'LSTM' : mod instanceof nn.GRU ? 'GRU' : 'RNN';
    const D = mod.bidirectional ? 2 : 1, H = mod.hiddenSize;
    for (let l = 0; l < mod.numLayers; l++) {
      const inSize = l === 0 ? mod.inputSize : H * D;
      const W: number[] = [], R: number[] = [], B: number[] = [];
      for (let d = 0; d < D; d++) {
        const g = (n: string) => grads.get(`${path}.${n}_l${l}${d ? '_reverse' : ''}`)!;
        W.push(...regroup(g('weight_ih')!, H, inSize, kind));
        R.push(...regroup(g('weight_hh')!, H, H, kind));
        B.push(...regroup(g('bias_ih')!, H, 1, kind), ...regroup(g('bias_hh')!, H, 1, kind));
      }
      out.set(`${path}.W_l${l}`, W).set(`${path}.R_l${l}`, R).set(`${path}.B_l${l}`, B);
    }
  }
  for (const [k, g] of grads) if (g && !/(weight|bias)_(ih|hh)_l\d/.test(k)) out.set(k, g);
  return out;
}

const CASES: [string, () => Mod, (n: number) => nb.Tensor][] = [
  ['CLI mlp', () => buildModel('mlp', 10, 0.2), (n) => nb.randn([n, 1, 28, 28])],
  ['CLI cnn', () => buildModel('cnn', 10, 0.2), (n) => nb.randn([n, 1, 28, 28])],
  ['convs and norms', () => new nn.Sequential(new nn.Conv1d(3, 4, 3, { padding: 1 }), new nn.GroupNorm(2, 4), new nn.GELU(), new nn.Flatten(), new nn.LayerNorm(32), new nn.Linear(32, 5)), (n) => nb.randn([n, 3, 8])],
  ['ConvTranspose2d', () => new nn.Sequential(new nn.ConvTranspose2d(2, 3, 3, { stride: 2 }), new nn.BatchNorm2d(3), new nn.Tanh()), (n) => nb.randn([n, 2, 4, 4])],
  ['LSTM (2 layers, bidirectional) + head', () => new Seq2(new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true, batchFirst: true }), new nn.Linear(12, 3)), (n) => nb.randn([n, 4, 5])],
  ['GRU (bidirectional) + head', () => new Seq2(new nn.GRU(5, 6, { bidirectional: true, batchFirst: true }), new nn.Linear(12, 3)), (n) => nb.randn([n, 4, 5])],
  ['RNN + head', () => new Seq2(new nn.RNN(5, 6, { batchFirst: true }), new nn.Linear(6, 3)), (n) => nb.randn([n, 4, 5])],
  ['TransformerEncoderLayer', () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), (n) => nb.randn([n, 5, 8])],
];

const backends = await testBackends();
after(closeBackends);

for (const [name, make, input] of CASES) {
  test(`round trip: ${name}`, () => {
    nb.setBackend(backends.includes('wasm') ? 'wasm' : backends[0]!);
    nb.manualSeed(11);
    const m = make().eval();
    const imp = onnx.importModel(onnx.exportModel(m, input(2))).eval();
    assert.equal(imp.numParameters(), m.numParameters(), `${name}: every parameter is an initializer`);
    nb.scope(() => {
      const x = input(3);
      const run = (mod: Mod) => {
        const xi = x.detach().requiresGrad_(true);
        const y = mod.forward(xi) as nb.Tensor;
        const cot = nb.randn([...y.shape]);
        y.mul(cot).sum().backward();
        return { y, gx: xi.grad! };
      };
      nb.manualSeed(3);
      const a = run(m);
      nb.manualSeed(3);
      const b = run(imp);
      const tol = (t: ArrayLike<number>) => ({ rtol: 1e-5, atol: 1e-6 * absMax(t) });
      assertClose(`${name}: output`, b.y.dataSync(), a.y.dataSync(), a.y.shape, tol(a.y.dataSync()));
      assertClose(`${name}: input gradient`, b.gx.dataSync(), a.gx.dataSync(), a.gx.shape, tol(a.gx.dataSync()));
      const want = expectedGrads(m);
      const got = new Map(imp.namedParameters());
      assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${name}: parameter names`);
      for (const [k, g] of want) {
        const p = got.get(k)!;
        assert.ok(p.grad, `${name}: ${k} has a gradient`);
        assertClose(`${name}: grad of ${k}`, p.grad.dataSync(), g, p.shape, tol(g));
      }
    });
  });
}

test('imported float64 models pass a finite-difference gradcheck on their input (LSTM, GRU, conv + norms)', async () => {
  const { gradcheck } = await import('./helpers/gradcheck.js');
  nb.setBackend('js');
  nb.manualSeed(5);
  const dt = { dtype: 'float64' as const };
  const models: [string, Mod, number[]][] = [
    ['LSTM', new Seq2(new nn.LSTM(3, 4, { bidirectional: true, batchFirst: true, ...dt }), new nn.Linear(8, 2, dt)), [2, 3, 3]],
    ['GRU', new Seq2(new nn.GRU(3, 4, { numLayers: 2, batchFirst: true, ...dt }), new nn.Linear(4, 2, dt)), [2, 3, 3]],
    ['conv', new nn.Sequential(new nn.Conv2d(2, 3, 3, { padding: 'same', ...dt }), new nn.GroupNorm(1, 3, dt), new nn.ELU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.LayerNorm(12, dt)), [2, 2, 4, 4]],
  ];
  for (const [name, m, shape] of models) {
    const imp = onnx.importModel(onnx.exportModel(m.eval(), nb.randn(shape, dt))).eval();
    const cot = nb.randn([...(imp.forward(nb.randn(shape, dt)) as nb.Tensor).shape], dt);
    // the input gradient here; parameter gradients are compared above with nabla's own layers (themselves gradchecked)
    gradcheck(`imported ${name}`, (x) => (imp.forward(x) as nb.Tensor).mul(cot).sum(), [nb.randn(shape, dt)]);
  }
});
