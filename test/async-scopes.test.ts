// Scopes that belong to their async context (issue 11, finding 3): nb.scope(async fn), and two
// DataLoader training loops plus a third task interleaving awaits — each result bit-identical to
// running alone, no error, memory flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { scopesPerAsyncContext } from '../src/tensor/memory.js';

const { nn, optim, F, data } = nb;
// memory() lists the started backends: start them before the first snapshot is taken
await nb.ready();
const tick = () => new Promise<void>((r) => setImmediate(r));

test('Node tracks scopes per async context', () => {
  assert.equal(scopesPerAsyncContext(), true);
});

test('nb.scope(async fn) frees what fn created before and after its awaits, except the result', async () => {
  const before = nb.memory();
  const out = await nb.scope(async () => {
    const a = nb.ones([100]);
    await tick();
    const b = a.mul(2);
    await tick();
    const c = b.add(a);
    await tick();
    return { c, n: c.sum().item() };
  });
  assert.equal(out.n, 300);
  assert.equal(nb.memory().tensors, before.tensors + 1, 'only the returned tensor is live');
  assert.deepEqual(out.c.toArray(), Array(100).fill(3));
  out.c.dispose();
  assert.deepEqual(nb.memory(), before);
});

test('nb.scope(async fn) that throws frees its tensors and rethrows', async () => {
  const before = nb.memory();
  await assert.rejects(nb.scope(async () => {
    nb.ones([10]);
    await tick();
    nb.ones([10]).mul(3);
    throw new Error('boom');
  }), /boom/);
  assert.deepEqual(nb.memory(), before);
});

test('two async scopes interleaving awaits free only their own tensors', async () => {
  const before = nb.memory();
  const task = (k: number) => nb.scope(async () => {
    const held = nb.full([50], k); // held across every await below
    let s = 0;
    for (let i = 0; i < 20; i++) {
      await tick();
      const t = held.add(i);
      await (i % 3 === 0 ? tick() : Promise.resolve());
      s += t.sum().item();
    }
    return s + held.sum().item();
  });
  const [a, b] = await Promise.all([task(1), task(2)]);
  const expect = (k: number) => 20 * 50 * k + 50 * (19 * 20) / 2 + 50 * k;
  assert.equal(a, expect(1));
  assert.equal(b, expect(2));
  assert.deepEqual(nb.memory(), before);
});

// ---- the bar: two DataLoader training loops and a third task ----

function makeRun(seed: number) {
  nb.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 1));
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  const X = nb.keep(nb.randn([96, 8])), Y = nb.keep(nb.randn([96, 1]));
  const ds = { length: 96, get: (i: number) => [X.index(i), Y.index(i)] as [nb.Tensor, nb.Tensor] };
  const loader = new data.DataLoader(ds, { batchSize: 16, shuffle: true, seed });
  return {
    async train(interleave: boolean): Promise<{ losses: number[]; live: number[] }> {
      const losses: number[] = [], live: number[] = [];
      for (let epoch = 0; epoch < 3; epoch++) {
        for await (const [x, y] of loader as AsyncIterable<[nb.Tensor, nb.Tensor]>) {
          const out = model.forward(x) as nb.Tensor;
          if (interleave) await tick(); // inside the step, between forward and backward
          const loss = F.mseLoss(out, y);
          opt.zeroGrad();
          loss.backward();
          if (interleave) await tick();
          opt.step();
          losses.push(loss.item());
          live.push(nb.memory().tensors);
          if (interleave) await tick(); // and at the end of the step
        }
      }
      return { losses, live };
    },
    dispose() {
      for (const t of [X, Y, ...model.parameters()]) t.dispose();
      opt.dispose();
    },
  };
}

test('two DataLoader training loops and a third task interleave awaits: same numbers as alone, no error, memory flat', async () => {
  const before = nb.memory();
  const alone = [];
  for (const seed of [11, 12]) {
    const r = makeRun(seed);
    alone.push((await r.train(false)).losses);
    r.dispose();
  }
  assert.deepEqual(nb.memory(), before, 'a run alone leaves nothing behind');

  const r1 = makeRun(11), r2 = makeRun(12);
  const start = nb.memory();
  // the third task holds a tensor made outside any scope across every await, as another model or a
  // UI task would; the old global scope stack freed it at a loader's step
  const third = async () => {
    const held = nb.arange(0, 10, 1, { dtype: 'float32' });
    let s = 0;
    for (let i = 0; i < 60; i++) {
      await tick();
      s += await nb.scope(async () => {
        const t = held.mul(2);
        await tick();
        return t.sum().item();
      });
    }
    held.dispose();
    return s;
  };
  const [a, b, c] = await Promise.all([r1.train(true), r2.train(true), third()]);
  assert.deepEqual(a.losses, alone[0], 'loop 1 differs from running alone');
  assert.deepEqual(b.losses, alone[1], 'loop 2 differs from running alone');
  assert.equal(c, 60 * 90);
  // flat while running: live tensors move within a band of a few steps' batches and outputs
  const live = [...a.live, ...b.live];
  const band = Math.max(...live.slice(6)) - Math.min(...live.slice(6));
  assert.ok(band <= 60, `live tensors varied by ${band}`);
  assert.ok(Math.max(...a.live.slice(-6)) <= Math.max(...a.live.slice(0, 12)) + 30, 'live tensors grew over the run');
  r1.dispose(); r2.dispose();
  // and nothing is left behind once the models are gone (the last steps' outputs go at the next boundaries)
  assert.ok(nb.memory().tensors - start.tensors <= 20, `${nb.memory().tensors - start.tensors} tensors left`);
});

test('a loop that breaks out of a step leaves no step scope current: later tensors are the caller\'s', async () => {
  const ds = { length: 8, get: (i: number) => nb.full([2], i) };
  const loader = new data.DataLoader(ds, { batchSize: 2 });
  let fromStep: nb.Tensor | null = null;
  for await (const batch of loader as AsyncIterable<nb.Tensor>) {
    fromStep = batch.mul(2);
    await tick();
    break;
  }
  assert.ok(fromStep!.isDisposed, 'the step\'s tensors were freed when the loop broke');
  const after = nb.ones([3]);
  await tick();
  assert.deepEqual(after.toArray(), [1, 1, 1]);
  after.dispose();
});

test('a synchronous for…of over a DataLoader in concurrent tasks: each task inside nb.scope(async …) keeps its own steps', async () => {
  // The sync iterator enters its first step scope in the turn the tasks share; nb.scope(async fn)
  // runs each task's first turn in its own context (for await needs no wrapper: its step scope is
  // entered after its own await).
  const task = async (k: number): Promise<number> => {
    const held = nb.full([4], k); // made before the loop, held across the awaits below
    const loader = new data.DataLoader({ length: 32, get: (i: number) => nb.full([2], i) }, { batchSize: 4 });
    let s = 0;
    for (const b of loader as Iterable<nb.Tensor>) {
      s += b.sum().item();
      await tick();
      s += held.sum().item();
    }
    return s;
  };
  const before = nb.memory().tensors;
  const sums = await Promise.all([1, 2, 3].map((k) => nb.scope(() => task(k))));
  assert.deepEqual(sums, [1, 2, 3].map((k) => 2 * (31 * 32) / 2 + 8 * 4 * k));
  assert.equal(nb.memory().tensors, before);
});
