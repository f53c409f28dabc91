// Quick timing of the wasm conv kernels on the benchmark CNN's shapes (development aid):
// node --import tsx bench/conv-quick.ts [threads] [filter] — each shape with the chosen kernels (direct
// for few input channels, Winograd for 3×3 stride 1 with ≥ 8 channels), without the direct kernels
// (NABLA_DIRECT=0), and with the im2col GEMM path alone, interleaved: the best of 3 medians of 15.
import { createWasmBackend } from '../src/backend/wasm/index.js';
import type { Conv2dParams } from '../src/backend/backend.js';
const b = await createWasmBackend({ threads: Number(process.argv[2] ?? 2) });
const filter = process.argv[3] ?? '';
const cp = (n: number, cIn: number, h: number, cOut: number, pad = 0, k = 3, s = 1): Conv2dParams => {
  const o = Math.floor((h + 2 * pad - k) / s) + 1;
  return { n, cIn, h, w: h, cOut, kh: k, kw: k, sh: s, sw: s, ph: pad, pw: pad, dh: 1, dw: 1, groups: 1, oh: o, ow: o };
};
const shapes: [string, Conv2dParams][] = [
  ['conv1 64×1×28×28→32', cp(64, 1, 28, 32)],
  ['conv2 64×32×13×13→64', cp(64, 32, 13, 64)],
  ['conv1 b=1', cp(1, 1, 28, 32)],
  ['conv2 b=1', cp(1, 32, 13, 64)],
  ['5×5 64×1×28×28→32 p2', cp(64, 1, 28, 32, 2, 5)],
  ['rgb 32×3×32×32→32 p1', cp(32, 3, 32, 32, 1)],
  ['rgb5 32×3×32×32→32 p2', cp(32, 3, 32, 32, 2, 5)],
  ['K36 32×4×32×32→32 p1', cp(32, 4, 32, 32, 1)],
  ['K50 32×2×32×32→32 p2', cp(32, 2, 32, 32, 2, 5)],
  ['K54 32×6×32×32→32 p1', cp(32, 6, 32, 32, 1)],
  ['K72 32×8×32×32→32 p1', cp(32, 8, 32, 32, 1)],
  ['K144 16×16×32×32→32 p1', cp(16, 16, 32, 32, 1)],
  ['K27 16×3×32×32→128 p1', cp(16, 3, 32, 128, 1)],
  ['K75 16×3×32×32→128 p2', cp(16, 3, 32, 128, 2, 5)],
  ['rgb224 4×3×224×224→32 p1', cp(4, 3, 224, 32, 1)],
  ['s2 32×3×64×64→32 p1', cp(32, 3, 64, 32, 1, 3, 2)],
  ['s2 32×1×64×64→32 5×5 p2', cp(32, 1, 64, 32, 2, 5, 2)],
  ['stem 4×3×224×224→64 7×7/2 p3', cp(4, 3, 224, 64, 3, 7, 2)],
  ['K150 8×6×64×64→128 5×5 p2', cp(8, 6, 64, 128, 2, 5)],
  // the DCGAN of nabla bench (issue 14): D's convs, and G's ConvTranspose2d as the conv they are the input-gradient of
  ['dcgan D2 64×64×14×14→128 4×4/2 p1', cp(64, 64, 14, 128, 1, 4, 2)],
  ['dcgan D3 64×128×7×7→1 7×7', cp(64, 128, 7, 1, 0, 7)],
  ['dcgan G1ᵀ 64×256×7×7→100 7×7', cp(64, 256, 7, 100, 0, 7)],
  ['dcgan G2ᵀ 64×128×14×14→256 4×4/2 p1', cp(64, 128, 14, 256, 1, 4, 2)],
  ['dcgan G3ᵀ 64×1×28×28→128 4×4/2 p1', cp(64, 1, 28, 128, 1, 4, 2)],
].filter(([name]) => name.includes(filter)) as [string, Conv2dParams][];
const time = (f: () => void) => { const t: number[] = []; for (let i = 0; i < 15; i++) { const t0 = performance.now(); f(); t.push(performance.now() - t0); } return t.sort((a, b) => a - b)[7]!; };
const modes: [string, Record<string, string | undefined>][] = [['chosen', {}], ['no-direct', { NABLA_DIRECT: '0' }], ['im2col', { NABLA_DIRECT: '0', NABLA_WINOGRAD: '0' }]];
for (const [name, p] of shapes) {
  const ks = p.kh * p.kw;
  const x = b.fill('float32', p.n * p.cIn * p.h * p.w, 0.5), w = b.fill('float32', p.cOut * p.cIn * ks, 0.1);
  const gy = b.fill('float32', p.n * p.cOut * p.oh * p.ow, 0.2);
  const flops = 2 * p.n * p.cOut * p.oh * p.ow * p.cIn * ks;
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
    console.log(`${name.padEnd(22)} ${mode.padEnd(9)} threads=${b.numThreads()}: forward ${fw!.toFixed(3)} ms (${(flops / fw! / 1e6).toFixed(1)} GFLOP/s), bwd-input ${bi!.toFixed(3)} ms, bwd-weight ${bw!.toFixed(3)} ms (${(flops / bw! / 1e6).toFixed(1)} GFLOP/s)`);
  }
}
b.close();
