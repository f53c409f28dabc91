// The shared WebAssembly.Memory and the allocator over it: segregated free lists of coalesced
// blocks, a bump pointer, and growth (workers keep working: a shared memory's buffer never detaches).
// Addresses and sizes are plain JS numbers (never 32-bit shifted), so all of the 4 GiB wasm32 heap works.

/**
 * Memory map: [PARAM_BASE, +PARAM_BYTES) the kernel parameter block; [16 KiB, 64 KiB) the kernels'
 * constant tables (asc --memoryBase 16384, checked by the build); the heap from 64 KiB.
 */
export const PARAM_BASE = 1024;
export const PARAM_BYTES = 3072;
export const HEAP_BASE = 64 * 1024;
import { formatBytes } from '../../tensor/memory.js';

export { formatBytes };
const ALIGN = 64; // cache line; also keeps v128 loads aligned
const PAGE = 65536;
/** Blocks under this size have a bin of their own size; larger ones share 8 bins per power of two. */
const EXACT_LIMIT = 4096;
const BINS = EXACT_LIMIT / ALIGN - 1 + (32 - 12 + 1) * 8;
/**
 * Released blocks under EXACT_LIMIT wait, up to QUICK_PER_SIZE of a size and QUICK_BYTES in all, in a
 * cache for the next request of their size: GPT generation makes ~4,000 small tensors a sequence, most of
 * two sizes, and a pop replaces a free-list search, a split and two merges (~1 µs an alloc/release pair
 * through the Maps and Sets, ~0.2 µs with the cache, in a loop of random small sizes).
 * They merge into the free lists when a request could not be met otherwise, and before any statistic is read.
 */
const QUICK_PER_SIZE = 4096, QUICK_BYTES = 4 * 1024 * 1024;

/** Bytes a request of `bytes` occupies: a multiple of 64, at least 64. */
export function blockSize(bytes: number): number {
  return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
}

/** The free-list bin of a block of `size` bytes (a multiple of 64 below 2³²). */
function binOf(size: number): number {
  if (size < EXACT_LIMIT) return size / ALIGN - 1;
  const fl = 31 - Math.clz32(size); // size < 2^32, so clz32 sees it whole
  const sub = Math.floor((size - 2 ** fl) / 2 ** (fl - 3));
  return EXACT_LIMIT / ALIGN - 1 + (fl - 12) * 8 + sub;
}

/** Out of memory: a request the heap cannot meet (why: the engine's reason, when it refused to grow). */
export class HeapFull extends RangeError {
  constructor(message: string, readonly why?: string) {
    super(message);
  }
}

export class Heap {
  readonly memory: WebAssembly.Memory;
  /** End of the used region: everything from here to the limit is free (the wilderness). */
  private top = HEAP_BASE;
  /** Free blocks by bin; each bin a set of addresses. */
  private readonly bins: (Set<number> | undefined)[] = new Array(BINS);
  /** One bit per bin: set while the bin holds a block (finds the next non-empty bin in a few steps). */
  private readonly nonEmpty = new Uint32Array(Math.ceil(BINS / 32));
  private readonly freeAt = new Map<number, number>(); // address → size of a free block
  private readonly freeEnd = new Map<number, number>(); // end → address of a free block
  /** address → size of a live block; −size for a block in the quick cache (its key kept: no Map growth and shrinkage per step) */
  private readonly used = new Map<number, number>();
  private buf!: ArrayBuffer | SharedArrayBuffer;
  f32!: Float32Array; f64!: Float64Array; i32!: Int32Array; u8!: Uint8Array;
  /** Bytes handed out and not yet returned (block sizes). */
  liveBytes = 0;
  liveCount = 0;
  /** Bytes in free blocks below the top (the free lists'; the quick cache's are in quickBytes). */
  private listBytes = 0;
  /** The quick cache: released blocks of each size under EXACT_LIMIT (index size / 64 − 1), not yet merged. */
  private readonly quick: number[][] = [];
  private quickBytes = 0;
  readonly maxPages: number;
  /** Whether blocks carry guards (CheckedHeap, NABLA_HEAP_CHECK=1). */
  readonly checked: boolean = false;
  /** The most bytes the heap can ever hold: maxPages · 64 KiB (4 GiB for wasm32). */
  readonly limit: number;

  constructor(initialPages: number, maxPages: number) {
    if (!Number.isInteger(maxPages) || maxPages < 2 || maxPages > 65536) {
      throw new RangeError(`wasm backend: maxPages must be an integer in [2, 65536] (64 KiB pages, 4 GiB at most), got ${maxPages}`);
    }
    this.maxPages = maxPages;
    this.limit = maxPages * PAGE;
    this.memory = new WebAssembly.Memory({ initial: Math.min(initialPages, maxPages), maximum: maxPages, shared: true } as WebAssembly.MemoryDescriptor);
    this.refresh();
  }

  /** Re-creates the typed views when the memory has grown. */
  refresh(): void {
    const b = this.memory.buffer;
    if (b === this.buf && this.u8.byteLength === b.byteLength) return;
    this.buf = b;
    this.f32 = new Float32Array(b); this.f64 = new Float64Array(b);
    this.i32 = new Int32Array(b); this.u8 = new Uint8Array(b);
  }

  get byteLength(): number { return this.memory.buffer.byteLength; }

  /**
   * Returns the address of a block of at least `bytes` bytes (64-byte aligned). `what` describes
   * the request in the out-of-memory error ("a float32 tensor of 1,000 elements").
   */
  alloc(bytes: number, what?: string): number {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`wasm backend: cannot allocate ${bytes} bytes`);
    const size = blockSize(bytes);
    if (size > this.limit - HEAP_BASE) this.outOfMemory(size, what);
    let ptr = size < EXACT_LIMIT ? this.quick[size / ALIGN - 1]?.pop() ?? -1 : -1;
    if (ptr >= 0) this.quickBytes -= size;
    else ptr = this.takeFree(size);
    if (ptr < 0) {
      const end = this.top + size;
      // before growing, or failing: the cached blocks merged may hold it
      if (this.quickBytes > 0 && (end > this.byteLength || end > this.limit)) { this.flushQuick(); ptr = this.takeFree(size); }
    }
    if (ptr < 0) {
      ptr = this.top;
      const end = ptr + size;
      if (end > this.limit) this.outOfMemory(size, what);
      if (end > this.byteLength) this.grow(end, size, what);
      this.top = end;
    }
    this.used.set(ptr, size);
    this.liveBytes += size;
    this.liveCount++;
    return ptr;
  }

  /** Returns a block; neighbours that are free merge with it, and a block at the top goes back to the wilderness. */
  release(ptr: number, bytes?: number): void {
    const size = this.used.get(ptr);
    if (size === undefined || size < 0) throw new Error(`wasm backend: internal error: release of address ${ptr}, which is not an allocated block`);
    if (bytes !== undefined && blockSize(bytes) !== size) {
      throw new Error(`wasm backend: internal error: release of ${bytes} bytes at ${ptr}, a block of ${size}`);
    }
    this.liveBytes -= size;
    this.liveCount--;
    if (size < EXACT_LIMIT) {
      const q = this.quick[size / ALIGN - 1] ??= [];
      if (q.length < QUICK_PER_SIZE && this.quickBytes + size <= QUICK_BYTES) { q.push(ptr); this.quickBytes += size; this.used.set(ptr, -size); return; }
    }
    this.used.delete(ptr);
    this.merge(ptr, size);
  }

  /** Merges every block of the quick cache into the free lists. */
  private flushQuick(): void {
    if (this.quickBytes === 0) return;
    this.quick.forEach((q, i) => {
      while (q.length) {
        const p = q.pop()!;
        this.used.delete(p);
        this.merge(p, (i + 1) * ALIGN);
      }
    });
    this.quickBytes = 0;
  }

  /** A released block into the free lists: free neighbours merge with it, and a block at the top goes back to the wilderness. */
  private merge(ptr: number, size: number): void {
    let start = ptr, end = ptr + size;
    const before = this.freeEnd.get(start);
    if (before !== undefined) { start = before; this.unlink(before); }
    const after = this.freeAt.get(end);
    if (after !== undefined) { this.unlink(end); end += after; }
    if (end === this.top) this.top = start;
    else this.link(start, end - start);
  }

  /** Names the block at `ptr` in diagnostics (only the checked heap keeps names). */
  describe(_ptr: number, _what: string): void {}

  /** The size of the live block at `ptr` (undefined if none starts there). */
  blockAt(ptr: number): number | undefined {
    const s = this.used.get(ptr);
    return s !== undefined && s > 0 ? s : undefined;
  }

  /** Bytes a request of `bytes` occupies. */
  classBytes(bytes: number): number { return blockSize(bytes); }

  /** Bytes in use from the system's point of view (the top of the used region). */
  get reserved(): number { this.flushQuick(); return this.top; }

  /** Bytes in free blocks below the top (reusable, maybe fragmented). */
  get freeBytes(): number { this.flushQuick(); return this.listBytes; }

  /** The largest block an allocation could get now without growing past the limit. */
  largestFree(): number {
    this.flushQuick();
    let best = this.limit - this.top;
    for (const s of this.freeAt.values()) if (s > best) best = s;
    return best;
  }

  /** Free blocks below the top (for tests and diagnostics). */
  get freeBlocks(): number { this.flushQuick(); return this.freeAt.size; }

  private link(ptr: number, size: number): void {
    this.freeAt.set(ptr, size);
    this.freeEnd.set(ptr + size, ptr);
    const b = binOf(size);
    (this.bins[b] ??= new Set()).add(ptr);
    this.nonEmpty[b >>> 5]! |= 1 << (b & 31);
    this.listBytes += size;
  }

  private unlink(ptr: number): void {
    const size = this.freeAt.get(ptr)!;
    this.freeAt.delete(ptr);
    this.freeEnd.delete(ptr + size);
    const b = binOf(size), set = this.bins[b]!;
    set.delete(ptr);
    if (set.size === 0) this.nonEmpty[b >>> 5]! &= ~(1 << (b & 31));
    this.listBytes -= size;
  }

  /** A free block of at least `size` (split, the rest stays free), or -1. */
  private takeFree(size: number): number {
    if (this.freeAt.size === 0) return -1;
    const first = binOf(size);
    let found = -1;
    // The request's own bin holds blocks both smaller and larger than it (below 4 KiB, only equal).
    const own = this.bins[first];
    if (own) for (const p of own) if (this.freeAt.get(p)! >= size) { found = p; break; }
    if (found < 0) {
      // Any block of a higher bin is large enough: take one from the lowest non-empty one.
      const b = this.nextBin(first + 1);
      if (b < 0) return -1;
      found = this.bins[b]!.values().next().value!;
    }
    const have = this.freeAt.get(found)!;
    this.unlink(found);
    if (have > size) this.link(found + size, have - size);
    return found;
  }

  /** The first non-empty bin ≥ from, or -1. */
  private nextBin(from: number): number {
    for (let w = from >>> 5; w < this.nonEmpty.length; w++) {
      let bits = this.nonEmpty[w]!;
      if (w === from >>> 5) bits &= ~0 << (from & 31);
      if (bits !== 0) return w * 32 + (31 - Math.clz32(bits & -bits));
    }
    return -1;
  }

  private grow(end: number, size: number, what?: string): void {
    const have = this.byteLength / PAGE;
    // Grow by at least half again, so a growing workload does not grow on every step.
    const need = Math.ceil(end / PAGE);
    const want = Math.min(this.maxPages, Math.max(need, Math.ceil(have * 1.5)));
    try {
      this.memory.grow(want - have);
    } catch {
      try {
        this.memory.grow(need - have);
      } catch (e) {
        this.outOfMemory(size, what, `the engine refused to grow the memory to ${formatBytes(need * PAGE)}: ${(e as Error).message}`);
      }
    }
    this.refresh();
  }

  private outOfMemory(size: number, what: string | undefined, why?: string): never {
    throw this.outOfMemoryError(size, what, why);
  }

  /** The error for a request of `bytes` that cannot be met (also used to re-describe one: Ctx.alloc). */
  outOfMemoryError(bytes: number, what?: string, why?: string): HeapFull {
    const size = blockSize(bytes);
    const frag = this.freeBytes > 0 ? `; ${formatBytes(this.freeBytes)} more is free but in ${this.freeAt.size} pieces, the largest ${formatBytes(this.largestFree())}` : '';
    return new HeapFull(
      `wasm backend: out of memory: asked for ${formatBytes(size)}${what ? ` (${what})` : ''}, ` +
      `${formatBytes(this.liveBytes)} is live in ${this.liveCount} buffers, and the limit is ${formatBytes(this.limit)}` +
      `${this.limit === 2 ** 32 ? ' (the whole wasm32 address space)' : ''}${frag}` +
      `${why ? ` (${why})` : ''}. Free tensors you no longer need (dispose(), nb.scope) or use smaller batches.`,
      why,
    );
  }
}
