// examples/ports/time_sequence_prediction.ts against PyTorch running the original's Sequence with
// LBFGS and MSELoss in float64 (fixtures/ports/time_sequence_prediction.safetensors by
// scripts/ports/time_sequence_prediction_ref.py): the port's Sequence from PyTorch's initial weights,
// trained by the original's loop (written out below as train.py has it) on the same slice of the
// original's sine waves — every loss the closure saw, the first gradients, the closure calls per step,
// the predictions with `future` points and the weights after; then both commands on a tiny run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import { readNpyFile } from '../src/node.js';
import { Sequence } from '../examples/ports/time_sequence_prediction.js';
import { assertMatches, assertNear, get, initState, loadPortFixture, runExample, scalars } from './helpers/ports.js';

const fx = loadPortFixture('time_sequence_prediction');

test('time_sequence_prediction port: LBFGS steps on PyTorch’s weights and data match PyTorch (float64)', () => {
  const future = Number(fx.metadata.future), steps = Number(fx.metadata.steps);
  const data = get(fx, 'data');
  const input = nb.keep(data.index('3:', ':-1')), target = nb.keep(data.index('3:', '1:'));
  const testInput = nb.keep(data.index(':3', ':-1')), testTarget = nb.keep(data.index(':3', '1:'));
  const seq = new Sequence();
  seq.double();
  assert.deepEqual(seq.loadStateDict(initState(fx), { strict: true }), { missingKeys: [], unexpectedKeys: [] });
  const criterion = new nb.nn.MSELoss();
  const optimizer = new nb.optim.LBFGS(seq.parameters(), { lr: 0.8 });
  const losses: number[] = [], testLosses: number[] = [], evals: number[] = [];
  for (let i = 0; i < steps; i++) {
    const closure = () => {
      optimizer.zeroGrad();
      const out = seq.forward(input);
      const loss = criterion.forward(out, target);
      losses.push(loss.item());
      loss.backward();
      if (losses.length === 1) {
        assertMatches('output', out, fx, 'output', 1e-9);
        for (const [k, p] of seq.namedParameters()) assertMatches(`grad of ${k}`, p.grad!, fx, `grad.${k}`, 1e-8);
      }
      return loss;
    };
    optimizer.step(closure);
    evals.push(losses.length);
    nb.noGrad(() => nb.scope(() => {
      const pred = seq.forward(testInput, future);
      testLosses.push(criterion.forward(pred.index(':', `:-${future}`), testTarget).item());
      assertMatches(`prediction after step ${i}`, pred, fx, `pred.${i}`, 1e-6);
    }));
  }
  assert.deepEqual(evals, Array.from({ length: steps }, (_, i) => scalars(fx, `evals.${i}`)[0]), 'closure calls per LBFGS step');
  assertNear('closure losses', losses, scalars(fx, 'loss'), 1e-6, 1e-12);
  assertNear('test losses', testLosses, scalars(fx, 'test_loss'), 1e-6, 1e-12);
  for (const [k, t] of Object.entries(seq.stateDict())) assertMatches(`${k} after ${steps} steps`, t, fx, `after.${k}`, 1e-6);
});

test('time_sequence_prediction port: generate_sine_wave and train run on a short slice', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-tsp-'));
  try {
    runExample('generate_sine_wave.ts', [], dir);
    const out = runExample('time_sequence_prediction.ts', ['--steps', '1', '--length', '12', '--future', '5'], dir);
    assert.match(out, /^STEP:  0\nloss: 0\.\d+/m);
    const lossLines = out.split('\n').filter((l) => l.startsWith('loss: '));
    assert.ok(lossLines.length >= 2, `LBFGS evaluated the closure ${lossLines.length} times`);
    assert.match(out, /test loss: \d/);
    assert.ok(existsSync(join(dir, 'predict0.npy')));
    const y = readNpyFile(join(dir, 'predict0.npy'));
    assert.deepEqual(y.shape, [3, 11 + 5]);
    assert.ok(Array.from(y.data as Float64Array).every(Number.isFinite));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
