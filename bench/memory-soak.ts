// DESIGN decision 5, measured: a plain hand-written training loop (forward, loss, backward, step)
// over a DataLoader for 10⁵ steps holds nb.memory() flat. Run: node --import tsx bench/memory-soak.ts [steps]
import * as nb from '../src/index.js';

await nb.ready();

const steps = Number(process.argv[2] ?? 100_000);
nb.manualSeed(0);
const n = 512;
const x = nb.randn(n, 32), w = nb.randn(32, 1);
const y = x.matmul(w).add(nb.randn(n, 1).mul(0.1));
const model = new nb.nn.Sequential(new nb.nn.Linear(32, 16), new nb.nn.ReLU(), new nb.nn.Linear(16, 1));
const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
const loader = new nb.data.DataLoader(new nb.data.TensorDataset(x, y), { batchSize: 16, shuffle: true });
let done = 0, loss = NaN;
const t0 = performance.now();
const report = (): void => {
  const m = nb.memory();
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(`step ${String(done).padStart(6)}  live tensors ${m.tensors}  bytes ${m.bytes}  rss ${rss.toFixed(0)} MiB  loss ${loss.toFixed(4)}  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
};
outer: for (;;) {
  for (const [xb, yb] of loader) {
    const l = nb.F.mseLoss(model.forward(xb), yb);
    opt.zeroGrad();
    l.backward();
    opt.step();
    if (++done % 20000 === 0 || done === 1000) { loss = l.item(); report(); }
    if (done >= steps) break outer;
  }
}
