// Issue 11's checks that need most of the 4 GiB wasm32 heap (findings 1, 2, 4, 5): run with
// `npm run test:big` (NABLA_BIG_TESTS=1; about 4.5 GB of RAM and a few minutes). Not in `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../../src/index.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';

if (process.env.NABLA_BIG_TESTS !== '1') throw new Error('test/big: set NABLA_BIG_TESTS=1 (npm run test:big): these tests hold 4 GiB');
assert.equal(nb.getBackend().name, 'wasm', 'the big tests are about the wasm heap');
const be = nb.getBackend() as WasmBackend;
const GiB = 2 ** 30;
const heapTop = () => be.info().heapReservedBytes as number;

/** Where a tensor's storage starts in the heap. */
const ptrOf = (t: nb.Tensor): number => (t._s('test') as unknown as { ptr: number }).ptr;
/** make() until the tensor lands above 2 GiB (smaller free blocks below are used first), freeing the others. */
function high<T extends nb.Tensor>(make: () => T): T {
  const low: nb.Tensor[] = [];
  for (;;) {
    const t = make();
    if (ptrOf(t) >= 2 ** 31) {
      for (const d of low) d.dispose();
      return t;
    }
    low.push(t);
  }
}

/** Element i of a big tensor, read through a one-element view (item). */
const at = (t: nb.Tensor, i: number) => nb.scope(() => t.narrow(0, i, 1).item());

/** Runs a test's body in a scope and checks that it leaves nothing live (a pinned block fragments the heap for the next test). */
async function clean(body: () => Promise<void> | void): Promise<void> {
  const before = nb.memory();
  await nb.scope(async () => { await body(); });
  assert.deepEqual(nb.memory(), before, 'the test left tensors live');
}

test('holding 2.2 GB with the heap between 2 and 4 GiB: arange, int and float64 tensors above 2 GiB read back right', () => clean(async () => {
  // The case: with the heap short of its 4 GiB maximum, a negative (signed) address made
  // subarray count from the end of a shorter buffer — arange read zeros, a float64 mean -0.39.
  const held = Array.from({ length: 5 }, (_, k) => nb.full([110_000_000], k + 1)); // 5 × 440 MB
  const size = be.info().heapBytes as number;
  assert.ok(size > 2 * GiB && size < 4 * GiB, `the heap is ${size} bytes`);
  const r = high(() => nb.arange(0, 10, 1, { dtype: 'float32' }));
  const ri = high(() => nb.arange(10));
  const f64 = high(() => nb.arange(0, 100, 1, { dtype: 'float64' }));
  const want = Array.from({ length: 10 }, (_, i) => i);
  assert.deepEqual(r.toArray(), want);
  assert.deepEqual([...(await r.data())], want);
  assert.deepEqual(ri.toArray(), want);
  assert.deepEqual([...ri.dataSync()], want);
  assert.equal(high(() => f64.mean()).item(), 49.5);
  assert.equal(be.info().heapBytes, size, 'these checks ran on the same (short) heap');
  for (const t of [...held, r, ri, f64]) t.dispose();
}));

test('holding 3.5 GB: every read-back of a new tensor is right; ones([2**30]) is a clear error and changes nothing', () => clean(async () => {
  const held = Array.from({ length: 7 }, (_, k) => nb.full([125_000_000], k + 1)); // 7 × 500 MB
  assert.ok(heapTop() > 3.5e9, `the heap top is at ${heapTop()}`);
  // new tensors above 2 GiB, where a signed shift made addresses negative
  const r = high(() => nb.arange(0, 10, 1, { dtype: 'float32' }));
  const ri = high(() => nb.arange(10));
  const f64 = high(() => nb.full([1000], 0.25, { dtype: 'float64' }));
  const x = high(() => nb.arange(0, 1000, 1, { dtype: 'float32' }).div(1000));
  const loss = high(() => x.square().mean()); // Σ (i/1000)² / 1000 = 0.332833…
  for (const t of [r, ri, f64, x, loss]) assert.ok(ptrOf(t) >= 2 ** 31);
  const want = Array.from({ length: 10 }, (_, i) => i);
  assert.deepEqual(r.toArray(), want);
  assert.deepEqual([...r.dataSync()], want);
  assert.deepEqual([...(await r.data())], want);
  assert.deepEqual(ri.toArray(), want);
  assert.deepEqual([...(await ri.data())], want);
  assert.equal(high(() => f64.mean()).item(), 0.25);
  assert.equal(high(() => f64.sum()).item(), 250);
  assert.ok(Math.abs(loss.item() - 0.3328335) < 1e-6, `mean of squares read ${loss.item()}`);
  assert.equal(high(() => nb.full([], 7)).item(), 7);
  assert.equal(high(() => nb.full([], 7, { dtype: 'int32' })).item(), 7);
  // the held tensors kept their values, first and last elements included
  for (const [k, t] of held.entries()) for (const i of [0, 62_500_000, 124_999_999]) assert.equal(at(t, i), k + 1);
  const live = nb.memory();
  assert.throws(() => nb.ones([2 ** 30]), (e: Error) => {
    assert.match(e.message, /4\.00 GiB/, 'how much was asked');
    assert.match(e.message, /3\.\d\d GiB is live/, 'how much is live');
    assert.match(e.message, /limit is 4\.00 GiB/, 'the limit');
    return true;
  });
  assert.deepEqual(nb.memory(), live, 'a failed request allocates nothing');
  for (const [k, t] of held.entries()) for (const i of [0, 124_999_999]) assert.equal(at(t, i), k + 1);
  for (const t of [...held, r, ri, f64, x, loss]) t.dispose();
}));

test('a single tensor of 2.5 GB (≥ 2³¹ bytes) is allocated whole and computes right; live tensors do not change', () => clean(() => {
  const a = nb.full([100_000_000], 3), b = nb.full([100_000_000], 4); // 2 × 400 MB
  const big = nb.ones([625_000_000]); // 2.5e9 bytes: a shift wrapped this into a tiny block
  assert.equal(big.sum().item(), 625_000_000);
  assert.equal(at(big, 0), 1);
  assert.equal(at(big, 624_999_999), 1);
  for (const [t, v] of [[a, 3], [b, 4]] as const) for (const i of [0, 99_999_999]) assert.equal(at(t, i), v);
  // a second one does not fit: a clear error, not a wrap-around that overwrites the first
  assert.throws(() => big.mul(2), /out of memory: asked for 2\.33 GiB/);
  assert.equal(at(big, 624_999_999), 1);
  for (const t of [a, b, big]) t.dispose();
}));

test('sum and mean of 3·10⁸ float32 ones: exact, and the same with 1 and 2 threads', () => clean(async () => {
  const threads = be.numThreads();
  const x = nb.ones([300_000_000]);
  const got: number[] = [];
  for (const t of [1, 2]) {
    await be.setNumThreads(t);
    got.push(x.mean().item(), x.sum().item());
  }
  await be.setNumThreads(threads);
  assert.deepEqual(got, [1, 3e8, 1, 3e8]);
  x.dispose();
}));

for (const awaits of [false, true]) {
  test(`the hand-written loop (Linear + SGD, no scope): memory flat over 10⁵ steps ${awaits ? 'with' : 'without'} awaits`, async () => {
    nb.manualSeed(5);
    const model = new nb.nn.Linear(16, 4);
    const opt = new nb.optim.SGD(model.parameters(), { lr: 0.01 });
    const x = nb.randn([64, 16]), y = nb.randn([64, 4]);
    let steady: nb.MemoryInfo | null = null;
    let first = 0, last = 0, low = Infinity;
    for (let i = 0; i < 100_000; i++) {
      const loss = model.forward(x).sub(y).square().mean();
      opt.zeroGrad();
      loss.backward();
      opt.step();
      if (awaits) await new Promise<void>((r) => setImmediate(r));
      if (i === 0) first = loss.item();
      if (i === 99_999) last = loss.item();
      if (i === 10) steady = nb.memory();
      if (i > 10 && i % 1000 === 0) {
        // never above step 10 (fewer is fine: the finalizer may free garbage of earlier tests meanwhile)
        const m = nb.memory();
        assert.ok(m.tensors <= steady!.tensors && m.bytes <= steady!.bytes, `step ${i}: ${m.tensors} tensors, ${m.bytes} bytes; step 10: ${steady!.tensors}, ${steady!.bytes}`);
        low = Math.min(low, m.tensors);
      }
    }
    const end = nb.memory();
    assert.ok(end.tensors <= steady!.tensors && end.bytes <= steady!.bytes, 'after 10⁵ steps');
    assert.ok(last < first);
    console.log(`# 10⁵ steps ${awaits ? 'with' : 'without'} awaits: ${steady!.tensors} tensors (${steady!.bytes} bytes) live at step 10; at every 1,000th step after, ${low}–${steady!.tensors}; ${end.tensors} at the end`);
    for (const t of [x, y, ...model.parameters()]) t.dispose();
  });
}

test('a 1.2 GB gzip bomb read as an IDX file: refused as one, naming the file', async () => {
  const { createGzip } = await import('node:zlib');
  const { createWriteStream, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { readIdxFile } = await import('../../src/data/formats/idx-node.js');
  const dir = mkdtempSync(join(tmpdir(), 'nabla-bomb-'));
  const path = join(dir, 'train-images-idx3-ubyte.gz');
  try {
    // 1.2e9 zero bytes behind a valid IDX header, gzip'd as it streams (about 1.2 MB on disk)
    await new Promise<void>((resolve, reject) => {
      const gz = createGzip({ level: 1 });
      gz.pipe(createWriteStream(path)).on('finish', resolve).on('error', reject);
      const header = new Uint8Array([0, 0, 8, 3, 0x00, 0x01, 0x24, 0xf8, 0, 0, 0x80, 0, 0, 0, 0x80, 0]); // uint8 [75000, 32768, 32768]… any size
      gz.write(header);
      const chunk = new Uint8Array(16 * 2 ** 20);
      let left = 1.2e9;
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!gz.write(chunk.subarray(0, n))) { gz.once('drain', pump); return; }
        }
        gz.end();
      };
      pump();
    });
    assert.throws(() => readIdxFile(path), (e: Error) => {
      assert.ok(e.message.includes(path), e.message);
      assert.match(e.message, /decompresses to more than 1,073,741,824 bytes, the limit for a data file — refusing it \(a damaged file or a gzip bomb\?\)/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
