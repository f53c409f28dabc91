// Times GEMM shapes given as m,k,n,tA,tB (tA/tB 0|1) on the wasm backend, best of 31.
// node --import tsx bench/gemm-shapes.ts 32,256,1024,0,1 1024,32,256,1,0 …   (NABLA_THREADS=1 for one core;
// ROOT=/other/tree for that tree's backend, to compare two builds)
const { createWasmBackend } = await import(`${process.env.ROOT ?? '..'}/src/backend/wasm/index.ts`) as typeof import('../src/backend/wasm/index.js');
const W = await createWasmBackend();
for (const spec of process.argv.slice(2)) {
  const [m, k, n, tA, tB] = spec.split(',').map(Number) as [number, number, number, number, number];
  const a = W.fill('float32', m * k, 0.5), b = W.fill('float32', k * n, 0.25);
  const p = { batch: 1, m, k, n, transA: tA === 1, transB: tB === 1, aBatchStride: 0, bBatchStride: 0 };
  for (let i = 0; i < 5; i++) W.free(W.matmul(a, b, p));
  const t: number[] = [];
  for (let i = 0; i < 31; i++) { const s = performance.now(); W.free(W.matmul(a, b, p)); t.push(performance.now() - s); }
  t.sort((x, y) => x - y);
  console.log(`${m}×${k}×${n} tA=${tA} tB=${tB} threads=${W.numThreads()}: ${t[0]!.toFixed(3)} ms, ${(2 * m * n * k / t[0]! / 1e6).toFixed(1)} GFLOP/s`);
  W.free(a); W.free(b);
}
W.close();
