// multinomial and randperm on the seeded generator: PyTorch's generator is another one, so these
// are checked against the distributions (chi-square at a fixed seed, the probabilities written out
// below), for the seed → same-draws rule, and for PyTorch's errors — on every backend.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { testBackends, closeBackends } from './helpers/backends.js';

/** Pearson's statistic of observed counts against expected counts. */
function chi2(observed: number[], expected: number[]): number {
  return observed.reduce((s, o, i) => s + (o - expected[i]!) ** 2 / expected[i]!, 0);
}
// upper 0.1% points of the chi-square distribution (a fixed seed, so no flakiness either way)
const CHI2_999: Record<number, number> = { 2: 13.82, 3: 16.27, 5: 20.52 };

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`multinomial and randperm on ${backend}`, () => {
    test('multinomial with replacement draws each category in proportion to its weight (zero weight never)', () => {
      nb.setBackend(backend);
      nb.manualSeed(7);
      const w = [0.5, 0, 1.5, 2]; // unnormalised: probabilities 1/8, 0, 3/8, 1/2
      const n = 16000;
      const s = nb.multinomial(nb.tensor(w), n, { replacement: true });
      assert.equal(s.dtype, 'int32');
      assert.deepEqual(s.shape, [n]);
      const counts = [0, 0, 0, 0];
      for (const v of s.dataSync()) counts[v]!++;
      assert.equal(counts[1], 0);
      const obs = [counts[0]!, counts[2]!, counts[3]!];
      const stat = chi2(obs, [n / 8, (3 * n) / 8, n / 2]);
      assert.ok(stat < CHI2_999[2]!, `chi-square ${stat.toFixed(2)} for counts ${obs}`);
    });

    test('multinomial without replacement: distinct picks, ordered pairs at P(i)·P(j)/(1 − P(i))', () => {
      nb.setBackend(backend);
      nb.manualSeed(11);
      const p = [0.2, 0.3, 0.5];
      const rows = 6000;
      const probs = nb.tensor(Array.from({ length: rows }, () => p));
      const s = nb.multinomial(probs, 2);
      assert.deepEqual(s.shape, [rows, 2]);
      const d = s.dataSync();
      const pairs = new Map<string, number>();
      for (let r = 0; r < rows; r++) {
        assert.notEqual(d[2 * r], d[2 * r + 1], `row ${r} drew category ${d[2 * r]} twice`);
        const k = `${d[2 * r]},${d[2 * r + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + 1);
      }
      const keys: string[] = [], expected: number[] = [];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) if (i !== j) { keys.push(`${i},${j}`); expected.push((rows * p[i]! * p[j]!) / (1 - p[i]!)); }
      const stat = chi2(keys.map((k) => pairs.get(k) ?? 0), expected);
      assert.ok(stat < CHI2_999[5]!, `chi-square ${stat.toFixed(2)} over ordered pairs`);
    });

    test('without replacement, drawing every category gives a permutation; zero weights come never', () => {
      nb.setBackend(backend);
      nb.manualSeed(3);
      const s = nb.multinomial(nb.tensor([[1, 2, 3, 4, 5]], { dtype: 'float64' }), 5);
      assert.deepEqual([...s.dataSync()].sort(), [0, 1, 2, 3, 4]);
      const z = nb.multinomial(nb.tensor([0, 1, 0, 1], { dtype: 'float32' }), 2);
      assert.deepEqual([...z.dataSync()].sort(), [1, 3]);
      assert.equal(nb.tensor([0.2, 0.8]).multinomial(1).shape[0], 1);
    });

    test('the same seed gives the same draws; another seed other draws', () => {
      nb.setBackend(backend);
      const draw = (seed: number): number[] => {
        nb.manualSeed(seed);
        return [...nb.multinomial(nb.tensor([0.1, 0.2, 0.3, 0.4]), 20, { replacement: true }).dataSync(), ...nb.randperm(20).dataSync()];
      };
      assert.deepEqual(draw(5), draw(5));
      assert.notDeepEqual(draw(5), draw(6));
    });

    test('randperm is a permutation, uniform over the orders of 3', () => {
      nb.setBackend(backend);
      nb.manualSeed(21);
      const p = nb.randperm(50);
      assert.equal(p.dtype, 'int32');
      assert.deepEqual([...p.dataSync()].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
      assert.equal(nb.randperm(4, { dtype: 'float32' }).dtype, 'float32');
      assert.deepEqual(nb.randperm(0).shape, [0]);
      const n = 6000;
      const counts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const k = [...nb.randperm(3).dataSync()].join('');
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const orders = ['012', '021', '102', '120', '201', '210'];
      assert.equal([...counts.keys()].filter((k) => !orders.includes(k)).length, 0);
      const stat = chi2(orders.map((o) => counts.get(o) ?? 0), orders.map(() => n / 6));
      assert.ok(stat < CHI2_999[5]!, `chi-square ${stat.toFixed(2)} over the 6 orders`);
    });

    test('errors name what is wrong, like PyTorch', () => {
      nb.setBackend(backend);
      assert.throws(() => nb.multinomial(nb.tensor([0.5, 0.5]), 3), /cannot draw 3 samples from 2 categories without replacement/);
      assert.throws(() => nb.multinomial(nb.tensor([0.5, 0, 0]), 2), /1 categories of nonzero probability, too few for 2/);
      assert.throws(() => nb.multinomial(nb.tensor([0.5, -0.1]), 1), /finite and non-negative, got -0\.1/);
      assert.throws(() => nb.multinomial(nb.tensor([0, 0], { dtype: 'float32' }), 1, { replacement: true }), /row 0 of probs sums to 0/);
      assert.throws(() => nb.multinomial(nb.tensor([1, 2]), 1), /floating-point/);
      assert.throws(() => nb.multinomial(nb.tensor([0.5, 0.5]), 1, { replace: true } as never), /unknown option 'replace'/);
      assert.throws(() => nb.randperm(-1), /non-negative integer, got -1/);
    });
  });
}
