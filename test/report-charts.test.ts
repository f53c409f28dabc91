// The report's axes: ticks at 1, 2, 2.5 or 5 × 10^k covering the data, one label format per axis
// (fixed decimals from the step, exponents for tiny values such as late learning rates).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceTicks, tickFormatter, bucketMeans } from '../src/cli/charts.js';
import { duration, lrFormat } from '../src/cli/report.js';

test('niceTicks: round steps that cover the range (worked by hand in the comments)', () => {
  // range 0.4207 / 5 = 0.084 → 0.1 (8.4 rounds to 10 × 0.01); 0.528 ↓ 0.5, 0.9487 ↑ 1.0.
  assert.deepEqual(niceTicks(0.528, 0.9487), { ticks: [0.5, 0.6, 0.7, 0.8, 0.9, 1], step: 0.1 });
  // 4300 / 6 = 716.7 → 500 (7.17 rounds to 5 × 100).
  assert.deepEqual(niceTicks(1, 4300, 6).ticks, [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500]);
  // 94.87 − 67.5 = 27.37, / 5 = 5.47 → 5: 65 … 95.
  assert.deepEqual(niceTicks(67.5, 94.87).ticks, [65, 70, 75, 80, 85, 90, 95]);
  // (3e-4 − 1e-8) / 5 = 6e-5 → 5e-5.
  assert.deepEqual(niceTicks(1e-8, 3e-4), { ticks: [0, 5e-5, 1e-4, 1.5e-4, 2e-4, 2.5e-4, 3e-4], step: 5e-5 });
  // Epochs: whole numbers only.
  assert.deepEqual(niceTicks(1, 2, 6, true).ticks, [1, 2]);
  // One value: a range around it.
  assert.ok(niceTicks(0.25, 0.25).ticks.length >= 2);
});

test('tickFormatter: one format per axis; durations and learning rates in one format each', () => {
  const f = tickFormatter(0.25, 2.5);
  assert.deepEqual([0, 0.25, 0.5, 2.5].map(f), ['0.00', '0.25', '0.50', '2.50']);
  assert.deepEqual([0, 0.0005, 0.003].map(tickFormatter(0.0005, 0.003)), ['0.0000', '0.0005', '0.0030']);
  assert.deepEqual([0, 5e-5, 1e-4, 3e-4].map(tickFormatter(5e-5, 3e-4)), ['0', '5.0e-5', '1.0e-4', '3.0e-4']);
  assert.deepEqual([2.5e-4, 1.25e-3].map(tickFormatter(2.5e-4, 1.25e-3)), ['0.00025', '0.00125']);
  assert.deepEqual([75, 77.5].map(tickFormatter(2.5, 85, '%')), ['75.0%', '77.5%']);
  assert.deepEqual([0.00273, 4.95e-4, 1.27e-8].map(lrFormat), ['2.73e-3', '4.95e-4', '1.27e-8']);
  assert.deepEqual([4.7, 444, 3905].map(duration), ['4.7 s', '7 min 24 s', '1 h 05 min']);
  assert.deepEqual(bucketMeans([[0, 1], [1, 3], [2, 5], [3, 7]], 2), [[0.5, 2], [2.5, 6]]);
});
