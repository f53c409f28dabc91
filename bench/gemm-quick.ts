// Quick GEMM throughput probe of the wasm backend (development aid; bench/gemm.ts is the comparison).
import { createWasmBackend } from '../src/backend/wasm/index.js';
const b = await createWasmBackend();
const sizes = (process.argv[2] ?? '1024').split(',').map(Number);
for (const th of [1, 2]) {
  await b.setNumThreads(th);
  for (const n of sizes) {
    const A = new Float32Array(n * n).map(() => Math.random() - 0.5);
    const a = b.fromArray(A, 'float32'), bb = b.fromArray(A, 'float32');
    const p = { batch: 1, m: n, k: n, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const times: number[] = [];
    for (let r = 0; r < 10; r++) {
      const t0 = performance.now();
      const c = b.matmul(a, bb, p);
      times.push(performance.now() - t0);
      b.free(c);
    }
    times.sort((x, y) => x - y);
    console.log(`n=${n} threads=${th} relaxed=${b.info().relaxedSimd} ${(2 * n ** 3 / times[0]! / 1e6).toFixed(1)} GFLOP/s (best), median ${(2 * n ** 3 / times[5]! / 1e6).toFixed(1)}`);
    b.free(a); b.free(bb);
  }
}
b.close();
