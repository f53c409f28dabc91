// `nabla bench`: issue 4's five workloads — GEMM, MLP and CNN training on Fashion-MNIST, char-LSTM
// training, CNN inference — and issue 14's — a char-level GPT (training, generation), the word-LM
// Transformer, a VAE, a DCGAN — run identically by nabla-wasm, tfjs-cpu, tfjs-wasm and (when
// /usr/bin/python3 has torch) PyTorch, one library at a time in its own process; one table per workload.
// Run: node --import tsx bench/run.ts [gemm|mlp|…|gpt|gpt-gen|wlm|vae|dcgan …] [--quick] [--libs nabla,tfjs-wasm,…]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gemmTorch } from './gemm.js';
import { generativeJobs, type Job, type Result, type TrainSpec, type Workload } from './peers/common.js';
import { prepareData } from './peers/data.js';

const HELP = `Usage: nabla bench [WORKLOAD …] [--quick] [--runs N] [--libs LIST] [--cap SECONDS]

Workloads (default: all ten): gemm mlp cnn lstm infer (issue 4's), gpt gpt-gen wlm vae dcgan
(issue 14's: char-level GPT training and generation, word-LM Transformer, VAE, DCGAN); 'issue4' and
'issue14' name each set.

Runs each workload with nabla-wasm, tfjs-cpu, tfjs-wasm and PyTorch (/usr/bin/python3 with torch,
when installed), one library at a time, and prints one table per workload: each library's number,
its threads, and how many times faster nabla-wasm is.

  --quick         a fixed, small number of steps per workload (about 5 minutes in all)
  --runs N        run every library N times per workload (each in a fresh process) and report the
                  median run, with the range (default 1)
  --libs LIST     comma-separated subset of: nabla, nabla-1t, tfjs-cpu, tfjs-wasm, torch, torch-1t
                  (nabla-1t: nabla-wasm on one thread; torch-1t: PyTorch with its BLAS on one thread;
                  default: nabla,tfjs-wasm,tfjs-cpu,torch for issue 4's workloads, and all six for
                  issue 14's, which compare every library at one thread and at all cores)
  --cap SECONDS   longest timed training per library and workload (default 60; --quick 8): a
                  library slower than that trains part of the epoch, and the table says how much`;

const ISSUE4: Workload[] = ['gemm', 'mlp', 'cnn', 'lstm', 'infer'];
const ISSUE14: Workload[] = ['gpt', 'gpt-gen', 'wlm', 'vae', 'dcgan'];
const WORKLOADS: Workload[] = [...ISSUE4, ...ISSUE14];
const LIBS = ['nabla', 'nabla-1t', 'torch', 'torch-1t', 'tfjs-wasm', 'tfjs-cpu'] as const;
type Lib = (typeof LIBS)[number];
const CORES = availableParallelism();
const BENCH = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv: string[]) {
  const workloads: Workload[] = [];
  let quick = false, cap: number | null = null, runs = 1;
  let libs: Lib[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') { console.log(HELP); process.exit(0); }
    else if (a === '--quick') quick = true;
    else if (a === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) usage(`--runs needs a positive integer, got ${argv[i]}`);
    }
    else if (a === '--libs') {
      libs = (argv[++i] ?? '').split(',').filter(Boolean) as Lib[];
      const bad = libs.filter((l) => !LIBS.includes(l));
      if (bad.length || !libs.length) usage(`--libs: unknown ${bad.join(', ') || '(empty list)'}; choose from ${LIBS.join(', ')}`);
    } else if (a === '--cap') {
      cap = Number(argv[++i]);
      if (!(cap > 0)) usage(`--cap needs a positive number of seconds, got ${argv[i]}`);
    } else if ((WORKLOADS as string[]).includes(a)) workloads.push(a as Workload);
    else if (a === 'issue4' || a === 'issue14') workloads.push(...(a === 'issue4' ? ISSUE4 : ISSUE14));
    else usage(`unknown argument '${a}'`);
  }
  return { workloads: workloads.length ? [...new Set(workloads)] : WORKLOADS, quick, cap: cap ?? (quick ? 8 : 60), libs, runs };
}

function usage(msg: string): never {
  console.error(`nabla bench: ${msg} (nabla bench --help)`);
  process.exit(2);
}

const args = parseArgs(process.argv.slice(2));
const t0 = performance.now();
const dataDir = mkdtempSync(join(tmpdir(), 'nabla-bench-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130)); // Ctrl-C: the running peer stops too; the data directory is removed

const train = (batch: number, lr: number, warmup: number, quickSteps: number): TrainSpec => ({
  batch, lr, warmup, capS: args.cap, steps: args.quick ? quickSteps : 1e9, testN: args.quick ? 2000 : 10000, evalCapS: args.quick ? 5 : 15,
});
const base: Omit<Job, 'workload'> = {
  dataDir,
  gemm: { sizes: [128, 512, 1024], windowS: args.quick ? 0.3 : 0.6 },
  mlp: train(128, 0.05, 5, 100),
  cnn: train(64, 1e-3, 3, 40),
  lstm: { batch: 32, seq: 64, lr: 1e-3, warmup: 2, windowSteps: args.quick ? 5 : 10, windows: args.quick ? 3 : 5, capS: args.cap / 2 },
  infer: { batches: [1, 64], windowS: args.quick ? 0.5 : 1.5 },
  ...generativeJobs({ quick: args.quick, cap: args.cap, train }),
};


const data = prepareData(dataDir, { batch: 32, seq: 64, offsetsSteps: 4000 });
const torchCheck = spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
const hasTorch = torchCheck.status === 0;
const blas = hasTorch ? blasName() : '';

console.log(`nabla bench${args.quick ? ' --quick' : ''} · ${CORES} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}) · Node ${process.versions.node}`);
console.log(`images: ${data.fashion}`);
console.log(`text:   ${data.text}; as words (word-LM): ${data.words}`);
if (!hasTorch) console.log(`PyTorch: not run — /usr/bin/python3 cannot import torch (${(torchCheck.stderr || torchCheck.error?.message || '').trim().split('\n').pop()}); apt-get install -y python3-torch libopenblas0-pthread`);
else console.log(`PyTorch ${torchCheck.stdout.trim()} via /usr/bin/python3, BLAS: ${blas}; torch.set_num_threads(1) with the BLAS on ${CORES} threads (its best setting here, notes/peers.md), or on 1 (torch-1t)`);
const load = loadavg()[0]!;
if (load > 0.5) console.log(`Note: load average ${load.toFixed(2)} at the start — other processes are using the CPU, and every number below is lower for it.`);
console.log('Every library runs alone in its own process, on the same data in the same order; "×" = how many times faster nabla-wasm is (above 1: nabla is faster).');
if (args.runs > 1) console.log(`Each library ran ${args.runs} times per workload, each time in a fresh process: every number is the median of its runs.`);

/** Which BLAS Debian's libblas.so.3 alternative points at (reference BLAS makes PyTorch look slow for the wrong reason). */
function blasName(): string {
  const r = spawnSync('readlink', ['-f', '/etc/alternatives/libblas.so.3-x86_64-linux-gnu'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return path.includes('openblas') ? `OpenBLAS (${path})` : path ? `${path} — not OpenBLAS: apt-get install -y libopenblas0-pthread for PyTorch's real speed` : 'unknown';
}

const NOISE = [/^=+$/, /Hi there 👋/, /To speed things up dramatically/, /^\s*$/, /ExperimentalWarning/, /--trace-warnings/];

/** Runs one library on one workload in a child process; a crash or timeout becomes a `cannot`/failed row. */
function runLib(lib: Lib, workload: Workload): Result | null {
  const job: Job = { workload, ...base };
  const torch = lib.startsWith('torch'), oneThread = lib.endsWith('-1t');
  const label = torch ? 'PyTorch' : lib.startsWith('nabla') ? 'nabla-wasm' : lib;
  if (torch && !hasTorch) return null;
  process.stderr.write(`  ${workload}: ${label}${oneThread ? ' (1 thread)' : ''} … `);
  const s = performance.now();
  let r: Result | null;
  if (torch && workload === 'gemm') {
    const g = gemmTorch(job.gemm.sizes, job.gemm.windowS, oneThread ? 1 : CORES);
    r = g ? { lib: g.lib.replace(' (OpenBLAS)', ''), threads: String(g.threads), gflops: g.gflops as number[] } : null;
  } else {
    const [cmd, argv] = torch
      ? ['/usr/bin/python3', [join(BENCH, 'torch_peer.py'), JSON.stringify(job)]]
      : [process.execPath, ['--import', 'tsx', join(BENCH, 'peers', lib.startsWith('nabla') ? 'nabla.ts' : 'tfjs.ts'), JSON.stringify(job), ...(lib.startsWith('tfjs') ? [lib.slice(5)] : [])]];
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(oneThread ? 1 : CORES), OMP_NUM_THREADS: '1' };
    if (lib === 'nabla-1t') env.NABLA_THREADS = '1';
    const timeoutS = args.cap * 2 + 300;
    const p = spawnSync(cmd as string, argv as string[], { encoding: 'utf8', env, timeout: timeoutS * 1000, maxBuffer: 16 << 20 });
    const line = p.stdout?.split('\n').find((l) => l.startsWith('@@RESULT '));
    const errLines = (p.stderr ?? '').split('\n').filter((l) => !NOISE.some((n) => n.test(l)));
    if (line) r = JSON.parse(line.slice(9)) as Result;
    else {
      const why = (p.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' ? `no result within ${timeoutS} s`
        : p.error?.message ?? (p.signal ? `killed by ${p.signal}` : `exit ${p.status}`);
      r = { lib: label, threads: '?', cannot: `failed (${why}): ${errLines.slice(-3).join(' / ') || 'no output'}` };
      errLines.length = 0;
    }
    if (errLines.length) process.stderr.write(`\n    ${errLines.slice(-5).join('\n    ')}\n    `);
  }
  process.stderr.write(`${((performance.now() - s) / 1000).toFixed(1)} s\n`);
  if (r && lib === 'nabla-1t') r.lib += ' (1 thread)';
  if (r) r.cores = oneThread || lib.startsWith('tfjs') ? 1 : CORES;
  return r;
}

const num = (v: number, d = 0) => v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
/** nabla-wasm's speed over theirs: throughput ours/theirs, latency theirs/ours. */
const ratio = (ours: number | undefined, theirs: number | undefined, lowerIsBetter = false) =>
  ours === undefined || theirs === undefined || !(ours > 0 && theirs > 0) ? '—' : `${(lowerIsBetter ? theirs / ours : ours / theirs).toFixed(2)}×`;

function table(head: string[], rows: string[][]): void {
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

/** ' (runs 3: 3,812–4,105)' after a median of several runs. */
const spread = (r: Result) => (r.runs && r.range ? ` (median of ${r.runs}: ${num(r.range[0])}–${num(r.range[1])})` : '');

function cannotRow(r: Result, cols: number): string[] {
  return [r.lib, r.threads, `cannot: ${r.cannot}`, ...Array.from({ length: cols - 3 }, () => '')];
}

function print(w: Workload, rs: Result[]): void {
  const ours = rs.find((r) => r.lib.startsWith('nabla') && !r.lib.includes('(1 thread)') && !r.cannot);
  console.log('');
  if (w === 'gemm') {
    const n = base.gemm.sizes;
    console.log(`GEMM float32 C = A·B (n×n) → GFLOP/s, median call over ~${base.gemm.windowS} s after warm-up (tfjs-cpu at n=1024: one call)`);
    table(['library', 'threads', ...n.map((k) => `n=${k}`), ...n.map((k) => `× n=${k}`)], rs.map((r) => r.cannot ? cannotRow(r, 2 + 2 * n.length)
      : [r.lib, r.threads, ...r.gflops!.map((g) => num(g, 1)), ...r.gflops!.map((g, i) => ratio(ours?.gflops?.[i], g))]));
  } else if (w === 'mlp' || w === 'cnn') {
    const s = base[w];
    console.log(w === 'mlp'
      ? `MLP 784-512-256-10 (ReLU), softmax cross-entropy, SGD lr ${s.lr} momentum 0.9, batch ${s.batch} → training samples/s`
      : `CNN conv3×3·32-ReLU-pool2-conv3×3·64-ReLU-pool2-dense128-ReLU-dense10, Adam ${s.lr}, batch ${s.batch} → training samples/s`);
    console.log(`${args.quick ? `${s.steps} steps` : 'one epoch'} (the first ${s.warmup} untimed), at most ${s.capS} s timed per library; then test accuracy on up to ${num(Math.min(s.testN, data.nTest))} test images (at most ${s.evalCapS} s)`);
    table(['library', 'threads', 'samples/s', '×', 'test accuracy', 'steps trained', 'loss (last 50)'], rs.map((r) => r.cannot ? cannotRow(r, 7) : [
      r.lib, r.threads, `${num(r.perS!)}${spread(r)}${r.cold ? ' (cold†)' : ''}`, ratio(ours?.perS, r.perS), `${(r.testAcc! * 100).toFixed(2)}%${r.testN! < Math.min(s.testN, data.nTest) ? ` (${r.testN} images, time cap)` : ''}`,
      `${r.steps}${r.steps! < r.stepsPlanned! ? ` of ${r.stepsPlanned} (time cap)` : ''}`, r.loss!.toFixed(3)]));
  } else if (w === 'lstm') {
    const s = base.lstm;
    console.log(`char-LSTM: vocab 65, embedding 64, LSTM 1×256, sequence ${s.seq}, batch ${s.batch}, Adam ${s.lr} → training tokens/s, median of up to ${s.windows} windows of ${s.windowSteps} steps (${s.warmup} warm-up steps; at most ${s.capS} s)`);
    table(['library', 'threads', 'tokens/s', '×', 'steps trained', 'loss (last window)'], rs.map((r) => r.cannot ? cannotRow(r, 6)
      : [r.lib, r.threads, `${num(r.perS!)}${spread(r)}${r.cold ? ' (cold†)' : ''}`, ratio(ours?.perS, r.perS), String(r.steps), r.loss!.toFixed(3)]));
  } else if (ISSUE14.includes(w)) {
    printGenerative(w, rs);
    return;
  } else {
    const b = base.infer.batches;
    console.log(`CNN inference (the model above, eval, no grad, result read back) → median ms per forward over ~${base.infer.windowS} s after warm-up`);
    table(['library', 'threads', ...b.map((k) => `batch ${k} ms`), ...b.map((k) => `× b=${k}`)], rs.map((r) => r.cannot ? cannotRow(r, 2 + 2 * b.length)
      : [r.lib, r.threads, ...r.ms!.map((m) => num(m, 2)), ...r.ms!.map((m, i) => ratio(ours?.ms?.[i], m, true))]));
  }
  if (rs.some((r) => r.cold)) console.log('† one step took longer than the time cap: the number comes from the first steps, warm-up included.');
}

/** nabla-wasm's speed over theirs at the same number of cores (nabla-1t for one-thread rows). */
function sameCores(rs: Result[], r: Result, key: 'perS' | 'genFull' | 'genCached'): string {
  const ours = rs.find((o) => o.lib.startsWith('nabla') && !o.cannot && o.cores === r.cores);
  return ratio(ours?.[key], r[key]);
}

/** Issue 14's tables: "×" compares nabla-wasm with each library at the same thread count. */
function printGenerative(w: Workload, rs: Result[]): void {
  const g = base.gpt, gg = base.gptGen, l = base.wlm, v = base.vae, d = base.dcgan;
  const gptName = (c: typeof g | typeof gg) => `char-GPT (nanoGPT: ${c.nLayer} layers, ${c.nHead} heads, n_embd ${c.nEmbd}, block ${c.block}, vocab ${c.vocab})`;
  const windows = (s: typeof g | typeof l) => `median of up to ${s.windows} windows of ${s.windowSteps} steps (${s.warmup} warm-up steps; at most ${s.capS} s)`;
  const epoch = (s: typeof v) => `${args.quick ? `${s.steps} steps` : 'one epoch'} (the first ${s.warmup} untimed), at most ${s.capS} s timed per library`;
  const head = ['library', 'threads'];
  const trainRow = (r: Result, extra: string[]) => [r.lib, r.threads, `${num(r.perS!)}${spread(r)}${r.cold ? ' (cold†)' : ''}`, sameCores(rs, r, 'perS'), ...extra];
  if (w === 'gpt-gen') {
    console.log(`${gptName(gg)} generation: batch 1, greedy, each token read back → tokens/s over ${gg.newTokens} new tokens after a 1-token prompt, median of up to ${gg.runs} generations`);
    console.log('full forward: a forward over the whole context per token (nanoGPT\'s generate); KV cache: the keys and values of earlier tokens kept, one token per forward');
    table([...head, 'full forward', 'KV cache', '× full (same threads)', '× KV cache (same threads)'], rs.map((r) => r.cannot ? cannotRow(r, 6)
      : [r.lib, r.threads, num(r.genFull!), num(r.genCached!), sameCores(rs, r, 'genFull'), sameCores(rs, r, 'genCached')]));
    return;
  }
  if (w === 'gpt') {
    console.log(`${gptName(g)} training: batch ${g.batch}, AdamW ${g.lr} (betas ${g.betas.join(', ')}, weight decay ${g.weightDecay} on 2-D weights), clip ${g.clip} → tokens/s, ${windows(g)}`);
    table([...head, 'tokens/s', '× (same threads)', 'steps trained', 'loss (last window)'], rs.map((r) => r.cannot ? cannotRow(r, 6) : trainRow(r, [String(r.steps), r.loss!.toFixed(3)])));
  } else if (w === 'wlm') {
    console.log(`word_language_model Transformer: emsize ${l.emsize}, nhid ${l.nhid}, ${l.nlayers} layers, ${l.nhead} heads, dropout ${l.dropout}, bptt ${l.seq}, batch ${l.batch}, SGD lr ${l.lr}, clip ${l.clip} → tokens/s, ${windows(l)}`);
    table([...head, 'tokens/s', '× (same threads)', 'steps trained', 'loss (last window)'], rs.map((r) => r.cannot ? cannotRow(r, 6) : trainRow(r, [String(r.steps), r.loss!.toFixed(3)])));
  } else {
    console.log(w === 'vae'
      ? `VAE 784-400-20 (pytorch/examples), BCE + KL, Adam ${v.lr}, batch ${v.batch} → training samples/s, ${epoch(v)}`
      : `DCGAN 28×28 (nz ${d.nz}, ngf ${d.ngf}, ndf ${d.ndf}; ConvTranspose2d + BatchNorm), Adam ${d.lr} β1 ${d.beta1}, batch ${d.batch}, D and G steps → samples/s, ${epoch(d)}`);
    table([...head, 'samples/s', '× (same threads)', 'steps trained', w === 'vae' ? 'loss/sample (last 50)' : 'D+G loss (last 50)'], rs.map((r) => r.cannot ? cannotRow(r, 6)
      : trainRow(r, [`${r.steps}${r.steps! < r.stepsPlanned! ? ` of ${r.stepsPlanned} (time cap)` : ''}`, r.loss!.toFixed(3)])));
  }
  if (rs.some((r) => r.cold)) console.log('† one step took longer than the time cap: the number comes from the first steps, warm-up included.');
}

/** The median of several runs of one library: each number its own median (the other columns from
 * the run with the median training speed); `range` says how far the runs spread. */
function medianRun(runs: Result[]): Result {
  const ok = runs.filter((r) => !r.cannot);
  if (ok.length === 0) return runs[0]!;
  const med = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
  const byPerS = [...ok].sort((a, b) => (a.perS ?? 0) - (b.perS ?? 0));
  const r: Result = { ...byPerS[(byPerS.length - 1) >> 1]! };
  if (ok.length === 1) return r;
  if (r.perS !== undefined) { r.perS = med(ok.map((x) => x.perS!)); r.range = [Math.min(...ok.map((x) => x.perS!)), Math.max(...ok.map((x) => x.perS!))]; }
  if (r.gflops) r.gflops = r.gflops.map((_, i) => med(ok.map((x) => x.gflops![i]!)));
  if (r.ms) r.ms = r.ms.map((_, i) => med(ok.map((x) => x.ms![i]!)));
  for (const k of ['genFull', 'genCached'] as const) if (r[k] !== undefined) r[k] = med(ok.map((x) => x[k]!));
  r.runs = ok.length;
  return r;
}

for (const w of args.workloads) {
  const rs: Result[] = [];
  for (const lib of args.libs ?? (ISSUE14.includes(w) ? LIBS : ['nabla', 'tfjs-wasm', 'tfjs-cpu', 'torch'] as Lib[])) {
    const runs: Result[] = [];
    for (let k = 0; k < args.runs; k++) {
      const r = runLib(lib, w);
      if (!r) break;
      runs.push(r);
      if (r.cannot && !r.cannot.startsWith('failed')) break; // a library that cannot run the workload: once is enough
    }
    if (runs.length) rs.push(medianRun(runs));
  }
  print(w, rs);
}
console.log(`\nnabla bench took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
