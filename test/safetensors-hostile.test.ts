// safetensors: round trips follow the spec's byte layout, and corrupt, truncated and hostile
// files are refused with an error naming the file and the problem — never a crash or a hang.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSafetensorsFile, saveFileAtomic, saveFileAtomicSync } from '../src/io/node-files.js';
import { decodeSafetensors, encodeSafetensors, halfToFloat } from '../src/io/safetensors.js';

/** A file built by hand from the spec: u64 LE header length, the header text, then the data. */
function file(header: string | object, data: Uint8Array | number = 0, lengthOverride?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + body.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

test('encode: layout is exactly what the spec describes', () => {
  const bytes = encodeSafetensors(
    { b: { dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) }, a: { dtype: 'int32', shape: [1], data: new Int32Array([7]) } },
    { k: 'v' },
  );
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0, 'data section starts 8-byte aligned');
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.match(header, / *$/);
  assert.deepEqual(JSON.parse(header), {
    __metadata__: { k: 'v' },
    a: { dtype: 'I32', shape: [1], data_offsets: [0, 4] }, // sorted: a before b
    b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
  });
  // 7 as int32 LE; 1.0f = 0x3f800000, -2.0f = 0xc0000000 (IEEE 754), little-endian.
  assert.deepEqual([...bytes.subarray(8 + n)], [7, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
});

test('encode: every tensor is aligned to its element size (wider dtypes first, then by name)', () => {
  const bytes = encodeSafetensors({
    a_bool: { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
    b_f32: { dtype: 'float32', shape: [1], data: new Float32Array([1]) },
    c_f64: { dtype: 'float64', shape: [1], data: new Float64Array([1]) },
    d_i64: { dtype: 'int32', shape: [1], data: new Int32Array([1]), stored: 'I64' },
    e_f32: { dtype: 'float32', shape: [1], data: new Float32Array([1]) },
  });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  // 8-byte elements at 0 and 8, 4-byte at 16 and 20, the 3 bools at 24..27.
  assert.deepEqual(Object.fromEntries(Object.entries(h).map(([k, v]) => [k, (v as { data_offsets: number[] }).data_offsets])), {
    c_f64: [0, 8], d_i64: [8, 16], b_f32: [16, 20], e_f32: [20, 24], a_bool: [24, 27],
  });
});

test('decode: hand-built files per the spec, every supported dtype', () => {
  // F16 0x3c00 = 1.0, 0xc000 = -2.0, 0x7bff = 65504, 0x0001 = 2^-24; BF16 0x3f80 = 1.0, 0xc060 = -3.5.
  const data = new Uint8Array([
    0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, // h: F16 [4]
    0x80, 0x3f, 0x60, 0xc0, // bh: BF16 [2]
    0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // i: I64 [1] = -2
    1, 0, // m: BOOL [2]
  ]);
  const got = decodeSafetensors(file({
    h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
    bh: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
    i: { dtype: 'I64', shape: [], data_offsets: [12, 20] },
    m: { dtype: 'BOOL', shape: [2], data_offsets: [20, 22] },
    __metadata__: { format: 'pt' },
  }, data));
  assert.deepEqual([...got.tensors.h.data], [1, -2, 65504, 2 ** -24]);
  assert.equal(got.tensors.h.dtype, 'float32');
  assert.deepEqual([...got.tensors.bh.data], [1, -3.5]);
  assert.deepEqual(got.tensors.i, { dtype: 'int32', shape: [], data: new Int32Array([-2]), stored: 'I64' });
  assert.deepEqual(got.tensors.m, { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]), stored: 'BOOL' });
  assert.deepEqual(got.metadata, { format: 'pt' });
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test('round trip keeps names, shapes, dtypes and values (incl. a key named __proto__)', () => {
  const rec: Record<string, unknown> = {
    'x.weight': { dtype: 'float64', shape: [2, 2], data: new Float64Array([1e-310, -0, Infinity, NaN]) },
    big: { dtype: 'int32', shape: [2], data: new Int32Array([2147483647, -2147483648]), stored: 'I64' },
  };
  // A plain `__proto__:` literal would set the prototype; a file can name a tensor that, though.
  Object.defineProperty(rec, '__proto__', { value: { dtype: 'float32', shape: [1], data: new Float32Array([3]) }, enumerable: true });
  const back = decodeSafetensors(encodeSafetensors(rec as never));
  assert.deepEqual(Object.keys(back.tensors).sort(), ['__proto__', 'big', 'x.weight']);
  assert.equal(Object.getPrototypeOf(back.tensors), Object.prototype);
  assert.deepEqual([...back.tensors['x.weight'].data], [1e-310, -0, Infinity, NaN]);
  assert.deepEqual([...back.tensors.big.data], [2147483647, -2147483648]);
  assert.deepEqual([...Object.getOwnPropertyDescriptor(back.tensors, '__proto__')!.value.data], [3]);
});

// Each hostile file, and a fragment its error message must contain.
const hostile: [string, Uint8Array, RegExp][] = [
  ['empty file', new Uint8Array(0), /too short/],
  ['7 bytes', new Uint8Array(7), /too short/],
  ['header length 2^63', file('{}', 0, 2n ** 63n), /exceeds/],
  ['header length 2^64-1', file('{}', 0, 2n ** 64n - 1n), /exceeds/],
  ['huge header (200 MB claimed)', file('{}', 0, 200_000_000n), /exceeds/],
  ['header length past the end', file('{}', 0, 1000n), /past the end of the file/],
  ['header length 0', file('', 0), /too short/],
  ['garbage JSON', file('{"a": [1, 2'), /not valid JSON/],
  ['not JSON at all', file('\x00\x01\x02\x03garbage'), /start with/],
  ['invalid UTF-8', file(new TextDecoder('latin1').decode(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))), /./],
  ['header is an array', file('[1,2,3]'), /start with|object/],
  ['header is null', file('null'), /start with|object/],
  ['entry is a number', file({ a: 5 }), /entry must be an object/],
  ['unknown dtype', file({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), /unknown dtype "F128"/],
  ['unsupported dtype', file({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1), /not supported/],
  ['negative shape', file({ a: f32([-1], 0, 4) }, 4), /non-negative integers/],
  ['fractional shape', file({ a: f32([1.5], 0, 6) }, 6), /non-negative integers/],
  ['string shape', file({ a: f32(['2'] as never, 0, 8) }, 8), /non-negative integers/],
  ['shape not an array', file({ a: { dtype: 'F32', shape: 4, data_offsets: [0, 16] } }, 16), /shape/],
  ['shape × dtype ≠ bytes', file({ a: f32([3], 0, 8) }, 8), /needs 12 bytes/],
  ['shape product overflows', file({ a: f32([2 ** 40, 2 ** 40], 0, 4) }, 4), /needs/],
  ['offsets past the end', file({ a: f32([4], 0, 16) }, 8), /past the end of the data/],
  ['offsets 2^60', file({ a: f32([1], 2 ** 60, 2 ** 60 + 4) }, 4), /past the end|non-negative integers/],
  ['offsets reversed', file({ a: f32([0], 8, 4) }, 8), /end before they begin/],
  ['negative offset', file({ a: f32([1], -4, 0) }, 4), /non-negative/],
  ['fractional offset', file({ a: f32([1], 0.5, 4.5) }, 8), /non-negative integers/],
  ['one offset only', file({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4), /\[begin, end\]/],
  ['overlapping offsets', file({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12), /overlap/],
  ['aliased tensors', file({ a: f32([2], 0, 8), b: f32([2], 0, 8) }, 8), /overlap/],
  ['gap between tensors', file({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12), /belong to no tensor/],
  ['trailing bytes', file({ a: f32([1], 0, 4) }, 8), /trailing bytes/],
  ['truncated data', file({ a: f32([4], 0, 16) }, 15), /past the end of the data/],
  ['metadata not strings', file({ __metadata__: { a: 1 } }), /not a string/],
  ['metadata an array', file({ __metadata__: ['a'] }), /__metadata__ must be/],
  ['BOOL byte 2', file({ a: { dtype: 'BOOL', shape: [1], data_offsets: [0, 1] } }, new Uint8Array([2])), /not 0 or 1/],
  ['I64 beyond int32', file({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array([0, 0, 0, 0x80, 0, 0, 0, 0])), /does not fit in int32/],
];

test('hostile files are refused with an error naming the file', () => {
  for (const [what, bytes, pattern] of hostile) {
    assert.throws(() => decodeSafetensors(bytes, 'evil.safetensors'), (e: Error) => {
      assert.ok(e instanceof Error, what);
      assert.match(e.message, /^safetensors evil\.safetensors: /, what);
      assert.match(e.message, pattern, `${what}: ${e.message}`);
      return true;
    }, what);
  }
});

test('every truncation of a valid file is refused (never a crash, never a hang)', () => {
  const good = encodeSafetensors(
    { w: { dtype: 'float32', shape: [3, 2], data: new Float32Array(6).fill(1.5) }, n: { dtype: 'int32', shape: [], data: new Int32Array([1]), stored: 'I64' } },
    { epoch: '3' },
  );
  decodeSafetensors(good);
  for (let len = 0; len < good.length; len++) {
    assert.throws(() => decodeSafetensors(good.subarray(0, len), 't.safetensors'), /safetensors t\.safetensors: /, `length ${len}`);
  }
});

test('random byte flips give a clean result or a clean error', () => {
  const good = encodeSafetensors({ a: { dtype: 'float32', shape: [4, 4], data: new Float32Array(16) }, b: { dtype: 'bool', shape: [3], data: new Uint8Array(3) } });
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let trial = 0; trial < 2000; trial++) {
    const bad = good.slice();
    const flips = 1 + Math.floor(rnd() * 3);
    for (let k = 0; k < flips; k++) bad[Math.floor(rnd() * bad.length)] = Math.floor(rnd() * 256);
    try {
      decodeSafetensors(bad, 'x');
    } catch (e) {
      assert.ok(e instanceof Error && e.message.startsWith('safetensors x: '), String(e));
    }
  }
});

test('encode refuses records that do not describe themselves', () => {
  const bad: [string, unknown, RegExp][] = [
    ['length mismatch', { a: { dtype: 'float32', shape: [3], data: new Float32Array(2) } }, /3 elements\) but 2 values/],
    ['wrong array type', { a: { dtype: 'float32', shape: [2], data: new Float64Array(2) } }, /is float32 but its data is a Float64Array/],
    ['negative dim', { a: { dtype: 'int32', shape: [-1], data: new Int32Array(0) } }, /non-negative/],
    ['reserved name', { __metadata__: { dtype: 'int32', shape: [0], data: new Int32Array(0) } }, /reserved/],
  ];
  for (const [what, t, re] of bad) assert.throws(() => encodeSafetensors(t as never), re, what);
  assert.throws(() => encodeSafetensors({}, { n: 1 as never }), /strings to strings/);
});

test('files: atomic save leaves no temp file, replaces old content, and loads back; bad files name the path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-st-'));
  try {
    const path = join(dir, 'm.safetensors');
    writeFileSync(path, 'old contents');
    await saveFileAtomic(path, encodeSafetensors({ a: { dtype: 'float32', shape: [1], data: new Float32Array([2]) } }));
    assert.deepEqual(readdirSync(dir), ['m.safetensors']);
    assert.deepEqual([...(await loadSafetensorsFile(path)).tensors.a.data], [2]);
    saveFileAtomicSync(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...readFileSync(path)], [1, 2, 3]);
    assert.deepEqual(readdirSync(dir), ['m.safetensors']);
    await assert.rejects(loadSafetensorsFile(path), new RegExp(`safetensors ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*too short`));
    await assert.rejects(loadSafetensorsFile(join(dir, 'none.safetensors')), /none\.safetensors: cannot read/);
    // A write into a missing directory fails cleanly and leaves nothing behind.
    await assert.rejects(saveFileAtomic(join(dir, 'no/such/dir/x.safetensors'), new Uint8Array(1)), /could not write/);
    assert.deepEqual(readdirSync(dir), ['m.safetensors']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
