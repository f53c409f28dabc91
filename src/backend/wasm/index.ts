// The wasm backend: AssemblyScript SIMD kernels on every core. createWasmBackend() compiles the
// kernels (async), starts the worker pool and returns a Backend that implements every primitive.

import type { Backend } from '../backend.js';
import { compileKernels } from './loader.js';
import { Heap, HEAP_BASE } from './heap.js';
import { CheckedHeap, checkKernels, site, whereFrom } from './heap-check.js';
import { Pool } from './pool.js';
import { Ctx, MAX_ELEMENTS, type Kernel } from './context.js';
import { elementwiseKernels } from './elementwise.js';
import { linalgKernels } from './linalg.js';
import { fusedKernels } from './fused.js';

export interface WasmBackend extends Backend {
  /** Sets the number of threads (the calling thread included); resolves when the workers run. */
  setNumThreads(n: number): Promise<void>;
  /** Threads in use now. */
  numThreads(): number;
  /** Stops the workers (the backend keeps working on the calling thread). */
  close(): void;
}

export interface WasmOptions {
  /** Threads, the calling thread included (default: NABLA_THREADS, else every core). */
  threads?: number;
  /** Maximum heap in 64 KiB pages (default 65536 = 4 GiB). */
  maxPages?: number;
  /**
   * Guard bytes around every block, verified after every kernel, at every free and by nb.checkHeap()
   * (default: NABLA_HEAP_CHECK=1). For finding out-of-bounds writes; kernels run several times slower.
   */
  heapCheck?: boolean;
}

export async function createWasmBackend(opts: WasmOptions = {}): Promise<WasmBackend> {
  const compiled = await compileKernels();
  const isolated = compiled.nodeWorkers !== null || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated) throw new Error('wasm backend: shared memory needs a cross-origin isolated page (COOP/COEP headers)');
  const envCheck = compiled.env('NABLA_HEAP_CHECK');
  if (envCheck !== undefined && envCheck !== '' && envCheck !== '0' && envCheck !== '1') {
    throw new RangeError(`wasm backend: NABLA_HEAP_CHECK must be 0 or 1, got ${JSON.stringify(envCheck)}`);
  }
  const checked = opts.heapCheck ?? envCheck === '1';
  const heap = checked ? new CheckedHeap(64, opts.maxPages ?? 65536) : new Heap(64, opts.maxPages ?? 65536);
  const instance = await WebAssembly.instantiate(compiled.module, {
    env: { memory: heap.memory, abort() { throw new Error('wasm backend: kernel aborted'); } },
  });
  const names = WebAssembly.Module.exports(compiled.module).filter((e) => e.kind === 'function').map((e) => e.name);
  const pool = new Pool({ module: compiled.module, memory: heap.memory, names, nodeWorkers: compiled.nodeWorkers });
  let ex = instance.exports as unknown as Record<string, Kernel>;
  if (heap instanceof CheckedHeap) {
    heap.snapshotStatics();
    ex = checkKernels(heap, ex, pool);
  }
  const ctx = new Ctx(heap, ex, pool);

  const envThreads = compiled.env('NABLA_THREADS');
  let threads = opts.threads ?? (envThreads ? Number(envThreads) : compiled.cores);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`wasm backend: NABLA_THREADS must be a positive integer, got ${JSON.stringify(envThreads)}`);
  }
  // NABLA_SPIN_MS=worker,caller tunes how long threads spin before sleeping (experiments).
  const spin = compiled.env('NABLA_SPIN_MS')?.split(',').map(Number);
  if (spin && spin.every((v) => v >= 0)) { pool.workerSpinMs = spin[0]!; pool.callerSpinMs = spin[1] ?? spin[0]!; }
  await pool.setThreads(threads);

  const ew = elementwiseKernels(ctx);
  const { conv2dAct, conv2dActPool, linearAct, maxPool2dValues, ...la } = linalgKernels(ctx, ew.copyStrided);
  const backend: WasmBackend = {
    name: 'wasm',
    ...ew,
    ...la,
    // NABLA_FUSED=0 runs the composites instead of the fused fast paths (for comparisons).
    ...(compiled.env('NABLA_FUSED') === '0' ? {} : { fused: { ...fusedKernels(ctx, la.matmul, ew.copyStrided), conv2dBiasAct: conv2dAct, conv2dBiasActMaxPool: conv2dActPool, linearBiasAct: linearAct, maxPool2dValues } }),
    stats() {
      return {
        storages: heap.liveCount - ctx.scratch.length, bytes: heap.liveBytes - ctx.scratch.length * heap.classBytes(ctx.scratchBytes),
        limitBytes: heap.limit - HEAP_BASE, maxElements: MAX_ELEMENTS,
      };
    },
    checkHeap() {
      if (heap instanceof CheckedHeap) return { checked: true, blocks: heap.checkAll(() => `found by checkHeap() ${whereFrom(site().stack ?? '')}`) };
      return { checked: false, blocks: 0 };
    },
    info() {
      return {
        backend: 'wasm', threads: pool.usable, threadsRequested: pool.threads, cores: compiled.cores,
        simd: true, relaxedSimd: compiled.relaxedSimd, kernels: compiled.file,
        heapBytes: heap.byteLength, heapMaxBytes: heap.limit, heapReservedBytes: heap.reserved, heapFreeBytes: heap.freeBytes, heapCheck: checked,
        ...(heap instanceof CheckedHeap ? { heapKernelChecks: heap.kernelChecks, heapGuardBytes: heap.guardBytes } : {}),
      };
    },
    setNumThreads: (n: number) => pool.setThreads(n),
    numThreads: () => pool.usable,
    close: () => pool.close(),
  };
  return backend;
}
