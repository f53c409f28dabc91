// Every function nabla exports (top level and nb.F) is enrolled in a PyTorch comparison that runs on
// every backend, or is named below as not an op, with the reason. A new export that is neither fails
// here: add its fixture line (scripts/op_fixtures, test/helpers/op-table.ts) or say why it has none.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as nb from '../src/index.js';
import { loadFixtures } from './helpers/fixtures.js';
import { OPS } from './helpers/op-table.js';
import { records } from '../src/ops/registry.js';

const fixtureOps = new Set(loadFixtures().ops);
const json = (f: string) => JSON.parse(readFileSync(new URL(`../fixtures/${f}`, import.meta.url), 'utf8')) as { cases: { name: string; op?: string; module?: string }[] };
/** Losses: fixtures/losses.json and losses-extra.json (test/losses*.test.ts, every backend, with gradcheck). */
const lossOps = new Set([...json('losses.json').cases, ...json('losses-extra.json').cases].map((c) => c.op ?? c.name.split('/')[0]!));
/** conv3d, convTranspose1d and the extra activations: fixtures/layers-extra.json (test/nn-layers-extra.test.ts, every backend, with gradcheck). */
const layerExtraOps = new Set(json('layers-extra.json').cases.map((c) => c.op));
/** Attention: fixtures/rnn.json (test/nn-attention.test.ts, every backend, with gradcheck). */
const rnnModules = new Set(json('rnn.json').cases.map((c) => c.module).filter(Boolean));
/** Indexing and assignment: fixtures/subscript.json (test/subscript.test.ts, every backend, with gradcheck). */
const subscriptOps = new Set(['index', 'indexPut', 'indexPutAt']);

/** Exports that are not ops — what they are, and where they are tested. */
const NOT_OPS: Record<string, string> = {
  Tensor: 'the class (test/autograd, test/memory)',
  tensor: 'creation from data (test/js-backend, test/data-*)', scalar: 'creation from data', full: 'creation (fixture op full)',
  zeros: 'creation: full(0)', ones: 'creation: full(1)', zerosLike: 'creation: full(0)', onesLike: 'creation: full(1)', fullLike: 'creation: full',
  rand: 'random: seeded Philox, not PyTorch\'s generator (test/optim, test/data-loader)', randn: 'random', randint: 'random',
  randLike: 'random', randnLike: 'random', randintLike: 'random',
  multinomial: 'random: seeded Philox (test/sampling.test.ts: distribution, seeds, errors)', randperm: 'random: seeded Philox (test/sampling.test.ts)',
  manualSeed: 'RNG state', getRngState: 'RNG state', setRngState: 'RNG state',
  scope: 'memory (test/memory)', keep: 'memory', memory: 'memory', beginScope: 'memory', endScope: 'memory',
  checkHeap: 'memory: the wasm heap check (test/wasm-heap-check)',
  noGrad: 'autograd mode (test/autograd)', enableGrad: 'autograd mode', isGradEnabled: 'autograd mode', grad: 'autograd (test/autograd)', valueAndGrad: 'autograd',
  ready: 'backend start (test/wasm-browser, this file)', setBackend: 'backend choice', getBackend: 'backend choice', listBackends: 'backend choice', registerBackend: 'backend choice',
  setTracer: 'op tracing (test/dispatch)', promoteTypes: 'dtype rule (fixture cases of every binary op)', resultType: 'dtype rule (fixture cases of every binary op)',
  serialize: 'file format (test/safetensors-*)', deserialize: 'file format', toRecords: 'file format', fromRecords: 'file format',
};

const FUNCTIONAL = 'fixtures/functional.json (scripts/gen_functional_fixtures.py), test/functional-forms.test.ts: every backend, float64 gradcheck';
/** nb.F functions compared with PyTorch in a test file of their own, on every backend, with gradcheck. */
const F_OWN_FIXTURES: Record<string, string> = {
  ctcLoss: 'fixtures/ctc.json (scripts/gen_ctc_fixtures.py), test/ctc.test.ts: every backend, float32/float64, float64 gradcheck',
  layerNorm: FUNCTIONAL,
  batchNorm: FUNCTIONAL,
  groupNorm: FUNCTIONAL,
  instanceNorm: FUNCTIONAL,
  normalize: FUNCTIONAL,
  interpolate: FUNCTIONAL,
  unfold: FUNCTIONAL,
  fold: FUNCTIONAL,
  pixelShuffle: FUNCTIONAL,
  pixelUnshuffle: FUNCTIONAL,
  cosineSimilarity: FUNCTIONAL,
  pairwiseDistance: FUNCTIONAL,
  embeddingBag: FUNCTIONAL,
};

function exported(ns: object): string[] {
  return Object.entries(ns).filter(([, v]) => typeof v === 'function').map(([k]) => k);
}

test('every exported function is an op enrolled against PyTorch on every backend, or says why not', () => {
  const missing: string[] = [];
  for (const name of exported(nb)) if (!(name in NOT_OPS) && !fixtureOps.has(name) && !subscriptOps.has(name)) missing.push(name);
  for (const name of exported(nb.F)) {
    if (!fixtureOps.has(name) && !lossOps.has(name) && !layerExtraOps.has(name) && !rnnModules.has(name) && !(name in F_OWN_FIXTURES)) missing.push(`F.${name}`);
  }
  for (const name of Object.keys(F_OWN_FIXTURES)) assert.ok(name in nb.F, `F_OWN_FIXTURES names '${name}', which nb.F does not export`);
  assert.deepEqual(missing, [], `exports without a fixture line or a reason: ${missing.join(', ')}`);
  for (const name of Object.keys(NOT_OPS)) assert.ok(name in nb, `NOT_OPS names '${name}', which nabla does not export`);
});

test('every record of the op table has fixtures (unless its entry says why not) and a table entry', () => {
  for (const r of records()) {
    const why = r.def.test?.exempt?.fixtures;
    if (why) { assert.ok(why.length > 10, `${r.kernel.name}: an exemption needs a reason`); continue; }
    assert.ok(fixtureOps.has(r.kernel.name), `${r.kernel.name}: no fixture cases`);
    assert.ok(r.kernel.name in OPS, `${r.kernel.name}: not in the op table of the tests`);
  }
});

test('importing nabla starts nothing: no backend until ready() or the first op', () => {
  const code = `import('./src/index.ts').then(async (nb) => {
    const before = nb.listBackends().length;
    const t = nb.tensor([1, 2]);            // the first op starts the default backend (Node)
    const first = nb.getBackend().name;
    process.stdout.write(JSON.stringify({ before, first, value: t.sum().item() }));
    process.exit(0);
  })`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: new URL('..', import.meta.url), encoding: 'utf8', env: { ...process.env, NABLA_THREADS: '1' } });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { before: number; first: string; value: number };
  assert.equal(out.before, 0, 'a backend was registered by the import itself');
  assert.equal(out.first, 'wasm');
  assert.equal(out.value, 3);
});
