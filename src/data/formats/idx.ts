// IDX files (the MNIST family's format) parsed from and written to bytes, browser-safe.
// Layout: 0x00 0x00, a type byte, a rank byte, rank big-endian u32 dims, then big-endian data.

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export interface IdxArray {
  type: IdxType;
  shape: number[];
  /** uint8 → Uint8Array, int8/int16/int32 → Int32Array, float32 → Float32Array, float64 → Float64Array. */
  data: Uint8Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};
const CODES: Record<IdxType, number> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };

/** True when the bytes start like an IDX file (two zero bytes, a known type code). */
export function looksLikeIdx(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] in TYPES;
}

/**
 * Parses an (uncompressed) IDX file. `name` goes into errors. The byte count must match the
 * dims exactly; `expect` optionally pins the type and rank (e.g. images: uint8, rank 3).
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data', expect?: { type?: IdxType; rank?: number }): IdxArray {
  const where = `IDX ${name}`;
  if (bytes.length < 4) throw new Error(`${where}: file is ${bytes.length} bytes, too short for the 4-byte magic number (truncated?)`);
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (it is gzip-compressed: decompress it first)' : '';
    throw new Error(`${where}: bad magic number ${hex}: an IDX file starts with two zero bytes${gz}`);
  }
  const t = TYPES[bytes[2]];
  if (!t) throw new Error(`${where}: bad magic number ${hex}: unknown element type 0x${bytes[2].toString(16).padStart(2, '0')}`);
  const rank = bytes[3];
  if (rank === 0) throw new Error(`${where}: magic number ${hex} says rank 0`);
  if (expect?.type !== undefined && t.type !== expect.type) {
    throw new Error(`${where}: holds ${t.type} (magic ${hex}) but ${expect.type} was expected`);
  }
  if (expect?.rank !== undefined && rank !== expect.rank) {
    throw new Error(`${where}: has rank ${rank} (magic ${hex}) but rank ${expect.rank} was expected`);
  }
  const headerLen = 4 + 4 * rank;
  if (bytes.length < headerLen) throw new Error(`${where}: file is ${bytes.length} bytes, too short for the ${rank} dims its header declares (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let numel = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    numel *= d;
  }
  const need = numel * t.bytes;
  const have = bytes.length - headerLen;
  if (need !== have) {
    const what = have < need ? 'truncated?' : 'trailing bytes';
    throw new Error(`${where}: shape [${shape.join(', ')}] of ${t.type} needs ${need} data bytes but the file has ${have} (${what})`);
  }
  return { type: t.type, shape, data: readBigEndian(view, headerLen, numel, t.type, bytes) };
}

function readBigEndian(view: DataView, at: number, n: number, type: IdxType, bytes: Uint8Array): IdxArray['data'] {
  switch (type) {
    case 'uint8': return bytes.slice(at, at + n);
    case 'int8': { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = view.getInt8(at + i); return o; }
    case 'int16': { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = view.getInt16(at + 2 * i, false); return o; }
    case 'int32': { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = view.getInt32(at + 4 * i, false); return o; }
    case 'float32': { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = view.getFloat32(at + 4 * i, false); return o; }
    case 'float64': { const o = new Float64Array(n); for (let i = 0; i < n; i++) o[i] = view.getFloat64(at + 8 * i, false); return o; }
  }
}

/** Encodes an array as an (uncompressed) IDX file. */
export function encodeIdx(arr: IdxArray): Uint8Array {
  const { type, shape, data } = arr;
  const code = CODES[type];
  if (code === undefined) throw new Error(`encodeIdx: unknown IDX type ${JSON.stringify(type)}`);
  if (shape.length < 1 || shape.length > 255) throw new Error(`encodeIdx: rank ${shape.length} is outside 1..255`);
  let numel = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new Error(`encodeIdx: dim ${d} of [${shape.join(', ')}] is not a u32`);
    numel *= d;
  }
  if (data.length !== numel) throw new Error(`encodeIdx: shape [${shape.join(', ')}] has ${numel} elements but data has ${data.length}`);
  const bytes = TYPES[code].bytes;
  const head = 4 + 4 * shape.length;
  const out = new Uint8Array(head + numel * bytes);
  const v = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < numel; i++) {
    const x = data[i];
    const at = head + i * bytes;
    switch (type) {
      case 'uint8': checkRange(x, 0, 255, type, i); v.setUint8(at, x); break;
      case 'int8': checkRange(x, -128, 127, type, i); v.setInt8(at, x); break;
      case 'int16': checkRange(x, -32768, 32767, type, i); v.setInt16(at, x, false); break;
      case 'int32': checkRange(x, -2147483648, 2147483647, type, i); v.setInt32(at, x, false); break;
      case 'float32': v.setFloat32(at, x, false); break;
      case 'float64': v.setFloat64(at, x, false); break;
    }
  }
  return out;
}

function checkRange(x: number, lo: number, hi: number, type: string, i: number): void {
  if (!Number.isInteger(x) || x < lo || x > hi) throw new Error(`encodeIdx: element ${i} = ${x} does not fit ${type}`);
}
