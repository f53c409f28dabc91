// Issue 11, finding 6: F.pad's reflect / replicate / circular modes (they returned NaN) and indexing
// with an integer tensor (x.index(t) returned x) against PyTorch (fixtures/pad-index.json, written by
// scripts/gen_pad_index_fixtures.py), float64 gradchecks, and clear errors for what is not supported.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { decodeData, toTensor, type FixtureFile, type FixtureCase } from './helpers/fixtures.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { gradcheck } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/pad-index.json', import.meta.url), 'utf8')) as FixtureFile;

/** The op of a case applied to its inputs. */
function apply(c: FixtureCase, x: nb.Tensor, rest: nb.Tensor[]): nb.Tensor {
  const k = c.kwargs as { pad?: number[]; mode?: 'constant' | 'reflect' | 'replicate' | 'circular'; value?: number; at?: number; before?: number };
  if (c.op === 'padMode') return nb.F.pad(x, k.pad!, { mode: k.mode, ...(k.value !== undefined ? { value: k.value } : {}) });
  const specs: nb.IndexSpec[] = [];
  if (k.before !== undefined) specs.push(k.before);
  while (specs.length < k.at!) specs.push(null);
  specs.push(rest[0]!);
  return x.index(...specs);
}

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`pad modes and tensor indices vs PyTorch ${fx.torch} on ${backend}`, () => {
    for (const c of fx.cases) {
      test(c.name, () => {
        nb.setBackend(backend);
        const before = nb.memory();
        nb.scope(() => {
          const [x, ...rest] = c.inputs.map((i) => toTensor(i, { requiresGrad: i.requires_grad }));
          const out = apply(c, x!, rest);
          const want = c.outputs[0]!;
          assertShape(c.name, out.shape, want.shape);
          assertClose(c.name, out.dataSync(), decodeData(want.data, want.dtype), want.shape, TOL.float32);
          const cot = nb.tensor(decodeData(c.cotangent!.data, 'float32'), { shape: c.cotangent!.shape });
          out.mul(cot).sum().backward();
          const g = c.grads![0]!;
          assertClose(`${c.name} grad`, x!.grad!.dataSync(), decodeData(g.data, 'float32'), g.shape, TOL.float32);
        });
        assert.deepEqual(nb.memory().tensors, before.tensors, 'the case leaves nothing behind');
      });
      test(`${c.name}: float64 gradcheck`, () => {
        nb.setBackend(backend);
        nb.scope(() => {
          const x = toTensor(c.inputs[0]!, { dtype: 'float64' });
          const rest = c.inputs.slice(1).map((i) => toTensor(i));
          const cot = nb.tensor(decodeData(c.cotangent!.data, 'float64'), { dtype: 'float64', shape: c.cotangent!.shape });
          gradcheck(c.name, (xx) => apply(c, xx, rest).mul(cot).sum(), [x]);
        });
      });
    }
  });
}

test('pad: what it cannot do is an error that says so', () => {
  const x = nb.ones([1, 2, 3]);
  assert.throws(() => nb.F.pad(x, [3, 0], { mode: 'reflect' }), /reflect padding of \(3, 0\) needs pads ≤ size − 1 in dim 2 of \[1, 2, 3\]/);
  assert.throws(() => nb.F.pad(x, [4, 0], { mode: 'circular' }), /circular padding/);
  assert.throws(() => nb.F.pad(x, [-1, 0], { mode: 'replicate' }), /padding must be an integer ≥ 0/);
  assert.throws(() => nb.F.pad(x, [1, 1], { mode: 'symmetric' as 'reflect' }), /unknown mode 'symmetric'/);
  assert.throws(() => nb.F.pad(x, [1, 1], { mode: 'reflect', value: 2 }), /fill value only goes with mode 'constant'/);
  assert.throws(() => nb.F.pad(x, [1, 1], { modee: 'reflect' } as never), /unknown option 'modee'/);
  assert.throws(() => nb.F.pad(x, [1, 1], '1' as never), /fill value must be a number/);
  x.dispose();
});

test('index: masks and several index tensors work as in PyTorch (issue 13); what cannot be an index is refused, never ignored', () => {
  const x = nb.arange(0, 12, 1, { dtype: 'float32' }).reshape([3, 4]); // x[i][j] = 4i + j
  assert.throws(() => x.index(nb.tensor([0.5])), /tensor index must hold int32 indices, got float32/);
  assert.deepEqual(x.index(nb.tensor([true, false, true])).toArray(), [[0, 1, 2, 3], [8, 9, 10, 11]]); // rows 0 and 2
  assert.deepEqual(x.index(nb.tensor([0]), nb.tensor([1])).toArray(), [1]); // x[0][1]
  assert.throws(() => x.index('1' as never), /index 0 '1' is not a slice like '1:5:2', ':' or '...'/);
  assert.throws(() => x.index(nb.tensor([3])), /index 3 is out of bounds for dimension 0 with size 3/);
  assert.deepEqual(x.index(nb.tensor([2, 0])).toArray(), [[8, 9, 10, 11], [0, 1, 2, 3]]);
});
