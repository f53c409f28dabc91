// NumPy .npy files read and written from bytes (browser-safe), per numpy's format spec:
// magic "\x93NUMPY", version, header length (u16 in v1, u32 in v2/v3), a Python-dict header, data.

import type { DType, TypedArray } from '../../tensor/dtype.js';

export interface NpyArray {
  dtype: DType;
  shape: number[];
  data: TypedArray;
  /** The numpy descr it was stored as ('<f4', '<i8', …). */
  descr?: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Our dtype and element size for each numpy type; both byte orders are read. */
const KINDS: Record<string, { dtype: DType; bytes: number }> = {
  f4: { dtype: 'float32', bytes: 4 }, f8: { dtype: 'float64', bytes: 8 },
  i4: { dtype: 'int32', bytes: 4 }, i8: { dtype: 'int32', bytes: 8 }, b1: { dtype: 'bool', bytes: 1 },
  u1: { dtype: 'int32', bytes: 1 },
};
const MAX_HEADER = 1 << 20;

function parseHeader(text: string, where: string): { descr: string; fortran: boolean; shape: number[] } {
  // The header is a Python dict literal with exactly these keys; parse it strictly, never eval.
  const m = /^\{\s*(.*?)\s*,?\s*\}\s*$/s.exec(text.trim());
  if (!m) throw new Error(`${where}: header ${JSON.stringify(text.slice(0, 80))} is not a Python dict`);
  const fields: Record<string, string> = {};
  const re = /\s*'(\w+)'\s*:\s*('[^']*'|True|False|\([^)]*\))\s*(,|$)/gy;
  let at = 0;
  const body = m[1];
  while (at < body.length) {
    re.lastIndex = at;
    const f = re.exec(body);
    if (!f) throw new Error(`${where}: cannot parse header field at ${JSON.stringify(body.slice(at, at + 40))}`);
    fields[f[1]] = f[2];
    at = re.lastIndex;
  }
  for (const k of ['descr', 'fortran_order', 'shape']) {
    if (!(k in fields)) throw new Error(`${where}: header has no '${k}'`);
  }
  const extra = Object.keys(fields).filter((k) => !['descr', 'fortran_order', 'shape'].includes(k));
  if (extra.length) throw new Error(`${where}: header has unexpected keys ${extra.join(', ')}`);
  if (!fields.descr.startsWith("'")) throw new Error(`${where}: descr must be a string (structured dtypes are not supported)`);
  const descr = fields.descr.slice(1, -1);
  if (fields.fortran_order !== 'True' && fields.fortran_order !== 'False') throw new Error(`${where}: fortran_order must be True or False`);
  const inner = fields.shape.slice(1, -1).trim();
  const shape = inner === '' ? [] : inner.split(',').map((s) => s.trim()).filter((s, i, a) => s !== '' || i !== a.length - 1).map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`${where}: shape ${fields.shape} has ${JSON.stringify(s)}; dims must be non-negative integers`);
    return Number(s);
  });
  return { descr, fortran: fields.fortran_order === 'True', shape };
}

/** Parses a .npy file. Supports '<f4', '<f8', '<i4', '<i8' (→ int32, range-checked), '|b1', '|u1' (→ int32), big-endian too. */
export function parseNpy(bytes: Uint8Array, name = 'NPY data'): NpyArray {
  const where = `NPY ${name}`;
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${where}: not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number, start: number;
  if (major === 1) { headerLen = view.getUint16(8, true); start = 10; }
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error(`${where}: truncated header`);
    headerLen = view.getUint32(8, true); start = 12;
  } else throw new Error(`${where}: unsupported format version ${major}.${bytes[7]}`);
  if (headerLen > MAX_HEADER) throw new Error(`${where}: header length ${headerLen} is implausibly large`);
  if (start + headerLen > bytes.length) throw new Error(`${where}: header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(bytes.subarray(start, start + headerLen));
  } catch {
    throw new Error(`${where}: header is not valid text`);
  }
  const { descr, fortran, shape } = parseHeader(text, where);
  const order = descr[0];
  const kind = KINDS[descr.slice(1)];
  if (!kind || !['<', '>', '|', '='].includes(order) || (kind.bytes > 1 && order === '|')) {
    throw new Error(`${where}: dtype ${JSON.stringify(descr)} is not supported (supported: <f4, <f8, <i4, <i8, |b1, |u1)`);
  }
  const little = order !== '>';
  let numel = 1;
  for (const d of shape) numel *= d;
  const dataStart = start + headerLen;
  const need = numel * kind.bytes;
  if (!Number.isSafeInteger(need) || bytes.length - dataStart !== need) {
    throw new Error(`${where}: shape (${shape.join(', ')}) of ${descr} needs ${need} data bytes but the file has ${bytes.length - dataStart}`);
  }
  let data = readElements(view, dataStart, numel, descr.slice(1), little, where);
  if (fortran && shape.length > 1) data = fortranToC(data, shape);
  return { dtype: kind.dtype, shape, data, descr };
}

function readElements(v: DataView, at: number, n: number, k: string, le: boolean, where: string): TypedArray {
  switch (k) {
    case 'f4': { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = v.getFloat32(at + 4 * i, le); return o; }
    case 'f8': { const o = new Float64Array(n); for (let i = 0; i < n; i++) o[i] = v.getFloat64(at + 8 * i, le); return o; }
    case 'i4': { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = v.getInt32(at + 4 * i, le); return o; }
    case 'u1': { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = v.getUint8(at + i); return o; }
    case 'i8': {
      const o = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const x = v.getBigInt64(at + 8 * i, le);
        if (x > 2147483647n || x < -2147483648n) throw new Error(`${where}: int64 element ${i} = ${x} does not fit in int32`);
        o[i] = Number(x);
      }
      return o;
    }
    case 'b1': {
      const o = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const b = v.getUint8(at + i);
        if (b > 1) throw new Error(`${where}: bool element ${i} is ${b}, not 0 or 1`);
        o[i] = b;
      }
      return o;
    }
  }
  throw new Error(`${where}: unsupported element type ${k}`);
}

/** Column-major (Fortran) element order → row-major. */
function fortranToC(src: TypedArray, shape: number[]): TypedArray {
  const out = new (src.constructor as new (n: number) => TypedArray)(src.length);
  const nd = shape.length;
  const fStride = new Array<number>(nd);
  let s = 1;
  for (let d = 0; d < nd; d++) { fStride[d] = s; s *= shape[d]; }
  const idx = new Array<number>(nd).fill(0);
  for (let i = 0; i < src.length; i++) {
    let f = 0;
    for (let d = 0; d < nd; d++) f += idx[d] * fStride[d];
    out[i] = src[f];
    for (let d = nd - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
  return out;
}

const DESCR: Record<DType, string> = { float32: '<f4', float64: '<f8', int32: '<i4', bool: '|b1' };

/** Encodes a .npy file (version 1.0, or 2.0 when the header needs it), padded to 64 bytes as numpy does. */
export function encodeNpy(arr: { dtype: DType; shape: readonly number[]; data: TypedArray }, opts: { int64?: boolean } = {}): Uint8Array {
  const { dtype, shape, data } = arr;
  let numel = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`encodeNpy: shape [${shape.join(', ')}] has ${d}; dims must be non-negative integers`);
    numel *= d;
  }
  if (data.length !== numel) throw new Error(`encodeNpy: shape [${shape.join(', ')}] has ${numel} elements but data has ${data.length}`);
  const wide = opts.int64 && dtype === 'int32';
  const descr = wide ? '<i8' : DESCR[dtype];
  if (!descr) throw new Error(`encodeNpy: unknown dtype ${JSON.stringify(dtype)}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const padded = (pre: number) => Math.ceil((pre + dict.length + 1) / 64) * 64;
  // Version 1 stores the header length in a u16; longer headers (huge ranks) need version 2.
  const version = padded(10) - 10 <= 0xffff ? 1 : 2;
  const pre = version === 1 ? 10 : 12;
  const total = padded(pre);
  dict = dict.padEnd(total - pre - 1, ' ') + '\n';
  const elem = wide ? 8 : dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
  const out = new Uint8Array(total + numel * elem);
  const v = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  if (version === 1) v.setUint16(8, total - pre, true); else v.setUint32(8, total - pre, true);
  for (let i = 0; i < dict.length; i++) out[pre + i] = dict.charCodeAt(i);
  for (let i = 0; i < numel; i++) {
    const at = total + i * elem;
    if (wide) v.setBigInt64(at, BigInt(data[i]), true);
    else if (dtype === 'float32') v.setFloat32(at, data[i], true);
    else if (dtype === 'float64') v.setFloat64(at, data[i], true);
    else if (dtype === 'int32') v.setInt32(at, data[i], true);
    else out[at] = data[i] ? 1 : 0;
  }
  return out;
}
