// Turning a list of samples into a batch (PyTorch's default_collate): tensors, typed arrays,
// {data, shape} arrays and numbers are stacked along a new first dimension into one tensor.

import { Tensor } from '../tensor/tensor.js';
import type { DType, TypedArray } from '../tensor/dtype.js';
import { tensor } from '../tensor/create.js';
import { isArraySample, type ArraySample } from './dataset.js';

type AnyTypedArray = TypedArray | Int8Array | Int16Array | Uint16Array | Uint32Array | Uint8ClampedArray;

/** The batch type the default collate makes from a sample type. */
export type Collated<S> = unknown extends S
  ? unknown
  : S extends Tensor | number | boolean | ArrayBufferView | ArraySample
  ? Tensor
  : S extends string
    ? string[]
    : S extends readonly unknown[]
      ? { [K in keyof S]: Collated<S[K]> }
      : S extends object
        ? { [K in keyof S]: Collated<S[K]> }
        : never;

function dtypeOfView(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

function alloc(dtype: DType, n: number): Float32Array | Float64Array | Int32Array | Uint8Array {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'float64' ? new Float64Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Copies equally shaped arrays into one [B, ...shape] tensor. */
function stackArrays(arrays: AnyTypedArray[], shape: readonly number[], dtype: DType, where: string): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = alloc(dtype, arrays.length * size);
  arrays.forEach((a, b) => {
    if (a.length !== size) throw new Error(`collate: ${where} sample ${b} has ${a.length} elements, sample 0 has ${size}; samples in a batch must have equal shapes`);
    if (Object.getPrototypeOf(a) === Object.getPrototypeOf(out)) (out as Float32Array).set(a as Float32Array, b * size);
    else for (let j = 0; j < size; j++) out[b * size + j] = a[j]!;
  });
  return tensor(out, { shape: [arrays.length, ...shape], dtype });
}

/**
 * The default collate: tensors → stacked tensor; {data, shape} arrays and typed arrays →
 * [B, ...] tensors of their dtype (float32, float64, else int32); numbers → a [B] tensor (int32
 * when all are integers, else float32); booleans → bool; strings → a list; arrays and plain
 * objects → the same structure with each field collated.
 */
export function defaultCollate<S>(samples: readonly S[]): Collated<S> {
  return collate(samples as readonly unknown[], 'batch') as Collated<S>;
}

function collate(samples: readonly unknown[], where: string): unknown {
  if (samples.length === 0) throw new Error('collate: got an empty batch');
  const first = samples[0];
  const kind = (v: unknown): string => (v instanceof Tensor ? 'Tensor' : Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  for (let b = 1; b < samples.length; b++) {
    if (kind(samples[b]) !== kind(first)) throw new Error(`collate: ${where} sample ${b} is a ${kind(samples[b])}, sample 0 a ${kind(first)}`);
  }
  if (first instanceof Tensor) {
    const ts = samples as Tensor[];
    ts.forEach((t, b) => {
      if (!sameShape(t.shape, first.shape)) throw new Error(`collate: ${where} sample ${b} has shape ${fmt(t.shape)}, sample 0 ${fmt(first.shape)}; samples in a batch must have equal shapes`);
      if (t.dtype !== first.dtype) throw new Error(`collate: ${where} sample ${b} is ${t.dtype}, sample 0 ${first.dtype}`);
    });
    return stackArrays(ts.map((t) => t.dataSync()), first.shape, first.dtype, where);
  }
  if (isArraySample(first)) {
    const xs = samples as ArraySample[];
    xs.forEach((x, b) => {
      if (!sameShape(x.shape, first.shape)) throw new Error(`collate: ${where} sample ${b} has shape ${fmt(x.shape)}, sample 0 ${fmt(first.shape)}; samples in a batch must have equal shapes`);
    });
    return stackArrays(xs.map((x) => x.data), first.shape, dtypeOfView(first.data), where);
  }
  if (ArrayBuffer.isView(first)) {
    const xs = samples as AnyTypedArray[];
    return stackArrays(xs, [xs[0]!.length], dtypeOfView(xs[0]!), where);
  }
  if (typeof first === 'number') {
    const xs = samples as number[];
    const ints = xs.every(Number.isInteger);
    return tensor(ints ? Int32Array.from(xs) : Float32Array.from(xs), { shape: [xs.length] });
  }
  if (typeof first === 'boolean') return tensor(Uint8Array.from(samples as boolean[], (v) => (v ? 1 : 0)), { shape: [samples.length], dtype: 'bool' });
  if (typeof first === 'string') return samples.slice();
  if (Array.isArray(first)) {
    const n = first.length;
    samples.forEach((s, b) => {
      if ((s as unknown[]).length !== n) throw new Error(`collate: ${where} sample ${b} has ${(s as unknown[]).length} fields, sample 0 has ${n}`);
    });
    return Array.from({ length: n }, (_, k) => collate(samples.map((s) => (s as unknown[])[k]), `${where}[${k}]`));
  }
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(first)) out[k] = collate(samples.map((s) => (s as Record<string, unknown>)[k]), `${where}.${k}`);
    return out;
  }
  throw new TypeError(`collate: cannot batch a ${kind(first)} (${where}); give the DataLoader a collate function`);
}
