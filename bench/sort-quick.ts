// How fast the js-side ordering ops are next to PyTorch (one thread each, same run): sort, topk
// and argsort go through a js loop over the data (src/ops/sorting.ts), cumprod through the wasm
// scan kernel. Run: node --import tsx bench/sort-quick.ts   (PyTorch from Debian's /usr/bin/python3)

import { spawnSync } from 'node:child_process';
import * as nb from '../src/index.js';

const CASES: { name: string; shape: [number, number]; torch: string; run: (x: nb.Tensor) => unknown }[] = [
  { name: 'sort [256, 4096] dim -1', shape: [256, 4096], torch: 'torch.sort(x, -1)', run: (x) => x.sort(-1) },
  { name: 'topk k=40 [32, 50257]', shape: [32, 50257], torch: 'torch.topk(x, 40)', run: (x) => x.topk(40) },
  { name: 'argsort [4096, 256] dim 0', shape: [4096, 256], torch: 'torch.argsort(x, 0)', run: (x) => x.argsort(0) },
  { name: 'cumprod [256, 4096] dim -1', shape: [256, 4096], torch: 'torch.cumprod(x, -1)', run: (x) => x.cumprod(-1) },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

await nb.ready();
const reps = 7;
console.log(`backend ${nb.getBackend().name}; median of ${reps} runs; torch at 1 thread`);
for (const c of CASES) {
  const x = nb.keep(nb.rand(c.shape).add(0.5));
  for (let i = 0; i < 3; i++) nb.scope(() => c.run(x)); // warm-up: the js loops get optimised
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    nb.scope(() => {
      const out = c.run(x) as nb.Tensor | { values: nb.Tensor };
      (out instanceof nb.Tensor ? out : out.values).dataSync();
    });
    ts.push(performance.now() - t0);
  }
  const py = `import torch, time\ntorch.set_num_threads(1)\nx = torch.rand(${c.shape.join(', ')}) + 0.5\n${c.torch}\nts = []\nfor _ in range(${reps}):\n    t0 = time.perf_counter(); ${c.torch}; ts.append((time.perf_counter() - t0) * 1000)\nprint(sorted(ts)[${reps} // 2])`;
  const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' });
  const torchMs = r.status === 0 ? Number(r.stdout.trim()) : NaN;
  const ms = median(ts);
  console.log(`${c.name.padEnd(28)} nabla ${ms.toFixed(1).padStart(7)} ms   torch ${torchMs.toFixed(1).padStart(7)} ms   torch/nabla ${(torchMs / ms).toFixed(2)}`);
  x.dispose();
}
process.exit(0);
