// Bad ONNX input gets clear errors, never a crash or hang: unsupported operators listed by name and
// count before anything runs, unknown attributes, wrong inputs, and a bounded fuzz of mutated files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import * as onnx from '../src/io/onnx/index.js';
import { decodeModel, encodeModel, type OnnxModel } from '../src/io/onnx/proto.js';

const { nn } = nb;
const fixture = (f: string): Uint8Array => readFileSync(new URL(`../fixtures/onnx/${f}`, import.meta.url));

function withNodes(m: OnnxModel, f: (m: OnnxModel) => void): Uint8Array {
  const c = structuredClone(m);
  f(c);
  return encodeModel(c);
}

test('unsupported operators are listed by name and count before anything runs', () => {
  const m = decodeModel(fixture('linear.onnx'));
  const bytes = withNodes(m, (c) => {
    c.graph.nodes.push({ name: 'a', opType: 'NonMaxSuppression', domain: '', inputs: [c.graph.outputs[0]!.name], outputs: ['z1'], attrs: {} });
    c.graph.nodes.push({ name: 'b', opType: 'NonMaxSuppression', domain: '', inputs: ['z1'], outputs: ['z2'], attrs: {} });
    c.graph.nodes.push({ name: 'c', opType: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', inputs: ['z2'], outputs: ['z3'], attrs: {} });
    c.graph.outputs = [{ name: 'z3', dtype: 'float32', shape: null }];
  });
  assert.throws(() => onnx.importModel(bytes), /2 operator type\(s\) are not supported: NonMaxSuppression ×2, ai\.onnx\.ml\.TreeEnsembleClassifier ×1/);
});

test('an attribute the importer does not understand is an error naming the node', () => {
  const m = decodeModel(fixture('linear.onnx'));
  const bytes = withNodes(m, (c) => { c.graph.nodes.find((n) => n.opType === 'Gemm')!.attrs.unknownThing = { type: 'int', value: 1 }; });
  assert.throws(() => onnx.importModel(bytes), /node \d+ \(Gemm '[^']*'\): attribute 'unknownThing' is not understood/);
});

test('an unsorted graph, an old opset and a missing output are named', () => {
  const m = decodeModel(fixture('linear.onnx'));
  assert.throws(() => onnx.importModel(withNodes(m, (c) => c.graph.nodes.reverse())), /is not produced by an earlier node.*topologically sorted/);
  assert.throws(() => onnx.importModel(withNodes(m, (c) => { c.opsets = [{ domain: '', version: 9 }]; })), /opset 9 is not supported \(13 to 20 are/);
  assert.throws(() => onnx.importModel(fixture('linear.onnx'), { outputs: ['nope'] }), /output 'nope' is not a value of the graph/);
});

test('wrong inputs to an imported model say which input and what was expected', () => {
  const imp = onnx.importModel(fixture('linear.onnx'));
  assert.throws(() => imp.forward(nb.randn([2, 5])), /input 0 'input': expected shape \[batch, 6\], got \[2, 5\]/);
  assert.throws(() => imp.forward(nb.randn([2, 6], { dtype: 'float64' })), /input 0 'input': expected float32, got float64/);
  assert.throws(() => imp.forward(), /takes 1 input\(s\) \(input\), got 0/);
});

test('export: unknown options, an op without a mapping, an untraced tensor, and returnIndices are errors', () => {
  const lin = new nn.Linear(3, 2);
  assert.throws(() => onnx.exportModel(lin, nb.randn([1, 3]), { opset: 13 }), /opset must be 17, 18, 19 or 20, got 13/);
  assert.throws(() => onnx.exportModel(lin, nb.randn([1, 3]), { dynamic: true } as never), /unknown option 'dynamic'/);
  const seq = new nn.Sequential(new nn.Linear(3, 2), new nn.MaxPool1d(2, { returnIndices: true }));
  assert.throws(() => onnx.exportModel(seq, nb.randn([1, 1, 3])), /module '1' \(MaxPool1d\): returnIndices has no ONNX mapping/);
  // ops a forward calls are traced; one without an ONNX mapping is named, with the module that called it
  class Custom extends nn.Module { lin = new nn.Linear(3, 3); override forward(x: nb.Tensor) { return nb.cumsum(this.lin.forward(x).exp(), 1); } }
  assert.throws(() => onnx.exportModel(new Custom(), nb.randn([2, 3])), /op 'cumsum' in the forward of '\(root\)' \(Custom\) has no ONNX mapping/);
  // a tensor computed before the export (the trace never saw its op) is refused, not baked in
  const early = lin.forward(nb.randn([2, 3]));
  class UsesEarly extends nn.Module { lin = lin; override forward(x: nb.Tensor) { return this.lin.forward(x).add(early); } }
  assert.throws(() => onnx.exportModel(new UsesEarly(), nb.randn([2, 3]), { dynamicAxes: false }), /op 'add' gets a tensor 2×2 computed by op '\w+' in the forward of '\(root\)' \(UsesEarly\), which the trace did not see/);
});

test('truncated, empty and non-ONNX bytes fail with a message', () => {
  const good = fixture('cnn.onnx');
  assert.throws(() => onnx.importModel(new Uint8Array(0)), /the file is empty/);
  assert.throws(() => onnx.importModel(good.subarray(0, good.length >> 1), { name: 'cnn-half.onnx' }), /importModel cnn-half\.onnx|onnx cnn-half\.onnx/);
  assert.throws(() => onnx.importModel(new TextEncoder().encode('{"not": "onnx"}')), /onnx/);
});

/** A small deterministic generator (xorshift), so a failure reproduces from the printed case number. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

test('fuzz: mutated ONNX files give errors or a working model, never a crash or a hang (bounded)', () => {
  const seeds = ['linear.onnx', 'conv2d.onnx', 'lstm.onnx', 'cnn.onnx'].map(fixture);
  const rand = rng(1818);
  const N = Number(process.env.NABLA_FUZZ_CASES ?? 400);
  let errors = 0, loaded = 0;
  const t0 = Date.now();
  for (let i = 0; i < N; i++) {
    const src = seeds[i % seeds.length]!;
    const b = src.slice();
    const kind = Math.floor(rand() * 4);
    const flips = 1 + Math.floor(rand() * 8);
    if (kind === 0) for (let k = 0; k < flips; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    else if (kind === 1) for (let k = 0; k < flips; k++) b[Math.floor(rand() * b.length)]! ^= 1 << Math.floor(rand() * 8);
    const bytes = kind === 2 ? b.subarray(0, Math.floor(rand() * b.length)) : kind === 3 ? Uint8Array.from([...b.subarray(0, 64), ...b]) : b;
    const started = Date.now();
    try {
      const m = onnx.importModel(bytes);
      loaded++;
      // a mutated model that still loads must run or fail with an Error, too
      try { nb.scope(() => nb.noGrad(() => m.forward(...m.inputs.map((v) => nb.zeros((v.shape ?? [1]).map((d) => (typeof d === 'number' ? Math.min(d, 64) : 2)), { dtype: v.dtype === 'int64' || v.dtype === 'int32' ? 'int32' : v.dtype === 'float64' ? 'float64' : 'float32' }))))); } catch (e) { assert.ok(e instanceof Error, `case ${i}: forward threw a non-Error`); }
    } catch (e) {
      assert.ok(e instanceof Error, `case ${i}: threw a non-Error ${String(e)}`);
      assert.ok(e.message.length > 0 && !/^undefined|Cannot read properties/.test(e.message), `case ${i}: unhelpful error: ${e.message}`);
      errors++;
    }
    assert.ok(Date.now() - started < 5000, `case ${i}: took ${Date.now() - started} ms`);
  }
  assert.equal(errors + loaded, N);
  assert.ok(errors > N / 4, `most mutations are caught (${errors} errors of ${N})`);
  assert.ok(Date.now() - t0 < 120_000, 'the bounded run stays short');
});
