// DataLoader and datasets: batching, dropLast, collate, seeded shuffle, randomSplit, async
// datasets with prefetch, and the step scope (a hand-written training loop holds memory flat).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import {
  DataLoader, TensorDataset, ArrayDataset, Subset, randomSplit, defaultCollate, withTransform, type Dataset,
} from '../src/data/index.js';
import * as nn from '../src/nn/index.js';
import * as optim from '../src/optim/index.js';
import { crossEntropy } from '../src/nn/loss.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A dataset of 10 rows: x[i] = [i, 10 + i], y[i] = i % 3. */
function tenRows(): TensorDataset {
  const x = new Float32Array(20);
  for (let i = 0; i < 10; i++) { x[2 * i] = i; x[2 * i + 1] = 10 + i; }
  return new TensorDataset({ data: x, shape: [10, 2] }, { data: Int32Array.from(range(10), (i) => i % 3), shape: [10] });
}

test('TensorDataset: get(i) gives the rows; batches keep their order and shapes', () => {
  const ds = tenRows();
  assert.equal(ds.length, 10);
  const [x3, y3] = ds.get(3);
  assert.deepEqual(x3!.toArray(), [3, 13]);
  assert.equal(y3!.item(), 0);
  assert.equal(y3!.dtype, 'int32');
  nb.scope(() => {
    const cases: [number, boolean, number[]][] = [
      // batchSize, dropLast, expected batch sizes (10 samples)
      [4, false, [4, 4, 2]],
      [4, true, [4, 4]],
      [5, true, [5, 5]],
      [1, false, Array(10).fill(1)],
      [32, false, [10]],
      [32, true, []],
    ];
    for (const [batchSize, dropLast, sizes] of cases) {
      const loader = new DataLoader(ds, { batchSize, dropLast });
      assert.equal(loader.length, sizes.length, `length for ${batchSize}/${dropLast}`);
      const seen: number[][] = [];
      const got: number[] = [];
      for (const [x, y] of loader) {
        got.push(x!.shape[0]!);
        assert.deepEqual(x!.shape.slice(1), [2]);
        assert.equal(x!.dtype, 'float32');
        assert.deepEqual(y!.shape, [x!.shape[0]]);
        seen.push((x!.toArray() as number[][]).map((r) => r[0]!));
      }
      assert.deepEqual(got, sizes, `sizes for ${batchSize}/${dropLast}`);
      assert.deepEqual(seen.flat(), range(sizes.reduce((a, b) => a + b, 0)));
    }
  });
});

test('TensorDataset: bad columns are refused with the column named', () => {
  assert.throws(() => new TensorDataset(), /at least one/);
  assert.throws(() => new TensorDataset({ data: new Float32Array(6), shape: [3, 2] }, { data: new Int32Array(4), shape: [4] }), /column 1 has 4 samples, column 0 has 3/);
  assert.throws(() => new TensorDataset({ data: new Float32Array(5), shape: [3, 2] }), /column 0 has shape \[3, 2\] but 5 elements/);
  assert.throws(() => tenRows().get(10), /index 10 is out of range for 10 samples/);
  assert.throws(() => new DataLoader(tenRows(), { batchSize: 0 }), /batchSize must be a positive integer/);
});

test('default collate stacks tensors, typed arrays, {data, shape} arrays and numbers; nests through arrays and objects', () => {
  nb.scope(() => {
    const b = defaultCollate([
      { img: { data: new Float32Array([1, 2, 3, 4]), shape: [1, 2, 2] }, label: 3, w: 0.5, t: nb.tensor([1, 2]), v: new Float64Array([7]) },
      { img: { data: new Float32Array([5, 6, 7, 8]), shape: [1, 2, 2] }, label: 1, w: 1, t: nb.tensor([3, 4]), v: new Float64Array([9]) },
    ]);
    assert.deepEqual(b.img.shape, [2, 1, 2, 2]);
    assert.deepEqual(b.img.toArray(), [[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]]]);
    assert.equal(b.label.dtype, 'int32'); // all integers → class indices
    assert.deepEqual(b.label.toArray(), [3, 1]);
    assert.equal(b.w.dtype, 'float32');
    assert.deepEqual(b.t.toArray(), [[1, 2], [3, 4]]);
    assert.equal(b.v.dtype, 'float64');
    assert.deepEqual(b.v.toArray(), [[7], [9]]);
    const pairs = defaultCollate([[nb.tensor([1]), 0], [nb.tensor([2]), 1]]);
    assert.deepEqual(pairs[0].toArray(), [[1], [2]]);
    assert.throws(() => defaultCollate([nb.tensor([1, 2]), nb.tensor([1, 2, 3])]), /sample 1 has shape \[3\], sample 0 \[2\]/);
    assert.throws(() => defaultCollate([[1, 2], [1]]), /sample 1 has 1 fields, sample 0 has 2/);
    assert.throws(() => defaultCollate([]), /empty batch/);
  });
});

test('shuffle: the same seed gives the same orders; each epoch is a new permutation of every sample', () => {
  const ds = new ArrayDataset(range(50));
  const epochs = (loader: DataLoader<number>, n: number): number[][] => {
    const out: number[][] = [];
    for (let e = 0; e < n; e++) {
      const order: number[] = [];
      for (const b of loader) order.push(...(b.toArray() as number[]));
      out.push(order);
    }
    return out;
  };
  const a = epochs(new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 7 }), 3);
  nb.manualSeed(123); // a seeded loader does not depend on (or move) the global generator
  const b = epochs(new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 7 }), 3);
  assert.deepEqual(a, b);
  for (const order of a) assert.deepEqual([...order].sort((p, q) => p - q), range(50));
  assert.notDeepEqual(a[0], a[1]);
  assert.notDeepEqual(a[1], a[2]);
  assert.notDeepEqual(a[0], range(50));
  const c = epochs(new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 8 }), 1);
  assert.notDeepEqual(c[0], a[0]);
  // Without a seed the order comes from the global generator: manualSeed makes it repeat.
  nb.manualSeed(5);
  const g1 = epochs(new DataLoader(ds, { batchSize: 50, shuffle: true }), 2);
  nb.manualSeed(5);
  const g2 = epochs(new DataLoader(ds, { batchSize: 50, shuffle: true }), 2);
  assert.deepEqual(g1, g2);
  assert.notDeepEqual(g1[0], g1[1]);
  // getState/setState resumes the private stream where it was.
  const l1 = new DataLoader(ds, { batchSize: 50, shuffle: true, seed: 3 });
  epochs(l1, 1);
  const st = l1.getState();
  const next1 = epochs(l1, 1);
  const l2 = new DataLoader(ds, { batchSize: 50, shuffle: true, seed: 99 });
  l2.setState(st);
  assert.deepEqual(epochs(l2, 1), next1);
});

test('randomSplit: disjoint subsets covering the dataset, counts or fractions, seeded', () => {
  const ds = new ArrayDataset(range(103));
  const [a, b, c] = randomSplit(ds, [50, 50, 3], { seed: 1 });
  assert.deepEqual([a!.length, b!.length, c!.length], [50, 50, 3]);
  const all = [...a!.indices, ...b!.indices, ...c!.indices].sort((p, q) => p - q);
  assert.deepEqual(all, range(103));
  assert.deepEqual(randomSplit(ds, [50, 50, 3], { seed: 1 })[0]!.indices, a!.indices);
  // 103 · [0.8, 0.2] = [82.4, 20.6] → floors [82, 20], the one left over goes to the first split.
  assert.deepEqual(randomSplit(ds, [0.8, 0.2]).map((s) => s.length), [83, 20]);
  assert.equal(a!.get(0), a!.indices[0]);
  assert.throws(() => randomSplit(ds, [50, 50]), /sum to 100, but the dataset has 103/);
  assert.throws(() => randomSplit(ds, [-1, 104]), /non-negative/);
});

test('Subset of a TensorDataset keeps the batch fast path and maps indices', () => {
  const sub = new Subset(tenRows(), [9, 2, 5]);
  assert.equal(typeof sub.getBatch, 'function');
  const rows: unknown[] = [];
  for (const [x] of new DataLoader(sub, { batchSize: 3 })) rows.push(x!.toArray());
  assert.deepEqual(rows, [[[9, 19], [2, 12], [5, 15]]]);
  assert.throws(() => new Subset(tenRows(), [10]), /index 10 is out of range/);
});

test('transforms over a dataset; a custom collate', () => {
  const ds = withTransform(new ArrayDataset<[number, number]>([[1, 0], [2, 1], [3, 0]]), (x: number) => x * 10, (y: number) => y + 100);
  const loader = new DataLoader(ds, { batchSize: 3, collate: (s) => s.map(([x, y]) => x + y) });
  assert.deepEqual([...loader], [[110, 121, 130]]);
});

/** An async map-style dataset: each get takes a few ms and records when it was asked for. */
class SlowDataset implements Dataset<[Float32Array, number]> {
  readonly calls: number[] = [];
  constructor(readonly length: number, readonly ms = 3) {}
  async get(i: number): Promise<[Float32Array, number]> {
    this.calls.push(i);
    await sleep(this.ms);
    return [new Float32Array([i, -i]), i % 2];
  }
}

test('async dataset: for await gets every batch in order, and the next batches load while a step runs', async () => {
  const ds = new SlowDataset(20);
  const loader = new DataLoader(ds, { batchSize: 4, prefetch: 2 });
  const firsts: number[] = [];
  let step = 0;
  for await (const [x, y] of loader) {
    firsts.push(...(x!.toArray() as number[][]).map((r) => r[0]!));
    assert.deepEqual(y!.shape, [x!.shape[0]]);
    // Batch `step` is here; the loader has already asked for batches step+1 and step+2.
    const expectAsked = Math.min(20, (step + 3) * 4);
    assert.equal(ds.calls.length, expectAsked, `step ${step}: samples asked for`);
    await sleep(5);
    step++;
  }
  assert.deepEqual(firsts, range(20));
  assert.throws(() => [...new DataLoader(new SlowDataset(4), { batchSize: 2 })], /returned a Promise.*for await/);
});

test('async iterable dataset: batches from a stream, dropLast, early break closes it', async () => {
  let closed = false;
  async function* stream(n: number): AsyncGenerator<[number, number]> {
    try {
      for (let i = 0; i < n; i++) {
        await sleep(1);
        yield [i, 2 * i];
      }
    } finally {
      closed = true;
    }
  }
  const sizes: number[] = [];
  for await (const [a, b] of new DataLoader(stream(11), { batchSize: 4, dropLast: true })) {
    sizes.push(a!.shape[0]!);
    assert.deepEqual(b!.toArray(), (a!.toArray() as number[]).map((v) => 2 * v));
  }
  assert.deepEqual(sizes, [4, 4]);
  closed = false;
  const before = nb.memory().tensors;
  for await (const [a] of new DataLoader(stream(100), { batchSize: 4 })) {
    if ((a!.toArray() as number[])[0] === 8) break;
  }
  await sleep(20); // prefetched batches are released when they arrive
  assert.equal(closed, true);
  // nothing left behind (fewer is possible: during the sleep the finalizer may collect garbage of earlier tests)
  assert.ok(nb.memory().tensors <= before, `${nb.memory().tensors} tensors live, ${before} before`);
  assert.throws(() => new DataLoader(stream(3), { shuffle: true }), /shuffle needs a map-style dataset/);
});

test('step scope: a hand-written loop (forward, loss, backward, step) holds memory flat', async () => {
  nb.manualSeed(0);
  const n = 64;
  const x = nb.randn(n, 4);
  const yArr = Int32Array.from((x.toArray() as number[][]).map((r) => (r[0]! + r[1]! > 0 ? 1 : 0)));
  const ds = new TensorDataset(x, { data: yArr, shape: [n] });
  x.dispose();
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
  const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const loader = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 1 });
  const counts: number[] = [];
  const losses: number[] = [];
  const run = async (asyncLoop: boolean): Promise<void> => {
    const body = (xb: nb.Tensor, yb: nb.Tensor): void => {
      counts.push(nb.memory().tensors);
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(xb) as nb.Tensor, yb);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    };
    if (asyncLoop) for await (const [xb, yb] of loader) body(xb!, yb!);
    else for (const [xb, yb] of loader) body(xb!, yb!);
  };
  await run(false); // the first epoch creates the optimizer's momentum buffers
  const start = nb.memory();
  counts.length = 0;
  for (let e = 0; e < 15; e++) await run(e % 2 === 0);
  const end = nb.memory();
  assert.equal(end.tensors, start.tensors);
  assert.equal(end.bytes, start.bytes);
  assert.ok(counts.every((c) => c === counts[0]), `live tensors at each step start: ${[...new Set(counts)].join(', ')}`);
  const first = losses.slice(0, 8).reduce((a, b) => a + b) / 8, last = losses.slice(-8).reduce((a, b) => a + b) / 8;
  assert.ok(last < first * 0.7, `loss fell from ${first} to ${last}`);
});

test('step scope: a tensor from a previous step is released (the error names keep); nb.keep saves it; break closes the step', async () => {
  const loader = new DataLoader(tenRows(), { batchSize: 2 });
  const before = nb.memory().tensors;
  let old: nb.Tensor | null = null;
  let kept: nb.Tensor | null = null;
  let i = 0;
  for await (const [x] of loader) {
    if (i === 0) {
      old = x!.mul(2);
      kept = nb.keep(x!.sum());
    }
    if (i === 1) assert.throws(() => old!.toArray(), /already released.*DataLoader step.*nb\.keep/s);
    i++;
  }
  assert.equal(kept!.item(), 0 + 10 + 1 + 11);
  kept!.dispose();
  for (const [x] of loader) {
    x!.add(1);
    break;
  }
  assert.equal(nb.memory().tensors, before);
  // With stepScope: false the loop owns nothing: batches live until disposed.
  const free = new DataLoader(tenRows(), { batchSize: 5, stepScope: false });
  const held: nb.Tensor[] = [];
  for (const [x, y] of free) held.push(x!, y!);
  assert.deepEqual(held[2]!.toArray(), [[5, 15], [6, 16], [7, 17], [8, 18], [9, 19]]);
  held.forEach((t) => t.dispose());
  assert.equal(nb.memory().tensors, before);
});

test('uint8 columns batched as float through `scale`; asArrays() feeds typed-array transforms without per-sample tensors', () => {
  // pixels [0, 51, 255, 102] · (1/255) = [0, .2, 1, .4]
  const ds = new TensorDataset(
    { data: new Uint8Array([0, 51, 255, 102]), shape: [2, 1, 1, 2], scale: 1 / 255 },
    { data: new Uint8Array([3, 7]), shape: [2] },
  );
  for (const [x, y] of new DataLoader(ds, { batchSize: 2 })) {
    assert.equal(x!.dtype, 'float32');
    const v = Array.from(x!.dataSync());
    [0, 0.2, 1, 0.4].forEach((want, i) => assert.ok(Math.abs(v[i]! - want) < 1e-7, `${v}`));
    assert.equal(y!.dtype, 'int32');
    assert.deepEqual(y!.toArray(), [3, 7]);
  }
  const before = nb.memory().tensors;
  let made = 0;
  const flip = withTransform(ds.asArrays() as Dataset<[{ data: Float32Array; shape: number[] }, unknown]>, (img) => {
    made = nb.memory().tensors - before;
    return { data: img.data.slice().reverse(), shape: img.shape };
  });
  for (const [x, y] of new DataLoader(flip, { batchSize: 2 })) {
    assert.deepEqual(x!.shape, [2, 1, 1, 2]);
    const v = Array.from(x!.dataSync());
    [0.2, 0, 0.4, 1].forEach((want, i) => assert.ok(Math.abs(v[i]! - want) < 1e-7, `${v}`));
    assert.deepEqual((y as nb.Tensor).toArray(), [3, 7]);
  }
  assert.equal(made, 0, 'no tensor exists while samples are transformed');
  assert.throws(() => new TensorDataset({ data: new Uint8Array(2), shape: [2], scale: 0.5, dtype: 'int32' }), /has a scale, so its dtype must be float32 or float64/);
});
