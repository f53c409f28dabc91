// Module.to(dtype) / double() / float(): PyTorch's in-place cast of parameters, gradients and
// buffers — the Parameter objects stay (layers like LSTM and optimizers hold them), int buffers stay,
// and the cast model computes what a model built in that dtype computes. Expected values are the
// float64-built model's own (the same weights, the cast exact), or the casts' definition.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const { nn } = nb;

test('double(): the same Parameter objects become float64, with their values and gradients', () => {
  nb.manualSeed(1);
  const lin = new nn.Linear(3, 2);
  const w = lin.weight, before = Float64Array.from(w.dataSync());
  lin.forward(nb.ones([1, 3])).sum().backward();
  const grad = Float64Array.from(w.grad!.dataSync());
  assert.equal(lin.double(), lin);
  assert.equal(lin.weight, w, 'the Parameter object is kept');
  assert.equal(w.dtype, 'float64');
  assert.equal(w.grad!.dtype, 'float64');
  assert.deepEqual(Array.from(w.dataSync()), Array.from(before));
  assert.deepEqual(Array.from(w.grad!.dataSync()), Array.from(grad));
  assert.ok(w.requiresGrad && w.isLeaf);
  assert.equal(lin.forward(nb.ones([1, 3], { dtype: 'float64' })).dtype, 'float64');
  lin.float();
  assert.equal(w.dtype, 'float32');
  assert.deepEqual(Array.from(w.dataSync()), Array.from(before));
});

test('an optimizer made before double() steps the cast parameters (it holds the same objects)', () => {
  const lin = new nn.Linear(2, 1);
  const opt = new nb.optim.SGD(lin.parameters(), { lr: 0.5 });
  lin.double();
  const w0 = Float64Array.from(lin.weight.dataSync());
  opt.zeroGrad();
  const x = nb.tensor([[1, 2]], { dtype: 'float64' });
  lin.forward(x).sum().backward();
  opt.step();
  assert.equal(lin.weight.dtype, 'float64');
  // d(sum(x·Wᵀ + b))/dW = x, so W ← W − 0.5·x
  assert.deepEqual(Array.from(lin.weight.dataSync()), [w0[0]! - 0.5, w0[1]! - 1]);
});

test('LSTM and LSTMCell cast by double() compute what the float64-built layers compute', () => {
  nb.manualSeed(2);
  for (const [a, b, x, run] of [
    [new nn.LSTM(3, 4), new nn.LSTM(3, 4, { dtype: 'float64' }), nb.randn([5, 2, 3], { dtype: 'float64' }), (m: nb.nn.Module, x: nb.Tensor) => (m as nb.nn.LSTM).forward(x)[0]],
    [new nn.LSTMCell(3, 4), new nn.LSTMCell(3, 4, { dtype: 'float64' }), nb.randn([2, 3], { dtype: 'float64' }), (m: nb.nn.Module, x: nb.Tensor) => (m as nb.nn.LSTMCell).forward(x)[0]],
  ] as const) {
    b.loadStateDict(a.stateDict());
    a.double();
    const ya = run(a, x), yb = run(b, x);
    assert.equal(ya.dtype, 'float64');
    assert.deepEqual(Array.from(ya.dataSync()), Array.from(yb.dataSync()));
  }
});

test('buffers: float ones are cast, integer ones (num_batches_tracked) stay', () => {
  const bn = new nn.BatchNorm1d(3).double();
  const sd = bn.stateDict();
  assert.equal(sd['running_mean']!.dtype, 'float64');
  assert.equal(sd['running_var']!.dtype, 'float64');
  assert.equal(sd['num_batches_tracked']!.dtype, 'int32');
  bn.forward(nb.randn([4, 3], { dtype: 'float64' }));
  assert.equal(bn.stateDict()['running_mean']!.dtype, 'float64');
});

test('to(): cpu is accepted and moves nothing; other devices and non-float dtypes are refused by name', () => {
  const lin = new nn.Linear(2, 2);
  assert.equal(lin.to('cpu'), lin);
  assert.equal(lin.to({ device: 'cpu', dtype: 'float64' }).weight.dtype, 'float64');
  assert.throws(() => lin.to('cuda'), /Linear\.to: device 'cuda' is not available; tensors live in CPU memory \('cpu', on backend \w+\)/);
  assert.throws(() => lin.to('int32'), /Linear\.to: dtype must be float32 or float64 .*got int32/);
  assert.throws(() => lin.to({ dtype: 'float32', devise: 'cpu' } as never), /Linear\.to: unknown option 'devise'/);
});
