// Per-op cost of tiny tensors (generation-sized: one token), through the public API and the raw backend.
const ROOT = process.env.ROOT ?? '..';
const nb = await import(`${ROOT}/src/index.ts`) as typeof import('../src/index.js');
const { createWasmBackend } = await import(`${ROOT}/src/backend/wasm/index.ts`) as typeof import('../src/backend/wasm/index.js');
const ops = await import(`${ROOT}/src/ops/index.ts`) as typeof import('../src/ops/index.js');
const W = await createWasmBackend({ threads: Number(process.argv[2] ?? 1) });
nb.registerBackend(W); nb.setBackend('wasm');
const x = nb.keep(nb.randn([1, 1, 64])), y = nb.keep(nb.randn([1, 1, 64])), q = nb.keep(nb.randn([1, 4, 1, 16]));
const ln = new nb.nn.LayerNorm(64), lin = new nb.nn.Linear(64, 192), k = nb.keep(nb.randn([1, 4, 12, 16]));
const xs = W.fill('float32', 64, 1), ys = W.fill('float32', 64, 2);
const jobs: [string, () => void][] = [
  ['backend binary add 64', () => W.free(W.binary(ops.add.kernel, xs, ys, [64], [1], [1]))],
  ['backend fill 64', () => W.free(W.fill('float32', 64, 0))],
  ['x.add(y) [1,1,64]', () => { x.add(y); }],
  ['x.mul(0.25)', () => { x.mul(0.25); }],
  ['layerNorm [1,1,64]', () => { ln.forward(x); }],
  ['linear 64→192', () => { lin.forward(x); }],
  ['split 3 of linear out', () => { lin.forward(x).split(64, 2); }],
  ['cat k (1,4,12,16)+(1,4,1,16)', () => { nb.cat([k, q], 2); }],
  ['sdpa q·k·v one token, 12 keys', () => { nb.F.scaledDotProductAttention(q, k, k); }],
];
for (const [name, f] of jobs) {
  const run = (n: number) => nb.noGrad(() => nb.scope(() => { for (let i = 0; i < n; i++) f(); }));
  run(2000);
  const t: number[] = [];
  for (let r = 0; r < 7; r++) { const s = performance.now(); run(2000); t.push((performance.now() - s) / 2000 * 1000); }
  t.sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} ${t[3]!.toFixed(2)} µs`);
}
W.close(); process.exit(0);
