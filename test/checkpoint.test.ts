// Checkpoints: round trip of model + optimizer + epoch/step/RNG/config; the file is plain safetensors
// PyTorch can read; a process killed while saving never leaves a broken file behind.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeCheckpoint, encodeCheckpoint, OPTIMIZER_PREFIX, type CheckpointData } from '../src/io/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../src/io/node-files.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'nabla-ckpt-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ckpt: CheckpointData = {
  model: {
    '0.weight': { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    '0.bias': { dtype: 'float32', shape: [2], data: new Float32Array([-1, 1]) },
    'bn.num_batches_tracked': { dtype: 'int32', shape: [], data: new Int32Array([17]), stored: 'I64' },
  },
  optimizer: {
    tensors: { '0.weight.exp_avg': { dtype: 'float32', shape: [2, 3], data: new Float32Array(6).fill(0.5) } },
    state: { name: 'AdamW', lr: 1e-3, betas: [0.9, 0.999], step: 40 },
  },
  epoch: 3,
  step: 40,
  rng: { key: [1, 2], counter: '18446744073709551615' },
  config: { model: 'cnn', batchSize: 64, augment: true },
};

test('checkpoint round trip keeps every part', async () => {
  const path = join(dir, 'last.safetensors');
  await saveCheckpoint(path, ckpt);
  const back = await loadCheckpoint(path);
  assert.deepEqual(back.model, { ...ckpt.model, '0.weight': { ...ckpt.model['0.weight'], stored: 'F32' }, '0.bias': { ...ckpt.model['0.bias'], stored: 'F32' } });
  assert.deepEqual(back.optimizer!.state, ckpt.optimizer!.state);
  assert.deepEqual([...back.optimizer!.tensors['0.weight.exp_avg'].data], new Array(6).fill(0.5));
  assert.deepEqual([back.epoch, back.step, back.rng, back.config], [3, 40, ckpt.rng, ckpt.config]);
  assert.deepEqual(back.extra, { format: 'pt' });
  // It is a plain safetensors file: model keys as they are, optimizer tensors under the prefix.
  const raw = decodeSafetensors(encodeCheckpoint(ckpt));
  assert.deepEqual(Object.keys(raw.tensors).sort(), ['0.bias', '0.weight', `${OPTIMIZER_PREFIX}0.weight.exp_avg`, 'bn.num_batches_tracked']);
  assert.equal(raw.metadata['nabla.epoch'], '3');
});

test('a plain weights file decodes as a checkpoint with only the model', () => {
  const back = decodeCheckpoint(encodeSafetensors({ w: { dtype: 'float64', shape: [1], data: new Float64Array([2]) } }));
  assert.deepEqual(Object.keys(back.model), ['w']);
  assert.equal(back.optimizer, undefined);
  assert.equal(back.epoch, undefined);
});

test('bad checkpoints are refused naming the file', async () => {
  const withMeta = (m: Record<string, string>) => encodeSafetensors({}, m);
  assert.throws(() => decodeCheckpoint(withMeta({ 'nabla.epoch': '-1' }), 'c.st'), /checkpoint c\.st: epoch "-1" is not a non-negative integer/);
  assert.throws(() => decodeCheckpoint(withMeta({ 'nabla.rng': '{oops' }), 'c.st'), /checkpoint c\.st: rng in __metadata__ \(nabla\.rng\) is not valid JSON/);
  assert.throws(() => decodeCheckpoint(withMeta({ 'nabla.format': 'nabla-checkpoint-9' }), 'c.st'), /not nabla-checkpoint-1/);
  assert.throws(() => encodeCheckpoint({ model: { [`${OPTIMIZER_PREFIX}x`]: ckpt.model['0.bias'] } }), /reserved prefix/);
  assert.throws(() => encodeCheckpoint({ model: {}, epoch: 1.5 }), /epoch must be a non-negative integer/);
  const broken = join(dir, 'broken.safetensors');
  writeFileSync(broken, encodeCheckpoint(ckpt).subarray(0, 100));
  await assert.rejects(loadCheckpoint(broken), /safetensors .*broken\.safetensors: /);
  await assert.rejects(loadCheckpoint(join(dir, 'none')), /checkpoint .*none: cannot read the file/);
});

const skipTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0 ? false : '/usr/bin/python3 has no torch';
test('PyTorch reads the checkpoint (model keys and metadata)', { skip: skipTorch }, async () => {
  const path = join(dir, 'for-torch.safetensors');
  await saveCheckpoint(path, ckpt);
  const script = fileURLToPath(new URL('../scripts/safetensors_torch.py', import.meta.url));
  const r = spawnSync('/usr/bin/python3', [script, 'dump', path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.deepEqual(got.tensors['0.weight'], { dtype: 'F32', shape: [2, 3], values: [1, 2, 3, 4, 5, 6] });
  assert.deepEqual(got.tensors['bn.num_batches_tracked'], { dtype: 'I64', shape: [], values: [17] });
  assert.equal(JSON.parse(got.metadata['nabla.config']).model, 'cnn');
});

test('a process killed while saving leaves the old or the new file, never a broken one', async () => {
  const path = join(dir, 'killed.safetensors');
  const child = join(dir, 'saver.ts');
  const nodeFiles = fileURLToPath(new URL('../src/io/node-files.ts', import.meta.url));
  // Saves ever-new 24 MB checkpoints in a loop until killed; each holds its generation in metadata.
  writeFileSync(child, `
    import { saveFileAtomicSync } from ${JSON.stringify(nodeFiles)};
    import { encodeSafetensors } from ${JSON.stringify(nodeFiles.replace('node-files.ts', 'safetensors.ts'))};
    const data = new Float32Array(6_000_000);
    for (let gen = 0; ; gen++) {
      data.fill(gen);
      saveFileAtomicSync(${JSON.stringify(path)}, encodeSafetensors({ w: { dtype: 'float32', shape: [data.length], data } }, { gen: String(gen) }));
      process.stdout.write('saved ' + gen + '\\n');
    }
  `);
  const proc = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (b: Buffer) => { if (b.toString().includes('saved 1')) resolve(); });
    proc.on('exit', (code) => reject(new Error(`saver exited early with ${code}`)));
  });
  await new Promise((r) => setTimeout(r, 37)); // mid-write of a later generation, most likely
  proc.kill('SIGKILL');
  await new Promise((r) => proc.on('close', r));
  const back = await loadCheckpoint(path);
  const gen = Number(back.extra!.gen);
  assert.ok(gen >= 1, `generation ${gen}`);
  const w = back.model.w.data;
  assert.equal(w.length, 6_000_000);
  assert.ok(w[0] === gen && w[w.length - 1] === gen, 'the file is one complete generation');
  // The killed write may leave its temporary file (SIGKILL runs no cleanup), but never under the real name.
  assert.ok(readdirSync(dir).filter((f) => f.startsWith('.killed.safetensors.')).length <= 1);
});
