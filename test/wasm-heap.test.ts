// The wasm heap's allocator (issue 11, findings 1, 2 and 5): freed blocks coalesce and go back to
// the top, random alloc/free sequences never overlap or leak, and running out of memory is an
// error that says how much was asked, how much is live and the limit — never a wrapped size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Heap, HEAP_BASE, blockSize } from '../src/backend/wasm/heap.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';

test('neighbouring free blocks merge, and a block at the top returns to it', () => {
  const h = new Heap(2, 64);
  const a = h.alloc(1000), b = h.alloc(5000), c = h.alloc(64), d = h.alloc(100);
  assert.deepEqual([a, b, c, d], [HEAP_BASE, HEAP_BASE + 1024, HEAP_BASE + 1024 + 5056, HEAP_BASE + 1024 + 5056 + 64]);
  h.release(b);
  h.release(a); // merges with b's block
  assert.equal(h.freeBlocks, 1);
  assert.equal(h.freeBytes, 1024 + 5056);
  // the merged block serves a request neither piece could
  const e = h.alloc(6000);
  assert.equal(e, HEAP_BASE);
  assert.equal(h.freeBlocks, 1, 'the rest of the merged block stays free');
  h.release(e);
  h.release(c);
  assert.equal(h.freeBlocks, 1);
  h.release(d); // the top block: everything below merges back into the wilderness
  assert.equal(h.freeBlocks, 0);
  assert.equal(h.reserved, HEAP_BASE);
  assert.equal(h.liveBytes, 0);
  assert.equal(h.liveCount, 0);
});

test('a released small block waits in a cache for the next request of its size; a request that would grow the memory, and the statistics, see the cache merged', () => {
  const h = new Heap(2, 64); // 64 KiB above HEAP_BASE before the memory must grow
  const a = h.alloc(256);
  h.alloc(256);
  h.release(a);
  assert.equal(h.alloc(200), a, 'the cached block of the same size class comes back');
  const many = Array.from({ length: 200 }, () => h.alloc(250)); // 200 × 256 B more, all cached when released
  const bytes = h.byteLength;
  many.forEach((p) => h.release(p));
  assert.equal(h.liveCount, 2);
  // 60,000 B fits only in the released blocks merged (and the wilderness above them): no growth
  const big = h.alloc(60_000);
  assert.equal(h.byteLength, bytes, 'served from the merged cache, the memory did not grow');
  assert.equal(big, HEAP_BASE + 512);
  h.release(big);
  h.release(a);
  h.release(HEAP_BASE + 256);
  assert.equal(h.liveCount, 0);
  assert.equal(h.reserved, HEAP_BASE, 'everything released: the statistics see the cache merged back to the base');
  assert.equal(h.freeBlocks, 0);
  assert.equal(h.freeBytes, 0);
  assert.throws(() => h.release(a), /not an allocated block/, 'a cached block cannot be released twice');
});

test('releasing an address twice or one never allocated is an error, not a corrupt free list', () => {
  const h = new Heap(2, 64);
  const a = h.alloc(64);
  h.alloc(64);
  h.release(a);
  assert.throws(() => h.release(a), /not an allocated block/);
  assert.throws(() => h.release(a + 64 * 100), /not an allocated block/);
});

test('random alloc/free sequences: blocks aligned, inside the heap, never overlapping; all freed = empty heap', () => {
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('alloc' as const), bytes: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 5000, max: 300_000 })) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
    const h = new Heap(2, 256);
    const live = new Map<number, number>();
    for (const o of ops) {
      if (o.kind === 'alloc') {
        const p = h.alloc(o.bytes);
        const size = blockSize(o.bytes);
        assert.equal(p % 64, 0);
        assert.ok(p >= HEAP_BASE && p + size <= h.byteLength, 'inside the memory');
        for (const [q, s] of live) assert.ok(p + size <= q || q + s <= p, `block [${p}, +${size}) overlaps [${q}, +${s})`);
        live.set(p, size);
      } else if (live.size > 0) {
        const keys = [...live.keys()];
        const p = keys[o.pick % keys.length]!;
        h.release(p);
        live.delete(p);
      }
      assert.equal(h.liveCount, live.size);
      assert.equal(h.liveBytes, [...live.values()].reduce((a, b) => a + b, 0));
      assert.ok(h.freeBytes >= 0 && h.liveBytes + h.freeBytes <= h.byteLength - HEAP_BASE, 'free and live bytes add up');
    }
    for (const p of live.keys()) h.release(p);
    assert.equal(h.reserved, HEAP_BASE, 'everything freed: the top is back at the base');
    assert.equal(h.freeBlocks, 0);
    assert.equal(h.freeBytes, 0);
  }), { numRuns: 200 });
});

test('a request past the limit says how much was asked, how much is live and the limit', () => {
  const h = new Heap(2, 32); // 2 MiB
  h.alloc(1024 * 1024);
  assert.throws(() => h.alloc(1536 * 1024, 'a float32 tensor of 393,216 elements'), (e: Error) => {
    assert.match(e.message, /out of memory: asked for 1\.5 MiB \(a float32 tensor of 393,216 elements\), 1\.0 MiB is live in 1 buffers, and the limit is 2\.0 MiB/);
    return true;
  });
  assert.equal(h.liveCount, 1, 'a failed request changes nothing');
});

test('a fragmented heap says how much is free and the largest piece', () => {
  const h = new Heap(2, 16); // 1 MiB: the heap proper starts at 64 KiB
  const blocks = Array.from({ length: 14 }, () => h.alloc(64 * 1024));
  for (let i = 0; i < blocks.length; i += 2) h.release(blocks[i]!);
  assert.throws(() => h.alloc(200 * 1024), /448\.0 KiB more is free but in 7 pieces, the largest 64\.0 KiB/);
});

test('the wasm backend: a tensor larger than the heap is a clear error and live tensors keep their values', async () => {
  const be = await createWasmBackend({ threads: 1, maxPages: 256 }); // a 16 MiB heap
  try {
    const keep = be.fill('float32', 1_000_000, 7);
    // 2³⁰ float32 = 4 GiB: a shift would have wrapped this to 0 bytes
    assert.throws(() => be.fill('float32', 2 ** 30, 1), /out of memory: asked for 4\.00 GiB \(a float32 tensor of 1,073,741,824 elements\), 3\.8 MiB is live in \d+ buffers, and the limit is 16\.0 MiB/);
    assert.throws(() => be.fill('float32', 5_000_000, 1), /asked for 19\.1 MiB/);
    assert.throws(() => be.fill('bool', 2 ** 31, 1), /at most 2,147,483,584 elements/);
    const v = be.readSync(keep);
    assert.equal(v.length, 1_000_000);
    assert.ok(v.every((x) => x === 7), 'a failed allocation changed a live tensor');
    be.free(keep);
  } finally {
    be.close();
  }
});
