// The dispatcher every op call passes through: a tracer sees each op with its arguments, tensor
// inputs and outputs (and how deep inside another op it ran); fused rewrites keep the ops' values,
// also when a result a rewrite deferred is read in other ways.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { assertClose, TOL } from './helpers/allclose.js';

const backends = await testBackends();
after(closeBackends);

test('a tracer sees every op call: name, arguments, inputs, outputs and depth; null removes it', () => nb.scope(() => {
  nb.setBackend('wasm');
  const x = nb.randn([2, 3, 5, 5]), w = nb.randn([4, 3, 3, 3]), b = nb.randn([4]);
  const events: nb.TraceEvent[] = [];
  const prev = nb.setTracer((e) => events.push(e));
  let y: nb.Tensor;
  try {
    y = nb.F.relu(nb.F.conv2d(x, w, b, { padding: 1 })).sum();
  } finally {
    nb.setTracer(prev);
  }
  const top = events.filter((e) => e.depth === 0).map((e) => e.op);
  assert.deepEqual(top, ['conv2d', 'relu', 'sum'], 'the program\'s own calls, in order');
  const conv = events.find((e) => e.op === 'conv2d')!;
  assert.deepEqual(conv.inputs, [x, w, b]);
  assert.deepEqual(conv.args[3], { padding: 1 });
  assert.deepEqual(conv.outputs.map((t) => t.shape), [[2, 4, 5, 5]]);
  assert.ok(events.some((e) => e.op === 'conv2dBias' && e.depth === 1), 'conv2d\'s parts are seen one level down');
  assert.equal(events.find((e) => e.op === 'sum')!.outputs[0], y!);
  events.length = 0;
  nb.relu(x);
  assert.equal(events.length, 0, 'no events once the tracer is removed');
}));

test('a Sequential model\'s forward traces as its layers\' ops (what an exporter turns into nodes)', () => nb.scope(() => {
  nb.setBackend('wasm');
  nb.manualSeed(0);
  const model = new nb.nn.Sequential(new nb.nn.Linear(4, 8), new nb.nn.ReLU(), new nb.nn.Linear(8, 2), new nb.nn.Softmax(1));
  const ops: string[] = [];
  const prev = nb.setTracer((e) => { if (e.depth === 0) ops.push(e.op); });
  try {
    nb.noGrad(() => model.forward(nb.randn([3, 4])).dataSync());
  } finally {
    nb.setTracer(prev);
  }
  assert.deepEqual(ops, ['linear', 'relu', 'linear', 'softmax']);
}));

for (const backend of backends) {
  test(`a conv2d result a ReLU folded into is still right when read afterwards, and both orders agree (${backend})`, () => nb.scope(() => {
    nb.setBackend(backend);
    nb.manualSeed(2);
    const x = nb.randn([2, 3, 6, 6]), w = nb.randn([5, 3, 3, 3]), b = nb.randn([5]);
    const want = nb.F.conv2d(x, w, b).add(0); // read at once: nothing is deferred past it
    const y = nb.F.conv2d(x, w, b);
    const r = nb.F.relu(y);
    assertClose('relu first', r.dataSync(), want.relu().dataSync(), r.shape, TOL.float32);
    assertClose('then the conv itself', y.dataSync(), want.dataSync(), y.shape, TOL.float32);
    const y2 = nb.F.conv2d(x, w, b);
    const r2 = nb.F.relu(y2);
    assertClose('conv first', y2.dataSync(), want.dataSync(), y2.shape, TOL.float32);
    assertClose('then the ReLU', r2.dataSync(), want.relu().dataSync(), r2.shape, TOL.float32);
  }));

  test(`a deferred result disposed unread holds nothing; memory stays flat (${backend})`, () => {
    nb.setBackend(backend);
    const x = nb.keep(nb.randn([2, 3, 6, 6])), w = nb.keep(nb.randn([5, 3, 3, 3])), b = nb.keep(nb.randn([5]));
    const before = nb.memory();
    for (let i = 0; i < 5; i++) nb.scope(() => { nb.F.relu(nb.F.conv2d(x, w, b)); });
    nb.scope(() => { nb.F.relu(nb.F.conv2d(x, w, b)).sum().item(); });
    const after = nb.memory();
    assert.equal(after.tensors, before.tensors);
    assert.equal(after.backends[backend]!.storages, before.backends[backend]!.storages);
    for (const t of [x, w, b]) t.dispose();
  });
}

test('every op is defined once: its definition is what runs without a rewrite', () => {
  assert.equal(typeof nb.conv2d.definition, 'function');
  assert.equal(nb.atan2.opName, 'atan2');
  const x = nb.tensor([1, 2, 3]);
  assert.deepEqual(nb.exp.definition(x).dataSync(), nb.exp(x).dataSync());
});
