// A/B in one process (development aid): another source tree's wasm backend (A, e.g. `git archive
// <commit> | tar -x -C /tmp/a`, node_modules linked, kernels built there) against this tree's (B),
// interleaved round by round — element-wise ops and reductions through the public API, the MLP's and
// the char-LSTM's training steps, the benchmark CNN's conv2 kernels and its training step / inference.
// Issue 14's workloads too (gpt, gen = GPT generation with the KV cache and full forwards, wlm, vae,
// dcgan: bench/peers/nabla-generative.ts's programs, run on each tree's library).
// node --import tsx bench/ab-tree.ts /tmp/a [threads] — env ROUNDS (default 7), ONLY=ops,mlp,lstm,conv,cnn,gpt,gen,wlm,vae,dcgan
// (default ops,mlp,lstm,conv,cnn), CPU=1 for process CPU time instead of wall time (steadier on a shared machine).
import * as nbB from '../src/index.js';
import { createWasmBackend as createB } from '../src/backend/wasm/index.js';
import type { Backend, Conv2dParams } from '../src/backend/backend.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generativeJobs, type Job } from './peers/common.js';
import { prepareData } from './peers/data.js';
import { generativeSteps } from './peers/nabla-generative.js';

const root = process.argv[2];
if (!root) throw new Error('ab-tree: give the other tree\'s directory (A) as the first argument');
const threads = Number(process.argv[3] ?? 2), rounds = Number(process.env.ROUNDS ?? 7), cpu = process.env.CPU === '1';
const nbA = await import(`${root}/src/index.ts`) as typeof nbB;
const { createWasmBackend: createA } = await import(`${root}/src/backend/wasm/index.ts`) as { createWasmBackend: typeof createB };
const WA = await createA({ threads }), WB = await createB({ threads });

/** Median ms of n calls (CPU: process CPU time of 3 calls, per call). */
function med(f: () => void, n: number): number {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    if (cpu) { const c0 = process.cpuUsage(); f(); f(); f(); const c = process.cpuUsage(c0); t.push((c.user + c.system) / 3000); } else { const s = performance.now(); f(); t.push(performance.now() - s); }
  }
  return t.sort((a, b) => a - b)[n >> 1]!;
}

const p: Conv2dParams = { n: 64, cIn: 32, h: 13, w: 13, cOut: 64, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1, oh: 11, ow: 11 };
function convs(b: Backend): [string, () => void][] {
  const x = b.fill('float32', p.n * p.cIn * p.h * p.w, 0.5), w = b.fill('float32', p.cOut * p.cIn * 9, 0.1);
  const gy = b.fill('float32', p.n * p.cOut * p.oh * p.ow, 0.2), bias = b.fill('float32', p.cOut, 0.1);
  return [
    ['conv2 forward+bias+ReLU', () => b.free(b.fused!.conv2dBiasAct!(x, w, bias, p, true))],
    ['conv2 input gradient', () => b.free(b.conv2dBackwardInput(gy, w, p))],
    ['conv2 weight gradient', () => b.free(b.conv2dBackwardWeight(x, gy, p))],
  ];
}
function cnn(nb: typeof nbB, W: Backend): [string, () => void][] {
  nb.registerBackend(W); nb.setBackend('wasm');
  nb.manualSeed(0);
  const model = new nb.nn.Sequential(
    new nb.nn.Conv2d(1, 32, 3), new nb.nn.ReLU(), new nb.nn.MaxPool2d(2),
    new nb.nn.Conv2d(32, 64, 3), new nb.nn.ReLU(), new nb.nn.MaxPool2d(2),
    new nb.nn.Flatten(), new nb.nn.Linear(1600, 128), new nb.nn.ReLU(), new nb.nn.Linear(128, 10));
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = nb.keep(nb.randn([64, 1, 28, 28])), y = nb.keep(nb.randint(0, 10, [64]));
  return [
    ['CNN training step (batch 64)', () => nb.scope(() => { opt.zeroGrad(); nb.F.crossEntropy(model.forward(x) as nbB.Tensor, y).backward(); opt.step(); })],
    ['CNN inference (batch 64)', () => { model.eval(); nb.noGrad(() => nb.scope(() => { (model.forward(x) as nbB.Tensor).dataSync(); })); model.train(); }],
  ];
}
/** Element-wise ops and reductions on 2^20 float32 elements (and a [128, 512] bias-gradient sum). */
function ops(nb: typeof nbB, W: Backend): [string, () => void][] {
  nb.registerBackend(W); nb.setBackend('wasm');
  nb.manualSeed(1);
  const x = nb.keep(nb.randn([1024, 1024])), y = nb.keep(nb.randn([1024, 1024])), row = nb.keep(nb.randn([1024]));
  const g = nb.keep(nb.randn([128, 512])), m = nb.keep(x.gt(0));
  const op = (f: () => nbB.Tensor) => () => nb.noGrad(() => nb.scope(() => { f(); }));
  return [
    ['add (same shape)', op(() => x.add(y))], ['add (row broadcast)', op(() => x.add(row))], ['mul by a number', op(() => x.mul(0.5))],
    ['exp', op(() => x.exp())], ['relu', op(() => x.relu())], ['sigmoid', op(() => x.sigmoid())], ['where', op(() => nb.where(m, x, y))],
    ['sum (all)', op(() => x.sum())], ['sum over dim 0 of [128,512]', op(() => g.sum(0))], ['amax over dim 1', op(() => x.amax(1))],
    ['argmax over dim 1', op(() => x.argmax(1))], ['transpose copy', op(() => x.t().contiguous())],
  ];
}
/** The MLP workload's training step: 784-512-256-10 ReLU, batch 128, SGD momentum 0.9. */
function mlp(nb: typeof nbB, W: Backend): [string, () => void][] {
  nb.registerBackend(W); nb.setBackend('wasm');
  nb.manualSeed(0);
  const model = new nb.nn.Sequential(new nb.nn.Linear(784, 512), new nb.nn.ReLU(), new nb.nn.Linear(512, 256), new nb.nn.ReLU(), new nb.nn.Linear(256, 10));
  const opt = new nb.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const x = nb.keep(nb.randn([128, 784])), y = nb.keep(nb.randint(0, 10, [128]));
  return [['MLP training step (batch 128)', () => nb.scope(() => { opt.zeroGrad(); const l = nb.F.crossEntropy(model.forward(x) as nbB.Tensor, y); l.backward(); opt.step(); l.item(); })]];
}
/** The char-LSTM workload's training step: embedding 64, LSTM 256, sequence 64, batch 32, Adam. */
function lstm(nb: typeof nbB, W: Backend): [string, () => void][] {
  nb.registerBackend(W); nb.setBackend('wasm');
  nb.manualSeed(0);
  const emb = new nb.nn.Embedding(65, 64), rnn = new nb.nn.LSTM(64, 256, { batchFirst: true }), head = new nb.nn.Linear(256, 65);
  const opt = new nb.optim.Adam([...emb.parameters(), ...rnn.parameters(), ...head.parameters()], { lr: 1e-3 });
  const x = nb.keep(nb.randint(0, 65, [32, 64])), y = nb.keep(nb.randint(0, 65, [32 * 64]));
  return [['LSTM training step (32×64)', () => nb.scope(() => {
    opt.zeroGrad();
    const [out] = rnn.forward(emb.forward(x) as nbB.Tensor) as unknown as [nbB.Tensor];
    const l = nb.F.crossEntropy(head.forward(out.reshape([32 * 64, 256])) as nbB.Tensor, y);
    l.backward(); opt.step(); l.item();
  })]];
}
let job: Job | null = null;
/** Issue 14's workloads (one training step, or one generation of 63 tokens), on nabla bench's data. */
function generative(nb: typeof nbB, W: Backend, kinds: string[]): [string, () => void][] {
  if (!job) {
    const dataDir = mkdtempSync(join(tmpdir(), 'nabla-ab-'));
    process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
    prepareData(dataDir, { batch: 32, seq: 64, offsetsSteps: 4000 });
    const train = (batch: number, lr: number, warmup: number) => ({ batch, lr, warmup, capS: 60, steps: 1e9, testN: 0, evalCapS: 0 });
    job = { dataDir, ...generativeJobs({ quick: false, cap: 60, train }) } as Job;
  }
  const j = job;
  const on = <T>(f: () => T) => () => { nb.registerBackend(W); nb.setBackend('wasm'); return f(); };
  const out: [string, () => void][] = [];
  for (const k of kinds) {
    nb.registerBackend(W); nb.setBackend('wasm'); nb.manualSeed(0);
    if (k === 'gen') {
      const g = generativeSteps.gptGenerator(nb as never, j);
      out.push(['GPT generation, KV cache', on(() => { g(true); })], ['GPT generation, full forwards', on(() => { g(false); })]);
    } else {
      const s = generativeSteps[k as 'gpt' | 'wlm' | 'vae' | 'dcgan'](nb as never, j);
      let i = 0;
      out.push([`${k} training step`, on(() => { s(i++); })]);
    }
  }
  return out;
}
const only = (process.env.ONLY ?? 'ops,mlp,lstm,conv,cnn').split(',');
const GEN = ['gpt', 'gen', 'wlm', 'vae', 'dcgan'];
const suite = (nb: typeof nbB, W: Backend) => [...(only.includes('ops') ? ops(nb, W) : []), ...(only.includes('mlp') ? mlp(nb, W) : []),
  ...(only.includes('lstm') ? lstm(nb, W) : []), ...(only.includes('conv') ? convs(W) : []), ...(only.includes('cnn') ? cnn(nb, W) : []),
  ...generative(nb, W, GEN.filter((k) => only.includes(k)))];
const A = suite(nbA, WA), B = suite(nbB, WB);
for (let i = 0; i < 3; i++) for (const [, f] of [...A, ...B]) f(); // past V8's baseline tier
const ta = A.map(() => [] as number[]), tb = B.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  // which tree goes first alternates: the garbage one leaves (collected on the clock of the other) falls on both alike
  A.forEach(([, f], i) => {
    if (r % 2 === 0) { ta[i]!.push(med(f, 7)); tb[i]!.push(med(B[i]![1], 7)); } else { tb[i]!.push(med(B[i]![1], 7)); ta[i]!.push(med(f, 7)); }
  });
}
const mid = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
console.log(`A = ${root}, B = this tree, ${WB.numThreads()} threads, ${rounds} rounds${cpu ? ', CPU time' : ''}: ms (median of rounds; best)`);
A.forEach(([name], i) => {
  const ratio = mid(tb[i]!.map((v, r) => v / ta[i]![r]!));
  console.log(`${name.padEnd(30)} A ${mid(ta[i]!).toFixed(3)} (${Math.min(...ta[i]!).toFixed(3)})  B ${mid(tb[i]!).toFixed(3)} (${Math.min(...tb[i]!).toFixed(3)})  B/A ${ratio.toFixed(3)}`);
});
WA.close(); WB.close();
process.exit(0);
