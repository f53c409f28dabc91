// The debug heap (NABLA_HEAP_CHECK=1): a kernel that writes outside its block is an error naming the
// kernel, the op, the block and where it was made; and a broad op/layer/training table runs clean under it.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { CheckedHeap, HeapGuardError } from '../src/backend/wasm/heap-check.js';
import { Heap } from '../src/backend/wasm/heap.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const backends: WasmBackend[] = [];
after(() => { for (const b of backends) b.close(); });

async function checkedBackend(heapCheck = true): Promise<WasmBackend> {
  const b = await createWasmBackend({ threads: 2, heapCheck });
  backends.push(b);
  return b;
}

test('a kernel writing past the end of its output is a HeapGuardError naming the kernel, the block and where it was made', async () => {
  const b = await checkedBackend();
  const base = b.checkHeap!().blocks;
  const keep = b.fromArray(Float32Array.from([1, 2, 3]), 'float32');
  const dst = b.fromArray(new Float32Array(10), 'float32');
  const src = b.fromArray(Float32Array.from({ length: 12 }, (_, i) => i + 1), 'float32');
  // a strided write of 12 elements into a block of 10: the kernel stores 8 bytes past the end
  const err = (() => { try { b.writeStrided(dst, src, [12], [1], 0); } catch (e) { return e; } return null; })();
  assert.ok(err instanceof HeapGuardError, `expected a HeapGuardError, got ${err}`);
  const m = (err as Error).message;
  assert.match(m, /out-of-bounds write by kernel \w+\(0x[0-9a-f]+/, m);
  assert.match(m, /8 guard bytes after a float32 tensor of 10 elements \(40 bytes at 0x[0-9a-f]+, allocated at \S*test\/wasm-heap-check\.test\.ts:\d+/, m);
  assert.match(m, /the first 0 bytes past its end \(offset 40\): 00 00 30 41/, m); // 11.0f, little-endian
  assert.equal((err as HeapGuardError).broken.length, 1);
  // the guard was repaired and reported once; the blocks around are intact
  assert.deepEqual(b.checkHeap!(), { checked: true, blocks: base + 3 });
  assert.deepEqual([...b.readSync(keep)], [1, 2, 3]);
  for (const s of [keep, dst, src]) b.free(s);
});

test('a write before a block\'s start is found too, and freeing a block checks its guards', async () => {
  const b = await checkedBackend();
  const base = b.checkHeap!().blocks;
  const dst = b.fromArray(new Int32Array(4), 'int32');
  const src = b.fromArray(Int32Array.from([7, 8]), 'int32');
  assert.throws(() => b.writeStrided(dst, src, [2], [1], -2), (e: Error) =>
    e instanceof HeapGuardError && /8 guard bytes before an int32 tensor of 4 elements/.test(e.message) && /8 bytes before its start/.test(e.message));
  b.free(dst); b.free(src);
  assert.equal(b.checkHeap!().blocks, base);
});

test('without the mode nothing checks: the same bad write passes silently (why the mode exists)', async () => {
  const b = await checkedBackend(false);
  assert.equal(b.info().heapCheck, false);
  assert.deepEqual(b.checkHeap!(), { checked: false, blocks: 0 });
  const dst = b.fromArray(new Float32Array(10), 'float32');
  const src = b.fromArray(new Float32Array(12), 'float32');
  b.writeStrided(dst, src, [12], [1], 0); // 8 bytes of the block's padding: no error
  b.free(dst); b.free(src);
});

test('the checked heap: new blocks hold NaN until written, sizes count as the plain heap\'s, a double free is an error', () => {
  const heap = new CheckedHeap(2, 16), plain = new Heap(2, 16);
  const p = heap.alloc(40), q = plain.alloc(40);
  heap.refresh();
  // a result that reads memory nobody wrote turns NaN instead of depending on what was there before
  assert.ok(Array.from(heap.f32.subarray(p >>> 2, (p >>> 2) + 10)).every(Number.isNaN));
  assert.equal(p % 64, 0);
  assert.equal(heap.liveBytes, plain.liveBytes);
  assert.equal(heap.liveCount, plain.liveCount);
  assert.equal(heap.guardBytes, 128);
  heap.u8[p + 40] = 1; // one byte past the end
  assert.throws(() => heap.release(p, 40), /when it was freed at \S*test\/wasm-heap-check\.test\.ts:\d+:\d+:\n  1 guard byte after a block of 40 bytes .*changed, the first 0 bytes past its end \(offset 40\): 01$/);
  assert.equal(heap.liveBytes, 0); // released all the same
  assert.throws(() => heap.release(p, 40), /release of address \d+, which is not an allocated block \(freed twice\?\)/);
  plain.release(q, 40);
});

test('nb.checkHeap() with the default backend: nothing to check without NABLA_HEAP_CHECK', () => {
  if (process.env.NABLA_HEAP_CHECK === '1') assert.deepEqual(nb.checkHeap().checked, ['wasm']);
  else assert.deepEqual(nb.checkHeap(), { checked: [], blocks: 0 });
});

test('under NABLA_HEAP_CHECK=1 a broad op/layer/training table runs with no out-of-bounds write', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/heap-check-table.ts'], {
    cwd: root, env: { ...process.env, NABLA_HEAP_CHECK: '1', NABLA_BACKEND: 'wasm' }, encoding: 'utf8', timeout: 600_000,
  });
  assert.equal(r.status, 0, `the table failed:\n${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  console.log(`heap-check table: ${out.cases} cases, ${out.kernelChecks} kernel runs checked, ${out.seconds} s`);
  assert.equal(out.heapCheck, true);
  assert.equal(out.failures, 0);
  assert.ok(out.cases >= 140 && out.kernelChecks > 10_000, JSON.stringify(out));
});

test('NABLA_HEAP_CHECK must be 0 or 1', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "const nb = await import('./src/index.ts'); console.log(nb.getBackend().name)"], {
    cwd: root, env: { ...process.env, NABLA_HEAP_CHECK: 'yes' }, encoding: 'utf8',
  });
  assert.match(r.stderr, /NABLA_HEAP_CHECK must be 0 or 1, got "yes"/);
});

test('with many live blocks a kernel checks its own blocks at once and all blocks every few kernels', async () => {
  const b = await checkedBackend();
  const many = Array.from({ length: 600 }, () => b.fill('float32', 3, 0));
  const dst = b.fromArray(new Float32Array(10), 'float32');
  const src = b.fromArray(new Float32Array(12), 'float32');
  // the kernel's own output overrun: pinned on it at once
  assert.throws(() => b.writeStrided(dst, src, [12], [1], 0), /out-of-bounds write by kernel copy_\w+\(0x[0-9a-f]+, 0x[0-9a-f]+.*\n  8 guard bytes after a float32 tensor of 10 elements/);
  // a write through a pointer into a block (as kernels get for parts of a tensor) is not pinned at
  // once: a storage forged 8 bytes into a 4-element block stands for one; the next full check finds
  // the overrun and lists the kernels run since the last one
  const inner = b.fromArray(new Float32Array(4), 'float32') as unknown as { ptr: number; size: number; dtype: string };
  const forged = Object.assign(Object.create(Object.getPrototypeOf(inner)), { ...inner, ptr: inner.ptr + 8, size: 4, freed: false });
  let err: unknown = null;
  for (let i = 0; i < 10 && !err; i++) {
    try { b.writeStrided(forged, src, [4], [1], 0); b.unary('neg', many[i]!); } catch (e) { err = e; }
  }
  assert.ok(err instanceof HeapGuardError, String(err));
  assert.match((err as Error).message, /or one run before it since the last full check:\n  8 guard bytes after a float32 tensor of 4 elements[^]*the kernels run since the last full check \(the last 8 at most\): .*copy_\w+\(0x/);
  for (const s of many) b.free(s);
});
