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

test('a scope releases exactly what is left after disposals, keeps and a return, whatever their order', () => {
  // the scope's owners are an array with swap-removal: disposing from the middle, keep() and returning a
  // tensor must each leave the others in place (none released twice, none left over)
  const before = nb.memory();
  const made: nb.Tensor[] = [];
  let kept: nb.Tensor | null = null;
  const out = nb.scope(() => {
    for (let i = 0; i < 9; i++) made.push(nb.full([3], i));
    made[3]!.dispose(); // the last (8) moves into its slot
    made[8]!.dispose(); // from there: 7 moves in
    made[0]!.dispose(); // the first: 6 moves in
    kept = nb.keep(made[6]!); // found where it moved to, or the scope would release it
    made[4]!.dispose();
    const inner = nb.scope(() => made[7]!.add(100)); // made in an inner scope, moved out to this one
    made[2]!.dispose();
    return [made[5]!, inner];
  });
  assert.equal(nb.memory().tensors - before.tensors, 3, 'the kept tensor and the two returned ones are live');
  for (const i of [1, 7]) assert.throws(() => made[i]!.dataSync(), /already released/, `tensor ${i} was released with the scope`);
  assert.deepEqual(out[0]!.toArray(), [5, 5, 5]);
  assert.deepEqual(out[1]!.toArray(), [107, 107, 107]);
  assert.deepEqual(kept!.toArray(), [6, 6, 6]);
  for (const t of [...out, kept!]) t.dispose();
  assert.equal(nb.memory().tensors, before.tensors);
  assert.equal(nb.memory().bytes, before.bytes);
});
