// The Task interface carries a task that is not Fashion-MNIST: a toy regression task added to TASKS
// here (RMSE, a lower-is-better monitor, a mean baseline, its own step, inspector, flags and a verb,
// chosen by a path it claims) runs through `nabla train`, `eval`, its verb, --resume and `nabla export`
// (ONNX Runtime gives the model's outputs) like any other; with --bucketed its batches group samples of
// similar "length" (a batch sampler), and a run stopped by a real SIGINT and resumed ends with the same
// bytes as one never stopped; its trained baseline runs through the same command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import { TASKS } from '../src/tasks/index.js';
import type { Task, TaskData } from '../src/tasks/task.js';
import { UsageError } from '../src/cli/args.js';
import { main } from '../src/cli/main.js';
import { baselineOptions } from '../src/cli/trained-baselines.js';
import { loadRun } from '../src/cli/run-config.js';
import { ortRun } from './helpers/onnx.js';

interface ToyMeta { [k: string]: nb.train.JsonValue; features: number; mean: number }

/** y = 2·x0 − x1 + 0.5·x2 + 1 + noise, features from a file's seed (the file is the "data set"). */
function toyData(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const saved = nb.getRngState();
  nb.manualSeed(seed);
  const x = nb.randn([n, 3]).dataSync().slice() as Float32Array;
  const noise = nb.randn([n]).dataSync();
  nb.setRngState(saved);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 2 * x[3 * i]! - x[3 * i + 1]! + 0.5 * x[3 * i + 2]! + 1 + 0.1 * noise[i]!;
  return { x, y };
}

class MeanPredictor extends nb.nn.Module {
  constructor(private readonly mean: number) { super(); }
  override forward(x: nb.Tensor): nb.Tensor { return nb.full([x.shape[0]!, 1], this.mean); }
}

const seen: string[] = [];
/** Each toy sample's "length" (|x0| in tenths), by dataset: what --bucketed groups by. */
const lengthsOf = new WeakMap<object, number[]>();
/** The spread of lengths (longest − shortest) in each training batch, and when to send SIGINT. */
const spreads: number[] = [];
const interrupt = { atStep: -1, steps: 0 };
const toy: Task<ToyMeta> = {
  name: 'toy-regression',
  summary: 'a linear function of 3 features (test task)',
  claims: (arg) => arg.endsWith('.toy'),
  flags: {
    rows: { type: 'int', default: 600, min: 50, help: 'samples in the file' },
    bucketed: { type: 'boolean', default: false, help: 'batch samples of similar |x0| together' },
  },
  evalFlags: ['rows'],
  defaults: { model: 'linear', epochs: 4, 'batch-size': 32, lr: 0.05, optimizer: 'adam', schedule: 'constant' },
  models: { linear: 'one Linear layer', mlp: '3-16-1 with ReLU' },
  check(o) { if ((o.rows as number) % 2) throw new UsageError(`train: --rows must be even, got ${o.rows}`); },
  data(o, io, meta) {
    const seed = Number(readFileSync(o.input as string, 'utf8').trim());
    const { x, y } = toyData(o.rows as number, seed);
    const n = x.length / 3, nTest = n / 4, nVal = n / 4, nTrain = n - nTest - nVal;
    const part = (a: number, b: number) => {
      const ds = new nb.data.TensorDataset({ data: x.slice(3 * a, 3 * b), shape: [b - a, 3] }, { data: y.slice(a, b), shape: [b - a, 1] });
      lengthsOf.set(ds, Array.from({ length: b - a }, (_, i) => Math.round(10 * Math.abs(x[3 * (a + i)]!))));
      return ds;
    };
    let mean = 0;
    for (let i = 0; i < nTrain; i++) mean += y[i]! / nTrain;
    io.log(`toy: ${n} rows (${io.purpose})`);
    const d: TaskData<ToyMeta> = { train: part(0, nTrain), val: part(nTrain, nTrain + nVal), test: part(nTrain + nVal, n), meta: meta ?? { features: 3, mean }, source: `toy file ${o.input}` };
    return d;
  },
  model(name, ctx) {
    return name === 'linear' ? new nb.nn.Linear(ctx.meta.features, 1) : new nb.nn.Sequential(new nb.nn.Linear(ctx.meta.features, 16), new nb.nn.ReLU(), new nb.nn.Linear(16, 1));
  },
  batchSampler: (split, data, batchSize, ctx) =>
    ctx.options.bucketed ? new nb.data.BucketBatchSampler(lengthsOf.get(data[split]!)!, { batchSize, shuffle: split === 'train' }) : null,
  trainStep(model, batch) {
    const [x, y] = batch as [nb.Tensor, nb.Tensor];
    const output = model.forward(x) as nb.Tensor;
    seen.push('train');
    const x0 = Array.from(x.narrow(1, 0, 1).dataSync(), (v) => Math.round(10 * Math.abs(v)));
    spreads.push(Math.max(...x0) - Math.min(...x0));
    // A real signal to this process, which the CLI's handler sees between steps. fit() gives the event
    // loop a turn once 15 ms have passed since the last: this step lasts longer than that, so the turn
    // (and the stop) comes right after it rather than wherever a toy's fast steps reach 15 ms.
    // The first signal after a handler is (re)installed can take two turns to reach it (a run installs
    // its own), so the two steps after the signal last as long too.
    const k = ++interrupt.steps - interrupt.atStep;
    if (interrupt.atStep > 0 && k >= 0 && k <= 2) {
      if (k === 0) process.kill(process.pid, 'SIGINT');
      const t = performance.now();
      while (performance.now() - t < 20);
    }
    return { loss: nb.F.mseLoss(output, y), output, target: y };
  },
  evalStep(model, batch) {
    const [x, y] = batch as [nb.Tensor, nb.Tensor];
    const output = model.forward(x) as nb.Tensor;
    return { loss: nb.F.mseLoss(output, y), output, target: y };
  },
  metrics: () => [new nb.train.RootMeanSquaredError()],
  formatMetric: (_n, v) => v.toFixed(3),
  baselines: (_d, ctx) => [{ name: 'training mean', about: 'always the mean target of the training rows', model: new MeanPredictor(ctx.meta.mean) }],
  trainedBaselines: (ctx) => (ctx.options.model === 'mlp' ? [{ name: 'linear model', about: 'one Linear layer instead of the MLP', options: { model: 'linear' } }] : []),
  inspector() {
    let worst = 0;
    return {
      update(o, t) { const a = o!.dataSync(), b = t!.dataSync(); for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!)); },
      finish: () => ({ lines: [`largest error ${worst.toFixed(3)}`], html: `<h2>Errors</h2><p>largest error ${worst.toFixed(3)}</p>` }),
    };
  },
  exampleInput: () => nb.zeros([1, 3]),
  verbs: {
    score: {
      summary: 'the prediction for feature triples', usage: 'X0,X1,X2…', flags: { digits: { type: 'int', default: 2, min: 0, help: 'decimals' } },
      run({ model, args, flags, log }) {
        for (const a of args) {
          const v = a.split(',').map(Number);
          if (v.length !== 3 || v.some((x) => !Number.isFinite(x))) throw new UsageError(`score: '${a}' is not three numbers`);
          log(`${a}: ${nb.noGrad(() => (model.forward(nb.tensor([v], { dtype: 'float32' })) as nb.Tensor).item()).toFixed(flags.digits as number)}`);
        }
        return 0;
      },
    },
  },
};
(TASKS as unknown as Task<ToyMeta>[]).push(toy);

const run = async (argv: string[]): Promise<{ code: number; out: string[] }> => {
  const out: string[] = [];
  const code = await main(argv, (s) => out.push(s));
  return { code, out };
};

test('a second task (regression, RMSE, lower-is-better monitor, its own flags and verb) runs through train, eval, its verb and --resume', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-task-'));
  const file = join(dir, 'data.toy');
  writeFileSync(file, '7\n');
  const out = join(dir, 'run');
  const r = await run(['train', file, '--out', out, '--quiet', '--epochs', '3']);
  assert.equal(r.code, 0, r.out.join('\n'));
  assert.ok(seen.includes('train'), 'the task\'s own step trained the model');
  const text = r.out.join('\n');
  const rmse = Number(/test rmse (\d+\.\d{3}) \(loss/.exec(text)![1]);
  const base = Number(/baselines on the test set: training mean rmse (\d+\.\d{3})/.exec(text)![1]);
  // The targets' spread is sqrt(4 + 1 + 0.25) ≈ 2.3 around the mean; three epochs of Adam get far below it.
  assert.ok(base > 1.8 && rmse < 0.5 * base, `model ${rmse}, baseline ${base}`);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  for (const part of ['<figcaption>rmse per epoch</figcaption>', 'training mean', '<h2>Errors</h2>', 'Total params: 4 ']) assert.ok(html.includes(part), part);
  // Lower RMSE is better: best.safetensors is the epoch with the lowest validation RMSE.
  const epochs = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'epoch');
  const bestEpoch = epochs.reduce((b, e) => (e.logs.valRmse < b.logs.valRmse ? e : b)).epoch;
  assert.match(text, new RegExp(`with the best checkpoint \\(epoch ${bestEpoch}\\)`));

  const ev = await run(['eval', join(out, 'best.safetensors')]);
  assert.equal(ev.code, 0, ev.out.join('\n'));
  assert.match(ev.out[1]!, new RegExp(`^test rmse ${rmse.toFixed(3)} · loss \\d\\.\\d{4} · 150 test examples \\(toy file`));
  assert.match(ev.out.at(-1)!, /^largest error \d\.\d{3}$/);
  const sc = await run(['score', join(out, 'best.safetensors'), '1,0,0', '--digits', '1']);
  assert.equal(sc.code, 0);
  const score = /^1,0,0: (\d\.\d)$/.exec(sc.out[0]!);
  assert.ok(score && Math.abs(Number(score[1]) - 3) < 0.5, sc.out[0]); // 2·1 + 1 = 3
  assert.equal((await run(['score', join(out, 'best.safetensors'), 'oops'])).code, 2);
  assert.equal((await run(['train', file, '--rows', '601', '--out', join(dir, 'x')])).code, 2, 'the task\'s check() runs');

  // Resuming a finished run trains nothing more and reproduces the result; a changed task flag is refused.
  const again = await run(['train', '--out', out, '--resume', '--quiet']);
  assert.equal(again.code, 0, again.out.join('\n'));
  assert.match(again.out.join('\n'), new RegExp(`test rmse ${rmse.toFixed(3)}`));
  assert.equal((await run(['train', '--out', out, '--resume', '--rows', '800'])).code, 2);

  // export: without exampleInput, the first test batch's inputs are what the model is traced with.
  const example = toy.exampleInput;
  delete toy.exampleInput;
  try {
    const file = join(dir, 'toy.onnx');
    const ex = await run(['export', join(out, 'best.safetensors'), file]);
    assert.equal(ex.code, 0, ex.out.join('\n'));
    assert.match(ex.out.join('\n'), /input \[batch, 3\] → output \[batch, 1\]/);
    const { model } = await loadRun(join(out, 'best.safetensors'), () => {});
    const x = nb.tensor([[1, 0, 0], [0.5, -2, 3], [0, 0, 0]], { dtype: 'float32' });
    const [got] = await ortRun(readFileSync(file), [x]);
    const want = nb.noGrad(() => model.forward(x) as nb.Tensor).dataSync();
    got!.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-6 * (1 + Math.abs(want[i]!)), `row ${i}: ${v} vs ${want[i]}`));
  } finally {
    toy.exampleInput = example;
  }
});

const tensorsOf = (path: string): Record<string, Uint8Array> => {
  const t = decodeSafetensors(readFileSync(path)).tensors;
  return Object.fromEntries(Object.entries(t).map(([k, r]) => [k, new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength)]));
};

test('a task\'s batch sampler groups similar lengths; a SIGINT mid-epoch and --resume end bit-identical to a run never stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-task-'));
  const file = join(dir, 'data.toy');
  writeFileSync(file, '11\n');
  const args = ['train', file, '--model', 'mlp', '--epochs', '3', '--batch-size', '16', '--quiet'];
  spreads.length = 0;
  const plain = await run([...args, '--out', join(dir, 'plain')]);
  assert.equal(plain.code, 0, plain.out.join('\n'));
  const mean = (a: number[]): number => a.reduce((p, q) => p + q, 0) / a.length;
  const plainSpread = mean(spreads.splice(0));
  const full = await run([...args, '--bucketed', '--out', join(dir, 'a')]);
  assert.equal(full.code, 0, full.out.join('\n'));
  const bucketSpread = mean(spreads.splice(0));
  // 300 training rows, one bucket (the default 100 batches): each batch holds neighbours in |x0|.
  assert.ok(bucketSpread < plainSpread / 3, `length spread per batch: bucketed ${bucketSpread}, shuffled ${plainSpread}`);

  // 19 steps an epoch: stop in the second one.
  Object.assign(interrupt, { atStep: 25, steps: 0 });
  const cut = await run([...args, '--bucketed', '--out', join(dir, 'b')]);
  interrupt.atStep = -1;
  assert.equal(cut.code, 130, cut.out.join('\n'));
  const m = /interrupted at step (\d+) of 19 in epoch 2/.exec(cut.out.join('\n'));
  assert.ok(m, cut.out.join('\n'));
  const resumed = await run(['train', '--out', join(dir, 'b'), '--resume', '--quiet']);
  assert.equal(resumed.code, 0, resumed.out.join('\n'));
  assert.match(resumed.out.join('\n'), new RegExp(`resuming .* at epoch 2, step ${m[1]} of 19`));
  const wa = tensorsOf(join(dir, 'a', 'last.safetensors')), wb = tensorsOf(join(dir, 'b', 'last.safetensors'));
  for (const k of Object.keys(wa)) assert.ok(Buffer.from(wa[k]!).equals(Buffer.from(wb[k]!)), `${k} differs after resume`);
  const plainW = tensorsOf(join(dir, 'plain', 'last.safetensors'));
  assert.ok(Object.keys(wa).some((k) => !Buffer.from(wa[k]!).equals(Buffer.from(plainW[k]!))), 'bucketed batches train differently from shuffled ones');
});

test('a trained baseline: the same command trains it into baseline-NAME/, reports it, eval reproduces it, and --resume continues it after a SIGINT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-task-'));
  const file = join(dir, 'data.toy');
  writeFileSync(file, '5\n');
  const args = ['train', file, '--model', 'mlp', '--epochs', '3', '--batch-size', '16', '--quiet'];
  Object.assign(interrupt, { atStep: -1, steps: 0 });
  const full = await run([...args, '--out', join(dir, 'a')]);
  const perEpoch = interrupt.steps / 6; // the model's 3 epochs, then the baseline's 3, counted by trainStep
  assert.equal(full.code, 0, full.out.join('\n'));
  const text = full.out.join('\n');
  assert.match(text, /baseline 'linear model' \(one Linear layer instead of the MLP\): the same command with --model linear, into .*baseline-linear-model/);
  const trained = Number(/baseline 'linear model': test rmse (\d+\.\d{3}) with its best checkpoint/.exec(text)![1]);
  const listed = /baselines on the test set: training mean rmse (\d+\.\d{3}) · linear model rmse (\d+\.\d{3})/.exec(text);
  assert.ok(listed, text);
  assert.equal(Number(listed[2]), trained);
  // The data are linear: a trained linear model is far better than the mean.
  assert.ok(trained < 0.5 * Number(listed[1]), text);
  const html = readFileSync(join(dir, 'a', 'report.html'), 'utf8');
  assert.match(html, /<td>linear model<\/td><td>\d\.\d{3}<\/td><td class="left">one Linear layer instead of the MLP\. Trained by this command \(--model linear;/);
  assert.match(html, /trained baselines \d/);
  const ev = await run(['eval', join(dir, 'a', 'baseline-linear-model', 'best.safetensors')]);
  assert.equal(ev.code, 0, ev.out.join('\n'));
  assert.match(ev.out.join('\n'), new RegExp(`test rmse ${trained.toFixed(3)} · loss`));

  // The signal comes in the middle of the baseline's first epoch (counted, not assumed: a fixed step
  // number once landed on that epoch's last step, which reports 'after epoch 1').
  assert.ok(Number.isInteger(perEpoch) && perEpoch >= 4, `${interrupt.steps} training steps in the full run`);
  Object.assign(interrupt, { atStep: 3 * perEpoch + Math.ceil(perEpoch / 2), steps: 0 });
  const cut = await run([...args, '--out', join(dir, 'b')]);
  interrupt.atStep = -1;
  assert.equal(cut.code, 130, cut.out.join('\n'));
  assert.match(cut.out.join('\n'), /interrupted the baseline 'linear model' at step \d+ of 19 in epoch 1 \(the model's run in .* is complete\); saved .*baseline-linear-model.last\.safetensors; continue with: nabla train --out .* --resume/);
  assert.ok(!cut.out.some((l) => l.startsWith('test rmse')), 'no result before the baseline is done');
  const resumed = await run(['train', '--out', join(dir, 'b'), '--resume', '--quiet']);
  assert.equal(resumed.code, 0, resumed.out.join('\n'));
  assert.match(resumed.out.join('\n'), /baseline 'linear model': resuming .* at epoch 1, step \d+ of 19/);
  for (const sub of ['', 'baseline-linear-model']) {
    const wa = tensorsOf(join(dir, 'a', sub, 'best.safetensors')), wb = tensorsOf(join(dir, 'b', sub, 'best.safetensors'));
    for (const k of Object.keys(wa)) assert.ok(Buffer.from(wa[k]!).equals(Buffer.from(wb[k]!)), `${sub || 'model'}: ${k} differs after resume`);
  }
  assert.match(resumed.out.join('\n'), new RegExp(`linear model rmse ${trained.toFixed(3)}`));
  // A task's baseline that names no such flag, a run-only flag or a wrong value is an error naming it.
  const o = { model: 'mlp', rows: 600, seed: 1 };
  const bad = (options: Record<string, string | number | boolean>): void => { baselineOptions(toy as never, o, { name: 'x', about: 'x', options }); };
  assert.throws(() => bad({ depth: 2 }), /trained baseline 'x' sets 'depth', which is not a flag that changes what a run computes/);
  assert.throws(() => bad({ threads: 1 }), /sets 'threads'/);
  assert.throws(() => bad({ rows: 60.5 }), /sets --rows to 60.5, not an integer/);
  assert.throws(() => bad({ model: 'cnn' }), /sets --model to 'cnn' \(choices: linear, mlp\)/);
  assert.throws(() => bad({ rows: 601 }), /--rows must be even/);
  // --force replaces the baseline's run too.
  const again = await run([...args, '--out', join(dir, 'b'), '--force']);
  assert.equal(again.code, 0, again.out.join('\n'));
  assert.doesNotMatch(again.out.join('\n'), /resuming/);
});
