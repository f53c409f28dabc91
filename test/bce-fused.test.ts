// Binary cross-entropy's fused path (Backend.fused.bce and bceBackward, src/ops/fused/losses.ts)
// against its composite (src/nn/loss.ts, the definition, run on the js backend and on wasm with the
// fused kernels taken out): the loss and the gradients of input and target on random probabilities
// (0 and 1 exactly, and values near them, included), every reduction, with a weight — counting the
// kernels' calls so that the comparison cannot pass by never taking them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { getBackend } from '../src/backend/backend.js';
import { calls, close } from './helpers/fused.js';
import { pseudoRandom } from './helpers/gradcheck.js';

const { F } = nb;
const probs = (n: number, seed: number) => {
  const a = pseudoRandom(n, seed).map((v) => (v + 1) / 2);
  // the clamped ends of the logs, and lengths past a multiple of 4 (the kernels' scalar tails)
  a[0] = 0; a[1] = 1; a[2] = 1e-30; a[3] = 1 - 2 ** -24; a[n - 1] = 0.5;
  return Float32Array.from(a);
};

/** Runs f on wasm with the fused BCE kernels removed: the composite, on the same backend. */
function unfused<T>(f: () => T): T {
  const fz = getBackend('wasm').fused as unknown as Record<string, unknown>;
  const saved = [fz.bce, fz.bceBackward];
  delete fz.bce; delete fz.bceBackward;
  try { return f(); } finally { [fz.bce, fz.bceBackward] = saved; }
}

for (const reduction of ['none', 'sum', 'mean'] as const) {
  for (const weighted of [false, true]) {
    test(`fused BCE (wasm, float32, reduction ${reduction}${weighted ? ', weight' : ''}): loss and gradients equal the composite's`, () => {
      nb.setBackend('wasm');
      const shape = [7, 131];
      const n = 7 * 131;
      const x = nb.tensor(probs(n, 1), { shape }), t = nb.tensor(probs(n, 2), { shape });
      const w = weighted ? nb.tensor(Float32Array.from(pseudoRandom(131, 3)), { shape: [131] }) : null;
      const cot = reduction === 'none' ? nb.tensor(Float32Array.from(pseudoRandom(n, 4)), { shape }) : nb.tensor(1.5);
      const loss = (xx: nb.Tensor, tt: nb.Tensor) => F.binaryCrossEntropy(xx, tt, { reduction, weight: w });
      const f = (xx: nb.Tensor, tt: nb.Tensor) => loss(xx, tt).mul(cot).sum();
      let y!: nb.Tensor, gs!: nb.Tensor[];
      const forward = calls('wasm', 'bce', () => { y = loss(x, t); y.dataSync(); });
      const backward = calls('wasm', 'bceBackward', () => { gs = nb.grad(f, { argnums: [0, 1] })(x, t); gs[0]!.dataSync(); });
      assert.equal(forward, 1, 'the forward took the fused kernel');
      assert.equal(backward, 1, 'the backward took the fused kernel');
      const yRef = unfused(() => loss(x, t));
      const gRef = unfused(() => nb.grad(f, { argnums: [0, 1] })(x, t));
      // the logs: an f32x4 polynomial (≤ 1 ulp) on both paths here; against js's exact log, 1e-6 relative
      close('loss', y, yRef);
      close('d/dx', gs[0]!, gRef[0]!);
      close('d/dt', gs[1]!, gRef[1]!);
      nb.setBackend('js');
      const toJs = (a: nb.Tensor) => nb.tensor(a.dataSync(), { shape: [...a.shape] });
      const [xj, tj] = [toJs(x), toJs(t)];
      const wj = w ? toJs(w) : null, cj = toJs(cot);
      close('loss (js)', toJs(y), F.binaryCrossEntropy(xj, tj, { reduction, weight: wj }));
      const gj = nb.grad((a: nb.Tensor, b: nb.Tensor) => F.binaryCrossEntropy(a, b, { reduction, weight: wj }).mul(cj).sum(), { argnums: [0, 1] })(xj, tj);
      close('d/dx (js)', toJs(gs[0]!), gj[0]!);
      close('d/dt (js)', toJs(gs[1]!), gj[1]!);
      nb.setBackend('wasm');
    });
  }
}

test('fused BCE: NaN input propagates as in the composite; float64 and createGraph take the composite', () => {
  nb.setBackend('wasm');
  const x = nb.tensor([NaN, 0.25, 0.5, 0.75, 0.1]), t = nb.tensor([1, 0, 1, 0.5, 0]);
  const y = F.binaryCrossEntropy(x, t, { reduction: 'none' }).dataSync();
  const yRef = unfused(() => F.binaryCrossEntropy(x, t, { reduction: 'none' }).dataSync());
  assert.ok(Number.isNaN(y[0]) && Number.isNaN(yRef[0]));
  for (let i = 1; i < 5; i++) assert.ok(Math.abs(y[i]! - yRef[i]!) <= 1e-6 * Math.abs(yRef[i]!), `loss[${i}] ${y[i]} against ${yRef[i]}`);
  const x64 = x.double().abs().clamp(0.01, 0.99), t64 = t.double();
  assert.equal(calls('wasm', 'bce', () => { F.binaryCrossEntropy(x64, t64).dataSync(); }), 0, 'float64 runs the composite');
  // createGraph: the gradient is recorded (the composite's formula), so it can be differentiated again
  const xs = nb.tensor([0.2, 0.7, 0.4]), ts = nb.tensor([1, 0, 0.3]);
  const g = nb.grad((a: nb.Tensor) => F.binaryCrossEntropy(a, ts, { reduction: 'sum' }), { createGraph: true });
  const gg = nb.grad((a: nb.Tensor) => g(a)[0]!.sum())(xs)[0]!.dataSync();
  // d²/dx² of −(t log x + (1 − t) log(1 − x)) = t/x² + (1 − t)/(1 − x)²
  [0.2, 0.7, 0.4].forEach((v, i) => {
    const tt = [1, 0, 0.3][i]!, want = tt / v ** 2 + (1 - tt) / (1 - v) ** 2;
    assert.ok(Math.abs(gg[i]! - want) <= 1e-4 * want, `second derivative ${gg[i]} against ${want}`);
  });
});
