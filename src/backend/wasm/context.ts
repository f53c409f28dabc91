// What every wasm kernel wrapper needs: the heap, the main thread's instance, the pool, the
// storage handle, and how to split work over threads (only when it pays).

import type { DType, TypedArray } from '../../tensor/dtype.js';
import type { Storage } from '../backend.js';
import { Heap, HeapFull, PARAM_BASE, PARAM_BYTES, formatBytes } from './heap.js';
import type { Pool } from './pool.js';
import { MAX_PARTS } from './worker-source.js';
import type { KernelExports, KernelName } from './exports.gen.js';

/** A kernel as the pool calls it (the typed signatures are in KernelExports). */
export type Kernel = (...args: number[]) => number | void;

export class WasmStorage implements Storage {
  readonly backend = 'wasm';
  freed = false;
  constructor(readonly dtype: DType, readonly size: number, readonly ptr: number, readonly bytes: number) {}
  /** Bytes of the elements (size · element size; bytes may be larger: at least one element is allocated). */
  get byteLength(): number { return this.size * BYTES[this.dtype]; }
}

export const SUFFIX: Record<DType, string> = { float32: 'f32', float64: 'f64', int32: 'i32', bool: 'u8' };
export const LOG2: Record<DType, number> = { float32: 2, float64: 3, int32: 2, bool: 0 };
export const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
/**
 * The most elements one storage may have: kernels index elements with i32 and step by up to 16
 * past the current index, so counts stay below 2³¹ − 64.
 */
export const MAX_ELEMENTS = 2 ** 31 - 64;

/** Work (≈ nanoseconds on one core) below which a kernel runs on the calling thread alone. */
const PARALLEL_MIN_WORK = 200_000;
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
/** runShared's parts per thread, and the least work (ns) worth a part of its own. */
const PARTS_PER_THREAD = 4, PART_MIN_WORK = 50_000;
/** Bytes of scratch per thread: packed B (KC×NC f32) + a tile buffer, and conv's column block. */
export const SCRATCH_BYTES = 512 * 256 * 4 + 1024 + 1024 * 1024;

/** Splits [0, total) into t parts aligned to `grain` (the last part takes the rest). */
export function ranges(total: number, t: number, grain: number): [number, number][] {
  const units = Math.ceil(total / grain);
  t = Math.max(1, Math.min(t, units));
  const out: [number, number][] = [];
  for (let i = 0; i < t; i++) {
    out.push([Math.min(total, Math.round((units * i) / t) * grain), Math.min(total, Math.round((units * (i + 1)) / t) * grain)]);
  }
  return out;
}

const describe = (dtype: DType, size: number): string => `${dtype === 'int32' ? 'an' : 'a'} ${dtype} tensor of ${size.toLocaleString('en-US')} elements`;

export class Ctx {
  readonly scratch: number[] = [];
  readonly scratchBytes = SCRATCH_BYTES;
  constructor(readonly heap: Heap, readonly ex: KernelExports, readonly pool: Pool) {}

  /** A kernel by its (typed) name. */
  fn<K extends KernelName>(name: K): KernelExports[K] & Kernel {
    return this.ex[name] as KernelExports[K] & Kernel;
  }

  /**
   * The name of a kernel generated from an op record (unary_<op>_<dtype>…), checked: the record
   * says which dtypes have one, so a miss is a dtype the op does not take (`what` says which).
   */
  kernel(name: string, what: string): KernelName {
    if (!(name in this.ex)) throw new TypeError(`wasm backend: ${what} has no kernel (${name})`);
    return name as KernelName;
  }

  alloc(dtype: DType, size: number): WasmStorage {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`wasm backend: cannot allocate ${size} elements of ${dtype}`);
    // Plain multiplication: a shift would wrap at 2³¹ bytes into a tiny block.
    const bytes = Math.max(1, size) * BYTES[dtype];
    if (size > MAX_ELEMENTS) {
      throw new RangeError(`wasm backend: ${describe(dtype, size)} (${formatBytes(bytes)}) is too large: a tensor holds at most ${MAX_ELEMENTS.toLocaleString('en-US')} elements on this backend (kernels index with 32-bit integers)`);
    }
    let ptr: number;
    try {
      ptr = this.heap.alloc(bytes);
    } catch (e) {
      // described here, not for every allocation
      if (e instanceof HeapFull) throw this.heap.outOfMemoryError(bytes, describe(dtype, size), e.why);
      throw e;
    }
    if (this.heap.checked) this.heap.describe(ptr, describe(dtype, size));
    return new WasmStorage(dtype, size, ptr, bytes);
  }

  /** Checks a storage handle before a kernel reads it. */
  use(s: Storage, op: string): WasmStorage {
    if (!(s instanceof WasmStorage)) throw new TypeError(`wasm backend: ${op}: got a storage of backend '${s.backend}'`);
    if (s.freed) throw new Error(`wasm backend: ${op}: storage used after it was freed (disposed tensor?)`);
    return s;
  }

  view(s: WasmStorage): TypedArray {
    const h = this.heap;
    h.refresh();
    // Addresses reach 2³² − 1: a signed shift (>>) would turn those above 2 GiB negative, and
    // subarray would count them from the end of the heap.
    switch (s.dtype) {
      case 'float32': return h.f32.subarray(s.ptr >>> 2, (s.ptr >>> 2) + s.size);
      case 'float64': return h.f64.subarray(s.ptr >>> 3, (s.ptr >>> 3) + s.size);
      case 'int32': return h.i32.subarray(s.ptr >>> 2, (s.ptr >>> 2) + s.size);
      case 'bool': return h.u8.subarray(s.ptr, s.ptr + s.size);
    }
  }

  /** Writes int32 parameters (shapes, strides) to the parameter block; returns its address. */
  params(values: readonly number[]): number {
    if (values.length * 4 > PARAM_BYTES) throw new Error('wasm backend: too many dimensions for a kernel');
    this.heap.refresh();
    this.heap.i32.set(values, PARAM_BASE >> 2);
    return PARAM_BASE;
  }

  /** Per-thread scratch blocks (allocated once, grown with the thread count). */
  /** Per-thread scratch for every thread of the pool (runShared with a scratch argument). */
  scratchAll(): number[] {
    return this.scratchFor(this.pool.usable);
  }

  scratchFor(threads: number): number[] {
    while (this.scratch.length < threads) this.scratch.push(this.heap.alloc(SCRATCH_BYTES, 'per-thread kernel scratch'));
    return this.scratch;
  }

  /**
   * Splits [0, total) into parts aligned to `grain` and runs fn(...pre, start, end, ...post) on
   * each; `work` is the estimated cost in ns, which decides how many threads take part.
   */
  parallel(name: KernelName, pre: number[], total: number, work: number, grain = 1, post: number[] = []): void {
    const f = this.fn(name);
    const units = Math.ceil(total / grain);
    const t = this.threadsFor(work, units);
    if (t <= 1) { if (total > 0) f(...pre, 0, total, ...post); return; }
    const parts = ranges(total, this.partsFor(work, units, t), grain).map(([s, e]) => [...pre, s, e, ...post]);
    this.pool.runShared(name, parts, f as (...a: number[]) => void);
  }

  /**
   * parallel for kernels that take a per-thread scratch block: args(s, e) is the argument list of the
   * part [s, e) (aligned to `grain`) with a placeholder at index scratchArg, which becomes the block
   * of the thread that runs the part.
   */
  parallelScratch(name: KernelName, total: number, grain: number, work: number, args: (s: number, e: number) => number[], scratchArg: number): void {
    const f = this.fn(name);
    const units = Math.ceil(total / grain);
    const t = this.threadsFor(work, units);
    if (t <= 1) {
      const a = args(0, total);
      a[scratchArg] = this.scratchFor(1)[0]!;
      f(...a);
      return;
    }
    const parts = ranges(total, this.partsFor(work, units, t), grain).map(([s, e]) => args(s, e));
    this.pool.runShared(name, parts, f as (...a: number[]) => void, scratchArg, this.scratchAll());
  }

  /** parallel with each part's arguments made by args(s, e) for the part [s, e) (aligned to `grain`). */
  parallelArgs(name: KernelName, total: number, grain: number, work: number, args: (s: number, e: number) => number[]): void {
    const f = this.fn(name);
    const units = Math.ceil(total / grain);
    const t = this.threadsFor(work, units);
    if (t <= 1) { if (total > 0) f(...args(0, total)); return; }
    this.pool.runShared(name, ranges(total, this.partsFor(work, units, t), grain).map(([s, e]) => args(s, e)), f as (...a: number[]) => void);
  }

  /**
   * How many parts t threads split a job into when they claim them from a shared table: a few per
   * thread (a thread that starts late then costs its share, not a wait), each at least PART_MIN_WORK,
   * and a multiple of t.
   */
  partsFor(work: number, units: number, t: number): number {
    if (t <= 1 || env.NABLA_POOL_SHARED === '0') return t;
    // a multiple of t: with threads of equal speed, every thread then gets the same share
    const np = Math.min(units, t * PARTS_PER_THREAD, Math.floor(work / PART_MIN_WORK), MAX_PARTS);
    return Math.max(t, np - (np % t));
  }

  /** Threads a job of `work` ns may use. */
  threadsFor(work: number, units: number): number {
    if (work < PARALLEL_MIN_WORK) return 1;
    return Math.max(1, Math.min(this.pool.usable, units, Math.floor(work / PARALLEL_MIN_WORK)));
  }
}
