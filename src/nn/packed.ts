// nn.utils.rnn: variable-length batches as PyTorch packs them — padSequence, PackedSequence,
// packPaddedSequence, padPackedSequence, packSequence, and unpadSequence / unpackSequence to
// undo them. A PackedSequence's data holds, time step by
// time step, the rows of the sequences still running (longest first); RNN, LSTM and GRU take one.

import { Tensor } from '../tensor/tensor.js';
import { full, tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { fmt } from '../tensor/shape.js';
import { cat, indexSelect, narrow, pad, reshape, select, stack, transpose } from '../ops/index.js';

/** Lengths as plain integers, from an array or a 1-D integer tensor. */
function lengthsOf(op: string, lengths: readonly number[] | Tensor): number[] {
  const ls = lengths instanceof Tensor ? [...lengths.dataSync()].map(Number) : [...lengths];
  if (lengths instanceof Tensor && lengths.ndim !== 1) throw new Error(`${op}: lengths must be 1-D, got shape ${fmt(lengths.shape)}`);
  for (const l of ls) if (!Number.isInteger(l)) throw new TypeError(`${op}: lengths must be integers, got ${l}`);
  return ls;
}

function indexTensor(v: readonly number[]): Tensor {
  return tensor(Int32Array.from(v));
}

/**
 * A packed batch (like torch.nn.utils.rnn.PackedSequence): data [Σ lengths, *], batchSizes[t] =
 * how many sequences are longer than t, and the permutation that sorted the batch by length
 * (null when it came sorted). Make one with packPaddedSequence or packSequence.
 */
export class PackedSequence {
  readonly data: Tensor;
  readonly batchSizes: Tensor;
  readonly sortedIndices: Tensor | null;
  readonly unsortedIndices: Tensor | null;
  /** @internal batchSizes, sortedIndices as numbers */
  readonly _sizes: readonly number[];
  readonly _sorted: readonly number[] | null;

  constructor(data: Tensor, batchSizes: readonly number[] | Tensor, sortedIndices: readonly number[] | Tensor | null = null, unsortedIndices: readonly number[] | Tensor | null = null) {
    const op = 'PackedSequence';
    const sizes = lengthsOf(op, batchSizes);
    if (sizes.length === 0 || sizes.some((b, i) => b < 1 || (i > 0 && b > sizes[i - 1]!))) {
      throw new Error(`${op}: batchSizes must be positive and non-increasing, got ${fmt(sizes)}`);
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    if (data.ndim < 1 || data.shape[0] !== total) throw new Error(`${op}: data must have ${total} rows (the sum of batchSizes ${fmt(sizes)}), got shape ${fmt(data.shape)}`);
    const sorted = sortedIndices === null ? null : lengthsOf(op, sortedIndices);
    if (sorted && (sorted.length !== sizes[0] || [...sorted].sort((a, b) => a - b).some((v, i) => v !== i))) {
      throw new Error(`${op}: sortedIndices must be a permutation of 0..${sizes[0]! - 1}, got ${fmt(sorted)}`);
    }
    this.data = data;
    this._sizes = sizes;
    this._sorted = sorted;
    this.batchSizes = batchSizes instanceof Tensor ? batchSizes : indexTensor(sizes);
    this.sortedIndices = sorted === null ? null : sortedIndices instanceof Tensor ? sortedIndices : indexTensor(sorted);
    const unsorted = sorted === null ? null : invert(sorted);
    this.unsortedIndices = unsorted === null ? null : unsortedIndices instanceof Tensor ? unsortedIndices : indexTensor(unsortedIndices ?? unsorted);
  }

  /** The same batch structure with other data (an RNN's output). */
  withData(data: Tensor): PackedSequence {
    return new PackedSequence(data, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }

  /** Each sequence's length, in sorted (packed) order. */
  get _lengths(): number[] {
    const n = this._sizes[0]!;
    const ls = new Array<number>(n).fill(0);
    for (const b of this._sizes) for (let i = 0; i < b; i++) ls[i]!++;
    return ls;
  }
}

function invert(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return inv;
}

export interface PadSequenceOptions { batchFirst?: boolean; paddingValue?: number }

/** Stacks sequences [Lᵢ, *] into [maxL, N, *] ([N, maxL, *] with batchFirst), padding with paddingValue. */
export function padSequence(sequences: readonly Tensor[], opts: PadSequenceOptions = {}): Tensor {
  const op = 'padSequence';
  if (!Array.isArray(sequences) || sequences.length === 0) throw new Error(`${op}: needs a non-empty array of tensors`);
  const first = sequences[0]!;
  sequences.forEach((s, i) => {
    if (!(s instanceof Tensor)) throw new TypeError(`${op}: sequences[${i}] is not a Tensor`);
    if (s.ndim < 1 || s.ndim !== first.ndim || s.shape.slice(1).some((v, j) => v !== first.shape[j + 1])) {
      throw new Error(`${op}: every sequence must be [L, ${first.shape.slice(1).join(', ')}] like sequences[0] ${fmt(first.shape)}; sequences[${i}] is ${fmt(s.shape)}`);
    }
  });
  const maxLen = Math.max(...sequences.map((s) => s.shape[0]!));
  return scope(() => {
    const padded = sequences.map((s) => {
      const pads = new Array<number>(2 * s.ndim).fill(0);
      pads[2 * s.ndim - 1] = maxLen - s.shape[0]!;
      return pad(s, pads, opts.paddingValue ?? 0);
    });
    return stack(padded, opts.batchFirst ? 0 : 1);
  });
}

export interface PackOptions { batchFirst?: boolean; enforceSorted?: boolean }

/** Packs a padded batch [L, N, *] ([N, L, *] with batchFirst) whose sequences have the given lengths. */
export function packPaddedSequence(input: Tensor, lengths: readonly number[] | Tensor, opts: PackOptions = {}): PackedSequence {
  const op = 'packPaddedSequence';
  const batchFirst = opts.batchFirst ?? false;
  const ls = lengthsOf(op, lengths);
  if (input.ndim < 2) throw new Error(`${op}: input must be [L, N, *] (or [N, L, *] with batchFirst), got ${fmt(input.shape)}`);
  const [L, N] = batchFirst ? [input.shape[1]!, input.shape[0]!] : [input.shape[0]!, input.shape[1]!];
  if (ls.length !== N) throw new Error(`${op}: got ${ls.length} lengths for a batch of ${N} (input ${fmt(input.shape)}${batchFirst ? ', batchFirst' : ''})`);
  ls.forEach((l, i) => {
    if (l < 1) throw new RangeError(`${op}: every length must be > 0, got lengths[${i}] = ${l}`);
    if (l > L) throw new RangeError(`${op}: lengths[${i}] = ${l} exceeds the padded length ${L} of input ${fmt(input.shape)}`);
  });
  let sorted: number[] | null = null;
  if (opts.enforceSorted ?? true) {
    const bad = ls.findIndex((l, i) => i > 0 && l > ls[i - 1]!);
    if (bad >= 0) {
      throw new Error(`${op}: lengths must be sorted in decreasing order when enforceSorted is true (lengths[${bad}] = ${ls[bad]} > lengths[${bad - 1}] = ${ls[bad - 1]}); pass {enforceSorted: false} to sort them`);
    }
  } else {
    sorted = ls.map((_, i) => i).sort((a, b) => ls[b]! - ls[a]! || a - b);
  }
  const order = sorted ?? ls.map((_, i) => i);
  const sizes: number[] = [];
  for (let t = 0; t < ls[order[0]!]!; t++) sizes.push(ls.filter((l) => l > t).length);
  // Row t·N + sorted[b] of the time-major input, for every running (t, b).
  const rows: number[] = [];
  sizes.forEach((b, t) => { for (let i = 0; i < b; i++) rows.push(t * N + order[i]!); });
  const data = scope(() => {
    const tm = batchFirst ? transpose(input, 0, 1) : input;
    const flat = reshape(tm, [L * N, ...input.shape.slice(2)]);
    return indexSelect(flat, 0, indexTensor(rows));
  });
  return new PackedSequence(data, sizes, sorted);
}

export interface PadPackedOptions { batchFirst?: boolean; paddingValue?: number; totalLength?: number | null }

/** Unpacks to [padded [L, N, *] (or [N, L, *]), lengths] in the batch's original order. */
export function padPackedSequence(sequence: PackedSequence, opts: PadPackedOptions = {}): [Tensor, Tensor] {
  const op = 'padPackedSequence';
  if (!(sequence instanceof PackedSequence)) throw new TypeError(`${op}: expected a PackedSequence`);
  const sizes = sequence._sizes;
  const N = sizes[0]!;
  const maxLen = sizes.length;
  const L = opts.totalLength ?? maxLen;
  if (!Number.isInteger(L) || L < maxLen) {
    throw new RangeError(`${op}: totalLength must be an integer ≥ the longest sequence (${maxLen}), got ${opts.totalLength}`);
  }
  const { data } = sequence;
  const rest = data.shape.slice(1);
  // Where each (t, original b) comes from: its row of data, or the padding row after the data.
  const sorted = sequence._sorted;
  const fill = data.shape[0]!;
  const src = new Array<number>(L * N).fill(fill);
  let off = 0;
  sizes.forEach((b, t) => {
    for (let i = 0; i < b; i++) src[t * N + (sorted ? sorted[i]! : i)] = off + i;
    off += b;
  });
  const padded = scope(() => {
    const padRow = full([1, ...rest], opts.paddingValue ?? 0, { dtype: data.dtype });
    const out = reshape(indexSelect(cat([data, padRow], 0), 0, indexTensor(src)), [L, N, ...rest]);
    return opts.batchFirst ? transpose(out, 0, 1) : out;
  });
  const ls = sequence._lengths;
  const lengths = sorted ? invert(sorted).map((i) => ls[i]!) : ls;
  return [padded, indexTensor(lengths)];
}

/** Packs sequences [Lᵢ, *] (longest first unless enforceSorted is false). */
export function packSequence(sequences: readonly Tensor[], opts: { enforceSorted?: boolean } = {}): PackedSequence {
  const padded = padSequence(sequences);
  const packed = packPaddedSequence(padded, sequences.map((s) => s.shape[0]!), { enforceSorted: opts.enforceSorted ?? true });
  padded.dispose();
  return packed;
}

/** The sequences [Lᵢ, *] of a padded batch [L, N, *] ([N, L, *] with batchFirst): padSequence undone. */
export function unpadSequence(padded: Tensor, lengths: readonly number[] | Tensor, opts: { batchFirst?: boolean } = {}): Tensor[] {
  const op = 'unpadSequence';
  const ls = lengthsOf(op, lengths);
  if (padded.ndim < 2) throw new Error(`${op}: expected a padded batch [L, N, *] (or [N, L, *] with batchFirst), got ${fmt(padded.shape)}`);
  const [L, N] = opts.batchFirst ? [padded.shape[1]!, padded.shape[0]!] : [padded.shape[0]!, padded.shape[1]!];
  if (ls.length !== N) throw new Error(`${op}: got ${ls.length} lengths for a batch of ${N} (shape ${fmt(padded.shape)})`);
  ls.forEach((l, i) => { if (l < 0 || l > L) throw new RangeError(`${op}: lengths[${i}] = ${l} is not within the padded length ${L}`); });
  return ls.map((l, i) => scope(() => narrow(select(padded, opts.batchFirst ? 0 : 1, i), 0, 0, l)));
}

/** The sequences [Lᵢ, *] of a PackedSequence, in the batch's original order: packSequence undone. */
export function unpackSequence(packed: PackedSequence): Tensor[] {
  const [padded, lengths] = padPackedSequence(packed, { batchFirst: true });
  const out = unpadSequence(padded, lengths, { batchFirst: true });
  padded.dispose();
  lengths.dispose();
  return out;
}
