// Issue 11, finding 6: the smaller ways to be silently wrong, each now a clear error — a disposed
// parameter in step(), optimizer states that are incomplete or out of range (naming the file),
// gzip bombs, arange's options, options nobody understands, and the wasm backend under
// `node --input-type=module`. (F.pad modes and tensor indices: pad-index.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as nb from '../src/index.js';
import { saveCheckpoint, loadCheckpoint } from '../src/io/node-files.js';
import { optimizerToCheckpoint, loadOptimizerFromCheckpoint } from '../src/io/state.js';
import { maybeGunzip, MAX_IDX_BYTES } from '../src/data/formats/idx-node.js';
import { gunzipWeb } from '../src/data/formats/gzip.js';
import type { OptimizerStateDict } from '../src/optim/optimizer.js';

const { optim } = nb;

function trainedAdam(amsgrad = false) {
  const ps = [nb.randn([2, 3]).requiresGrad_(), nb.randn([3]).requiresGrad_()];
  const opt = new optim.Adam(ps, { lr: 1e-3, amsgrad });
  for (let i = 0; i < 2; i++) {
    opt.zeroGrad();
    ps[0]!.square().sum().add(ps[1]!.sum()).backward();
    opt.step();
  }
  return { ps, opt };
}

test('step() with a disposed parameter is an error naming it, not a silent skip', () => {
  const { ps, opt } = trainedAdam();
  ps[1]!.dispose();
  assert.throws(() => opt.step(), /Adam\.step: parameter 1 of group 0 \(shape \[3\]\) was disposed/);
});

test('loadStateDict refuses incomplete or out-of-range states and changes nothing', () => {
  const { opt } = trainedAdam();
  const good = opt.stateDict();
  const before = JSON.stringify(opt.stateDict().param_groups);
  const edit = (f: (sd: OptimizerStateDict) => void): OptimizerStateDict => {
    const sd = opt.stateDict();
    f(sd);
    return sd;
  };
  const cases: [string, OptimizerStateDict, RegExp][] = [
    ['exp_avg_sq missing', edit((sd) => { delete sd.state[0]!.exp_avg_sq; }), /state of parameter 0 has no 'exp_avg_sq'/],
    ['lr −1', edit((sd) => { sd.param_groups[0]!.lr = -1; }), /group 0: Adam: invalid learning rate -1/],
    ['betas ≥ 1', edit((sd) => { sd.param_groups[0]!.betas = [0.9, 1]; }), /invalid beta parameter at index 1: 1/],
    ['eps < 0', edit((sd) => { sd.param_groups[0]!.eps = -1e-8; }), /invalid epsilon value -1e-8/],
    ['an unknown state key', edit((sd) => { sd.state[0]!.momentum_buffer = nb.zeros([2, 3]); }), /has 'momentum_buffer', which Adam does not keep/],
    ['an unknown hyperparameter', edit((sd) => { sd.param_groups[0]!.lr_decay = 0.1; }), /unknown hyperparameter 'lr_decay'/],
    ['a state of the wrong shape', edit((sd) => { sd.state[1]!.exp_avg = nb.zeros([4]); }), /state 'exp_avg' of parameter 1 has shape \[4\], the parameter \[3\]/],
    ['a step that is not a count', edit((sd) => { sd.state[0]!.step = 1.5; }), /state 'step' of parameter 0 must be a non-negative integer/],
  ];
  for (const [what, sd, err] of cases) {
    assert.throws(() => opt.loadStateDict(sd), err, what);
    assert.equal(JSON.stringify(opt.stateDict().param_groups), before, `${what}: the groups changed`);
  }
  opt.loadStateDict(good); // the real thing still loads
  const amsgrad = trainedAdam(true).opt;
  const sd = amsgrad.stateDict();
  delete sd.state[0]!.max_exp_avg_sq;
  assert.throws(() => amsgrad.loadStateDict(sd), /has no 'max_exp_avg_sq'/);
});

test('an optimizer state from a checkpoint file: errors name the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-i11-'));
  try {
    const { ps, opt } = trainedAdam();
    const part = optimizerToCheckpoint(opt.stateDict());
    delete (part.state as { state: Record<string, Record<string, unknown>> }).state['0']!.exp_avg_sq;
    const path = join(dir, 'last.safetensors');
    await saveCheckpoint(path, { model: {}, optimizer: part });
    const ck = await loadCheckpoint(path);
    const fresh = new optim.Adam(ps);
    assert.throws(() => loadOptimizerFromCheckpoint(fresh, ck.optimizer!, `checkpoint ${path}`),
      (e: Error) => e.message.includes(path) && /has no 'exp_avg_sq'/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown options are errors: optimizers, creation functions, loadStateDict', () => {
  const p = [nb.zeros([2]).requiresGrad_()];
  assert.throws(() => new optim.SGD(p, { lr: 0.1, mometum: 0.9 } as never), /SGD: unknown option 'mometum' \(options: lr, momentum/);
  assert.throws(() => new optim.Adam(p, { beta: [0.9, 0.99] } as never), /Adam: unknown option 'beta'/);
  assert.throws(() => nb.zeros([2], { dtyp: 'float64' } as never), /zeros: unknown option 'dtyp'/);
  assert.throws(() => nb.randn([2], { requiresGrad: 'yes' } as never), /requiresGrad must be true or false/);
  assert.throws(() => nb.tensor([1, 2], { shap: [2] } as never), /tensor: unknown option 'shap' \(options: dtype, requiresGrad, shape\)/);
  assert.throws(() => new optim.SGD(p).loadStateDict(new optim.SGD(p).stateDict(), { sorce: 'x' } as never), /unknown option 'sorce'/);
  assert.throws(() => new nb.data.DataLoader([1, 2, 3] as never, { batch_size: 2 } as never), /DataLoader: unknown option 'batch_size' \(options: batchSize,/);
});

test('arange takes its options after any of its forms', () => {
  assert.deepEqual(nb.arange(5, { dtype: 'float32' }).toArray(), [0, 1, 2, 3, 4]);
  assert.equal(nb.arange(5, { dtype: 'float32' }).dtype, 'float32');
  assert.deepEqual(nb.arange(2, 5, { dtype: 'float64' }).toArray(), [2, 3, 4]);
  assert.deepEqual(nb.arange(0, 1, 0.25, { dtype: 'float64' }).toArray(), [0, 0.25, 0.5, 0.75]);
  assert.equal(nb.arange(3).dtype, 'int32');
  assert.throws(() => nb.arange('5' as never), /arange: expected \(end\), \(start, end\) or \(start, end, step\) as numbers, then options; got \("5"\)/);
  assert.throws(() => nb.arange(1, 2, 3, 4 as never), /got \(1, 2, 3, 4\)/);
});

test('tensors too large for the backend: errors say the size and the limit, before any array is built', () => {
  assert.throws(() => nb.randn([1e5, 1e5]), /randn: a float32 tensor of shape \[100000, 100000\] \(10,000,000,000 elements, 37\.25 GiB\) is too large/);
  assert.throws(() => nb.arange(0, 1e12), /arange: an int32 tensor of shape \[1000000000000\]/);
  if (nb.getBackend().name === 'wasm') {
    assert.throws(() => nb.ones([2 ** 30]), /full: a float32 tensor of shape \[1073741824\] \(1,073,741,824 elements, 4\.00 GiB\) does not fit in the wasm backend's memory: .* is live and the limit is 4\.00 GiB/);
  }
});

test('a gzip bomb is refused as one, not called corrupt', async () => {
  const bomb = new Uint8Array(gzipSync(new Uint8Array(3 * 2 ** 20))); // 3 MiB of zeros in ~3 KB
  assert.ok(bomb.length < 10_000);
  assert.throws(() => maybeGunzip(bomb, 'IDX train-images.gz', 2 ** 20),
    /IDX train-images\.gz: the gzip data \([\d,]+ bytes\) decompresses to more than 1,048,576 bytes, the limit for a data file — refusing it \(a damaged file or a gzip bomb\?\)/);
  await assert.rejects(gunzipWeb(bomb, 'IDX page.gz', 2 ** 20), /IDX page\.gz: the gzip data .* more than 1,048,576 bytes/);
  assert.equal(MAX_IDX_BYTES, 2 ** 30);
  // truncated data is still "corrupt or truncated"
  assert.throws(() => maybeGunzip(bomb.subarray(0, 100), 'x.gz'), /x\.gz: gzip data is corrupt or truncated/);
  assert.equal(maybeGunzip(new Uint8Array(gzipSync(Buffer.from('hello'))), 'x.gz').length, 5);
});

test('the wasm backend starts under `node --input-type=module -e` (it used to fall back to js)', () => {
  const src = new URL('../src/index.ts', import.meta.url).href;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    `import * as nb from '${src}'; console.log(JSON.stringify({ backend: nb.getBackend().name, threads: nb.getBackend().info().threads, sum: nb.arange(0, 100, 1, { dtype: 'float32' }).sum().item() }));`],
  { encoding: 'utf8', env: { ...process.env, NABLA_THREADS: '2', NABLA_BACKEND: 'wasm' } });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /could not start/);
  assert.deepEqual(JSON.parse(r.stdout.trim()), { backend: 'wasm', threads: 2, sum: 4950 });
});
