// bench/run.ts's nabla peer: one workload per process on the default (wasm) backend, threads from
// NABLA_THREADS (else every core). Models are written the way a user would, with nb.nn and nb.optim.
// Run by bench/run.ts: node --import tsx bench/peers/nabla.ts '<job json>'

import { gemmNabla } from '../gemm.js';
import { generative } from './nabla-generative.js';
import { accuracy, argmaxRows, loadFashion, loadText, medianMs, runPeer, textBatch, trainEpoch, trainWindows, type Job } from './common.js';

const job = JSON.parse(process.argv[2]!) as Job;
// GEMM uses gemm.ts's own backend instance; everything else the public API's default backend.
const nb = job.workload === 'gemm' ? null : await import('../../src/index.js');
await nb?.ready();
const info = nb ? nb.getBackend().info() : null;
const threads = nb ? String(info!.threads ?? 1) : process.env.NABLA_THREADS ?? '';
const lib = nb ? `nabla-${nb.getBackend().name}` : 'nabla-wasm';
type NB = typeof import('../../src/index.js');

function mlp(n: NB) {
  return new n.nn.Sequential(new n.nn.Linear(784, 512), new n.nn.ReLU(), new n.nn.Linear(512, 256), new n.nn.ReLU(), new n.nn.Linear(256, 10));
}
function cnn(n: NB) {
  return new n.nn.Sequential(
    new n.nn.Conv2d(1, 32, 3), new n.nn.ReLU(), new n.nn.MaxPool2d(2),
    new n.nn.Conv2d(32, 64, 3), new n.nn.ReLU(), new n.nn.MaxPool2d(2),
    new n.nn.Flatten(), new n.nn.Linear(1600, 128), new n.nn.ReLU(), new n.nn.Linear(128, 10));
}

function classifier(kind: 'mlp' | 'cnn', j: Job) {
  const n = nb!;
  const spec = j[kind];
  const d = loadFashion(j.dataDir);
  n.manualSeed(0);
  const model = kind === 'mlp' ? mlp(n) : cnn(n);
  const opt = kind === 'mlp' ? new n.optim.SGD(model.parameters(), { lr: spec.lr, momentum: 0.9 }) : new n.optim.Adam(model.parameters(), { lr: spec.lr });
  const shape = (b: number) => (kind === 'mlp' ? [b, 784] : [b, 1, 28, 28]);
  const B = spec.batch;
  model.train();
  const r = trainEpoch(spec, d.nTrain, (i) => n.scope(() => {
    const x = n.tensor(d.trainX.subarray(i * B * 784, (i + 1) * B * 784), { shape: shape(B) });
    const y = n.tensor(d.trainY.subarray(i * B, (i + 1) * B));
    opt.zeroGrad();
    const loss = n.F.crossEntropy(model.forward(x) as InstanceType<NB['Tensor']>, y);
    loss.backward();
    opt.step();
    return loss.item();
  }));
  model.eval();
  const acc = n.noGrad(() => accuracy(d, spec.testN, spec.evalCapS, (x, b) => n.scope(() =>
    argmaxRows((model.forward(n.tensor(x, { shape: shape(b) })) as InstanceType<NB['Tensor']>).dataSync(), b, 10))));
  return { ...r, ...acc };
}

function lstm(j: Job) {
  const n = nb!;
  const s = j.lstm;
  const text = loadText(j.dataDir);
  n.manualSeed(0);
  const emb = new n.nn.Embedding(65, 64), rnn = new n.nn.LSTM(64, 256, { batchFirst: true }), head = new n.nn.Linear(256, 65);
  const opt = new n.optim.Adam([...emb.parameters(), ...rnn.parameters(), ...head.parameters()], { lr: s.lr });
  return trainWindows(s, (i) => n.scope(() => {
    const { x, y } = textBatch(text, i, s.batch, s.seq);
    opt.zeroGrad();
    const [out] = rnn.forward(emb.forward(n.tensor(x, { shape: [s.batch, s.seq] })) as InstanceType<NB['Tensor']>) as unknown as [InstanceType<NB['Tensor']>];
    const loss = n.F.crossEntropy(head.forward(out.reshape([s.batch * s.seq, 256])) as InstanceType<NB['Tensor']>, n.tensor(y));
    loss.backward();
    opt.step();
    return loss.item();
  }));
}

function infer(j: Job) {
  const n = nb!;
  const d = loadFashion(j.dataDir);
  n.manualSeed(0);
  const model = cnn(n);
  model.eval();
  const ms = j.infer.batches.map((b) => {
    const x = n.keep(n.tensor(d.testX.slice(0, b * 784), { shape: [b, 1, 28, 28] }));
    const t = medianMs(() => n.noGrad(() => n.scope(() => { (model.forward(x) as InstanceType<NB['Tensor']>).dataSync(); })), j.infer.windowS);
    x.dispose();
    return t;
  });
  return { ms };
}

await runPeer(lib, threads, {
  gemm: async (j) => {
    const r = await gemmNabla(j.gemm.sizes, j.gemm.windowS);
    return { lib: r.lib, threads: String(r.threads), gflops: r.gflops as number[] };
  },
  mlp: (j) => classifier('mlp', j),
  cnn: (j) => classifier('cnn', j),
  lstm,
  infer,
  ...Object.fromEntries(Object.entries(generative).map(([k, f]) => [k, (j: Job) => f(nb!, j)])) as Record<keyof typeof generative, (j: Job) => Partial<import('./common.js').Result>>,
});
