// Quick timing of the wasm conv kernels on the benchmark CNN's shapes (development aid).
import { createWasmBackend } from '../src/backend/wasm/index.js';
import type { Conv2dParams } from '../src/backend/backend.js';
const b = await createWasmBackend();
const shapes: [string, Conv2dParams][] = [
  ['conv1 64×1×28×28→32', { n: 64, cIn: 1, h: 28, w: 28, cOut: 32, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1, oh: 26, ow: 26 }],
  ['conv2 64×32×13×13→64', { n: 64, cIn: 32, h: 13, w: 13, cOut: 64, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1, oh: 11, ow: 11 }],
];
const time = (f: () => void) => { const t: number[] = []; for (let i = 0; i < 7; i++) { const t0 = performance.now(); f(); t.push(performance.now() - t0); } return t.sort((a, b) => a - b)[3]!; };
for (const [name, p] of shapes) {
  const x = b.fill('float32', p.n * p.cIn * p.h * p.w, 0.5), w = b.fill('float32', p.cOut * p.cIn * 9, 0.1);
  const gy = b.fill('float32', p.n * p.cOut * p.oh * p.ow, 0.2);
  const flops = 2 * p.n * p.cOut * p.oh * p.ow * p.cIn * 9;
  const fw = time(() => b.free(b.conv2d(x, w, p)));
  const bi = time(() => b.free(b.conv2dBackwardInput(gy, w, p)));
  const bw = time(() => b.free(b.conv2dBackwardWeight(x, gy, p)));
  console.log(`${name} threads=${b.numThreads()}: forward ${fw.toFixed(2)} ms (${(flops / fw / 1e6).toFixed(1)} GFLOP/s), bwd-input ${bi.toFixed(2)} ms, bwd-weight ${bw.toFixed(2)} ms`);
}
b.close();
