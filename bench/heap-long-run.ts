// How much of the 4 GiB wasm32 heap a long run can use (issue 11): the allocator of the wasm backend
// (src/backend/wasm/heap.ts) under long alloc/free sequences, at full size (the memory grows, but
// pages no one writes cost no RAM). Each workload raises its working set until an allocation fails
// and reports the live bytes at that point as a share of 4 GiB. Run:
//   node --import tsx bench/heap-long-run.ts [steps per level] [seed]
import { Heap, HEAP_BASE } from '../src/backend/wasm/heap.js';

const STEPS = Number(process.argv[2] ?? 2000);
let seed = Number(process.argv[3] ?? 1) >>> 0;
const GiB = 2 ** 30;
const rand = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
/** Log-uniform in [lo, hi). */
const logUniform = (lo: number, hi: number): number => Math.floor(lo * (hi / lo) ** rand());

interface Result { name: string; liveAtFailure: number; peakLive: number; steps: number; freePieces: number; largestFree: number }

/**
 * A workload: each step allocates `step()` blocks and frees each after its lifetime (in steps); the
 * working set grows by `scale` per level until an allocation fails.
 */
function run(name: string, makeStep: (scale: number) => { bytes: number; life: number }[]): Result {
  const h = new Heap(64, 65536);
  const pending: { ptr: number; bytes: number; until: number }[] = [];
  let peak = 0, step = 0;
  for (let scale = 1; ; scale *= 1.05) {
    for (let s = 0; s < STEPS; s++, step++) {
      for (let i = pending.length - 1; i >= 0; i--) {
        if (pending[i]!.until <= step) {
          h.release(pending[i]!.ptr, pending[i]!.bytes);
          pending.splice(i, 1);
        }
      }
      for (const { bytes, life } of makeStep(scale)) {
        let ptr: number;
        try {
          ptr = h.alloc(bytes);
        } catch {
          return { name, liveAtFailure: h.liveBytes, peakLive: peak, steps: step, freePieces: h.freeBlocks, largestFree: h.largestFree() };
        }
        pending.push({ ptr, bytes, until: step + life });
        peak = Math.max(peak, h.liveBytes);
      }
    }
  }
}

const results = [
  // a training step: activations of a few sizes, all freed after the step, the sizes fixed per level
  run('training steps (fixed activation sizes)', (k) =>
    [40, 40, 20, 20, 10, 5, 1].map((mb) => ({ bytes: mb * 2 ** 20 * k, life: 1 }))),
  // the same plus small tensors kept for a long time (metrics, history) between the big ones
  run('training steps + small long-lived tensors', (k) => [
    ...[40, 40, 20, 20, 10, 5, 1].map((mb) => ({ bytes: mb * 2 ** 20 * k, life: 1 })),
    { bytes: 4096, life: 500 + Math.floor(rand() * 5000) },
  ]),
  // random sizes from 1 KiB to 64 MiB (×level), random lifetimes of 1–50 steps
  run('random sizes and lifetimes', (k) => Array.from({ length: 4 }, () => ({ bytes: logUniform(1024, 64 * 2 ** 20) * k, life: 1 + Math.floor(rand() * 50) }))),
  // a few huge tensors that come and go among many small ones
  run('huge tensors among small ones', (k) => [
    { bytes: Math.floor(256 * 2 ** 20 * k * (0.5 + rand())), life: 1 + Math.floor(rand() * 8) },
    ...Array.from({ length: 8 }, () => ({ bytes: logUniform(256, 256 * 1024), life: 1 + Math.floor(rand() * 200) })),
  ]),
];

console.log(`wasm heap, 4 GiB (65,536 pages), heap base ${HEAP_BASE} bytes; ${STEPS} steps per level, working set ×1.05 per level`);
console.log('workload'.padEnd(44), 'live at the failed request', 'peak live', 'steps', 'free pieces then');
for (const r of results) {
  console.log(r.name.padEnd(44), `${(r.liveAtFailure / GiB).toFixed(2)} GiB = ${((100 * r.liveAtFailure) / (4 * GiB)).toFixed(1)}%`.padEnd(26),
    `${(r.peakLive / GiB).toFixed(2)} GiB`.padEnd(9), String(r.steps).padEnd(5), `${r.freePieces} (largest ${(r.largestFree / 2 ** 20).toFixed(0)} MiB)`);
}
