// CTC decoding: greedy decoding by hand-made frames, prefix beam search against the exact answer
// found by summing every alignment of every labelling (small T and C), and the edit distance.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { greedyDecode, prefixBeamDecode, editDistance, framesOf } from '../src/speech/decode.js';
import { pseudoRandom } from './helpers/gradcheck.js';

/** log-softmax rows of pseudo-random logits, [T, C] flattened. */
function logProbs(T: number, C: number, seed: number, scale = 2): Float64Array {
  const x = pseudoRandom(T * C, seed);
  const out = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, scale * x[t * C + c]!);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(scale * x[t * C + c]! - m);
    for (let c = 0; c < C; c++) out[t * C + c] = scale * x[t * C + c]! - m - Math.log(s);
  }
  return out;
}

/** Every labelling's probability: the sum over all C^T paths that collapse to it. */
function exactLabellings(lp: Float64Array, T: number, C: number, blank = 0): Map<string, number> {
  const m = new Map<string, number>();
  for (let code = 0; code < C ** T; code++) {
    let k = code, logp = 0;
    const path: number[] = [];
    for (let t = 0; t < T; t++) { path.push(k % C); logp += lp[t * C + (k % C)]!; k = Math.floor(k / C); }
    const key = path.filter((c, i) => c !== blank && (i === 0 || c !== path[i - 1])).join(',');
    m.set(key, (m.get(key) ?? 0) + Math.exp(logp));
  }
  return m;
}

test('greedy decoding merges repeats and drops blanks (the best path)', () => {
  // frames' argmax: 1 1 0 1 2 2 0 0 3 → labels 1 1 2 3
  const arg = [1, 1, 0, 1, 2, 2, 0, 0, 3];
  const C = 4;
  const data = new Float32Array(arg.length * C).fill(-5);
  arg.forEach((c, t) => { data[t * C + c] = -0.1; });
  assert.deepEqual(greedyDecode({ data, length: arg.length, classes: C }), [1, 1, 2, 3]);
  assert.deepEqual(greedyDecode({ data, length: 3, classes: C }), [1], 'only the first `length` frames');
  assert.deepEqual(greedyDecode({ data, length: arg.length, classes: C }, 1), [0, 2, 0, 3], 'another blank');
});

test('framesOf reads one sample of a time-major [T, N, C] batch', () => {
  const T = 3, N = 2, C = 3;
  const data = new Float32Array(T * N * C).fill(-9);
  [[2, 1], [0, 1], [2, 2]].forEach(([a, b], t) => { data[(t * N) * C + a!] = 0; data[(t * N + 1) * C + b!] = 0; });
  assert.deepEqual(greedyDecode(framesOf(data, [T, N, C], 0, 3)), [2, 2]);
  assert.deepEqual(greedyDecode(framesOf(data, [T, N, C], 1, 3)), [1, 2]);
  assert.throws(() => framesOf(data, [T, N, C], 2, 3), /sample 2 is out of range for a batch of 2/);
  assert.throws(() => framesOf(data, [T, N, C], 0, 4), /length 4 of sample 0 must be in 0 … 3/);
});

test('prefix beam search with a wide beam finds the most probable labelling, with its exact probability', () => {
  for (const [T, C, seed] of [[5, 3, 1], [6, 3, 2], [4, 4, 3], [6, 3, 4], [5, 4, 5]] as const) {
    const lp = logProbs(T, C, seed);
    const exact = exactLabellings(lp, T, C);
    const [bestKey, bestP] = [...exact.entries()].sort((a, b) => b[1] - a[1])[0]!;
    const r = prefixBeamDecode({ data: lp, length: T, classes: C }, { beamWidth: 1000 });
    assert.equal(r.labels.join(','), bestKey, `T=${T} C=${C} seed=${seed}`);
    assert.ok(Math.abs(r.logProb - Math.log(bestP)) < 1e-9, `log p ${r.logProb} vs exact ${Math.log(bestP)}`);
    // and ctcLoss agrees: −log p(labelling)
    const loss = nb.scope(() => nb.F.ctcLoss(nb.tensor(lp, { dtype: 'float64', shape: [T, 1, C] }),
      nb.tensor([r.labels.length ? r.labels : [1]], { dtype: 'int32' }), [T], [r.labels.length], { reduction: 'sum' }).item());
    assert.ok(Math.abs(loss + Math.log(bestP)) < 1e-9, `ctcLoss ${loss} vs −log p ${-Math.log(bestP)}`);
  }
});

test('prefix beam search can beat greedy decoding (a labelling spread over many paths)', () => {
  // Two frames, classes {blank, a}: p(blank) = 0.6 each frame → best path "blank blank" (0.36) = "",
  // but "a" has 1 − 0.36 = 0.64 over its three paths (a a, a blank, blank a).
  const p = Math.log(0.6), q = Math.log(0.4);
  const data = Float64Array.from([p, q, p, q]);
  assert.deepEqual(greedyDecode({ data, length: 2, classes: 2 }), []);
  const r = prefixBeamDecode({ data, length: 2, classes: 2 }, { beamWidth: 4 });
  assert.deepEqual(r.labels, [1]);
  assert.ok(Math.abs(Math.exp(r.logProb) - 0.64) < 1e-12);
});

test('edit distance', () => {
  assert.equal(editDistance([1, 2, 3], [1, 2, 3]), 0);
  assert.equal(editDistance([1, 2, 3], [1, 3]), 1);
  assert.equal(editDistance([], [4, 4]), 2);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.throws(() => prefixBeamDecode({ data: new Float32Array(4), length: 2, classes: 2 }, { beamWidth: 0 }), /beamWidth must be a positive integer, got 0/);
});
