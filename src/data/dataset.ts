// Datasets: the map-style Dataset (length + get), TensorDataset over contiguous columns (with a
// batch fast path), Subset, randomSplit with nabla's seeded RNG, mapped and async-iterable datasets.

import { Tensor } from '../tensor/tensor.js';
import type { DType, TypedArray } from '../tensor/dtype.js';
import { tensor } from '../tensor/create.js';
import { randomInt } from '../tensor/random.js';
import { withRng } from './rng.js';

/** A map-style dataset: `length` samples, the i-th from `get(i)` (which may return a Promise). */
export interface Dataset<S = unknown> {
  readonly length: number;
  get(i: number): S | Promise<S>;
  /**
   * Optional fast path: the already-collated batch for these indices (e.g. rows copied straight
   * into one typed array). The DataLoader uses it when no custom collate is given.
   */
  getBatch?(indices: readonly number[]): unknown;
}

/** A dataset that can only be walked in order (a stream, a generator, lines of a file). */
export type IterableDataset<S = unknown> = Iterable<S> | AsyncIterable<S>;

/** An image or any array with a shape but without a tensor (transforms and collate accept it). */
export interface ArraySample {
  data: TypedArray | Uint8ClampedArray | Int8Array | Int16Array | Uint16Array | Uint32Array;
  shape: readonly number[];
}

export function isArraySample(v: unknown): v is ArraySample {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor) && ArrayBuffer.isView((v as ArraySample).data) &&
    Array.isArray((v as ArraySample).shape);
}

export function isDataset(v: unknown): v is Dataset {
  return typeof v === 'object' && v !== null && typeof (v as Dataset).get === 'function' && typeof (v as Dataset).length === 'number';
}

function checkIndex(name: string, i: number, n: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${name}: index ${i} is out of range for ${n} samples`);
}

/** One column of a TensorDataset given as a typed array: the first dimension indexes samples. */
export interface Column {
  data: TypedArray | Int8Array | Int16Array | Uint16Array | Uint32Array | Uint8ClampedArray;
  shape: readonly number[];
  /** The batch tensor's dtype; defaults to float32/float64/int32 from the array (other integer arrays → int32). */
  dtype?: DType;
  /**
   * Multiplies values as they are copied out (e.g. 1/255 to keep images as uint8 in memory and batch
   * them as float [0, 1]); a column with a scale is float32 unless dtype says float64.
   */
  scale?: number;
}

interface StoredColumn {
  data: Column['data'];
  rowShape: number[];
  rowSize: number;
  dtype: DType;
  scale: number | undefined;
}

function defaultDType(a: Column['data']): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

function arrayFor(dtype: DType, n: number): Float32Array | Float64Array | Int32Array | Uint8Array {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    default: return new Uint8Array(n);
  }
}

/**
 * Samples are rows of equally long tensors or typed-array columns (like torch's TensorDataset):
 * get(i) gives [row of column 0, row of column 1, …] as tensors. The DataLoader batches it without
 * per-sample tensors, copying rows straight into one array per column. Tensors given are read once
 * (copied); the dataset holds no tensor, so no scope can release its data.
 */
export class TensorDataset implements Dataset<Tensor[]> {
  private readonly cols: StoredColumn[];
  readonly length: number;

  constructor(...columns: (Tensor | Column)[]) {
    if (columns.length === 0) throw new Error('TensorDataset: give at least one tensor or column');
    this.cols = columns.map((c, k) => {
      const shape = c instanceof Tensor ? [...c.shape] : [...c.shape];
      if (shape.length === 0) throw new Error(`TensorDataset: column ${k} is a scalar; each column needs a first (sample) dimension`);
      const data = c instanceof Tensor ? c.dataSync() : c.data;
      const rowShape = shape.slice(1);
      const rowSize = rowShape.reduce((a, b) => a * b, 1);
      if (data.length !== shape[0]! * rowSize) {
        throw new Error(`TensorDataset: column ${k} has shape [${shape.join(', ')}] but ${data.length} elements`);
      }
      const scale = c instanceof Tensor ? undefined : c.scale;
      if (scale !== undefined && !Number.isFinite(scale)) throw new Error(`TensorDataset: column ${k} has scale ${scale}; give a finite number`);
      const dtype = c instanceof Tensor ? c.dtype : c.dtype ?? (scale !== undefined ? 'float32' : defaultDType(c.data));
      if (scale !== undefined && dtype !== 'float32' && dtype !== 'float64') throw new Error(`TensorDataset: column ${k} has a scale, so its dtype must be float32 or float64, not ${dtype}`);
      return { data, rowShape, rowSize, dtype, scale };
    });
    const n = (c: Tensor | Column): number => c.shape[0]!;
    this.length = n(columns[0]!);
    columns.forEach((c, k) => {
      if (n(c) !== this.length) {
        throw new Error(`TensorDataset: column ${k} has ${n(c)} samples, column 0 has ${this.length}; every column needs the same first dimension`);
      }
    });
  }

  get(i: number): Tensor[] {
    return this.getArrays(i).map((a, k) => tensor(a.data as Float32Array, { shape: a.shape, dtype: this.cols[k]!.dtype }));
  }

  /** Sample i as {data, shape} arrays, one per column (no tensors: for typed-array transform pipelines). */
  getArrays(i: number): ArraySample[] {
    checkIndex('TensorDataset.get', i, this.length);
    return this.cols.map((c) => {
      const row = arrayFor(c.dtype, c.rowSize);
      const src = c.data;
      const off = i * c.rowSize;
      const sc = c.scale;
      if (sc === undefined) for (let j = 0; j < c.rowSize; j++) row[j] = src[off + j]!;
      else for (let j = 0; j < c.rowSize; j++) row[j] = src[off + j]! * sc;
      return { data: row, shape: c.rowShape };
    });
  }

  /** This dataset with samples as {data, shape} arrays: withTransform(ds.asArrays(), aug) makes no tensor per sample. */
  asArrays(): Dataset<ArraySample[]> {
    return { length: this.length, get: (i: number) => this.getArrays(i) };
  }

  /** The batch for these indices: one tensor per column, [indices.length, ...rowShape]. */
  getBatch(indices: readonly number[]): Tensor[] {
    return this.cols.map((c) => {
      const out = arrayFor(c.dtype, indices.length * c.rowSize);
      const src = c.data;
      const rs = c.rowSize;
      const sc = c.scale;
      const same = sc === undefined && ((src instanceof Float32Array && out instanceof Float32Array) ||
        (src instanceof Float64Array && out instanceof Float64Array) || (src instanceof Int32Array && out instanceof Int32Array));
      for (let b = 0; b < indices.length; b++) {
        const i = indices[b]!;
        checkIndex('TensorDataset.getBatch', i, this.length);
        if (same) (out as Float32Array).set((src as Float32Array).subarray(i * rs, i * rs + rs), b * rs);
        else if (sc === undefined) for (let j = 0; j < rs; j++) out[b * rs + j] = src[i * rs + j]!;
        else for (let j = 0; j < rs; j++) out[b * rs + j] = src[i * rs + j]! * sc;
      }
      return tensor(out, { shape: [indices.length, ...c.rowShape], dtype: c.dtype });
    });
  }
}

/** The samples of `dataset` at `indices` (like torch.utils.data.Subset); keeps the batch fast path. */
export class Subset<S> implements Dataset<S> {
  readonly indices: readonly number[];
  constructor(readonly dataset: Dataset<S>, indices: readonly number[]) {
    for (const i of indices) checkIndex('Subset', i, dataset.length);
    this.indices = indices.slice();
    const parent = dataset;
    if (typeof parent.getBatch === 'function') {
      this.getBatch = (idx: readonly number[]): unknown => parent.getBatch!(idx.map((k) => this.indices[this.at(k)]!));
    }
  }
  get length(): number {
    return this.indices.length;
  }
  private at(i: number): number {
    checkIndex('Subset.get', i, this.indices.length);
    return i;
  }
  get(i: number): S | Promise<S> {
    return this.dataset.get(this.indices[this.at(i)]!);
  }
  getBatch?(indices: readonly number[]): unknown;
}

/** A dataset whose samples are `fn(sample, i)` — how transforms are applied to a dataset. */
export class MappedDataset<S, T> implements Dataset<T> {
  constructor(readonly dataset: Dataset<S>, readonly fn: (sample: S, i: number) => T) {}
  get length(): number {
    return this.dataset.length;
  }
  get(i: number): T | Promise<T> {
    const s = this.dataset.get(i);
    return s instanceof Promise ? s.then((v) => this.fn(v, i)) : this.fn(s, i);
  }
}

/**
 * Applies `transform` to the first element of each [input, target, …] sample (and
 * `targetTransform` to the second), like torchvision's dataset transforms.
 */
export function withTransform<I, O, T = unknown, U = T>(
  dataset: Dataset<[I, T, ...unknown[]]>,
  transform: ((x: I) => O) | null,
  targetTransform?: (y: T) => U,
): Dataset<[O, U]> {
  return new MappedDataset(dataset, (s) => {
    const [x, y] = s;
    return [transform ? transform(x) : (x as unknown as O), targetTransform ? targetTransform(y) : (y as unknown as U)] as [O, U];
  });
}

/** A map-style dataset over a plain array of samples. */
export class ArrayDataset<S> implements Dataset<S> {
  constructor(readonly items: readonly S[]) {}
  get length(): number {
    return this.items.length;
  }
  get(i: number): S {
    checkIndex('ArrayDataset.get', i, this.items.length);
    return this.items[i]!;
  }
}

/** A random permutation of 0..n-1 (Fisher–Yates) from nabla's RNG. */
export function randperm(n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Splits a dataset into non-overlapping random subsets (torch.utils.data.random_split). `lengths`
 * are counts summing to the length, or fractions summing to 1 (remainders go round-robin to the
 * first splits, as PyTorch does). The permutation comes from nabla's RNG — from `seed` alone when
 * given (the global generator is left untouched), else from the global one (manualSeed).
 */
export function randomSplit<S>(dataset: Dataset<S>, lengths: readonly number[], opts: { seed?: number } = {}): Subset<S>[] {
  const n = dataset.length;
  let counts: number[];
  const total = lengths.reduce((a, b) => a + b, 0);
  if (lengths.some((l) => !(l >= 0))) throw new Error(`randomSplit: lengths must be non-negative, got [${lengths.join(', ')}]`);
  if (Math.abs(total - 1) < 1e-9 && lengths.some((l) => !Number.isInteger(l))) {
    counts = lengths.map((f) => Math.floor(n * f));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]! += 1;
  } else {
    if (!lengths.every(Number.isInteger)) throw new Error(`randomSplit: lengths must be integers or fractions summing to 1, got [${lengths.join(', ')}]`);
    if (total !== n) throw new Error(`randomSplit: lengths [${lengths.join(', ')}] sum to ${total}, but the dataset has ${n} samples`);
    counts = lengths.slice();
  }
  const perm = opts.seed === undefined ? randperm(n) : withRng(opts.seed, () => randperm(n));
  const out: Subset<S>[] = [];
  let off = 0;
  for (const c of counts) {
    out.push(new Subset(dataset, perm.slice(off, off + c)));
    off += c;
  }
  return out;
}
