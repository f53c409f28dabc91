// examples/ports/regression.ts against PyTorch running the original's functions and loop body
// (fixtures/ports/regression.safetensors by scripts/ports/regression_ref.py): PyTorch's target
// polynomial and random draws through the port's makeFeatures and f, then the port's step() for 3
// batches from PyTorch's initial weights — loss, both gradients and the weights after; polyDesc's text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { bTarget, f, makeFeatures, polyDesc, step, wTarget } from '../examples/ports/regression.js';
import { assertMatches, assertNear, get, initState, loadPortFixture, runExample, scalars } from './helpers/ports.js';

const fx = loadPortFixture('regression');
// PyTorch's target, written into the port's module-level tensors in place
nb.noGrad(() => {
  wTarget.copy_(get(fx, 'W_target'));
  bTarget.copy_(get(fx, 'b_target'));
});

test('regression port: makeFeatures and f give PyTorch’s batches from the same random draws', () => {
  for (let k = 1; k <= 3; k++) {
    nb.scope(() => {
      const x = makeFeatures(get(fx, `random.${k}`));
      assertMatches(`features ${k}`, x, fx, `batch_x.${k}`, 1e-6);
      assertMatches(`f(x) ${k}`, f(get(fx, `batch_x.${k}`)), fx, `batch_y.${k}`, 1e-6);
    });
  }
});

test('regression port: 3 steps of the loop body match PyTorch (loss, gradients, weights)', () => {
  const fc = new nb.nn.Linear(wTarget.size(0), 1);
  assert.deepEqual(fc.loadStateDict(initState(fx), { strict: true }), { missingKeys: [], unexpectedKeys: [] });
  const losses: number[] = [];
  for (let k = 1; k <= 3; k++) {
    losses.push(nb.scope(() => step(fc, get(fx, `batch_x.${k}`), get(fx, `batch_y.${k}`))));
    if (k === 1) for (const [name, p] of fc.namedParameters()) assertMatches(`grad of ${name}`, p.grad!, fx, `grad.${name}`);
  }
  assertNear('loss', losses, scalars(fx, 'loss'), 1e-4, 1e-7);
  for (const [name, t] of Object.entries(fc.stateDict())) assertMatches(`${name} after 3 steps`, t, fx, `after.${name}`);
});

test('regression port: polyDesc prints what poly_desc prints', () => {
  assert.equal(polyDesc(wTarget.view(-1), bTarget), fx.metadata.desc_target);
  assert.equal(polyDesc(nb.tensor([1.005, -2.5, 0.0, -0.004]), nb.tensor([3.14159])), fx.metadata.desc_fixed);
});

test('regression port: the command fits the polynomial to a smooth L1 loss under 1e-3', () => {
  const out = runExample('regression.ts', []);
  const m = /^Loss: (\d+\.\d{6}) after (\d+) batches$/m.exec(out);
  assert.ok(m, `output: ${out}`);
  assert.ok(Number(m[1]) < 1e-3, `final loss ${m[1]}`);
  assert.match(out, /==> Learned function:\ty = [+-]\d+\.\d\d x\^1 .* x\^4 [+-]\d+\.\d\d\n==> Actual function:\ty = /);
});
