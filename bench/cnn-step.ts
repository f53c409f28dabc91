// Profiles one CNN training step (the benchmark CNN, batch 64) on the wasm backend through the
// public API: time per step and where it goes. Development aid: node --import tsx bench/cnn-step.ts
import * as nb from '../src/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';

const W = await createWasmBackend();
nb.registerBackend(W);
nb.setBackend(process.env.BACKEND ?? 'wasm');
nb.manualSeed(0);
const B = 64;
const p = (t: nb.Tensor) => nb.keep(t.requiresGrad_(true));
const w1 = p(nb.randn([32, 1, 3, 3]).mul(0.3)), b1 = p(nb.zeros([32]));
const w2 = p(nb.randn([64, 32, 3, 3]).mul(0.06)), b2 = p(nb.zeros([64]));
const w3 = p(nb.randn([128, 1600]).mul(0.025)), b3 = p(nb.zeros([128]));
const w4 = p(nb.randn([10, 128]).mul(0.09)), b4 = p(nb.zeros([10]));
const params = [w1, b1, w2, b2, w3, b3, w4, b4];
const x = nb.keep(nb.randn([B, 1, 28, 28])), y = nb.keep(nb.randint(0, 10, [B]));

function step(): number {
  return nb.scope(() => {
    let h = nb.F.maxPool2d(nb.relu(nb.conv2d(x, w1, b1)), 2);
    h = nb.F.maxPool2d(nb.relu(nb.conv2d(h, w2, b2)), 2);
    h = nb.relu(nb.linear(h.flatten(1), w3, b3));
    const logits = nb.linear(h, w4, b4);
    const lp = nb.logSoftmax(logits, 1);
    const loss = nb.gather(lp, 1, y.unsqueeze(1)).mean().neg();
    loss.backward();
    nb.noGrad(() => {
      for (const q of params) { q.sub_?.(q.grad!.mul(0.01)); }
    });
    for (const q of params) (q as unknown as { grad: nb.Tensor | null }).grad = null;
    return loss.item();
  });
}
for (let i = 0; i < 3; i++) step();
const t: number[] = [];
for (let i = 0; i < 15; i++) { const s = performance.now(); step(); t.push(performance.now() - s); }
t.sort((a, b) => a - b);
console.log(`backend ${nb.getBackend().name}, threads ${W.numThreads()}: ${t[7]!.toFixed(1)} ms/step (batch ${B}) → ${(B / t[7]! * 1000).toFixed(0)} samples/s`);
W.close();
