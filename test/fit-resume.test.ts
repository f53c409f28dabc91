// fit() as the one loop of every task: a batch → loss step function, non-classification metrics,
// gradient clipping, and an exact resume — a run stopped mid-epoch (or between epochs), written as a
// checkpoint and continued in fresh objects ends with the same bytes as a run that never stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { encodeCheckpoint, decodeCheckpoint } from '../src/io/checkpoint.js';

const { nn, optim, F, data, train } = nb;

function dataset(n: number): InstanceType<typeof data.TensorDataset> {
  nb.manualSeed(123);
  const x = nb.randn([n, 8]);
  const y = x.narrow(1, 0, 4).argmax(1); // a learnable 4-class target
  return new data.TensorDataset(nb.keep(x), nb.keep(y.int()));
}

interface Run {
  model: nb.nn.Module;
  optimizer: nb.optim.Optimizer;
  scheduler: nb.optim.OneCycleLR;
  early: InstanceType<typeof train.EarlyStopping>;
  loader: InstanceType<typeof data.DataLoader>;
}

type LoaderKind = 'global' | 'seeded' | 'bucketed';

/**
 * A fresh run: model, optimizer, scheduler, a stateful callback and a loader — shuffling from the
 * global generator, from its own seeded stream, or grouping samples of similar (made-up) length
 * with a BucketBatchSampler that draws from the global generator.
 */
function makeRun(ds: InstanceType<typeof data.TensorDataset>, kind: LoaderKind): Run {
  nb.manualSeed(7);
  const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(16, 4));
  const optimizer = new optim.AdamW(model.parameters(), { lr: 0.01 });
  const lengths = Array.from({ length: ds.length }, (_, i) => (i * 37) % 11);
  const loader = kind === 'bucketed'
    ? new data.DataLoader(ds, { batchSampler: new data.BucketBatchSampler(lengths, { batchSize: 32, shuffle: true, bucketSize: 2 }) })
    : new data.DataLoader(ds, { batchSize: 32, shuffle: true, ...(kind === 'seeded' ? { seed: 5 } : {}) });
  const scheduler = new optim.OneCycleLR(optimizer, { maxLr: 0.02, totalSteps: 3 * loader.length });
  return { model, optimizer, scheduler, early: new train.EarlyStopping({ monitor: 'valLoss', patience: 10 }), loader };
}

/** The step a task would write: noise added to the input (a draw from the generator) and cross-entropy. */
const noisyStep: nb.train.StepFn = (model, batch) => {
  const [x, y] = batch as [nb.Tensor, nb.Tensor];
  const output = model.forward(x.add(nb.randn(x.shape).mul(0.1))) as nb.Tensor;
  return { loss: F.crossEntropy(output, y), output, target: y };
};

async function fitRun(r: Run, val: InstanceType<typeof data.DataLoader>, extra: Partial<nb.train.FitOptions> = {}): Promise<nb.train.History> {
  return train.fit(r.model, {
    train: r.loader, val, optimizer: r.optimizer, scheduler: r.scheduler, epochs: 3, step: noisyStep,
    evalStep: (m, b) => { const [x, y] = b as [nb.Tensor, nb.Tensor]; const o = m.forward(x) as nb.Tensor; return { loss: F.crossEntropy(o, y), output: o, target: y }; },
    metrics: ['accuracy', 'f1'], callbacks: [r.early], verbose: false, clipGradNorm: 1, ...extra,
  });
}

const bytesOf = (m: nb.nn.Module): Map<string, Uint8Array> =>
  new Map(Object.entries(m.stateDict()).map(([k, t]) => [k, new Uint8Array(t.dataSync().slice().buffer)]));

const ABOUT: Record<LoaderKind, string> = { global: 'shuffle from the global generator', seeded: 'seeded loader', bucketed: 'length-grouped batches' };
for (const kind of ['global', 'seeded', 'bucketed'] as const) {
  // 7 steps per epoch: step 10 is mid-epoch 2, 14 its last step (stopped before its validation), and
  // 'epoch 1' stops at the end of the first epoch (after its validation and callbacks).
  for (const stopAt of [10, 14, 'epoch 1'] as const) {
    test(`fit: stopped at ${typeof stopAt === 'number' ? `step ${stopAt}` : stopAt} (${ABOUT[kind]}), checkpointed and resumed in fresh objects, ends bit-identical`, async () => {
      const ds = dataset(200);
      const val = new data.DataLoader(dataset(64), { batchSize: 64 });
      const a = makeRun(ds, kind);
      const ha = await fitRun(a, val);

      const b = makeRun(ds, kind);
      const ac = new AbortController();
      let saved: Uint8Array | null = null;
      const stopper = new train.LambdaCallback({
        onBatchEnd: (_s, _l, ctx) => { if (ctx.globalStep === stopAt) ac.abort(); },
        onEpochEnd: (epoch) => { if (stopAt === 'epoch 1' && epoch === 0) ac.abort(); },
        onTrainEnd: (ctx) => {
          assert.equal(ctx.interrupted, true);
          saved = encodeCheckpoint(train.trainingCheckpoint({ model: ctx.model, optimizer: b.optimizer, state: ctx.state(), config: { note: 'test' } }));
        },
      });
      const hb = await fitRun(b, val, { signal: ac.signal, callbacks: [b.early, stopper] });
      assert.ok(saved, 'the interrupted run wrote its checkpoint');
      assert.equal(hb.epoch.length, 1);

      // Fresh objects, a different global generator state: everything must come from the checkpoint.
      const c = makeRun(ds, kind);
      nb.manualSeed(99999);
      const ck = decodeCheckpoint(saved!, 'resume.safetensors');
      const state = train.restoreTraining(ck, c.model, c.optimizer, 'resume.safetensors');
      assert.ok(state);
      assert.equal(state.globalStep, stopAt === 'epoch 1' ? 7 : stopAt);
      const hc = await fitRun(c, val, { resume: state, callbacks: [c.early, new train.LambdaCallback({})] });

      const wa = bytesOf(a.model), wc = bytesOf(c.model);
      for (const [k, v] of wa) assert.deepEqual(wc.get(k), v, `${k} differs after resume`);
      assert.deepEqual(hc, ha, 'the history (losses, metrics, lr per epoch) is the same');
      assert.equal(c.early.best, a.early.best);
      assert.deepEqual(c.scheduler.getLastLr(), a.scheduler.getLastLr());
    });
  }
}

test('fit: a step function with a regression loss and metrics (RMSE, MAE); restoreTraining rejects a mismatched model', async () => {
  nb.manualSeed(3);
  const x = nb.keep(nb.rand([256, 3]));
  const y = nb.keep(x.matmul(nb.tensor([[2], [-1], [0.5]])).add(0.3));
  const model = new nn.Linear(3, 1);
  const h = await train.fit(model, {
    train: new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 32, shuffle: true, seed: 1 }),
    optimizer: new optim.Adam(model.parameters(), { lr: 0.05 }), epochs: 30, verbose: false, metrics: ['rmse', 'mae'],
    step: (m, b) => { const [xb, yb] = b as [nb.Tensor, nb.Tensor]; const o = m.forward(xb) as nb.Tensor; return { loss: F.mseLoss(o, yb), output: o, target: yb }; },
  });
  assert.ok(h.rmse!.at(-1)! < 0.05 && h.rmse![0]! > 3 * h.rmse!.at(-1)!, `rmse ${h.rmse!.join(' → ')}`);
  // RMSE of the epoch is sqrt of the sample mean of squared errors, so ≥ MAE.
  assert.ok(h.mae!.every((v, i) => v <= h.rmse![i]! + 1e-12));
  const ck = train.trainingCheckpoint({ model });
  assert.throws(() => train.restoreTraining(ck, new nn.Linear(4, 1), undefined, 'x.safetensors'), /x\.safetensors: loadStateDict: size mismatch/);
  assert.throws(() => train.restoreTraining(ck, new nn.Linear(3, 1), new optim.SGD(new nn.Linear(3, 1).parameters()), 'x.safetensors'), /x\.safetensors: holds no optimizer state/);
  await assert.rejects(train.fit(model, { train: [], optimizer: new optim.SGD(model.parameters()), epochs: 1 } as never), /give a loss function .* or a step function/);
});

test('fit: clipGradNorm caps the gradient norm the optimizer sees', async () => {
  const model = new nn.Linear(2, 1, { bias: false });
  model.loadStateDict({ weight: nb.tensor([[0, 0]]) });
  // One batch, loss = mean((w·x − 100)²): its gradient norm is huge; clipped to 0.5, SGD with lr 1 moves w by exactly 0.5.
  const batch = [nb.tensor([[3, 4]], { dtype: 'float32' }), nb.tensor([[100]], { dtype: 'float32' })] as const;
  await train.fit(model, { train: [batch], loss: F.mseLoss, optimizer: new optim.SGD(model.parameters(), { lr: 1 }), epochs: 1, verbose: false, clipGradNorm: 0.5 });
  const w = [...model.weight.dataSync()];
  assert.ok(Math.abs(Math.hypot(w[0]!, w[1]!) - 0.5) < 1e-5, `|Δw| = ${Math.hypot(w[0]!, w[1]!)}`);
});
