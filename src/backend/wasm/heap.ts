// The shared WebAssembly.Memory and the allocator over it: size classes with free lists,
// a bump pointer, and growth (workers keep working: a shared memory's buffer never detaches).

/**
 * Memory map: [PARAM_BASE, +PARAM_BYTES) the kernel parameter block; [16 KiB, 64 KiB) the kernels'
 * constant tables (asc --memoryBase 16384, checked by the build); the heap from 64 KiB.
 */
export const PARAM_BASE = 1024;
export const PARAM_BYTES = 3072;
const HEAP_BASE = 64 * 1024;
const ALIGN = 64; // cache line; also keeps v128 loads aligned
const PAGE = 65536;

/** Size class of a request: 64-byte granules up to 4 KiB, then 8 classes per power of two. */
export function sizeClass(bytes: number): number {
  const b = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (b <= 4096) return b;
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 8;
  return Math.ceil(b / step) * step;
}

export class Heap {
  readonly memory: WebAssembly.Memory;
  private top = HEAP_BASE;
  private readonly free = new Map<number, number[]>();
  private buf!: ArrayBuffer | SharedArrayBuffer;
  f32!: Float32Array; f64!: Float64Array; i32!: Int32Array; u8!: Uint8Array;
  /** Bytes handed out and not yet returned (class sizes). */
  liveBytes = 0;
  liveCount = 0;
  readonly maxPages: number;

  constructor(initialPages: number, maxPages: number) {
    this.maxPages = maxPages;
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages, shared: true } as WebAssembly.MemoryDescriptor);
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

  /** Returns the address of a block of at least `bytes` bytes (64-byte aligned). */
  alloc(bytes: number): number {
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    let ptr: number;
    if (list && list.length > 0) {
      ptr = list.pop()!;
    } else {
      ptr = this.top;
      const end = ptr + cls;
      if (end > this.byteLength) this.grow(end);
      this.top = end;
    }
    this.liveBytes += cls;
    this.liveCount++;
    return ptr;
  }

  release(ptr: number, bytes: number): void {
    const cls = sizeClass(bytes);
    let list = this.free.get(cls);
    if (!list) { list = []; this.free.set(cls, list); }
    list.push(ptr);
    this.liveBytes -= cls;
    this.liveCount--;
  }

  private grow(end: number): void {
    const have = this.byteLength / PAGE;
    // Grow by at least half again, so a growing workload does not grow on every step.
    const need = Math.ceil(end / PAGE);
    const want = Math.min(this.maxPages, Math.max(need, Math.ceil(have * 1.5)));
    if (need > this.maxPages) {
      throw new RangeError(`wasm backend: out of memory: ${(end / 2 ** 20).toFixed(1)} MiB needed, the shared memory's maximum is ${(this.maxPages * PAGE / 2 ** 20).toFixed(0)} MiB (live: ${(this.liveBytes / 2 ** 20).toFixed(1)} MiB in ${this.liveCount} buffers)`);
    }
    this.memory.grow(want - have);
    this.refresh();
  }

  classBytes(bytes: number): number { return sizeClass(bytes); }

  /** Bytes reserved from the system (the high-water mark of the bump pointer). */
  get reserved(): number { return this.top; }
}
