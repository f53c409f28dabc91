// F.embeddingBag (torch.nn.functional.embedding_bag): the sum, mean or max of the embedding rows of
// each bag, without materialising [B, L, D] for sum and mean — the rows are added into their bag by
// one index add; max pads the bags with −∞ rows and takes amax. Gradients come from those ops.

import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { isFloat } from '../tensor/dtype.js';
import { scope } from '../tensor/memory.js';
import { defineOp } from './dispatch.js';
import { mul, where } from './elementwise.js';
import { amax } from './reduce.js';
import { embedding } from './indexing.js';
import { indexAdd, indexSelect } from './index-select.js';
import { reshape } from './layout.js';
import { pad } from './shape.js';
import { checkOpts, fromHost } from './sorting.js';
import { backendOf, wrap } from './util.js';

export interface EmbeddingBagOptions {
  /** with 1-D input: where each bag starts (int32, first 0, non-decreasing) */
  offsets?: Tensor | null;
  /** how a bag's rows combine (default 'mean') */
  mode?: 'sum' | 'mean' | 'max';
  /** a weight per index, same shape as input (mode 'sum' only) */
  perSampleWeights?: Tensor | null;
  /** indices equal to this are left out of their bag (negative counts from the end) */
  paddingIdx?: number | null;
  /** offsets has one more entry: the end of the last bag (default false) */
  includeLastOffset?: boolean;
}

/** Bags from input and offsets: for each kept position, its bag; and each bag's kept positions. */
function bagsOf(input: Tensor, offsets: Tensor | null | undefined, includeLast: boolean): { starts: number[]; n: number } {
  if (input.ndim === 2) {
    if (offsets != null) throw new Error(`embeddingBag: offsets must be null when input is 2-D (${fmt(input.shape)}); each row is a bag`);
    const [b, l] = input.shape as [number, number];
    return { starts: Array.from({ length: b + 1 }, (_, i) => i * l), n: b * l };
  }
  if (input.ndim !== 1) throw new Error(`embeddingBag: input must be 2-D [B, L], or 1-D with offsets, got ${fmt(input.shape)}`);
  if (offsets == null) throw new Error(`embeddingBag: 1-D input ${fmt(input.shape)} needs offsets (where each bag starts)`);
  if (offsets.dtype !== 'int32' || offsets.ndim !== 1) throw new TypeError(`embeddingBag: offsets must be a 1-D int32 tensor, got ${offsets.dtype} ${fmt(offsets.shape)}`);
  const n = input.shape[0]!;
  const off = Array.from(offsets.dataSync() as Int32Array);
  if (off.length && off[0] !== 0) throw new Error(`embeddingBag: offsets[0] must be 0 (the first bag starts at the first index), got ${off[0]}`);
  for (let i = 0; i < off.length; i++) {
    if (off[i]! > n || (i > 0 && off[i]! < off[i - 1]!)) throw new Error(`embeddingBag: offsets must be non-decreasing and ≤ ${n} (the input's length), got ${fmt(off)}`);
  }
  if (includeLast) {
    if (off.length === 0) throw new Error('embeddingBag: with includeLastOffset, offsets needs at least one entry');
    return { starts: off, n };
  }
  return { starts: [...off, n], n };
}

/** For input of indices into weight [numEmbeddings, D]: [B, D], one combined row per bag. */
export const embeddingBag = defineOp('embeddingBag', (input: Tensor, weight: Tensor, opts: EmbeddingBagOptions = {}): Tensor => {
  checkOpts('embeddingBag', opts, ['offsets', 'mode', 'perSampleWeights', 'paddingIdx', 'includeLastOffset']);
  if (input.dtype !== 'int32') throw new TypeError(`embeddingBag: input must hold int32 indices, got ${input.dtype}`);
  if (weight.ndim !== 2 || !isFloat(weight.dtype)) throw new Error(`embeddingBag: weight must be a 2-D floating-point [numEmbeddings, embeddingDim], got ${weight.dtype} ${fmt(weight.shape)}`);
  const mode = opts.mode ?? 'mean';
  if (mode !== 'sum' && mode !== 'mean' && mode !== 'max') throw new TypeError(`embeddingBag: mode must be 'sum', 'mean' or 'max', got '${String(mode)}'`);
  const psw = opts.perSampleWeights ?? null;
  if (psw) {
    if (mode !== 'sum') throw new Error(`embeddingBag: perSampleWeights is only supported with mode 'sum' (got mode '${mode}')`);
    if (psw.ndim !== input.ndim || psw.shape.some((d, i) => d !== input.shape[i])) throw new Error(`embeddingBag: perSampleWeights ${fmt(psw.shape)} must have the input's shape ${fmt(input.shape)}`);
  }
  const [rows, D] = weight.shape as [number, number];
  let pIdx = opts.paddingIdx ?? null;
  if (pIdx !== null) {
    if (!Number.isInteger(pIdx) || pIdx < -rows || pIdx >= rows) throw new RangeError(`embeddingBag: paddingIdx must be within [${-rows}, ${rows - 1}], got ${pIdx}`);
    if (pIdx < 0) pIdx += rows;
  }
  const { starts, n } = bagsOf(input, opts.offsets, opts.includeLastOffset ?? false);
  const B = starts.length - 1;
  const ids = input.dataSync() as Int32Array;
  for (const v of ids) if (v < 0 || v >= rows) throw new RangeError(`embeddingBag: index ${v} is out of range for a weight of ${rows} rows`);
  // The kept positions (not padding) and the bag each belongs to.
  const keptPos: number[] = [], keptBag: number[] = [], counts = new Array<number>(B).fill(0);
  for (let b = 0; b < B; b++) {
    for (let i = starts[b]!; i < Math.min(starts[b + 1]!, n); i++) {
      if (ids[i] === pIdx) continue;
      keptPos.push(i);
      keptBag.push(b);
      counts[b]!++;
    }
  }
  const be = backendOf('embeddingBag', weight, input);
  return scope(() => {
    const k = keptPos.length;
    const keptIds = fromHost(weight, keptPos.map((i) => ids[i]!), 'int32', [k]);
    let vecs = embedding(keptIds, weight); // [k, D]
    if (mode === 'max') {
      const maxLen = Math.max(0, ...counts);
      if (maxLen === 0) return wrap(be, be.fill(weight.dtype, B * D, 0), [B, D]);
      // Bag b's rows at [b, 0..count), then the −∞ row (index k) where the bag is shorter.
      const at = new Int32Array(B * maxLen).fill(k);
      const fill = new Array<number>(B).fill(0);
      keptBag.forEach((b, j) => (at[b * maxLen + fill[b]!++] = j));
      const padded = pad(vecs, [0, 0, 0, 1], -Infinity);
      const sel = reshape(indexSelect(padded, 0, fromHost(weight, at, 'int32', [B * maxLen])), [B, maxLen, D]);
      const m = amax(sel, 1);
      const empty = fromHost(weight, counts.map((c) => (c === 0 ? 1 : 0)), 'bool', [B, 1]);
      return where(empty, 0, m);
    }
    if (psw) {
      const w = indexSelect(reshape(psw, [n]), 0, fromHost(weight, keptPos, 'int32', [k]));
      vecs = mul(vecs, reshape(w, [k, 1]));
    }
    const zero = wrap(be, be.fill(vecs.dtype, B * D, 0), [B, D]);
    const sums = indexAdd(zero, 0, fromHost(weight, keptBag, 'int32', [k]), vecs);
    if (mode === 'sum') return sums;
    return mul(sums, fromHost(weight, counts.map((c) => 1 / Math.max(c, 1)), weight.dtype, [B, 1]));
  });
});
