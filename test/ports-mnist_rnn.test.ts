// examples/ports/mnist_rnn.ts against PyTorch running the original's Net, Adadelta and StepLR
// (fixtures/ports/mnist_rnn.safetensors by scripts/ports/mnist_rnn_ref.py): the same 8 Fashion-MNIST images
// through the port's transform, PyTorch's initial weights, then the port's own train() and test()
// for 3 one-batch epochs — output, loss, every gradient, learning rates and the stepped weights and
// BatchNorm1d's running statistics (the model trains in train mode, as the original does).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { Net, train, test as evaluate } from '../examples/ports/mnist_rnn.js';
import { FashionMNIST } from '../examples/ports/datasets.js';
import { assertMatches, assertNear, captureLog, get, initState, loadPortFixture, printed, runExample, scalars } from './helpers/ports.js';

const fx = loadPortFixture('mnist_rnn');

test('mnist_rnn port: the transform gives PyTorch’s input tensor from the same Fashion-MNIST images', () => {
  const { transforms } = nb.data;
  const ds = new FashionMNIST('../data', { train: true, transform: transforms.compose([transforms.toTensor(), transforms.normalize([0.1307], [0.3081])]), limit: 8 });
  nb.scope(() => {
    const input = nb.stack(Array.from({ length: 8 }, (_, i) => ds.get(i)[0] as nb.Tensor));
    assertMatches('input', input, fx, 'input', 1e-6);
    assert.deepEqual(Array.from({ length: 8 }, (_, i) => ds.get(i)[1]), Array.from(get(fx, 'target').dataSync()));
  });
});

test('mnist_rnn port: output, loss, every gradient, StepLR and 3 Adadelta steps match PyTorch', async () => {
  const model = new Net();
  const loaded = model.loadStateDict(initState(fx), { strict: true });
  assert.deepEqual(loaded, { missingKeys: [], unexpectedKeys: [] });
  // dropout as the identity on both sides (the two random streams differ), the model in train mode
  for (const m of [model.dropout1, model.dropout2]) m.registerForwardHook((_m, args) => args[0] as nb.Tensor);
  const input = get(fx, 'input'), target = get(fx, 'target');
  // the output of the first step, from a copy (a forward in train mode moves BatchNorm's running statistics)
  const copy = new Net();
  copy.loadStateDict(initState(fx), { strict: true });
  for (const m of [copy.dropout1, copy.dropout2]) m.registerForwardHook((_m, args) => args[0] as nb.Tensor);
  nb.scope(() => assertMatches('output', nb.noGrad(() => copy.forward(input)), fx, 'output'));

  const loader = new nb.data.DataLoader(new nb.data.TensorDataset(input, target), { batchSize: 8 });
  const optimizer = new nb.optim.Adadelta(model.parameters(), { lr: 0.1 });
  const scheduler = new nb.optim.StepLR(optimizer, { stepSize: 1, gamma: 0.7 });
  const lines: string[] = [];
  const lrs: number[] = [];
  for (let epoch = 1; epoch <= 3; epoch++) {
    lines.push(...await captureLog(() => train({ logInterval: 1, dryRun: false }, model, 'cpu', loader as never, optimizer, epoch)));
    if (epoch === 1) for (const [k, p] of model.namedParameters()) assertMatches(`grad of ${k}`, p.grad!, fx, `grad.${k}`);
    scheduler.step();
    lrs.push(optimizer.paramGroups[0]!.lr as number);
  }
  assertNear('printed loss', printed(lines, /Loss: ([\d.]+)/g), scalars(fx, 'loss'), 1e-4, 1e-6);
  assertNear('lr', lrs, scalars(fx, 'lr'), 1e-12, 0);
  for (const [k, t] of Object.entries(model.stateDict())) assertMatches(`${k} after 3 steps`, t, fx, `after.${k}`);

  const [lossSum, correct] = scalars(fx, 'test');
  const out = (await captureLog(() => evaluate({ logInterval: 1, dryRun: false }, model, 'cpu', loader as never))).join('\n');
  const m = /Average loss: ([\d.]+), Accuracy: (\d+)\/8/.exec(out);
  assert.ok(m, `test() printed: ${out}`);
  assertNear('test loss', [Number(m[1])], [lossSum! / 8], 0, 5e-5 + 1e-4 * lossSum! / 8);
  assert.equal(Number(m[2]), correct);
});

test('mnist_rnn port: the command runs on a small real subset', () => {
  const out = runExample('mnist_rnn.ts', ['--limit', '64', '--epochs', '1', '--batch-size', '32', '--test-batch-size', '64']);
  assert.match(out, /Train Epoch: 1 \[0\/64 \(0%\)\]\tLoss: \d+\.\d{6}/);
  assert.match(out, /Test set: Average loss: \d+\.\d{4}, Accuracy: \d+\/64/);
});
