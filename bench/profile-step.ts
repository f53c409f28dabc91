// Where a training step's time goes, primitive by primitive (the wasm backend's calls wrapped
// with timers), the time outside kernels, and the storages (allocations) a step makes:
// node --import tsx bench/profile-step.ts mlp|cnn|lstm|infer|gpt|gpt-gen|gpt-gen-full|wlm|vae|dcgan [threads]
// (issue 14's workloads are bench/peers/nabla-generative.ts's, on nabla bench's data and sizes; SHAPES=1
// splits matmul by shape; the multiply-adds of the GEMMs and convolutions a step makes are counted too, the
// floor under the step's time at a given GEMM rate.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { generativeJobs, type Job } from './peers/common.js';
import { prepareData } from './peers/data.js';
import { generativeSteps } from './peers/nabla-generative.js';

const kind = process.argv[2] ?? 'cnn';
const GENERATIVE = ['gpt', 'gpt-gen', 'gpt-gen-full', 'wlm', 'vae', 'dcgan'];
const KINDS = ['mlp', 'cnn', 'lstm', 'infer', ...GENERATIVE];
if (!KINDS.includes(kind)) throw new Error(`profile-step: unknown workload '${kind}'; choose from ${KINDS.join(', ')}`);
const W = await createWasmBackend({ threads: Number(process.argv[3] ?? 1) });
nb.registerBackend(W); nb.setBackend('wasm');
nb.manualSeed(0);

const tot: Record<string, number> = {}, cnt: Record<string, number> = {};
/** Storages the kernels returned (each one an allocation in the wasm heap) and their bytes. */
const allocs = { n: 0, bytes: 0 };
const countAlloc = (r: unknown) => {
  const st = r as { size?: number; dtype?: string; backend?: string } | null;
  if (st && typeof st === 'object' && st.backend === 'wasm' && typeof st.size === 'number') {
    allocs.n++; allocs.bytes += st.size * (st.dtype === 'float64' ? 8 : st.dtype === 'bool' ? 1 : 4);
  } else if (Array.isArray(r)) r.forEach(countAlloc);
};
/** The step's GEMM and convolution FLOPs (2 per multiply-add), from the kernels' own shape arguments. */
let flops = 0;
type Shape = { [k: string]: number };
const convFlops = (q: Shape) => 2 * q.n! * q.cOut! * q.oh! * q.ow! * (q.cIn! / (q.groups ?? 1)) * q.kh! * q.kw!;
const FLOPS_OF: Record<string, (a: unknown[]) => number> = {
  matmul: (a) => { const q = a[2] as Shape; return 2 * q.batch! * q.m! * q.n! * q.k!; },
  linearBiasAct: (a) => { const q = a[3] as Shape; return 2 * q.m! * q.n! * q.k!; },
  conv2d: (a) => convFlops(a[2] as Shape), conv2dBackwardInput: (a) => convFlops(a[2] as Shape), conv2dBackwardWeight: (a) => convFlops(a[2] as Shape),
  conv2dBiasAct: (a) => convFlops(a[3] as Shape),
};
for (const k of Object.keys(W) as (keyof typeof W)[]) {
  const f = (W as unknown as Record<string, unknown>)[k];
  if (typeof f !== 'function' || ['info', 'stats', 'numThreads', 'setNumThreads', 'close'].includes(k)) continue;
  (W as unknown as Record<string, unknown>)[k] = (...a: unknown[]) => {
    const s = performance.now();
    const r = (f as (...x: unknown[]) => unknown)(...a);
    countAlloc(r);
    flops += FLOPS_OF[k]?.(a) ?? 0;
    const key = k === 'binary' || k === 'unary' || k === 'reduce' ? `${k} ${(a[0] as { name?: string }).name ?? a[0]}` : k === 'copyStrided' && process.env.SHAPES ? `copyStrided ${JSON.stringify(a[1])} ${JSON.stringify(a[2])}` : k.startsWith('conv2d') && process.env.SHAPES ? `${k} ${((q) => `n${q.n} ${q.cIn}→${q.cOut} ${q.h}×${q.w}→${q.oh}×${q.ow} k${q.kh} s${q.sh} p${q.ph}`)(a[2] as { [k: string]: number })}` : k === 'matmul' && process.env.SHAPES ? `matmul ${JSON.stringify(a[2]).replace(/"(aBatchStride|bBatchStride)":\d+,?/g, '')}` : k;
    tot[key] = (tot[key] ?? 0) + performance.now() - s; cnt[key] = (cnt[key] ?? 0) + 1;
    return r;
  };
}

// Fused fast paths too (their inner GEMMs then count under the fused kernel's name).
const fused = (W as unknown as { fused?: Record<string, unknown> }).fused;
if (fused) {
  for (const k of Object.keys(fused)) {
    const f = fused[k] as (...x: unknown[]) => unknown;
    fused[k] = (...a: unknown[]) => {
      const s = performance.now();
      const r = f(...a);
      countAlloc(r);
      flops += FLOPS_OF[k]?.(a) ?? 0;
      const key = `fused ${k}`;
      tot[key] = (tot[key] ?? 0) + performance.now() - s; cnt[key] = (cnt[key] ?? 0) + 1;
      return r;
    };
  }
}

let step: () => void;
let unit = 'step';
if (GENERATIVE.includes(kind)) {
  const dataDir = mkdtempSync(join(tmpdir(), 'nabla-profile-'));
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  prepareData(dataDir, { batch: 32, seq: 64, offsetsSteps: 4000 });
  const train = (batch: number, lr: number, warmup: number) => ({ batch, lr, warmup, capS: 60, steps: 1e9, testN: 0, evalCapS: 0 });
  const job = { dataDir, ...generativeJobs({ quick: false, cap: 60, train }) } as Job;
  let i = 0;
  if (kind.startsWith('gpt-gen')) {
    const generate = generativeSteps.gptGenerator(nb, job);
    step = () => { generate(kind === 'gpt-gen'); };
    unit = `generation of ${job.gptGen.newTokens} tokens${kind === 'gpt-gen' ? ' (KV cache)' : ' (full forwards)'}`;
  } else {
    const s = generativeSteps[kind as 'gpt' | 'wlm' | 'vae' | 'dcgan'](nb, job);
    step = () => { s(i++); };
  }
} else if (kind === 'mlp') {
  const m = new nb.nn.Sequential(new nb.nn.Linear(784, 512), new nb.nn.ReLU(), new nb.nn.Linear(512, 256), new nb.nn.ReLU(), new nb.nn.Linear(256, 10));
  const opt = new nb.optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 });
  const x = nb.keep(nb.randn([128, 784])), y = nb.keep(nb.randint(0, 10, [128]));
  step = () => nb.scope(() => { opt.zeroGrad(); nb.F.crossEntropy(m.forward(x) as nb.Tensor, y).backward(); opt.step(); });
} else if (kind === 'infer') {
  // the CNN's inference at batch 64 (eval, no grad, result read back)
  const m = new nb.nn.Sequential(new nb.nn.Conv2d(1, 32, 3), new nb.nn.ReLU(), new nb.nn.MaxPool2d(2), new nb.nn.Conv2d(32, 64, 3),
    new nb.nn.ReLU(), new nb.nn.MaxPool2d(2), new nb.nn.Flatten(), new nb.nn.Linear(1600, 128), new nb.nn.ReLU(), new nb.nn.Linear(128, 10));
  m.eval();
  const x = nb.keep(nb.randn([64, 1, 28, 28]));
  step = () => nb.noGrad(() => nb.scope(() => { (m.forward(x) as nb.Tensor).dataSync(); }));
} else if (kind === 'cnn') {
  const m = new nb.nn.Sequential(new nb.nn.Conv2d(1, 32, 3), new nb.nn.ReLU(), new nb.nn.MaxPool2d(2), new nb.nn.Conv2d(32, 64, 3),
    new nb.nn.ReLU(), new nb.nn.MaxPool2d(2), new nb.nn.Flatten(), new nb.nn.Linear(1600, 128), new nb.nn.ReLU(), new nb.nn.Linear(128, 10));
  const opt = new nb.optim.Adam(m.parameters(), { lr: 1e-3 });
  const x = nb.keep(nb.randn([64, 1, 28, 28])), y = nb.keep(nb.randint(0, 10, [64]));
  step = () => nb.scope(() => { opt.zeroGrad(); nb.F.crossEntropy(m.forward(x) as nb.Tensor, y).backward(); opt.step(); });
} else {
  const emb = new nb.nn.Embedding(65, 64), lstm = new nb.nn.LSTM(64, 256, { batchFirst: true }), head = new nb.nn.Linear(256, 65);
  const opt = new nb.optim.Adam([...emb.parameters(), ...lstm.parameters(), ...head.parameters()], { lr: 1e-3 });
  const x = nb.keep(nb.randint(0, 65, [32, 64])), y = nb.keep(nb.randint(0, 65, [32 * 64]));
  step = () => nb.scope(() => {
    opt.zeroGrad();
    const [out] = lstm.forward(emb.forward(x) as nb.Tensor) as unknown as [nb.Tensor];
    nb.F.crossEntropy(head.forward(out!.reshape([32 * 64, 256])) as nb.Tensor, y).backward();
    opt.step();
  });
}
for (let i = 0; i < 3; i++) step();
for (const k in tot) { delete tot[k]; delete cnt[k]; }
allocs.n = 0; allocs.bytes = 0; flops = 0;
const N = kind === 'lstm' || kind === 'wlm' || kind === 'dcgan' ? 3 : kind === 'infer' ? 100 : kind.startsWith('gpt-gen') ? 5 : 20;
const s = performance.now();
for (let i = 0; i < N; i++) step();
const per = (performance.now() - s) / N;
const inK = Object.values(tot).reduce((a, b) => a + b, 0) / N;
console.log(`${kind}: ${per.toFixed(2)} ms/${unit} on ${W.numThreads()} thread(s); in kernels ${inK.toFixed(2)} ms, outside (op layer, autograd, JS) ${(per - inK).toFixed(2)} ms; ${Object.values(cnt).reduce((a, b) => a + b, 0) / N} kernel calls, ${(allocs.n / N).toFixed(0)} storages allocated (${(allocs.bytes / N / 2 ** 20).toFixed(1)} MiB) per ${unit}`);
console.log(`  GEMMs and convolutions: ${(flops / N / 1e6).toFixed(1)} MFLOP per ${unit} — ${(flops / N / 1e6 / per).toFixed(1)} GFLOP/s over the ${unit}; at 50 GFLOP/s alone ${(flops / N / 50e6).toFixed(2)} ms, at 100 ${(flops / N / 100e6).toFixed(2)} ms, at 200 ${(flops / N / 200e6).toFixed(2)} ms`);
for (const [k, v] of Object.entries(tot).sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 16))) {
  console.log(`  ${k.padEnd(24)} ${(v / N).toFixed(2).padStart(7)} ms  ${(100 * v / N / per).toFixed(0).padStart(3)}%  ×${cnt[k]! / N}`);
}
W.close();
process.exit(0);
