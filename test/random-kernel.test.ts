// The wasm backend draws rand()'s numbers (and so dropout's masks) with its own Philox kernel
// (kernels/random.ts, Backend.fused.uniform) instead of the JavaScript generator: it must draw exactly
// the numbers src/tensor/random.ts would have — same seed, same run on every backend — and leave the
// generator where the JavaScript draw would have left it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { W, J } from './helpers/compare.js';
import { getRngState, setRngState, uniformArray } from '../src/tensor/random.js';

/** rand(shape) on a backend from a given generator state, and the state after. */
function draw(backend: 'wasm' | 'js', at: { seedLo: number; seedHi: number; counter: number }, n: number, dtype: 'float32' | 'float64') {
  nb.registerBackend(backend === 'wasm' ? W : J);
  nb.setBackend(backend);
  setRngState(at);
  const t = nb.rand([n], { dtype });
  const values = Array.from(t.dataSync() as Float32Array | Float64Array);
  t.dispose();
  return { values, after: getRngState() };
}

test('wasm rand draws the JavaScript generator\'s numbers bit for bit, float32 and float64, at every size and thread split', async () => {
  assert.ok(W.fused?.uniform, 'the wasm backend has the kernel (the comparison is not vacuous)');
  const saved = getRngState();
  try {
    for (const threads of [1, 2]) {
      await W.setNumThreads(threads);
      for (const dtype of ['float32', 'float64'] as const) {
        for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 1001, 200_003]) {
          // a counter just below 2^32: the draw's blocks cross into the counter's high word
          for (const at of [{ seedLo: 7, seedHi: 0, counter: 0 }, { seedLo: 0xdeadbeef, seedHi: 0x12345678, counter: 2 ** 32 - 3 }]) {
            const w = draw('wasm', at, n, dtype), j = draw('js', at, n, dtype);
            assert.deepEqual(w.after, j.after, `generator state after ${n} ${dtype}`);
            const bad = w.values.findIndex((v, i) => !Object.is(v, j.values[i]));
            assert.equal(bad, -1, `${dtype} n=${n} threads=${threads} counter=${at.counter}: element ${bad} is ${w.values[bad]}, the generator's is ${j.values[bad]}`);
          }
        }
      }
    }
    // and against the generator itself, not only the js backend's use of it
    setRngState({ seedLo: 3, seedHi: 0, counter: 0 });
    const ref = uniformArray(10, false);
    const w = draw('wasm', { seedLo: 3, seedHi: 0, counter: 0 }, 10, 'float32');
    assert.deepEqual(w.values, Array.from(ref, (v) => Math.fround(v)));
    assert.ok(w.values.every((v) => v >= 0 && v < 1) && new Set(w.values).size === 10);
  } finally {
    setRngState(saved);
    nb.registerBackend(W); nb.setBackend('wasm');
  }
});

test('dropout on the wasm backend (its mask made in the kernel) keeps the same elements and gradient as the js composite', () => {
  const x = Array.from({ length: 4097 }, (_, i) => (i % 13) - 6 + 0.5);
  const run = (backend: 'wasm' | 'js', dtype: 'float32' | 'float64', p: number) => {
    nb.registerBackend(backend === 'wasm' ? W : J); nb.setBackend(backend);
    nb.manualSeed(11);
    return nb.scope(() => {
      const t = nb.tensor(x, { dtype }).requiresGrad_();
      const y = nb.F.dropout(t, p);
      y.mul(nb.arange(0, x.length, 1, { dtype })).sum().backward();
      return { y: Array.from(y.dataSync() as Float32Array), g: Array.from(t.grad!.dataSync() as Float32Array), after: getRngState() };
    });
  };
  try {
    // keep = 0.7 is not a float32: the mask compares with the float32 nearest it, as the composite does
    for (const dtype of ['float32', 'float64'] as const) {
      for (const p of [0.3, 0.5, 0.1]) {
        const w = run('wasm', dtype, p), j = run('js', dtype, p);
        assert.deepEqual(w, j, `dropout ${dtype} p=${p}`);
        const dropped = w.y.filter((v) => v === 0).length;
        assert.ok(Math.abs(dropped / x.length - p) < 0.05, `${dropped} of ${x.length} dropped at p = ${p}`);
      }
    }
  } finally { nb.registerBackend(W); nb.setBackend('wasm'); }
});
