// Random draws that depend on values: multinomial(probs, n, {replacement}) and randperm(n), on the
// one seeded generator (src/tensor/random.ts), so the same seed gives the same draws on every
// backend. PyTorch's generator is a different one: same distributions, not the same numbers.

import { Tensor } from '../tensor/tensor.js';
import { currentBackend } from '../backend/default.js';
import { arrayFor, checkDType, isFloat, type DType } from '../tensor/dtype.js';
import { fmt } from '../tensor/shape.js';
import { randomInt, uniformArray } from '../tensor/random.js';
import { defineOp } from './dispatch.js';
import { checkOpts, fromHost } from './sorting.js';

/**
 * numSamples category indices per row of probs (1-D [k] or 2-D [rows, k]; non-negative weights,
 * need not sum to 1), int32. Without replacement a category is drawn at most once per row.
 */
export const multinomial = defineOp('multinomial', (probs: Tensor, numSamples: number, opts: { replacement?: boolean } = {}): Tensor => {
  checkOpts('multinomial', opts, ['replacement']);
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new Error(`multinomial: probs must be 1-D or 2-D, got shape ${fmt(probs.shape)}`);
  if (!isFloat(probs.dtype)) throw new TypeError(`multinomial: probs must be a floating-point tensor, got ${probs.dtype}`);
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new RangeError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  const replacement = opts.replacement ?? false;
  const k = probs.shape[probs.ndim - 1]!;
  const rows = probs.ndim === 2 ? probs.shape[0]! : 1;
  if (!replacement && numSamples > k) throw new RangeError(`multinomial: cannot draw ${numSamples} samples from ${k} categories without replacement`);
  const p = probs.dataSync();
  const out = new Int32Array(rows * numSamples);
  const w = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    let total = 0, positive = 0;
    for (let j = 0; j < k; j++) {
      const v = p[r * k + j]!;
      if (!(v >= 0) || v === Infinity) throw new RangeError(`multinomial: probs must be finite and non-negative, got ${v} at row ${r}, category ${j}`);
      w[j] = v;
      total += v;
      if (v > 0) positive++;
    }
    if (total <= 0) throw new RangeError(`multinomial: row ${r} of probs sums to 0`);
    if (!replacement && positive < numSamples) {
      throw new RangeError(`multinomial: row ${r} has ${positive} categories of nonzero probability, too few for ${numSamples} samples without replacement`);
    }
    const u = uniformArray(numSamples, true);
    for (let s = 0; s < numSamples; s++) {
      // inverse CDF: the first category whose running sum exceeds u·total (zero weights never win)
      const t = u[s]! * total;
      let acc = 0, j = 0, last = -1;
      for (; j < k; j++) {
        if (w[j]! <= 0) continue;
        last = j;
        acc += w[j]!;
        if (t < acc) break;
      }
      const pick = j < k ? j : last;
      out[r * numSamples + s] = pick;
      if (!replacement) {
        total -= w[pick]!;
        w[pick] = 0;
      }
    }
  }
  return fromHost(probs, out, 'int32', probs.ndim === 2 ? [rows, numSamples] : [numSamples]);
});

/** A random permutation of 0 … n-1 (int32 unless dtype says otherwise), uniform over all n! orders. */
export const randperm = defineOp('randperm', (n: number, opts: { dtype?: DType } = {}): Tensor => {
  checkOpts('randperm', opts, ['dtype']);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`randperm: n must be a non-negative integer, got ${n}`);
  const dtype = opts.dtype ? checkDType(opts.dtype, 'randperm') : 'int32';
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  // Fisher–Yates from the end: each position takes a uniform pick of what is left
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  const be = currentBackend();
  const arr = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) arr[i] = a[i]!;
  return Tensor._fromStorage(be, be.fromArray(arr, dtype), [n]);
});
