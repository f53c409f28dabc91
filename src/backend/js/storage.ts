// JsStorage (a typed array behind the Storage handle), live-memory accounting, and the
// value-conversion rules every js kernel shares (float→int32 truncation, x != 0 for bool).

import type { Storage } from '../backend.js';
import { arrayFor, bytesPer, dtypeOfArray, type DType, type TypedArray } from '../../tensor/dtype.js';

/** Counts the live storages of one js backend instance. */
export class JsMemory {
  storages = 0;
  bytes = 0;

  alloc(dtype: DType, size: number): JsStorage {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`js backend: cannot allocate ${size} elements of ${dtype} (size must be a non-negative integer)`);
    }
    return new JsStorage(this, dtype, arrayFor(dtype, size));
  }

  /** Wraps an array this backend just created (never one the caller still holds). */
  adopt(data: TypedArray): JsStorage {
    return new JsStorage(this, dtypeOfArray(data), data);
  }
}

export class JsStorage implements Storage {
  readonly backend = 'js';
  readonly size: number;
  private _data: TypedArray | null;

  constructor(private readonly owner: JsMemory, readonly dtype: DType, data: TypedArray) {
    this._data = data;
    this.size = data.length;
    owner.storages += 1;
    owner.bytes += data.length * bytesPer(dtype);
  }

  get freed(): boolean {
    return this._data === null;
  }

  /** The elements; throws once the buffer has been released. */
  get data(): TypedArray {
    if (this._data === null) {
      throw new Error(`js backend: this ${this.dtype} buffer of ${this.size} elements was released (freed) and cannot be used`);
    }
    return this._data;
  }

  /** Releases the buffer; a second free is a no-op. */
  release(): void {
    if (this._data === null) return;
    this._data = null;
    this.owner.storages -= 1;
    this.owner.bytes -= this.size * bytesPer(this.dtype);
  }
}

/** Checks that `s` is a live js storage (of one of `dtypes`, if given) and returns it. */
export function js(s: Storage, where: string, dtypes?: readonly DType[]): JsStorage {
  if (!(s instanceof JsStorage)) {
    const name = (s as { backend?: unknown } | null)?.backend;
    throw new TypeError(`${where}: expected a storage of the js backend, got ${name === undefined ? String(s) : `one of backend '${String(name)}'`}`);
  }
  if (s.freed) s.data; // throws the "released" error
  if (dtypes && !dtypes.includes(s.dtype)) {
    throw new TypeError(`${where}: dtype ${s.dtype} is not supported (expected ${dtypes.join(' or ')})`);
  }
  return s;
}

/** Checks that every storage has the same dtype as the first. */
export function sameDType(where: string, ...ss: JsStorage[]): DType {
  const d = ss[0]!.dtype;
  for (const s of ss) {
    if (s.dtype !== d) throw new TypeError(`${where}: inputs must share one dtype, got ${ss.map((t) => t.dtype).join(' and ')}`);
  }
  return d;
}

export const FLOATS: readonly DType[] = ['float32', 'float64'];
export const NUMERIC: readonly DType[] = ['float32', 'float64', 'int32'];
export const ALL: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

const INT_MIN = -2147483648;
const TWO31 = 2147483648;

/**
 * A JS number as stored in `dtype`: float → int32 truncates toward zero and, like PyTorch on
 * x86, gives INT_MIN for NaN or anything out of range; bool is x != 0 (NaN is true).
 */
export function convert(v: number, dtype: DType): number {
  switch (dtype) {
    case 'float32': return Math.fround(v);
    case 'float64': return v;
    case 'int32': {
      const t = Math.trunc(v);
      return t >= -TWO31 && t < TWO31 ? t : INT_MIN;
    }
    case 'bool': return v !== 0 ? 1 : 0;
  }
}

/** A copy of `data` as `dtype`, element by element through `convert` (bool input is normalised to 0/1). */
export function convertArray(data: TypedArray, dtype: DType): TypedArray {
  const out = arrayFor(dtype, data.length);
  if ((dtypeOfArray(data) === dtype && dtype !== 'bool') || dtype === 'float32' || dtype === 'float64') {
    out.set(data); // typed-array assignment rounds to float32 / widens exactly
    return out;
  }
  for (let i = 0; i < data.length; i++) out[i] = convert(data[i]!, dtype);
  return out;
}

/** Product of a shape, checking each extent. */
export function numel(shape: readonly number[], where: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${where}: bad shape [${shape.join(', ')}] (extents must be non-negative integers)`);
    n *= d;
  }
  return n;
}
