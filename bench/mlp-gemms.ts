// Times the GEMMs of one MLP 784-512-256-10 training step at batch 128 (forward, and both
// backward products with their transposes) on the wasm backend. Development aid.
import { createWasmBackend } from '../src/backend/wasm/index.js';
const W = await createWasmBackend();
const B = 128;
const cases: [string, number, number, number, boolean, boolean][] = [];
for (const [i, o] of [[784, 512], [512, 256], [256, 10]] as const) {
  cases.push([`fwd x·Wᵀ ${B}×${i}→${o}`, B, i, o, false, true]);   // y = x Wᵀ (W is [o, i])
  cases.push([`dX = dY·W ${B}×${o}→${i}`, B, o, i, false, false]);
  cases.push([`dW = dYᵀ·x ${o}×${B}→${i}`, o, B, i, true, false]);
}
let total = 0;
for (const [name, m, k, n, tA, tB] of cases) {
  const a = W.fill('float32', m * k, 0.5), b = W.fill('float32', k * n, 0.25);
  const p = { batch: 1, m, k, n, transA: tA, transB: tB, aBatchStride: 0, bBatchStride: 0 };
  for (let i = 0; i < 5; i++) W.free(W.matmul(a, b, p));
  const t: number[] = [];
  for (let i = 0; i < 21; i++) { const s = performance.now(); W.free(W.matmul(a, b, p)); t.push(performance.now() - s); }
  t.sort((x, y) => x - y);
  total += t[0]!;
  console.log(`${name.padEnd(28)} ${t[0]!.toFixed(3)} ms  ${(2 * m * n * k / t[0]! / 1e6).toFixed(1)} GFLOP/s`);
  W.free(a); W.free(b);
}
console.log(`total ${total.toFixed(2)} ms per step → GEMM-only bound ${(B / total * 1000).toFixed(0)} samples/s (threads ${W.numThreads()})`);
W.close();
