// Memory is not the user's job: scope, keep, dispose, `using`, released-tensor errors, and a
// 10,000-step training loop that leaves memory() where it started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

test('scope frees what it created except what it returns', () => {
  const before = nb.memory();
  const kept = nb.scope(() => {
    const a = nb.ones(10);
    const b = a.mul(2);
    return { b, list: [a.add(1)] };
  });
  const after = nb.memory();
  assert.equal(after.tensors - before.tensors, 2);
  assert.deepEqual(kept.b.toArray(), Array(10).fill(2));
  kept.b.dispose();
  kept.list[0]!.dispose();
  assert.equal(nb.memory().tensors, before.tensors);
  assert.equal(nb.memory().bytes, before.bytes);
});

test('reading a released tensor says so and names keep()', () => {
  const t = nb.scope(() => {
    const x = nb.ones(3);
    nb.scope(() => x.mul(2)); // inner result discarded
    return null;
  });
  void t;
  const x = nb.ones(2);
  x.dispose();
  assert.throws(() => x.dataSync(), /already released.*nb\.keep/s);
  assert.throws(() => x.add(1), /already released/);
});

test('using disposes at the end of the block', () => {
  const before = nb.memory().tensors;
  {
    using a = nb.ones(4);
    assert.equal(a.sum().item(), 4);
  }
  // a is gone; the sum() result is still live until disposed
  assert.equal(nb.memory().tensors, before + 1);
});

test('a 10,000-step training loop inside scope leaves memory where it started', () => {
  nb.manualSeed(0);
  const w = nb.keep(nb.randn(8, 4).requiresGrad_());
  const b = nb.keep(nb.zeros(4).requiresGrad_());
  const x = nb.keep(nb.randn(16, 8));
  const y = nb.keep(nb.randn(16, 4));
  const step = (): number =>
    nb.scope(() => {
      const pred = x.matmul(w).add(b).relu();
      const loss = pred.sub(y).square().mean();
      loss.backward();
      nb.noGrad(() => {
        for (const p of [w, b]) {
          p._assign(p.sub(p.grad!.mul(0.01)));
          p.grad!.dispose();
          p.grad = null;
        }
      });
      return loss.item();
    });
  const first = step();
  const start = nb.memory();
  let last = first;
  for (let i = 0; i < 10000; i++) last = step();
  const end = nb.memory();
  assert.equal(end.tensors, start.tensors, 'live tensor count changed');
  assert.equal(end.bytes, start.bytes, 'live bytes changed');
  assert.ok(last < first, `loss should fall (${first} → ${last})`);
});

test('a forward pass that is never backpropagated frees its graph with the scope', () => {
  const w = nb.keep(nb.randn(5, 5).requiresGrad_());
  const start = nb.memory();
  for (let i = 0; i < 100; i++) nb.scope(() => { w.matmul(w).tanh().sum(); });
  assert.deepEqual(nb.memory(), start);
});
