// What every Node peer of bench/run.ts shares: the job it is given (workload, data files, step
// counts, time cap), the data it reads (written once by data.ts, so every library trains on the
// same bytes in the same order), the timing rules and the one-line result it prints.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Workload = 'gemm' | 'mlp' | 'cnn' | 'lstm' | 'infer' | GenWorkload;
/** Issue 14's workloads: the programs people port from PyTorch (peers/*-generative.ts, torch_generative.py). */
export type GenWorkload = 'gpt' | 'gpt-gen' | 'wlm' | 'vae' | 'dcgan';

/** The job bench/run.ts hands a peer as JSON (argv[2]); bench/torch_peer.py reads the same object. */
export interface Job {
  workload: Workload;
  dataDir: string;
  gemm: { sizes: number[]; windowS: number };
  /** MLP / CNN: train for `steps` batches (an epoch, or fewer with --quick), stopping early after `capS` seconds. */
  mlp: TrainSpec;
  cnn: TrainSpec;
  /** LSTM: `warmup` steps, then windows of `windowSteps` steps until `windows` are done or `capS` passes. */
  lstm: WindowSpec;
  /** Inference: median ms of one forward at each batch size, over `windowS` seconds after warm-up. */
  infer: { batches: number[]; windowS: number };
  /** char-level GPT (nanoGPT's model): training in windows of steps like the LSTM; `seq` = block size. */
  gpt: WindowSpec & GptSize & { weightDecay: number; betas: [number, number]; clip: number };
  /** GPT generation, batch 1, greedy, token by token: `newTokens` after a one-token prompt, each way, median of `runs` generations. */
  gptGen: GptSize & { newTokens: number; runs: number; capS: number };
  /** word_language_model's Transformer: [seq = bptt, batch] token ids, SGD lr with gradient clipping. */
  wlm: WindowSpec & { emsize: number; nhid: number; nlayers: number; nhead: number; dropout: number; clip: number };
  vae: TrainSpec;
  dcgan: TrainSpec & { nz: number; ngf: number; ndf: number; beta1: number };
}

/** Issue 14's programs at their sizes (bench/README.md); `train` makes run.ts's epoch specs. */
export function generativeJobs(o: { quick: boolean; cap: number; train: (batch: number, lr: number, warmup: number, quickSteps: number) => TrainSpec }): Pick<Job, 'gpt' | 'gptGen' | 'wlm' | 'vae' | 'dcgan'> {
  const gptSize = { vocab: 65, nLayer: 2, nHead: 4, nEmbd: 64, block: 64 };
  const windows = { warmup: 2, windowSteps: o.quick ? 5 : 10, windows: o.quick ? 3 : 5, capS: o.cap / 2 };
  return {
    gpt: { ...gptSize, ...windows, batch: 32, seq: 64, lr: 1e-3, betas: [0.9, 0.99], weightDecay: 0.1, clip: 1 },
    gptGen: { ...gptSize, newTokens: 63, runs: o.quick ? 3 : 7, capS: o.cap / 4 },
    // the example's defaults, with the learning rate its README gives the Transformer (--lr 5)
    wlm: { ...windows, batch: 20, seq: 35, lr: 5, emsize: 200, nhid: 200, nlayers: 2, nhead: 2, dropout: 0.2, clip: 0.25 },
    vae: o.train(128, 1e-3, 5, 100),
    dcgan: { ...o.train(64, 2e-4, 3, 20), nz: 100, ngf: 64, ndf: 64, beta1: 0.5 },
  };
}

/** Training measured in windows of steps after a warm-up (tokens/s = batch · seq per step). */
export interface WindowSpec { batch: number; seq: number; warmup: number; windowSteps: number; windows: number; capS: number; lr: number }

export interface GptSize { vocab: number; nLayer: number; nHead: number; nEmbd: number; block: number }

export interface TrainSpec {
  batch: number;
  steps: number;
  /** Untimed steps at the start of the epoch (compilation, allocation, tier-up); they still train. */
  warmup: number;
  capS: number;
  lr: number;
  /** Test images used for the accuracy (the first n of the test set), evaluated for at most evalCapS seconds. */
  testN: number;
  evalCapS: number;
}

/** What a peer reports for one workload; `cannot` says why it could not run it (the library's own error). */
export interface Result {
  lib: string;
  threads: string;
  cannot?: string;
  gflops?: number[];
  /** Training: samples (MLP, CNN) or tokens (LSTM) per second. */
  perS?: number;
  steps?: number;
  stepsPlanned?: number;
  seconds?: number;
  testAcc?: number;
  testN?: number;
  loss?: number;
  /** One step took longer than the time cap: the number comes from the first (untimed, cold) steps. */
  cold?: boolean;
  /** Inference: median ms per batch size. */
  ms?: number[];
  /** GPT generation: tokens/s with a full forward per token (nanoGPT's generate) and with a KV cache. */
  genFull?: number;
  genCached?: number;
  /** Set by bench/run.ts: the cores the library ran on (1, or all), for the same-threads ratio. */
  cores?: number;
  /** Set by bench/run.ts --runs: how many runs the numbers are the median of, and perS's range. */
  runs?: number;
  range?: [number, number];
}

export interface FashionData {
  trainX: Float32Array; trainY: Int32Array; nTrain: number;
  testX: Float32Array; testY: Int32Array; nTest: number;
}

const u8 = (dir: string, name: string) => new Uint8Array(readFileSync(join(dir, name)));

/** The shuffled training set and the test set, pixels / 255 as float32 (PyTorch's ToTensor). */
export function loadFashion(dir: string): FashionData {
  const toF = (b: Uint8Array) => { const f = new Float32Array(b.length); for (let i = 0; i < b.length; i++) f[i] = b[i]! / 255; return f; };
  const trainY = Int32Array.from(u8(dir, 'train-y.u8')), testY = Int32Array.from(u8(dir, 'test-y.u8'));
  return { trainX: toF(u8(dir, 'train-x.u8')), trainY, nTrain: trainY.length, testX: toF(u8(dir, 'test-x.u8')), testY, nTest: testY.length };
}

export interface TextData { tokens: Int32Array; offsets: Int32Array; vocab: number }

/** The token ids of the text and the batch start offsets every library uses (step-major, `batch` per step). */
export function loadText(dir: string): TextData {
  const tokens = Int32Array.from(u8(dir, 'text.u8'));
  const offsets = new Int32Array(readFileSync(join(dir, 'lstm-offsets.i32')).buffer.slice(0));
  return { tokens, offsets, vocab: 65 };
}

/** Inputs [batch, seq] and next-character targets [batch·seq] of LSTM step `step`. */
export function textBatch(d: TextData, step: number, batch: number, seq: number): { x: Int32Array; y: Int32Array } {
  const x = new Int32Array(batch * seq), y = new Int32Array(batch * seq);
  const nSteps = d.offsets.length / batch;
  const base = (step % nSteps) * batch;
  for (let b = 0; b < batch; b++) {
    const o = d.offsets[base + b]!;
    x.set(d.tokens.subarray(o, o + seq), b * seq);
    y.set(d.tokens.subarray(o + 1, o + seq + 1), b * seq);
  }
  return { x, y };
}

export interface WordData { tokens: Int32Array; vocab: number }

/** word_language_model's corpus: word ids (`<eos>` after each line), read from words.i32 (data.ts). */
export function loadWords(dir: string): WordData {
  const tokens = new Int32Array(readFileSync(join(dir, 'words.i32')).buffer.slice(0));
  const vocab = JSON.parse(readFileSync(join(dir, 'words.json'), 'utf8')).vocab as number;
  return { tokens, vocab };
}

/**
 * word_language_model's batchify + get_batch: the stream cut into `batch` columns; step `step` reads rows
 * [i, i + seq) as input [seq, batch] and rows [i + 1, i + seq + 1) as targets [seq · batch], row-major.
 */
export function wordBatch(d: WordData, step: number, batch: number, seq: number): { x: Int32Array; y: Int32Array } {
  const rows = Math.floor(d.tokens.length / batch);
  const nSteps = Math.floor((rows - 1) / seq);
  const i = (step % nSteps) * seq;
  const x = new Int32Array(seq * batch), y = new Int32Array(seq * batch);
  for (let t = 0; t < seq; t++) for (let b = 0; b < batch; b++) {
    x[t * batch + b] = d.tokens[b * rows + i + t]!;
    y[t * batch + b] = d.tokens[b * rows + i + t + 1]!;
  }
  return { x, y };
}

/** Median ms of one call of f, over about windowS seconds after `warm` calls (at least 5 timed). */
export function medianMs(f: () => void, windowS: number, warm = 3): number {
  for (let i = 0; i < warm; i++) f();
  const t: number[] = [];
  const t0 = performance.now();
  while (t.length < 5 || (performance.now() - t0 < windowS * 1000 && t.length < 1000)) {
    const s = performance.now(); f(); t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1]!;
}

/**
 * Runs `step(i)` (which trains on batch i and returns its loss) for i = `from`…: first up to `warmup`
 * untimed steps (fewer once they have taken capS/4), then timed steps until `until` or until the next
 * step would pass capS. When the warm-up alone passed capS (one step slower than the cap) its steps
 * are the measurement, flagged `cold`. Shared by trainEpoch and trainWindows; bench/torch_peer.py
 * follows the same rules.
 */
function runSteps(until: number, warmup: number, capS: number, step: (i: number) => number) {
  const losses: number[] = [];
  const start = performance.now();
  let i = 0;
  for (; i < Math.min(warmup, until); i++) {
    losses.push(step(i));
    if (performance.now() - start > (capS * 1000) / 4) { i++; break; }
  }
  const warmS = (performance.now() - start) / 1000;
  if (warmS > capS || i >= until) return { losses, steps: i, timed: i, seconds: warmS, cold: true };
  const t0 = performance.now();
  let timed = 0;
  for (; i < until; i++) {
    losses.push(step(i));
    timed++;
    const el = performance.now() - t0;
    if (el + el / timed > capS * 1000) { i++; break; }
  }
  return { losses, steps: i, timed, seconds: (performance.now() - t0) / 1000, cold: false };
}

const meanLast = (a: number[], n: number) => { const l = a.slice(-n); return l.reduce((x, y) => x + y, 0) / l.length; };

/** One epoch of a classifier (or `steps` batches, or until the time cap): samples/s of the timed steps. */
export function trainEpoch(spec: TrainSpec, nTrain: number, step: (i: number) => number): Pick<Result, 'perS' | 'steps' | 'stepsPlanned' | 'seconds' | 'loss' | 'cold'> {
  const planned = Math.min(spec.steps, Math.floor(nTrain / spec.batch));
  const r = runSteps(planned, spec.warmup, spec.capS, step);
  return { perS: (r.timed * spec.batch) / r.seconds, steps: r.steps, stepsPlanned: planned, seconds: r.seconds, loss: meanLast(r.losses, 50), cold: r.cold };
}

/**
 * LSTM: tokens/s as the median over windows of `windowSteps` timed steps after the warm-up (a window
 * cut short by the time cap counts with the steps it has).
 */
export function trainWindows(spec: WindowSpec, step: (i: number) => number): Pick<Result, 'perS' | 'steps' | 'seconds' | 'loss' | 'cold'> {
  const stamps: number[] = [];
  const r = runSteps(spec.warmup + spec.windowSteps * spec.windows, spec.warmup, spec.capS, (i) => { const l = step(i); stamps.push(performance.now()); return l; });
  const tokens = spec.batch * spec.seq;
  if (r.cold) return { perS: (r.timed * tokens) / r.seconds, steps: r.steps, seconds: r.seconds, loss: meanLast(r.losses, spec.windowSteps), cold: true };
  const first = r.steps - r.timed; // index of the first timed step
  const rates: number[] = [];
  for (let w = first; w < r.steps; w += spec.windowSteps) {
    const end = Math.min(w + spec.windowSteps, r.steps);
    rates.push(((end - w) * tokens) / ((stamps[end - 1]! - stamps[w - 1]!) / 1000)); // warmup ≥ 1, so stamps[w - 1] exists
  }
  rates.sort((a, b) => a - b);
  return { perS: rates[rates.length >> 1]!, steps: r.steps, seconds: r.seconds, loss: meanLast(r.losses, spec.windowSteps), cold: false };
}

/**
 * Test accuracy of `predict` (batch of images → predicted classes) over the first n test images,
 * stopping early when the next batch would pass capS; returns the accuracy and the images used.
 */
export function accuracy(d: FashionData, n: number, capS: number, predict: (x: Float32Array, b: number) => ArrayLike<number>): { testAcc: number; testN: number } {
  n = Math.min(n, d.nTest);
  const batch = 250;
  let right = 0, done = 0;
  const t0 = performance.now();
  while (done < n) {
    const b = Math.min(batch, n - done);
    const p = predict(d.testX.subarray(done * 784, (done + b) * 784), b);
    for (let j = 0; j < b; j++) if (p[j] === d.testY[done + j]) right++;
    done += b;
    const el = performance.now() - t0;
    if (el + (el * batch) / done > capS * 1000) break;
  }
  return { testAcc: right / done, testN: done };
}

/** Argmax of each row of a [rows, cols] array. */
export function argmaxRows(a: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (a[r * cols + c]! > a[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** The result line bench/run.ts looks for on a peer's stdout. */
export function emit(r: Result): void {
  process.stdout.write(`@@RESULT ${JSON.stringify(r)}\n`);
}

/** Runs the workload function the peer was asked for; a thrown error becomes a `cannot` row with its message. */
export async function runPeer(lib: string, threads: string, impl: Record<Workload, (job: Job) => Promise<Partial<Result>> | Partial<Result>>): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  try {
    emit({ lib, threads, ...(await impl[job.workload](job)) });
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split('\n')[0]!;
    emit({ lib, threads, cannot: msg });
  }
  process.exit(0);
}
