// The mnist_forward_forward port (examples/ports/mnist_forward_forward.ts) against PyTorch running the
// original program's functions and classes (scripts/ports/mnist_forward_forward_ref.py): the
// transform, the label overlays, PyTorch's initial weights loaded into the port's Net, every loss the
// layers print over their Adam steps, the last gradients, the weight changes and predict() on both
// sets. The CLI runs on a tiny real subset.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import { MNIST, Net, args, getYNeg, overlayYOnX } from '../examples/ports/mnist_forward_forward.js';
import { Worst, compareSummary, summarize, type Summary } from './helpers/port-summary.js';

interface Fixture {
  dims: number[]; probe_step: number; args: { epochs: number; lr: number; threshold: number; log_interval: number };
  train_images: number; test_images: number; x: Summary; x_pos: Summary; x_neg: Summary;
  y: number[]; y_neg: number[]; y_te: number[]; printed: string[]; losses: number[];
  grads: Record<string, Summary>; weight_change: Record<string, Summary>;
  predict_train: number[]; predict_test: number[]; train_error: number; test_error: number;
}
const FIX = new URL('../fixtures/ports/', import.meta.url);
const fx = JSON.parse(readFileSync(new URL('mnist_forward_forward.json', FIX), 'utf8')) as Fixture;

/** Runs fn with console.log captured; returns the lines. */
function logged(fn: () => void): string[] {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try { fn(); } finally { console.log = orig; }
  return lines;
}

test('mnist_forward_forward port: the data, the overlays, every printed loss, gradients, weights and predictions match PyTorch', () => {
  Object.assign(args, { epochs: fx.args.epochs, lr: fx.args.lr, threshold: fx.args.threshold, logInterval: fx.args.log_interval });
  const worst = new Worst();
  const [x, y] = MNIST(true, fx.train_images);
  const [xTe, yTe] = MNIST(false, fx.test_images);
  assert.deepEqual(y.tolist(), fx.y);
  assert.deepEqual(yTe.tolist(), fx.y_te);
  worst.track('data', 'x', compareSummary('x (the transform)', summarize(x, fx.probe_step), fx.x));
  const xPos = overlayYOnX(x, y);
  worst.track('data', 'x_pos', compareSummary('x_pos', summarize(xPos, fx.probe_step), fx.x_pos));
  // get_y_neg draws from PyTorch's generator: its draws are used, and the port's is checked apart
  const xNeg = overlayYOnX(x, nb.tensor(fx.y_neg, { dtype: 'int32' }));
  worst.track('data', 'x_neg', compareSummary('x_neg', summarize(xNeg, fx.probe_step), fx.x_neg));

  nb.manualSeed(0);
  const net = new Net(fx.dims);
  const { tensors } = nb.deserialize(readFileSync(new URL('mnist_forward_forward.safetensors', FIX)), 'mnist_forward_forward.safetensors');
  assert.deepEqual(Object.keys(net.stateDict()).sort(), Object.keys(tensors).sort(), 'the plain list of layers is registered as layers.0, layers.1');
  assert.deepEqual(net.loadStateDict(tensors, { strict: true }), { missingKeys: [], unexpectedKeys: [] });
  const initial = new Map(net.namedParameters().map(([k, p]) => [k, p.detach().clone()]));

  const printed = logged(() => net.train(xPos, xNeg));
  assert.deepEqual(printed.map((l) => l.split(' ')[0]), fx.printed.map((l) => l.split(' ')[0]), `printed ${JSON.stringify(printed)}`);
  const losses = printed.filter((l) => l.startsWith('Loss:')).map((l) => Number(l.split(/\s+/).at(-1)));
  assert.equal(losses.length, fx.losses.length);
  losses.forEach((l, i) => assert.ok(Math.abs(l - fx.losses[i]!) <= 1e-4 * Math.abs(fx.losses[i]!), `loss ${i}: ${l} vs PyTorch's ${fx.losses[i]}`));

  for (const [k, p] of net.namedParameters()) {
    assert.ok(p.grad, `${k} has no gradient`);
    worst.track('gradient', k, compareSummary(`last gradient of ${k}`, summarize(p.grad, fx.probe_step), fx.grads[k]!));
    worst.track('weight change', k, compareSummary(`weight change of ${k}`, summarize(nb.sub(p, initial.get(k)!), fx.probe_step), fx.weight_change[k]!));
  }
  if (process.env.PORTS_DEBUG) console.error(worst.report());
  worst.assertWithin({ data: 1e-6, gradient: 1e-4, 'weight change': 1e-4 });

  const pred = net.predict(x), predTe = net.predict(xTe);
  assert.deepEqual(pred.tolist(), fx.predict_train);
  assert.deepEqual(predTe.tolist(), fx.predict_test);
  assert.ok(Math.abs(1.0 - pred.eq(y).float().mean().item() - fx.train_error) < 1e-6);
  assert.ok(Math.abs(1.0 - predTe.eq(yTe).float().mean().item() - fx.test_error) < 1e-6);
});

test('mnist_forward_forward port: getYNeg draws a different label for every sample', () => {
  nb.manualSeed(3);
  const y = nb.tensor(fx.y, { dtype: 'int32' });
  const yNeg = getYNeg(y).tolist() as number[];
  yNeg.forEach((v, i) => assert.ok(Number.isInteger(v) && v >= 0 && v <= 9 && v !== fx.y[i], `sample ${i}: label ${fx.y[i]}, negative ${v}`));
  assert.deepEqual(y.tolist(), fx.y, 'y is left as it was');
});

test('mnist_forward_forward port: the command runs on a tiny real subset', () => {
  const script = fileURLToPath(new URL('../examples/ports/mnist_forward_forward.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--epochs', '2', '--train_size', '64', '--test_size', '32', '--log-interval', '1'], {
    encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 300_000,
  });
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  assert.match(r.stdout, /training layer: {2}0\nLoss: {2}\d\.\d+\nLoss: {2}\d\.\d+\ntraining layer: {2}1\nLoss: {2}\d\.\d+\nLoss: {2}\d\.\d+\n/);
  assert.match(r.stdout, /train error: 0?\.?\d+/);
  assert.match(r.stdout, /test error: 0?\.?\d+/);
});
