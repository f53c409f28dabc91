// safetensors encode/decode on bytes in memory (browser-safe), following the format's spec:
// u64 LE header length, a JSON header of {name: {dtype, shape, data_offsets}}, then the data.

import type { DType, TypedArray } from '../tensor/dtype.js';

/** A tensor as plain data: row-major contiguous values of one dtype. */
export interface TensorRecord {
  dtype: DType;
  shape: number[];
  data: TypedArray;
  /**
   * The safetensors dtype it was stored as, when read (e.g. 'I64', 'F16'); when writing an int32
   * record, 'I64' stores it as 64-bit integers (what PyTorch uses for counters and indices).
   */
  stored?: string;
}

export interface DecodedSafetensors {
  tensors: Record<string, TensorRecord>;
  metadata: Record<string, string>;
}

/** The header length we accept; the spec's reference reader refuses headers over 100 MB too. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype in the spec; which ones we can read is in `readAs`. */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** Our dtype for each readable safetensors dtype (narrower ints widen, halves widen to float32). */
const READ_AS: Record<string, DType> = {
  F32: 'float32', F64: 'float64', F16: 'float32', BF16: 'float32',
  I32: 'int32', I64: 'int32', U32: 'int32', I16: 'int32', U16: 'int32', I8: 'int32', U8: 'int32',
  BOOL: 'bool',
};

const WRITE_AS: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Sets an own, enumerable property even for names like `__proto__` (keys come from files). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function describeName(name: string | undefined): string {
  return name ? `safetensors ${name}` : 'safetensors';
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------- encode

function arrayMatches(dtype: DType, data: TypedArray): boolean {
  switch (dtype) {
    case 'float32': return data instanceof Float32Array;
    case 'float64': return data instanceof Float64Array;
    case 'int32': return data instanceof Int32Array;
    case 'bool': return data instanceof Uint8Array;
  }
}

/**
 * Encodes tensors (and optional string metadata) as one safetensors file. Tensors are laid out
 * widest dtype first, then in sorted name order; the header is padded with spaces so the data
 * starts 8-byte aligned, and so every tensor is aligned to its element size.
 */
export function encodeSafetensors(
  tensors: Record<string, TensorRecord>,
  metadata?: Record<string, string>,
): Uint8Array {
  const where = 'encodeSafetensors';
  // As the reference writer does: wider elements first, then by name, so every tensor starts at a
  // multiple of its element size (data starts 8-aligned) and readers can view it without copying.
  const width = (name: string) => {
    const r = tensors[name];
    return r?.stored === 'I64' ? 8 : r?.dtype === 'float64' ? 8 : r?.dtype === 'bool' ? 1 : 4;
  };
  const names = Object.keys(tensors).sort((a, b) => width(b) - width(a) || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new TypeError(`${where}: metadata value for ${JSON.stringify(k)} is ${typeof v}; safetensors metadata must map strings to strings`);
      }
      setOwn(meta, k, v);
    }
    if (Object.keys(meta).length > 0) header.__metadata__ = meta;
  }
  const plans: { name: string; rec: TensorRecord; st: string; begin: number; end: number }[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new Error(`${where}: "__metadata__" is reserved and cannot name a tensor`);
    const rec = tensors[name];
    if (rec === undefined || rec === null || typeof rec !== 'object') throw new TypeError(`${where}: tensor ${JSON.stringify(name)} is not a {dtype, shape, data} record`);
    const { dtype, shape, data } = rec;
    if (!(dtype in WRITE_AS)) throw new TypeError(`${where}: tensor ${JSON.stringify(name)} has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TypeError(`${where}: tensor ${JSON.stringify(name)} has shape ${JSON.stringify(shape)}; dims must be non-negative integers`);
    }
    if (!arrayMatches(dtype, data)) {
      throw new TypeError(`${where}: tensor ${JSON.stringify(name)} is ${dtype} but its data is a ${data?.constructor?.name ?? typeof data}`);
    }
    const n = numelOf(shape);
    if (data.length !== n) {
      throw new Error(`${where}: tensor ${JSON.stringify(name)} has shape [${shape.join(', ')}] (${n} elements) but ${data.length} values`);
    }
    let st = WRITE_AS[dtype];
    if (rec.stored === 'I64' && dtype === 'int32') st = 'I64';
    else if (rec.stored !== undefined && rec.stored !== st) {
      throw new Error(`${where}: tensor ${JSON.stringify(name)}: cannot store ${dtype} as ${rec.stored} (only int32 as I64)`);
    }
    const bytes = n * DTYPE_BYTES[st];
    plans.push({ name, rec, st, begin: offset, end: offset + bytes });
    setOwn(header, name, { dtype: st, shape: [...shape], data_offsets: [offset, offset + bytes] });
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  json = new Uint8Array(0);
  const base = 8 + padded;
  for (const { rec, st, begin } of plans) {
    const at = base + begin;
    if (st === 'I64') {
      const src = rec.data as Int32Array;
      for (let i = 0; i < src.length; i++) view.setBigInt64(at + 8 * i, BigInt(src[i]), true);
    } else if (st === 'BOOL') {
      const src = rec.data as Uint8Array;
      for (let i = 0; i < src.length; i++) out[at + i] = src[i] ? 1 : 0;
    } else if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(rec.data.buffer, rec.data.byteOffset, rec.data.byteLength), at);
    } else {
      writeLittleEndian(view, at, rec.data);
    }
  }
  return out;
}

function writeLittleEndian(view: DataView, at: number, data: TypedArray): void {
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
  else if (data instanceof Float64Array) for (let i = 0; i < data.length; i++) view.setFloat64(at + 8 * i, data[i], true);
  else if (data instanceof Int32Array) for (let i = 0; i < data.length; i++) view.setInt32(at + 4 * i, data[i], true);
}

// ---------------------------------------------------------------- decode

interface Entry { name: string; st: string; shape: number[]; begin: number; end: number }

/**
 * Decodes a safetensors file held in memory. `name` (a file name) goes into every error.
 * Every length and offset is checked before anything is allocated: the data offsets must
 * tile the data section exactly, with no gap or overlap, and match shape × dtype size.
 */
export function decodeSafetensors(bytes: Uint8Array, name?: string): DecodedSafetensors {
  const where = describeName(name);
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${where}: expected the file's bytes as a Uint8Array`);
  if (bytes.length < 8) {
    throw new Error(`${where}: file is ${bytes.length} bytes, too short for the 8-byte header length (truncated or not a safetensors file)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${where}: header length ${headerLen64} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  }
  const headerLen = Number(headerLen64);
  if (8 + headerLen > bytes.length) {
    throw new Error(`${where}: header length ${headerLen} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  }
  if (headerLen < 2) throw new Error(`${where}: header length ${headerLen} is too short to hold a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new Error(`${where}: header is not valid UTF-8`);
  }
  if (text[0] !== '{') throw new Error(`${where}: header does not start with '{' (not a safetensors file?)`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new Error(`${where}: header must be a JSON object`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error(`${where}: __metadata__ must be an object of strings`);
      }
      for (const [mk, mv] of Object.entries(value as Record<string, unknown>)) {
        if (typeof mv !== 'string') throw new Error(`${where}: __metadata__ value for ${JSON.stringify(mk)} is not a string`);
        setOwn(metadata, mk, mv);
      }
      continue;
    }
    entries.push(checkEntry(where, key, value, dataLen));
  }
  checkTiling(where, entries, dataLen);
  const tensors: Record<string, TensorRecord> = {};
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const data = readData(where, e, raw);
    setOwn(tensors, e.name, { dtype: READ_AS[e.st], shape: e.shape, data, stored: e.st });
  }
  return { tensors, metadata };
}

function checkEntry(where: string, key: string, value: unknown, dataLen: number): Entry {
  const t = `${where}: tensor ${JSON.stringify(key)}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${t}: entry must be an object with dtype, shape and data_offsets`);
  const v = value as Record<string, unknown>;
  const st = v.dtype;
  if (typeof st !== 'string') throw new Error(`${t}: dtype is missing or not a string`);
  if (!(st in DTYPE_BYTES)) throw new Error(`${t}: unknown dtype ${JSON.stringify(st)}`);
  if (!(st in READ_AS)) {
    throw new Error(`${t}: dtype ${st} is not supported (supported: ${Object.keys(READ_AS).join(', ')})`);
  }
  const shape = v.shape;
  if (!Array.isArray(shape)) throw new Error(`${t}: shape is missing or not an array`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new Error(`${t}: shape ${JSON.stringify(shape)} has ${JSON.stringify(d)}; dims must be non-negative integers`);
    }
  }
  const offs = v.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2) throw new Error(`${t}: data_offsets must be [begin, end]`);
  const [begin, end] = offs;
  for (const o of [begin, end]) {
    if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) {
      throw new Error(`${t}: data_offsets ${JSON.stringify(offs)} must be non-negative integers`);
    }
  }
  if (begin > end) throw new Error(`${t}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLen) {
    throw new Error(`${t}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes; truncated?)`);
  }
  const numel = numelOf(shape as number[]);
  const need = numel * DTYPE_BYTES[st];
  if (!Number.isSafeInteger(need) || need !== end - begin) {
    throw new Error(`${t}: shape [${(shape as number[]).join(', ')}] of ${st} needs ${need} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name: key, st, shape: [...(shape as number[])], begin, end };
}

/** The spec requires the offsets to cover the data section exactly: no gap, no overlap. */
function checkTiling(where: string, entries: Entry[], dataLen: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < at) {
      throw new Error(`${where}: tensors ${JSON.stringify(prev!.name)} [${prev!.begin}, ${prev!.end}] and ${JSON.stringify(e.name)} [${e.begin}, ${e.end}] overlap`);
    }
    if (e.begin > at) throw new Error(`${where}: bytes [${at}, ${e.begin}) of the data belong to no tensor (gap before ${JSON.stringify(e.name)})`);
    at = e.end;
    prev = e;
  }
  if (at !== dataLen) {
    throw new Error(`${where}: tensors cover ${at} bytes of data but the file has ${dataLen} after the header (trailing bytes)`);
  }
}

/** A fresh copy (Buffer#slice would share memory, so not `slice`). */
function copyBytes(raw: Uint8Array): Uint8Array {
  const c = new Uint8Array(raw.length);
  c.set(raw);
  return c;
}

/** Copies (the data may be unaligned in the file) and converts to the dtype we hold. */
function readData(where: string, e: Entry, raw: Uint8Array): TypedArray {
  const n = raw.length / DTYPE_BYTES[e.st];
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (e.st) {
    case 'F32': {
      if (LITTLE_ENDIAN) return new Float32Array(copyBytes(raw).buffer);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
      return out;
    }
    case 'F64': {
      if (LITTLE_ENDIAN) return new Float64Array(copyBytes(raw).buffer);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true);
      return out;
    }
    case 'I32': {
      if (LITTLE_ENDIAN) return new Int32Array(copyBytes(raw).buffer);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, true);
      return out;
    }
    case 'BOOL': {
      for (let i = 0; i < n; i++) {
        if (raw[i] > 1) throw new Error(`${where}: tensor ${JSON.stringify(e.name)}: BOOL element ${i} is ${raw[i]}, not 0 or 1`);
      }
      return copyBytes(raw);
    }
    case 'I64': case 'U32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const x = e.st === 'I64' ? v.getBigInt64(8 * i, true) : BigInt(v.getUint32(4 * i, true));
        if (x > 2147483647n || x < -2147483648n) {
          throw new Error(`${where}: tensor ${JSON.stringify(e.name)}: ${e.st} element ${i} = ${x} does not fit in int32`);
        }
        out[i] = Number(x);
      }
      return out;
    }
    case 'I16': { const out = new Int32Array(n); for (let i = 0; i < n; i++) out[i] = v.getInt16(2 * i, true); return out; }
    case 'U16': { const out = new Int32Array(n); for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true); return out; }
    case 'I8': { const out = new Int32Array(n); for (let i = 0; i < n; i++) out[i] = v.getInt8(i); return out; }
    case 'U8': return Int32Array.from(raw);
    case 'F16': { const out = new Float32Array(n); for (let i = 0; i < n; i++) out[i] = halfToFloat(v.getUint16(2 * i, true)); return out; }
    case 'BF16': {
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = v.getUint16(2 * i, true) << 16;
      return new Float32Array(bits.buffer);
    }
  }
  throw new Error(`${where}: tensor ${JSON.stringify(e.name)}: dtype ${e.st} is not supported`);
}

/** IEEE 754 binary16 → number (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
