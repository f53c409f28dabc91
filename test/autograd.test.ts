// Autograd behaviour: accumulation, detach, noGrad, retainGraph, createGraph, grad/valueAndGrad,
// and a 100,000-op chain (the walk is iterative). Expected values are calculus in comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const f64 = (v: number[] | number) => nb.tensor(v, { dtype: 'float64', requiresGrad: true });

test('gradients accumulate into leaves across backward calls', () => {
  const x = f64([1, 2, 3]);
  x.mul(x).sum().backward(); // d/dx Σx² = 2x
  x.mul(3).sum().backward(); // + 3
  assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
});

test('a tensor used twice gets both contributions', () => {
  const x = f64(2);
  const y = x.mul(x).add(x.exp()); // dy/dx = 2x + e^x
  y.backward();
  assert.ok(Math.abs(x.grad!.item() - (4 + Math.exp(2))) < 1e-12);
});

test('detach and noGrad stop gradients', () => {
  const x = f64([1, 2]);
  const y = x.detach().mul(2).add(x).sum(); // only the second term depends on x: dy/dx = 1
  y.backward();
  assert.deepEqual(x.grad!.toArray(), [1, 1]);
  const z = nb.noGrad(() => x.mul(5));
  assert.equal(z.requiresGrad, false);
  assert.throws(() => z.sum().backward(), /does not require grad/);
});

test('backward on a non-scalar needs a gradient', () => {
  const x = f64([1, 2]);
  const y = x.mul(2);
  assert.throws(() => y.backward(), /only for scalar outputs.*shape \[2\]/);
  y.backward(nb.tensor([1, 10], { dtype: 'float64' })); // dy/dx · v = 2v
  assert.deepEqual(x.grad!.toArray(), [2, 20]);
});

test('a second backward through a freed graph explains retainGraph', () => {
  const x = f64(3);
  const y = x.mul(x);
  y.backward(null, { retainGraph: true });
  y.backward(); // allowed: graph retained; grad = 6 + 6
  assert.equal(x.grad!.item(), 12);
  const z = x.exp().mul(2);
  z.backward();
  assert.throws(() => z.backward(), /retainGraph/);
});

test('createGraph gives gradients of gradients', () => {
  // f = x³ → f' = 3x², f'' = 6x; at x = 2: 12 and 12.
  const x = f64(2);
  const [g] = nb.grad((t: nb.Tensor) => t.pow(3), { createGraph: true })(x);
  assert.equal(g!.item(), 12);
  g!.backward();
  assert.equal(x.grad!.item(), 12);
});

test('second order through tanh via backward(createGraph)', () => {
  // f = tanh(x): f' = 1 - tanh², f'' = -2 tanh (1 - tanh²)
  const x = f64(0.5);
  const y = x.tanh();
  y.backward(null, { createGraph: true });
  const g1 = x.grad!;
  const th = Math.tanh(0.5);
  assert.ok(Math.abs(g1.item() - (1 - th * th)) < 1e-12);
  x.grad = null;
  g1.backward();
  assert.ok(Math.abs(x.grad!.item() - -2 * th * (1 - th * th)) < 1e-12);
});

test('valueAndGrad with argnums', () => {
  // f(a, b) = Σ a·b → df/db = a
  const a = nb.tensor([1, 2], { dtype: 'float64' });
  const b = nb.tensor([3, 4], { dtype: 'float64' });
  const { value, grads } = nb.valueAndGrad((p, q) => p!.mul(q!).sum(), { argnums: 1 })(a, b);
  assert.equal(value.item(), 11);
  assert.deepEqual(grads[0]!.toArray(), [1, 2]);
});

test('backprop through a chain of 100,000 ops does not overflow the stack', () => {
  // y = x + 1e-6 + 1e-6 + … (100,000 adds, then ×1): dy/dx = 1
  const x = nb.tensor(1, { dtype: 'float32', requiresGrad: true });
  let y = x;
  nb.scope(() => {
    for (let i = 0; i < 100000; i++) y = y.add(1e-6);
    y.backward();
  });
  assert.equal(x.grad!.item(), 1);
});

test('leaf requiresGrad on an int tensor is refused', () => {
  assert.throws(() => nb.tensor([1, 2]).requiresGrad_(), /floating-point/);
});

test("retainGrad keeps a non-leaf's gradient as PyTorch's retain_grad does (accumulating over backward calls)", () => {
  const y = nb.tensor([1, -2, 3], { dtype: 'float32', requiresGrad: true });
  const z = y.mul(2);
  assert.equal(z.retainGrad(), z);
  const w = z.mul(z).sum(); // dw/dz = 2z = 4y
  w.backward({ retainGraph: true });
  assert.deepEqual(Array.from(z.grad!.dataSync()), [4, -8, 12]);
  assert.deepEqual(Array.from(y.grad!.dataSync()), [8, -16, 24]); // dw/dy = 8y
  w.backward();
  assert.deepEqual(Array.from(z.grad!.dataSync()), [8, -16, 24], 'a second backward adds to .grad');
  const u = y.mul(3);
  assert.equal(u.grad, null, 'without retainGrad a non-leaf keeps no gradient');
  u.sum().backward();
  assert.equal(u.grad, null);
  assert.equal(y.retainGrad(), y, 'on a leaf: nothing to do');
  assert.throws(() => nb.tensor([1]).retainGrad(), /retainGrad: this tensor does not require grad/);
  assert.throws(() => y.sum().backward('yes' as never), /backward: the first argument is the output's gradient \(a tensor\) or the options/);
});
