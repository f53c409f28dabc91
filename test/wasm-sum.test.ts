// Accurate float32 sums on wasm (issue 11, finding 4): sum and mean of 10⁸ elements within 1e-6 of
// the exact value, every shape equal to the js backend's float64-accumulated sum within one
// rounding, and the same bits for 1 and 3 threads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nb from '../src/index.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const backends: WasmBackend[] = [];
after(() => { for (const b of backends) b.close(); closeBackends(); });

async function wasm(threads: number): Promise<WasmBackend> {
  const b = await createWasmBackend({ threads });
  backends.push(b);
  return b;
}

const rel = (a: number, exact: number) => Math.abs(a - exact) / Math.abs(exact);

test('sum and mean of 10⁸ float32 elements: within 1e-6 of the exact value, 1 and 2 threads equal', async () => {
  await testBackends();
  const prev = nb.getBackend().name;
  nb.setBackend('wasm');
  const be = nb.getBackend() as WasmBackend;
  const threads = be.numThreads();
  try {
    const n = 1e8;
    const x = nb.full([n], 0.1);
    // exact: n copies of float32(0.1), whose product float64 holds to 1e-16
    const exact = n * Math.fround(0.1);
    const results: number[] = [];
    for (const t of [1, 2]) {
      await be.setNumThreads(t);
      const s = x.sum(), m = x.mean();
      results.push(s.item(), m.item());
      assert.ok(rel(s.item(), exact) < 1e-6, `sum with ${t} threads: ${s.item()} vs ${exact}`);
      assert.ok(rel(m.item(), Math.fround(0.1)) < 1e-6, `mean with ${t} threads: ${m.item()}`);
      s.dispose(); m.dispose();
    }
    assert.deepEqual(results.slice(0, 2), results.slice(2), '1 and 2 threads differ');
    x.dispose();
    // 0, 1, …, 10⁸ − 1 as float32 (rounded above 2²⁴): their exact sum is an integer below 2⁵³
    const r = nb.arange(0, n, 1, { dtype: 'float32' });
    const v = r.dataSync();
    let exactR = 0;
    for (let i = 0; i < n; i++) exactR += v[i]!;
    const sr = r.sum();
    assert.ok(rel(sr.item(), exactR) < 1e-6, `sum of arange: ${sr.item()} vs ${exactR}`);
    sr.dispose(); r.dispose();
  } finally {
    await be.setNumThreads(threads);
    nb.setBackend(prev);
  }
});

test('float32 sums of every layout: equal to the js backend within one rounding, 1 and 3 threads bit-identical', async () => {
  const one = await wasm(1), three = await wasm(3);
  const js = nb.getBackend('js');
  // rows (inner 1), columns (inner > 1), long rows cut into blocks (r > 65536), empty reductions
  const shape = fc.oneof(
    fc.record({ outer: fc.integer({ min: 1, max: 40 }), r: fc.integer({ min: 0, max: 300 }), inner: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ outer: fc.integer({ min: 1, max: 3 }), r: fc.integer({ min: 60_000, max: 200_000 }), inner: fc.constant(1) }),
    fc.record({ outer: fc.constant(1), r: fc.integer({ min: 1, max: 5000 }), inner: fc.integer({ min: 1, max: 5000 }) }).filter((s) => s.r * s.inner <= 400_000),
  );
  await fc.assert(fc.asyncProperty(shape, fc.integer(), async (s, seed) => {
    const n = s.outer * s.r * s.inner;
    const data = new Float32Array(n);
    let state = seed >>> 0;
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = (state / 2 ** 32 - 0.3) * 100;
    }
    const sum = (b: typeof js) => {
      const st = b.fromArray(data, 'float32');
      const out = b.reduce(nb.sum.kernel, st, s);
      const v = b.readSync(out) as Float32Array;
      b.free(st); b.free(out);
      return v;
    };
    const a = sum(one), c = sum(three), ref = sum(js);
    assert.deepEqual(a, c, `1 and 3 threads differ for [${s.outer}, ${s.r}, ${s.inner}]`);
    for (let i = 0; i < ref.length; i++) {
      // both round a float64 sum once; the float64 sums differ by far less than a float32 ulp
      const ulp = Math.max(Math.abs(ref[i]!), 1e-30) * 2 ** -23;
      assert.ok(Math.abs(a[i]! - ref[i]!) <= ulp, `[${s.outer}, ${s.r}, ${s.inner}] output ${i}: wasm ${a[i]} js ${ref[i]}`);
    }
  }), { numRuns: 60 });
});
