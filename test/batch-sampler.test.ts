// Length-grouped batches: BucketBatchSampler's batches cover every sample once and pad far less than
// shuffled batches, and a DataLoader with a batchSampler draws them from its own stream, so its state
// (what checkpoints hold) replays the same batches; bad samplers and clashing options are errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const { DataLoader, ArrayDataset, BucketBatchSampler } = nb.data;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Lengths like clips': 2 to 301, in a scrambled order (the math below, not our generator). */
const lengths = range(500).map((i) => 2 + ((i * 7919) % 300));

/** Padding a batch of samples costs: (longest − each) summed. */
const padding = (batches: number[][]): number =>
  batches.reduce((a, b) => { const m = Math.max(...b.map((i) => lengths[i]!)); return a + b.reduce((s, i) => s + m - lengths[i]!, 0); }, 0);

const epochs = (loader: InstanceType<typeof DataLoader<number>>, n: number): number[][][] =>
  range(n).map(() => {
    const out: number[][] = [];
    for (const b of loader) out.push(b.toArray() as number[]);
    return out;
  });

test('BucketBatchSampler without shuffle: every sample in order of length, the same every epoch', () => {
  const s = new BucketBatchSampler(lengths, { batchSize: 32 });
  const b = s.batches();
  assert.equal(b.length, s.length);
  assert.equal(s.length, 16); // ceil(500 / 32)
  const flat = b.flat();
  assert.deepEqual([...flat].sort((p, q) => p - q), range(500));
  for (let k = 1; k < flat.length; k++) assert.ok(lengths[flat[k]!]! >= lengths[flat[k - 1]!]!, 'sorted by length');
  assert.deepEqual(s.batches(), b);
  assert.equal(new BucketBatchSampler(lengths, { batchSize: 32, dropLast: true }).batches().length, 15);
});

test('BucketBatchSampler with shuffle: new batches each epoch, every sample once, a fraction of random batches\' padding', () => {
  nb.manualSeed(3);
  const s = new BucketBatchSampler(lengths, { batchSize: 16, shuffle: true, bucketSize: 8 });
  const e1 = s.batches(), e2 = s.batches();
  for (const e of [e1, e2]) {
    assert.equal(e.length, 32);
    assert.deepEqual(e.flat().sort((p, q) => p - q), range(500));
    // only the epoch's last batch (in sorted order) may be short, wherever the shuffle put it
    assert.equal(e.filter((b) => b.length < 16).length, 1);
  }
  assert.notDeepEqual(e1, e2);
  const random = range(500);
  const randomBatches = nb.data.randperm(500).reduce<number[][]>((a, i, k) => (k % 16 ? a[a.length - 1]!.push(random[i]!) : a.push([random[i]!]), a), []);
  const [pb, pr] = [padding(e1), padding(randomBatches)];
  assert.ok(pb < pr / 4, `bucketed batches pad ${pb}, random ones ${pr}`);
  // one bucket of everything: as little padding as sorting all
  const whole = new BucketBatchSampler(lengths, { batchSize: 16, shuffle: true, bucketSize: 1000 }).batches();
  assert.ok(padding(whole) <= pb);
});

test('DataLoader with a batchSampler: its batches, its length, the same batches for the same seed; state replays an epoch', () => {
  const ds = new ArrayDataset(range(500));
  const make = (seed: number): InstanceType<typeof DataLoader<number>> =>
    new DataLoader(ds, { batchSampler: new BucketBatchSampler(lengths, { batchSize: 50, shuffle: true, bucketSize: 3 }), seed });
  const a = make(7);
  assert.equal(a.length, 10);
  const ea = epochs(a, 3);
  for (const e of ea) {
    assert.equal(e.length, 10);
    assert.deepEqual(e.flat().sort((p, q) => p - q), range(500));
  }
  assert.notDeepEqual(ea[0], ea[1]);
  nb.manualSeed(99); // a seeded loader does not depend on the global generator
  assert.deepEqual(epochs(make(7), 3), ea);
  assert.notDeepEqual(epochs(make(8), 1)[0], ea[0]);
  // What fit() saves at an epoch's start, restored into a fresh loader, gives that epoch's batches.
  const l1 = make(7);
  epochs(l1, 1);
  const st = l1.getState();
  const l2 = make(12345);
  l2.setState(st);
  assert.deepEqual(epochs(l2, 2), ea.slice(1));
  // Unseeded: the global generator, so manualSeed repeats it.
  const unseeded = (): InstanceType<typeof DataLoader<number>> => new DataLoader(ds, { batchSampler: new BucketBatchSampler(lengths, { batchSize: 50, shuffle: true }) });
  nb.manualSeed(5);
  const g1 = epochs(unseeded(), 2);
  nb.manualSeed(5);
  assert.deepEqual(epochs(unseeded(), 2), g1);
});

test('DataLoader batchSampler: clashing options, a sampler for another dataset and bad batches are errors naming what is wrong', () => {
  const ds = new ArrayDataset(range(10));
  const s = new BucketBatchSampler(range(10), { batchSize: 4 });
  assert.throws(() => new DataLoader(ds, { batchSampler: s, batchSize: 4, shuffle: true }), /batchSampler decides the batches; leave out batchSize, shuffle/);
  assert.throws(() => new DataLoader(ds, { batchSampler: new BucketBatchSampler(range(12), { batchSize: 4 }) }), /batchSampler is for 12 samples, the dataset has 10/);
  assert.throws(() => new DataLoader(ds, { batchSampler: {} as never }), /batchSampler must have batches\(\) and a length/);
  const bad = (batches: number[][], length = batches.length): void => {
    const l = new DataLoader(ds, { batchSampler: { length, batches: () => batches } });
    [...l];
  };
  assert.throws(() => bad([[0, 1]], 2), /gave 1 batches, but its length says 2/);
  assert.throws(() => bad([[0, 1], []]), /batch 1 is empty/);
  assert.throws(() => bad([[0, 10]]), /batch 0 holds index 10, outside the dataset's 0…9/);
  assert.throws(() => bad([[0, 1.5]]), /holds index 1.5/);
  assert.throws(() => new BucketBatchSampler([1, NaN], { batchSize: 2 }), /lengths\[1\] is NaN/);
  assert.throws(() => new BucketBatchSampler([1], { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  assert.throws(() => new BucketBatchSampler([1], { batchSize: 2, bucket: 3 } as never), /unknown option 'bucket'/);
});
