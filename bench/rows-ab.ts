// Issue 14's transformer workloads (bench/peers/nabla-generative.ts's GPT training step, word-LM
// Transformer step, KV-cache generation) with the fused row kernels (softmax/logSoftmax, causal softmax,
// layer norm, GELU: Backend.fused.softmaxRows … geluBackward) off and on, interleaved step by step in one
// process so that the machine's noise hits both alike: min, first quartile and median of N each.
// node --import tsx bench/rows-ab.ts [gpt|wlm|gpt-gen] [N=20] [threads=1] (CPU=1: the process's CPU time
// instead of wall time — steadier on a loaded machine, and exact with one thread, where no worker runs)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import type { FusedKernels } from '../src/backend/backend.js';
import { generativeJobs, type Job } from './peers/common.js';
import { prepareData } from './peers/data.js';
import { generativeSteps } from './peers/nabla-generative.js';

const [kind = 'gpt', nArg = '20', thArg = '1'] = process.argv.slice(2);
if (!['gpt', 'wlm', 'gpt-gen'].includes(kind)) throw new Error(`rows-ab: workload must be gpt, wlm or gpt-gen, got '${kind}'`);
const W = await createWasmBackend({ threads: Number(thArg) });
nb.registerBackend(W);
nb.setBackend('wasm');
const dataDir = mkdtempSync(join(tmpdir(), 'nabla-rows-ab-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
prepareData(dataDir, { batch: 32, seq: 64, offsetsSteps: 4000 });
const train = (batch: number, lr: number, warmup: number) => ({ batch, lr, warmup, capS: 60, steps: 1e9, testN: 0, evalCapS: 0 });
const job = { dataDir, ...generativeJobs({ quick: false, cap: 60, train }) } as Job;
let i = 0;
let step: () => void;
if (kind === 'gpt-gen') {
  const g = generativeSteps.gptGenerator(nb, job);
  step = () => { g(true); };
} else {
  const s = generativeSteps[kind as 'gpt' | 'wlm'](nb, job);
  step = () => { s(i++); };
}

// "off" takes the row kernels out of Backend.fused, so the rewrite rules decline and the composites run.
const KEYS: (keyof FusedKernels)[] = ['softmaxRows', 'softmaxRowsBackward', 'layerNormRows', 'layerNormRowsBackward', 'gelu', 'geluBackward'];
const fused = W.fused as Record<string, unknown>;
const kept = Object.fromEntries(KEYS.map((k) => [k, fused[k]]));
const set = (on: boolean) => { for (const k of KEYS) { if (on) fused[k] = kept[k]; else delete fused[k]; } };

const cpu = process.env.CPU === '1';
const timed = (f: () => void): number => {
  if (!cpu) { const s = performance.now(); f(); return performance.now() - s; }
  const c = process.cpuUsage(); f(); const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};
const N = Number(nArg);
const t: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (let w = 0; w < 4; w++) { set((w & 1) === 1); step(); }
for (let r = 0; r < N; r++) {
  for (const m of ['off', 'on'] as const) {
    set(m === 'on');
    t[m].push(timed(step));
  }
}
set(true);
const unit = kind === 'gpt-gen' ? `generation of ${job.gptGen.newTokens} tokens` : 'step';
const med: Record<string, number> = {};
for (const m of ['off', 'on'] as const) {
  const v = t[m].sort((a, b) => a - b);
  med[m] = v[v.length >> 1]!;
  console.log(`${kind} row kernels ${m.padEnd(3)}: min ${v[0]!.toFixed(2)} ms, q1 ${v[v.length >> 2]!.toFixed(2)}, median ${med[m]!.toFixed(2)} ms ${cpu ? 'CPU' : 'wall'} per ${unit} (${W.numThreads()} thread(s), N=${N})`);
}
console.log(`${kind}: on/off speed-up at the median ${(med.off! / med.on!).toFixed(2)}×`);
W.close();
process.exit(0);
