// GEMM side by side: nabla-wasm vs tfjs-cpu vs tfjs-wasm (in this process) and PyTorch (Debian's
// /usr/bin/python3, when torch imports), n = 128, 512, 1024 → GFLOP/s, with ratios.
// Run: npm run build:kernels && node --import tsx bench/gemm.ts [--sizes 128,512,1024]
// bench/run.ts imports gemmNabla / gemmTfjs / gemmTorch (one library per child process).

import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createWasmBackend } from '../src/backend/wasm/index.js';

const CORES = availableParallelism();
/** Seconds of timed work per (library, size), after a warm-up. */
export const WINDOW_S = 0.6;
const DEFAULT_SIZES = [128, 512, 1024];

export interface Row { lib: string; threads: number | string; gflops: (number | string)[] }

function randn(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

/** Median seconds of one call, timed over repeated calls for about WINDOW_S. */
function timeIt(f: () => void, windowS = WINDOW_S): number {
  f(); f(); // warm-up: compile, tier up, allocate
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 3 || (performance.now() - t0 < windowS * 1000 && times.length < 200)) {
    const s = performance.now();
    f();
    times.push((performance.now() - s) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}
const gflops = (n: number, s: number) => (2 * n ** 3) / s / 1e9;

/** nabla's wasm backend (threads: NABLA_THREADS, else every core) → GFLOP/s per size. */
export async function gemmNabla(SIZES = DEFAULT_SIZES, windowS = WINDOW_S): Promise<Row> {
  const W = await createWasmBackend();
  const out: number[] = [];
  for (const n of SIZES) {
    const a = W.fromArray(randn(n * n), 'float32'), b = W.fromArray(randn(n * n), 'float32');
    const p = { batch: 1, m: n, k: n, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    out.push(gflops(n, timeIt(() => W.free(W.matmul(a, b, p)), windowS)));
    W.free(a); W.free(b);
  }
  const info = W.info();
  W.close();
  return { lib: `nabla-wasm (${info.relaxedSimd ? 'relaxed SIMD' : 'SIMD'})`, threads: info.threads as number, gflops: out };
}

/** tfjs-core on its cpu or wasm backend; tfjs-cpu at n > 512 times one call unless `slow`. */
export async function gemmTfjs(backend: 'cpu' | 'wasm', SIZES = DEFAULT_SIZES, windowS = WINDOW_S, slow = process.argv.includes('--slow')): Promise<Row> {
  const tf = await import('@tensorflow/tfjs-core');
  if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const req = createRequire(import.meta.url);
    wasm.setWasmPaths(join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  }
  await tf.setBackend(backend);
  await tf.ready();
  const out: (number | string)[] = [];
  for (const n of SIZES) {
    if (backend === 'cpu' && n > 512 && !slow) {
      // about 1 GFLOP/s: one call at n = 1024 takes seconds; time a single call
      const a = tf.tensor2d(randn(n * n), [n, n]), b = tf.tensor2d(randn(n * n), [n, n]);
      const s = performance.now(); const c = tf.matMul(a, b); c.dataSync(); const dt = (performance.now() - s) / 1000;
      out.push(gflops(n, dt)); tf.dispose([a, b, c]);
      continue;
    }
    const a = tf.tensor2d(randn(n * n), [n, n]), b = tf.tensor2d(randn(n * n), [n, n]);
    out.push(gflops(n, timeIt(() => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); }, windowS)));
    tf.dispose([a, b]);
  }
  // tfjs-wasm runs single-threaded in Node (its threads need a browser's Worker); tfjs-cpu is plain JS
  return { lib: `tfjs-${backend}`, threads: 1, gflops: out };
}

/** PyTorch via /usr/bin/python3 (1 torch thread, OpenBLAS on every core); null with the reason on stderr when torch is missing. */
export function gemmTorch(SIZES = DEFAULT_SIZES, WINDOW_S_ = WINDOW_S, blasThreads = CORES): Row | null {
  const WINDOW_S = WINDOW_S_;
  // PyTorch's best configuration on this machine (see notes/peers.md): one torch thread, OpenBLAS's own threads.
  const script = `
import json, time, torch
torch.set_num_threads(1)
out = []
for n in ${JSON.stringify(SIZES)}:
    a = torch.randn(n, n); b = torch.randn(n, n)
    for _ in range(3): torch.mm(a, b)
    times = []
    t0 = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - t0 < ${WINDOW_S} and len(times) < 200):
        s = time.perf_counter(); torch.mm(a, b); times.append(time.perf_counter() - s)
    times.sort()
    out.append(2 * n ** 3 / times[len(times) // 2] / 1e9)
print(json.dumps({"version": torch.__version__, "gflops": out}))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], {
    encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads), OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) { console.error(`(PyTorch skipped: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`); return null; }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { version: string; gflops: number[] };
  return { lib: `PyTorch ${j.version} (OpenBLAS)`, threads: `1 + BLAS ${blasThreads}`, gflops: j.gflops };
}

async function main(): Promise<void> {
  const argSizes = process.argv.indexOf('--sizes');
  const SIZES = argSizes > 0 ? process.argv[argSizes + 1]!.split(',').map(Number) : DEFAULT_SIZES;
  const rows: Row[] = [];
  rows.push(await gemmNabla(SIZES));
  for (const b of ['wasm', 'cpu'] as const) {
    try { rows.push(await gemmTfjs(b, SIZES)); } catch (e) { rows.push({ lib: `tfjs-${b}`, threads: '-', gflops: SIZES.map(() => `failed: ${(e as Error).message}`) }); }
  }
  const torch = gemmTorch(SIZES);
  if (torch) rows.push(torch);

  const fmt = (v: number | string) => (typeof v === 'number' ? v.toFixed(1) : v);
  const ours = rows[0]!.gflops as number[];
  console.log(`\nGEMM float32 C = A·B (n×n), GFLOP/s (median of ≥3 calls over ~${WINDOW_S}s after warm-up); machine: ${CORES} cores, Node ${process.versions.node}\n`);
  console.log(`| library | threads | ${SIZES.map((n) => `n=${n}`).join(' | ')} | ${SIZES.map((n) => `nabla ÷ it, n=${n}`).join(' | ')} |`);
  console.log(`|---|---|${SIZES.map(() => '---:').join('|')}|${SIZES.map(() => '---:').join('|')}|`);
  for (const r of rows) {
    const ratios = r.gflops.map((g, i) => (typeof g === 'number' ? `${(ours[i]! / g).toFixed(2)}×` : '-'));
    console.log(`| ${r.lib} | ${r.threads} | ${r.gflops.map(fmt).join(' | ')} | ${ratios.join(' | ')} |`);
  }
  process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
