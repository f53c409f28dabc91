// Every op of the table against PyTorch (fixtures/ops.json): forward values, dtypes and shapes,
// and the gradient of sum(out0 * cotangent) w.r.t. each input — on every registered backend.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { loadFixtures, toTensor, decodeData, decodeKwargs, type FixtureCase } from './helpers/fixtures.js';
import { assertClose, assertShape, TOL, type Tol } from './helpers/allclose.js';
import { OPS, outputsOf } from './helpers/op-table.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const fx = loadFixtures();

function tolFor(c: FixtureCase, dtype: string): Tol | null {
  if (dtype !== 'float32' && dtype !== 'float64') return null;
  const d = TOL[dtype];
  return { rtol: c.rtol ?? d.rtol, atol: c.atol ?? d.atol };
}

function runCase(c: FixtureCase): void {
  const fn = OPS[c.op];
  assert.ok(fn, `${c.name}: op '${c.op}' is missing from the table in test/helpers/op-table.ts`);
  const inputs = c.inputs.map((i) => toTensor(i, { requiresGrad: i.requires_grad }));
  const outs = outputsOf(fn(inputs, decodeKwargs(c.kwargs)));
  assert.equal(outs.length, c.outputs.length, `${c.name}: ${outs.length} outputs, expected ${c.outputs.length}`);
  c.outputs.forEach((want, j) => {
    const got = outs[j]!;
    const what = `${c.name} output ${j}`;
    assert.equal(got.dtype, want.dtype, `${what}: dtype ${got.dtype}, expected ${want.dtype}`);
    assertShape(what, got.shape, want.shape);
    assertClose(what, got.dataSync(), decodeData(want.data, want.dtype), want.shape, tolFor(c, want.dtype));
  });
  if (c.cotangent && c.grads) {
    const out0 = outs[0]!;
    const cot = nb.tensor(decodeData(c.cotangent.data, out0.dtype as 'float32' | 'float64'), {
      dtype: out0.dtype, shape: c.cotangent.shape,
    });
    out0.mul(cot).sum().backward();
    c.grads.forEach((want, i) => {
      if (!want) return;
      const what = `${c.name} grad of input ${i}`;
      const dtype = c.inputs[i]!.dtype;
      const expected = decodeData(want.data, dtype);
      const g = inputs[i]!.grad;
      if (g === null) {
        // PyTorch leaves .grad None for an unused input; a zero gradient means the same
        assert.ok(expected.every((v) => v === 0), `${what}: .grad is null, expected ${want.data.slice(0, 8).join(', ')}…`);
        return;
      }
      assertShape(what, g.shape, want.shape);
      assertClose(what, g.dataSync(), expected, want.shape, tolFor(c, dtype));
    });
  }
}

test('the fixture file covers every op of the table and the table every op of the file', () => {
  const inTable = Object.keys(OPS).sort();
  const missing = fx.ops.filter((o) => !(o in OPS));
  assert.deepEqual(missing, [], `ops with fixtures but no table entry: ${missing.join(', ')}`);
  const untested = inTable.filter((o) => !fx.ops.includes(o));
  assert.deepEqual(untested, [], `table ops without fixtures: ${untested.join(', ')}`);
  assert.ok(fx.cases.length > 400, `only ${fx.cases.length} fixture cases`);
});

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`ops vs PyTorch ${fx.torch} on ${backend}`, () => {
    for (const c of fx.cases) {
      test(c.name, () => {
        nb.setBackend(backend);
        const before = nb.memory();
        nb.scope(() => runCase(c));
        // everything the case made (inputs, outputs, graph, gradients) is released by the scope
        const after = nb.memory();
        assert.equal(after.tensors, before.tensors, `${c.name}: ${after.tensors - before.tensors} tensors left alive`);
        assert.equal(after.backends[backend]!.storages, before.backends[backend]!.storages,
          `${c.name}: ${after.backends[backend]!.storages - before.backends[backend]!.storages} ${backend} storages leaked`);
      });
    }
  });
}
