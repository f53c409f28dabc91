// NPY and PNG formats: files written by numpy and PIL (Debian's /usr/bin/python3) load here with
// numpy's/PIL's values, .npy files we write load in numpy, bilinear resize matches torch; bad files are refused.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pngjs from 'pngjs';
import { readNpyFile, writeNpyFile } from '../src/data/formats/formats-node.js';
import { luma, resizeBilinear, rgbaToFloatImage } from '../src/data/formats/image.js';
import { encodeNpy, parseNpy } from '../src/data/formats/npy.js';
import { decodePng, readPngFile } from '../src/data/formats/png-node.js';

const PY = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'nabla-npy-png-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// Written by us before the Python run, which loads them with numpy.
const ours = {
  f32: { dtype: 'float32' as const, shape: [2, 2], data: new Float32Array([1.5, -0, 3.4028234663852886e38, 1e-3]) },
  f64: { dtype: 'float64' as const, shape: [3], data: new Float64Array([Math.PI, -1e-300, 0.1]) },
  i32: { dtype: 'int32' as const, shape: [1, 3], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1, 5]) },
  b: { dtype: 'bool' as const, shape: [3], data: new Uint8Array([1, 0, 1]) },
  scalar: { dtype: 'float32' as const, shape: [], data: new Float32Array([7]) },
  big_rank: { dtype: 'int32' as const, shape: new Array(30).fill(1), data: new Int32Array([9]) },
};
for (const [k, a] of Object.entries(ours)) writeNpyFile(join(dir, `ours-${k}.npy`), a);
writeNpyFile(join(dir, 'ours-i64.npy'), { dtype: 'int32', shape: [2], data: new Int32Array([-3, 4]) }, { int64: true });

const PY_FIXTURES = String.raw`
import json, sys, numpy as np
d = sys.argv[1]
out = {'npy': {}, 'ours': {}, 'png': None, 'resize': None}
arrs = {
  'f4': np.array([[0.5, -1.25, 3.0], [1e-3, 2.0**-126, -0.0]], dtype='<f4'),
  'f8': np.linspace(-1, 1, 5),
  'i4': np.array([-2**31, 2**31 - 1, 0], dtype='<i4'),
  'i8': np.arange(6, dtype='<i8').reshape(3, 2) - 3,
  'b1': np.array([[True, False], [False, True]]),
  'fortran': np.asfortranarray(np.arange(24, dtype='<f4').reshape(2, 3, 4)),
  'big_endian': np.array([1.5, -2.25], dtype='>f8'),
  'scalar': np.array(7.0, dtype='<f4'),
  'empty': np.zeros((0, 3), dtype='<f4'),
  'u1': np.array([0, 200, 255], dtype='u1'),
}
for k, a in arrs.items():
  np.save(f'{d}/{k}.npy', a)
  out['npy'][k] = {'shape': list(a.shape), 'values': np.ascontiguousarray(a).reshape(-1).tolist()}
for v in [(2, 0), (3, 0)]:
  with open(f'{d}/v{v[0]}.npy', 'wb') as f:
    np.lib.format.write_array(f, arrs['f4'], version=v)
  out['npy'][f'v{v[0]}'] = out['npy']['f4']
import glob, os
for p in sorted(glob.glob(f'{d}/ours-*.npy')):
  a = np.load(p)
  out['ours'][os.path.basename(p)[5:-4]] = {'dtype': a.dtype.str, 'shape': list(a.shape), 'values': a.reshape(-1).tolist()}
try:
  from PIL import Image
  rng = np.random.default_rng(0)
  rgb = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
  rgba = np.concatenate([rgb, rng.integers(0, 256, size=(4, 5, 1), dtype=np.uint8)], axis=2)
  gray = rng.integers(0, 256, size=(3, 6), dtype=np.uint8)
  Image.fromarray(rgb, 'RGB').save(f'{d}/rgb.png')
  Image.fromarray(rgba, 'RGBA').save(f'{d}/rgba.png')
  Image.fromarray(gray, 'L').save(f'{d}/gray.png')
  Image.fromarray(rgb, 'RGB').convert('P', palette=Image.ADAPTIVE, colors=8).save(f'{d}/pal.png')
  Image.fromarray(gray, 'L').convert('1').save(f'{d}/bits.png')
  out['png'] = {}
  for k in ['rgb', 'rgba', 'gray', 'pal', 'bits']:
    im = Image.open(f'{d}/{k}.png')
    out['png'][k] = {'size': [im.height, im.width], 'L': np.asarray(im.convert('L')).reshape(-1).tolist(),
                     'RGB': np.asarray(im.convert('RGB')).transpose(2, 0, 1).reshape(-1).tolist()}
except ImportError:
  pass
try:
  import torch
  rng = np.random.default_rng(1)
  out['resize'] = []
  for (c, h, w, oh, ow) in [(1, 5, 7, 3, 4), (2, 3, 4, 7, 9), (1, 28, 28, 28, 28), (3, 100, 80, 28, 28), (1, 1, 1, 2, 3)]:
    x = rng.random((c, h, w), dtype=np.float32)
    y = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=(oh, ow), mode='bilinear', align_corners=False)[0]
    out['resize'].append({'chw': [c, h, w], 'out': [oh, ow], 'x': x.reshape(-1).tolist(), 'y': y.reshape(-1).tolist()})
except ImportError:
  pass
print(json.dumps(out))
`;

interface PyOut {
  npy: Record<string, { shape: number[]; values: (number | boolean)[] }>;
  ours: Record<string, { dtype: string; shape: number[]; values: (number | boolean)[] }>;
  png: Record<string, { size: [number, number]; L: number[]; RGB: number[] }> | null;
  resize: { chw: [number, number, number]; out: [number, number]; x: number[]; y: number[] }[] | null;
}

function runPython(): PyOut | string {
  const r = spawnSync(PY, ['-c', PY_FIXTURES, dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) return `${PY} not available (${r.error.message})`;
  if (r.status !== 0) return /No module named 'numpy'/.test(r.stderr) ? `${PY} has no numpy` : `fixture script failed: ${r.stderr}`;
  return JSON.parse(r.stdout) as PyOut;
}
// Debian's python3-numpy, python3-pil and python3-torch are part of the test setup (.ci/run installs
// them): without them these comparisons would prove nothing, so their absence is a failure, not a skip.
const py = runPython();
if (typeof py === 'string') throw new Error(`${py}: apt-get install python3-numpy python3-pil python3-torch`);
if (py.png === null) throw new Error(`PIL not installed for ${PY}: apt-get install python3-pil`);
if (py.resize === null) throw new Error(`torch not installed for ${PY}: apt-get install python3-torch`);
const fx = py as PyOut;

// ---------------------------------------------------------------- NPY

test('NPY: a hand-built v1.0 file per the format spec', () => {
  // magic, version 1.0, u16 LE header length, dict padded with spaces to a 64-byte preamble ending in \n
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const head = dict.padEnd(128 - 10 - 1, ' ') + '\n'; // the dict is 59 characters: a 128-byte preamble
  const b = new Uint8Array(128 + 24);
  b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, head.length, 0]);
  for (let i = 0; i < head.length; i++) b[10 + i] = head.charCodeAt(i);
  const v = new DataView(b.buffer);
  for (let i = 0; i < 6; i++) v.setFloat32(128 + 4 * i, i / 2, true);
  const got = parseNpy(b, 'h.npy');
  assert.deepEqual(got, { dtype: 'float32', shape: [2, 3], data: new Float32Array([0, 0.5, 1, 1.5, 2, 2.5]), descr: '<f4' });
  assert.deepEqual(encodeNpy(got), b, 'our writer produces the same bytes numpy would');
});

test('NPY: files written by numpy load with numpy\'s values', () => {
  const want: Record<string, [string, string]> = {
    f4: ['float32', '<f4'], f8: ['float64', '<f8'], i4: ['int32', '<i4'], i8: ['int32', '<i8'], b1: ['bool', '|b1'],
    fortran: ['float32', '<f4'], big_endian: ['float64', '>f8'], scalar: ['float32', '<f4'], empty: ['float32', '<f4'],
    u1: ['int32', '|u1'], v2: ['float32', '<f4'], v3: ['float32', '<f4'],
  };
  for (const [k, [dtype, descr]] of Object.entries(want)) {
    const got = readNpyFile(join(dir, `${k}.npy`));
    assert.equal(got.dtype, dtype, k);
    assert.equal(got.descr, descr, k);
    assert.deepEqual(got.shape, fx.npy[k].shape, k);
    const values = got.dtype === 'bool' ? [...got.data].map((x) => x === 1) : [...got.data];
    assert.deepEqual(values, fx.npy[k].values, k);
  }
});

test('NPY: files we write load in numpy with the same values', () => {
  const all = { ...ours, i64: { dtype: 'int32' as const, shape: [2], data: new Int32Array([-3, 4]) } };
  const descr: Record<string, string> = { f32: '<f4', f64: '<f8', i32: '<i4', b: '|b1', scalar: '<f4', big_rank: '<i4', i64: '<i8' };
  for (const [k, a] of Object.entries(all)) {
    const got = fx.ours[k];
    assert.equal(got.dtype, descr[k], k);
    assert.deepEqual(got.shape, a.shape, k);
    assert.deepEqual(got.values, a.dtype === 'bool' ? [...a.data].map((x) => x === 1) : [...a.data], k);
  }
  // A rank-30 header still fits version 1.0; check the version byte numpy accepted.
  assert.equal(readFileSync(join(dir, 'ours-big_rank.npy'))[6], 1);
});

test('NPY: broken files are refused with an error naming the file', () => {
  const good = encodeNpy({ dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) });
  const withHeader = (dict: string, data = 0) => {
    const pre = Math.ceil((dict.length + 11) / 64) * 64;
    const head = dict.padEnd(pre - 11, ' ') + '\n';
    const b = new Uint8Array(pre + data);
    b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, head.length, 0]);
    for (let i = 0; i < head.length; i++) b[10 + i] = head.charCodeAt(i);
    return b;
  };
  const bad: [string, Uint8Array, RegExp][] = [
    ['not npy', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), /no \\x93NUMPY magic/],
    ['truncated data', good.subarray(0, good.length - 1), /needs 8 data bytes but the file has 7/],
    ['trailing data', new Uint8Array([...good, 0]), /needs 8 data bytes but the file has 9/],
    ['header past end', good.subarray(0, 40), /runs past the end/],
    ['version 9', (() => { const b = good.slice(); b[6] = 9; return b; })(), /unsupported format version 9/],
    ['complex dtype', withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 8), /"<c8" is not supported/],
    ['structured dtype', withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4), /cannot parse header|structured/],
    ['negative shape', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"), /dims must be non-negative integers/],
    ['missing key', withHeader("{'descr': '<f4', 'shape': (1,), }", 4), /no 'fortran_order'/],
    ['code in header', withHeader("{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,), }", 4), /cannot parse header/],
    ['int64 overflow', (() => { const b = encodeNpy({ dtype: 'int32', shape: [1], data: new Int32Array([0]) }, { int64: true }); b[b.length - 1] = 1; return b; })(), /does not fit in int32/],
    ['bool byte 7', (() => { const b = encodeNpy({ dtype: 'bool', shape: [1], data: new Uint8Array([1]) }); b[b.length - 1] = 7; return b; })(), /not 0 or 1/],
  ];
  for (const [what, b, re] of bad) {
    assert.throws(() => parseNpy(b, 'bad.npy'), (e: Error) => {
      assert.match(e.message, /^NPY bad\.npy: /, what);
      assert.match(e.message, re, `${what}: ${e.message}`);
      return true;
    }, what);
  }
  assert.throws(() => readNpyFile(join(dir, 'nope.npy')), /nope\.npy: cannot read the file/);
});

// ---------------------------------------------------------------- PNG and images

test('PNG: known pixels decode to the luma / RGB values of the formula', () => {
  // 2×2 RGBA written by pngjs's encoder: red, green, blue, white with alpha 0.
  const png = new pngjs.PNG({ width: 2, height: 2 });
  png.data.set([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 0]);
  const bytes = pngjs.PNG.sync.write(png);
  // ITU-R 601-2 luma (PIL 'L'): red 0.299·255 = 76.2 → 76, green 0.587·255 = 149.7 → 150, blue 0.114·255 = 29.1 → 29.
  const g = decodePng(bytes);
  assert.deepEqual(g.shape, [1, 2, 2]);
  assert.deepEqual([...g.data].map((x) => Math.round(x * 255)), [76, 150, 29, 255]);
  assert.deepEqual([luma(255, 0, 0), luma(0, 255, 0), luma(0, 0, 255)], [76, 150, 29]);
  const c = decodePng(bytes, { channels: 3, layout: 'hwc' });
  assert.deepEqual(c.shape, [2, 2, 3]);
  assert.deepEqual([...c.data].map((x) => x * 255), [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
  // Over a black background the transparent white pixel is black; inverted, 1 − x.
  const onBlack = decodePng(bytes, { background: 0, invert: true });
  assert.deepEqual([...onBlack.data].map((x) => Math.round(x * 255)), [255 - 76, 255 - 150, 255 - 29, 255]);
  assert.throws(() => decodePng(new Uint8Array([1, 2, 3]), { name: 'x.png' }), /PNG x\.png: cannot decode/);
  assert.throws(() => decodePng(bytes.subarray(0, bytes.length - 20), { name: 'cut.png' }), /PNG cut\.png: cannot decode/);
  assert.throws(() => readPngFile(join(dir, 'none.png')), /none\.png: cannot read the file/);
  assert.throws(() => rgbaToFloatImage(new Uint8Array(3), 1, 1), /needs 4 bytes, got 3/);
});

test('PNG: files written by PIL (RGB, RGBA, gray, palette, 1-bit) decode to PIL\'s values', () => {
  for (const [k, want] of Object.entries(fx.png!)) {
    const p = join(dir, `${k}.png`);
    const gray = readPngFile(p);
    assert.deepEqual(gray.shape, [1, ...want.size], k);
    assert.deepEqual([...gray.data].map((x) => Math.round(x * 255)), want.L, `${k}: grayscale equals PIL convert('L')`);
    const rgb = readPngFile(p, { channels: 3 });
    assert.deepEqual([...rgb.data].map((x) => Math.round(x * 255)), want.RGB, `${k}: RGB equals PIL convert('RGB')`);
  }
});

test('resize: bilinear matches torch interpolate(align_corners=False)', () => {
  // Torch's kernel may fuse multiply-adds (FMA), so agreement is to a few float32 ulps, not bit-exact.
  for (const { chw: [c, h, w], out: [oh, ow], x, y } of fx.resize!) {
    const got = resizeBilinear(new Float32Array(x), c, h, w, oh, ow);
    assert.equal(got.length, y.length);
    for (let i = 0; i < y.length; i++) assert.ok(Math.abs(got[i] - y[i]) <= 4e-6, `${h}×${w}→${oh}×${ow} [${i}]: ${got[i]} vs torch ${y[i]}`);
  }
});
