// safetensors interop with PyTorch (Debian's python3-torch via scripts/safetensors_torch.py):
// files we write load in torch with the same values, and files torch writes load here.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSafetensorsFile, saveSafetensorsFile } from '../src/io/node-files.js';
import type { TensorRecord } from '../src/io/safetensors.js';
import { readNpyFile, writeNpyFile } from '../src/data/formats/formats-node.js';

const PY = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../scripts/safetensors_torch.py', import.meta.url));

function torchMissing(): string | false {
  const r = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `${PY} not found (${r.error.message}); install python3-torch to run this test`;
  if (r.status !== 0) return `${PY} cannot import torch; install Debian's python3-torch to run this test`;
  return false;
}
const skip = torchMissing();
if (skip) console.log(`# skipping safetensors-torch tests: ${skip}`);

interface Dumped { tensors: Record<string, { dtype: string; shape: number[]; values: (number | boolean)[] }>; metadata: Record<string, string> }

function python(...args: string[]): Dumped {
  const r = spawnSync(PY, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `safetensors_torch.py ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Dumped;
}

const dir = mkdtempSync(join(tmpdir(), 'nabla-st-torch-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a file written by Nabla loads in PyTorch with the same values', { skip }, async () => {
  // Values chosen to be exact in each dtype, including float32 extremes and int32 limits.
  const tensors: Record<string, TensorRecord> = {
    'fc.weight': { dtype: 'float32', shape: [2, 3], data: new Float32Array([0.5, -1.25, 3.4028234663852886e38, 1.401298464324817e-45, -0, 1e-3]) },
    'fc.bias': { dtype: 'float64', shape: [2], data: new Float64Array([Math.PI, -1e-300]) },
    'counts': { dtype: 'int32', shape: [4], data: new Int32Array([0, -1, 2147483647, -2147483648]) },
    'num_batches_tracked': { dtype: 'int32', shape: [], data: new Int32Array([42]), stored: 'I64' },
    'mask': { dtype: 'bool', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
    'empty': { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) },
    'a_odd_size': { dtype: 'bool', shape: [3], data: new Uint8Array([1, 1, 0]) },
  };
  const path = join(dir, 'from-nabla.safetensors');
  await saveSafetensorsFile(path, tensors, { format: 'pt', note: 'ünïcode ✓' });
  const got = python('dump', path);
  assert.deepEqual(got.metadata, { format: 'pt', note: 'ünïcode ✓' });
  const expectDtype: Record<string, string> = {
    'fc.weight': 'F32', 'fc.bias': 'F64', counts: 'I32', num_batches_tracked: 'I64', mask: 'BOOL', empty: 'F32', a_odd_size: 'BOOL',
  };
  assert.deepEqual(Object.keys(got.tensors).sort(), Object.keys(tensors).sort());
  for (const [name, rec] of Object.entries(tensors)) {
    const t = got.tensors[name];
    assert.equal(t.dtype, expectDtype[name], name);
    assert.deepEqual(t.shape, rec.shape, name);
    const want = rec.dtype === 'bool' ? Array.from(rec.data, (x) => x === 1) : Array.from(rec.data);
    assert.deepEqual(t.values, want, name);
  }
});

test('a file written by PyTorch loads in Nabla with the same values', { skip }, async () => {
  const path = join(dir, 'from-torch.safetensors');
  const want = python('make-fixture', path);
  const got = await loadSafetensorsFile(path);
  assert.deepEqual(got.metadata, want.metadata);
  assert.deepEqual(Object.keys(got.tensors).sort(), Object.keys(want.tensors).sort());
  // What each torch dtype becomes here: halves widen to float32, int64/uint8 to int32 (checked range).
  const ours: Record<string, string> = {
    F32: 'float32', F64: 'float64', F16: 'float32', BF16: 'float32', I32: 'int32', I64: 'int32', U8: 'int32', BOOL: 'bool',
  };
  for (const [name, w] of Object.entries(want.tensors)) {
    const t = got.tensors[name];
    assert.equal(t.stored, w.dtype, name);
    assert.equal(t.dtype, ours[w.dtype], name);
    assert.deepEqual(t.shape, w.shape, name);
    const values = t.dtype === 'bool' ? Array.from(t.data, (x) => x === 1) : Array.from(t.data);
    assert.deepEqual(values, w.values, name);
  }
});

test('weights we write drive the same model in PyTorch (forward harness)', { skip }, async () => {
  const f32 = (shape: number[], v: number[]): TensorRecord => ({ dtype: 'float32', shape, data: new Float32Array(v) });
  // torch.nn.Sequential(Linear(3, 2), BatchNorm1d(2), ReLU(), Linear(2, 1)) — PyTorch's own key names.
  const weights: Record<string, TensorRecord> = {
    '0.weight': f32([2, 3], [1, 0, -1, 0.5, 0.5, 0.5]), '0.bias': f32([2], [0, -1]),
    '1.weight': f32([2], [1, 1]), '1.bias': f32([2], [0, 0]), '1.running_mean': f32([2], [0, 0]), '1.running_var': f32([2], [1, 1]),
    '1.num_batches_tracked': { dtype: 'int32', shape: [], data: new Int32Array([5]), stored: 'I64' },
    '3.weight': f32([1, 2], [2, -3]), '3.bias': f32([1], [0.25]),
  };
  const spec = JSON.stringify([['Linear', [3, 2]], ['BatchNorm1d', [2]], ['ReLU'], ['Linear', [2, 1]]]);
  const path = join(dir, 'model.safetensors');
  await saveSafetensorsFile(path, weights);
  writeNpyFile(join(dir, 'x.npy'), { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, 2, 3, -1, 0, 1]) });
  const r = spawnSync(PY, [SCRIPT, 'forward', path, spec, join(dir, 'x.npy'), join(dir, 'y.npy')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const y = readNpyFile(join(dir, 'y.npy'));
  assert.deepEqual(y.shape, [2, 1]);
  // Linear: [1,2,3] → [-2, 2], [-1,0,1] → [-2, -1]; eval BatchNorm divides by s = √(1 + 1e-5); ReLU;
  // last Linear: 2·0 − 3·(2/s) + 0.25 and 0.25.
  const s = Math.sqrt(1 + 1e-5);
  assert.ok(Math.abs(y.data[0] - (0.25 - 6 / s)) < 1e-6, `${y.data[0]}`);
  assert.equal(y.data[1], 0.25);
  // A missing key is refused by PyTorch's strict load, naming it.
  const partial = { ...weights };
  delete partial['3.bias'];
  await saveSafetensorsFile(path, partial);
  const bad = spawnSync(PY, [SCRIPT, 'forward', path, spec, join(dir, 'x.npy'), join(dir, 'y.npy')], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /Missing key\(s\) in state_dict: "3\.bias"/);
});
