// Microbenchmark of single wasm kernels at GPT's shapes (development aid).
const { createWasmBackend } = await import(`${process.env.ROOT ?? '..'}/src/backend/wasm/index.ts`) as typeof import('../src/backend/wasm/index.js');
const W = await createWasmBackend({ threads: Number(process.argv[2] ?? 1) });
const n = 2048 * 256;
const a = W.fromArray(new Float32Array(n).map(() => Math.random() * 4 - 2), 'float32');
const g = W.fromArray(new Float32Array(n).map(() => Math.random()), 'float32');
const R = 700, C = 13829;
const big = W.fromArray(new Float32Array(R * C).map(() => Math.random() * 8 - 4), 'float32');
const bigG = W.fromArray(new Float32Array(R * C).map(() => Math.random()), 'float32');
const jobs: [string, () => unknown][] = [['logSoftmax 700×13829', () => W.fused!.softmaxRows!(big, { rows: R, c: C, log: true })],
  ['copy 700×13829', () => W.copyStrided(big, [R, C], [C, 1], 0)], ['copy transposed-ish', () => W.copyStrided(big, [C, R], [1, C], 0)],
  ['logSoftmax bwd', () => W.fused!.softmaxRowsBackward!(big, bigG, { rows: R, c: C, log: true })],['gelu', () => W.fused!.gelu!(a)], ['geluBwd', () => W.fused!.geluBackward!(a, g)],
  ['split heads', () => W.copyStrided(a, [32, 4, 64, 16], [4096, 16, 64, 1], 0)], ['merge heads', () => W.copyStrided(a, [32, 64, 4, 16], [4096, 16, 1024, 1], 0)]];
for (const [name, f] of jobs) {
  for (let i = 0; i < 5; i++) W.free(f() as never);
  const t: number[] = [];
  for (let i = 0; i < 11; i++) { const s = performance.now(); const r = f(); t.push(performance.now() - s); W.free(r as never); }
  t.sort((x, y) => x - y); console.log(name, t[0]!.toFixed(3), t[5]!.toFixed(3), 'ms');
}
W.close();
