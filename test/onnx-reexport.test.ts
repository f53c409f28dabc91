// Imported models go out again: every PyTorch export (scripts/gen_onnx_fixtures.py) imported, then
// exported by exportModel, passes onnx.checker and gives PyTorch's outputs in ONNX Runtime at both batch
// sizes; a new head on imported features exports whole; splitWeights + importModel({weights}) is the
// same model as the file (how the CLI keeps an imported graph apart from its checkpoint's weights).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { assertClose } from './helpers/allclose.js';
import { hasOnnxPython, onnxCheck, ortRun } from './helpers/onnx.js';

const { nn, onnx } = nb;

interface FxT { shape: number[]; dtype: 'float32' | 'int32'; data: number[] }
interface Case { name: string; file: string; runs: { input: FxT; outputs: FxT[] }[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/onnx/torch.json', import.meta.url), 'utf8')) as { cases: Case[] };
const bytesOf = (file: string): Uint8Array => readFileSync(new URL(`../fixtures/onnx/${file}`, import.meta.url));
const toT = (f: FxT): nb.Tensor => nb.tensor(f.dtype === 'int32' ? Int32Array.from(f.data) : Float32Array.from(f.data), { shape: f.shape, dtype: f.dtype });
const outs = (y: unknown): nb.Tensor[] => (Array.isArray(y) ? y : [y]) as nb.Tensor[];

test('PyTorch exports, imported and exported again: onnx.checker, and PyTorch\'s outputs in ONNX Runtime', async () => {
  for (const c of fx.cases) {
    const m = onnx.importModel(bytesOf(c.file), { name: c.file });
    const bytes = onnx.exportModel(m, toT(c.runs[0]!.input));
    if (hasOnnxPython) assert.equal(onnxCheck(bytes), '', `${c.name}: onnx.checker`);
    const g = onnx.decodeModel(bytes).graph;
    // The weights keep PyTorch's names.
    assert.deepEqual(g.initializers.filter((t) => t.dtype === 'float32').map((t) => t.name).sort(), Object.keys(m.stateDict()).sort(), c.name);
    for (const run of c.runs) {
      const got = await ortRun(bytes, [toT(run.input)]);
      assert.equal(got.length, run.outputs.length, `${c.name}: outputs`);
      run.outputs.forEach((want, i) => {
        assert.deepEqual(got[i]!.dims, want.shape, `${c.name} output ${i} shape (batch ${run.input.shape[0]})`);
        assertClose(`${c.name} output ${i} (batch ${run.input.shape[0]})`, got[i]!.data, want.data, want.shape, { rtol: 1e-4, atol: 1e-5 });
      });
    }
  }
});

test('a new head on imported features (frozen or not) exports as one graph with the current weights', async () => {
  nb.manualSeed(3);
  const file = bytesOf('fmnist-cnn-0to4.onnx');
  const head = onnx.findHeadInput(file);
  const features = onnx.importModel(file, { outputs: [head.value] });
  features.requiresGrad_(false);
  const model = new nn.Sequential(features, new nn.Linear(head.features, 10));
  const x = nb.randn([3, 1, 28, 28]);
  const bytes = onnx.exportModel(model, x);
  if (hasOnnxPython) assert.equal(onnxCheck(bytes), '', 'onnx.checker');
  const g = onnx.decodeModel(bytes).graph;
  assert.deepEqual(g.initializers.map((t) => t.name), ['0.features.0.weight', '0.features.0.bias', '0.features.3.weight', '0.features.3.bias', '1.weight', '1.bias']);
  assert.ok(!g.nodes.some((n) => n.inputs.includes('classifier.weight')), 'the old head is not in the graph');
  model.eval();
  for (const n of [2, 5]) {
    const xi = nb.randn([n, 1, 28, 28]);
    const want = nb.noGrad(() => model.forward(xi) as nb.Tensor);
    const [got] = await ortRun(bytes, [xi]);
    assert.deepEqual(got!.dims, [n, 10]);
    assertClose(`batch ${n}`, got!.data, want.dataSync(), want.shape, { rtol: 1e-5, atol: 1e-5 });
  }
});

test('an imported opset-17 graph exports at opset 18: ReduceMean\'s axes move from attribute to input', async () => {
  nb.manualSeed(4);
  const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
  class Call extends nn.Module {
    constructor(readonly inner: nb.nn.Module) { super(); }
    override forward(x: nb.Tensor): unknown { return this.inner.forward(x, x, x); }
  }
  const x = nb.randn([2, 5, 8]);
  const at17 = onnx.exportModel(new Call(mha), x);
  const imported = onnx.importModel(at17);
  assert.ok(imported.nodes.some((n) => n.opType === 'ReduceMean' && n.attrs.axes), 'opset 17 ReduceMean has axes as an attribute');
  const at18 = onnx.exportModel(imported, x, { opset: 18 });
  // (Debian's onnx 1.12 checks up to opset 17: ONNX Runtime is the check here.)
  const rm = onnx.decodeModel(at18).graph.nodes.find((n) => n.opType === 'ReduceMean')!;
  assert.equal(rm.attrs.axes, undefined);
  assert.equal(rm.inputs.length, 2);
  const want = nb.noGrad(() => outs(imported.forward(x)));
  const got = await ortRun(at18, [x]);
  want.forEach((w, i) => assertClose(`output ${i}`, got[i]!.data, w.dataSync(), w.shape, { rtol: 1e-5, atol: 1e-6 }));
  assert.throws(() => onnx.exportModel(onnx.importModel(at18), x, { opset: 17 }), /module '\(root\)' \(OnnxModule\): was imported at opset 18; export with opset 18 or newer/);
});

test('splitWeights: the graph without its float weights, joined again by importModel({weights})', () => {
  for (const file of ['cnn.onnx', 'norms.onnx', 'lstm_lm.onnx', 'fmnist-cnn-0to4.onnx']) {
    const bytes = bytesOf(file);
    const whole = onnx.importModel(bytes);
    const { graph, weights } = onnx.splitWeights(bytes);
    const g = onnx.decodeModel(graph).graph;
    assert.ok(!g.initializers.some((t) => t.dtype === 'float32'), `${file}: no float initializer is left`);
    const weightBytes = Object.values(weights).reduce((a, t) => a + 4 * t.numel(), 0);
    assert.ok(graph.length < bytes.length - weightBytes + 64 * Object.keys(weights).length, `${file}: the graph (${graph.length} bytes) holds no weights (${weightBytes} bytes of ${bytes.length})`);
    const sd = whole.stateDict();
    assert.deepEqual(Object.keys(weights).sort(), Object.keys(sd).sort(), file);
    const joined = onnx.importModel(graph, { weights });
    assert.deepEqual(joined.namedParameters().map(([k]) => k), whole.namedParameters().map(([k]) => k), `${file}: the same parameters`);
    assert.deepEqual(joined.namedBuffers().map(([k]) => k), whole.namedBuffers().map(([k]) => k), `${file}: the same buffers`);
    assert.deepEqual(joined.inputs.map((v) => v.name), whole.inputs.map((v) => v.name), `${file}: the weights are not inputs`);
    const c = fx.cases.find((k) => k.file === file);
    const x = c ? toT(c.runs[1]!.input) : nb.randn([5, 1, 28, 28]);
    const a = nb.noGrad(() => outs(whole.forward(x))), b = nb.noGrad(() => outs(joined.forward(x)));
    a.forEach((t, i) => assert.deepEqual(b[i]!.dataSync(), t.dataSync(), `${file}: output ${i}`));
    // The module owns copies: disposing the given tensors leaves it working.
    for (const t of Object.values(weights)) t.dispose();
    nb.noGrad(() => joined.forward(x));
  }
  // The cut graph asks only for the inputs it needs (not the old head's weights).
  const { graph } = onnx.splitWeights(bytesOf('fmnist-cnn-0to4.onnx'));
  const head = onnx.findHeadInput(bytesOf('fmnist-cnn-0to4.onnx'));
  const w = onnx.splitWeights(bytesOf('fmnist-cnn-0to4.onnx')).weights;
  const cut = onnx.importModel(graph, { outputs: [head.value], weights: Object.fromEntries(Object.entries(w).filter(([k]) => k.startsWith('features.'))) });
  assert.deepEqual(cut.inputs.map((v) => v.name), ['input']);
  assert.throws(() => onnx.importModel(graph, { weights: { nope: nb.zeros([1]) } }), /weights names 'nope', which is not a graph input/);
  assert.throws(() => onnx.importModel(graph, { weights: { 'features.0.bias': nb.zeros([3]) } }), /weights 'features\.0\.bias' is float32 \[3\], the graph input is float32 \[16\]/);
});
