// How GPT generation warms up (development aid): ms of each of 12 generations of 63 tokens, with the KV cache,
// then full forwards, then the KV cache again, on nabla bench's model and data. node --import tsx bench/gen-warmup.mts [threads]
import * as nb from '../src/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { mkdtempSync, rmSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
import { generativeJobs, type Job } from './peers/common.js';
import { prepareData } from './peers/data.js';
import { generativeSteps } from './peers/nabla-generative.js';
const W = await createWasmBackend({ threads: Number(process.argv[2] ?? 1) }); nb.registerBackend(W); nb.setBackend('wasm');
const dataDir = mkdtempSync(join(tmpdir(), 'nabla-warmup-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
prepareData(dataDir, { batch: 32, seq: 64, offsetsSteps: 4000 });
const train = (batch: number, lr: number, warmup: number) => ({ batch, lr, warmup, capS: 60, steps: 1e9, testN: 0, evalCapS: 0 });
const job = { dataDir, ...generativeJobs({ quick: false, cap: 60, train }) } as Job;
const g = generativeSteps.gptGenerator(nb as never, job);
for (const c of [true, false, true]) { const t: string[] = []; for (let i = 0; i < 12; i++) { const a = performance.now(); g(c); t.push((performance.now() - a).toFixed(0)); } console.log(c ? 'KV  ' : 'full', t.join(' ')); }
W.close(); process.exit(0);
