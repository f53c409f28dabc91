// Quick timing of the wasm conv kernels on the benchmark CNN's shapes (development aid):
// node --import tsx bench/conv-quick.ts [threads] — each shape with the chosen kernels (Winograd
// for 3×3 stride 1 with ≥ 8 channels) and with the im2col GEMM path (NABLA_WINOGRAD=0), interleaved:
// the best of 3 medians of 15.
import { createWasmBackend } from '../src/backend/wasm/index.js';
import type { Conv2dParams } from '../src/backend/backend.js';
const b = await createWasmBackend({ threads: Number(process.argv[2] ?? 2) });
const cp = (n: number, cIn: number, h: number, cOut: number, pad = 0): Conv2dParams =>
  ({ n, cIn, h, w: h, cOut, kh: 3, kw: 3, sh: 1, sw: 1, ph: pad, pw: pad, dh: 1, dw: 1, groups: 1, oh: h + 2 * pad - 2, ow: h + 2 * pad - 2 });
const shapes: [string, Conv2dParams][] = [
  ['conv1 64×1×28×28→32', cp(64, 1, 28, 32)],
  ['conv2 64×32×13×13→64', cp(64, 32, 13, 64)],
  ['conv1 b=1', cp(1, 1, 28, 32)],
  ['conv2 b=1', cp(1, 32, 13, 64)],
];
const time = (f: () => void) => { const t: number[] = []; for (let i = 0; i < 15; i++) { const t0 = performance.now(); f(); t.push(performance.now() - t0); } return t.sort((a, b) => a - b)[7]!; };
const modes: [string, Record<string, string | undefined>][] = [['chosen', {}], ['im2col', { NABLA_WINOGRAD: '0' }]];
for (const [name, p] of shapes) {
  const x = b.fill('float32', p.n * p.cIn * p.h * p.w, 0.5), w = b.fill('float32', p.cOut * p.cIn * 9, 0.1);
  const gy = b.fill('float32', p.n * p.cOut * p.oh * p.ow, 0.2);
  const flops = 2 * p.n * p.cOut * p.oh * p.ow * p.cIn * 9;
  const res: Record<string, number[]> = {};
  for (let rep = 0; rep < 3; rep++) {
    for (const [mode, env] of modes) {
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      const r = [time(() => b.free(b.conv2d(x, w, p))), time(() => b.free(b.conv2dBackwardInput(gy, w, p))), time(() => b.free(b.conv2dBackwardWeight(x, gy, p)))];
      for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
      (res[mode] ??= [Infinity, Infinity, Infinity]).forEach((_, i, a) => { a[i] = Math.min(a[i]!, r[i]!); });
    }
  }
  for (const [mode] of modes) {
    const [fw, bi, bw] = res[mode]!;
    console.log(`${name.padEnd(22)} ${mode.padEnd(7)} threads=${b.numThreads()}: forward ${fw!.toFixed(3)} ms (${(flops / fw! / 1e6).toFixed(1)} GFLOP/s), bwd-input ${bi!.toFixed(3)} ms, bwd-weight ${bw!.toFixed(3)} ms`);
  }
}
b.close();
