// The benchmark CNN's (or MLP's) training step and batch-64 inference with an environment switch off
// and on, interleaved step by step in one process (the machine's noise hits both alike): min, first
// quartile and median of N. node --import tsx bench/cnn-env-ab.ts [VAR=NABLA_DIRECT] [N=200] [threads=2] [cnn|mlp]
import * as nb from '../src/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';

const [name = 'NABLA_DIRECT', nArg = '200', thArg = '2', kind = 'cnn'] = process.argv.slice(2);
const W = await createWasmBackend();
nb.registerBackend(W);
nb.setBackend('wasm');
await W.setNumThreads(Number(thArg));
nb.manualSeed(0);
const mlp = kind === 'mlp';
const model = mlp
  ? new nb.nn.Sequential(new nb.nn.Linear(784, 512), new nb.nn.ReLU(), new nb.nn.Linear(512, 256), new nb.nn.ReLU(), new nb.nn.Linear(256, 10))
  : new nb.nn.Sequential(
    new nb.nn.Conv2d(1, 32, 3), new nb.nn.ReLU(), new nb.nn.MaxPool2d(2),
    new nb.nn.Conv2d(32, 64, 3), new nb.nn.ReLU(), new nb.nn.MaxPool2d(2),
    new nb.nn.Flatten(), new nb.nn.Linear(1600, 128), new nb.nn.ReLU(), new nb.nn.Linear(128, 10));
const opt = mlp ? new nb.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }) : new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
const B = mlp ? 128 : 64;
const x = nb.keep(mlp ? nb.randn([B, 784]) : nb.randn([B, 1, 28, 28])), y = nb.keep(nb.randint(0, 10, [B]));
const step = () => nb.scope(() => { opt.zeroGrad(); nb.F.crossEntropy(model.forward(x) as nb.Tensor, y).backward(); opt.step(); });
const infer = () => nb.noGrad(() => nb.scope(() => { (model.forward(x) as nb.Tensor).dataSync(); }));
const N = Number(nArg);
const saved = process.env[name];
for (const [what, f] of [['train', step], ['inf64', infer]] as const) {
  const t: Record<string, number[]> = { '0': [], '1': [] };
  for (let i = 0; i < 10; i++) { process.env[name] = String(i & 1); f(); }
  for (let i = 0; i < N; i++) {
    for (const m of ['0', '1']) {
      process.env[name] = m;
      const s = performance.now(); f(); t[m]!.push(performance.now() - s);
    }
  }
  for (const m of ['0', '1']) {
    const v = t[m]!.sort((a, b) => a - b), med = v[v.length >> 1]!;
    console.log(`${what} ${name}=${m}: min ${v[0]!.toFixed(2)} ms, q1 ${v[v.length >> 2]!.toFixed(2)}, median ${med.toFixed(2)} ms` +
      (what === 'train' ? ` (${(B * 1000 / med).toFixed(0)} samples/s at the median)` : ''));
  }
}
if (saved === undefined) delete process.env[name]; else process.env[name] = saved;
W.close();
