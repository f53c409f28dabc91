// The wasm backend: AssemblyScript SIMD kernels on every core. createWasmBackend() compiles the
// kernels (async), starts the worker pool and returns a Backend that implements every primitive.

import type { Backend } from '../backend.js';
import { compileKernels, compileKernelsSync, type Compiled } from './loader.js';
import { Heap, HEAP_BASE } from './heap.js';
import { CheckedHeap, checkKernels, site, whereFrom } from './heap-check.js';
import { Pool } from './pool.js';
import { Ctx, MAX_ELEMENTS, type Kernel } from './context.js';
import type { KernelExports } from './exports.gen.js';
import { elementwiseKernels } from './elementwise.js';
import { matmulKernels } from './matmul.js';
import { convKernels } from './conv.js';
import { poolKernels } from './pooling.js';
import { indexingKernels } from './indexing.js';
import { fusedKernels } from './fused.js';
import { randomKernels } from './random.js';
import { channelKernels } from './channels.js';
import { rowKernels } from './rows.js';

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

/**
 * The kernels' imports: the shared memory, and the engine's own Math for the float64 formulas of
 * src/ops/scalar.ts (so exp, log, sin… give the same bits as the js backend's).
 */
export function kernelImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { env: { memory, abort() { throw new Error('wasm backend: kernel aborted'); } }, Math: Math as unknown as WebAssembly.ModuleImports };
}

/** Compiles the kernels and starts the pool; resolves once every worker runs. */
export async function createWasmBackend(opts: WasmOptions = {}): Promise<WasmBackend> {
  const { backend, started } = build(await compileKernels(), opts);
  await started;
  return backend;
}

/**
 * The same without awaiting (Node: the first op starts the default backend): the calling thread
 * blocks until the workers run (they start on threads of their own), so the thread count is the
 * same as after createWasmBackend.
 */
export function createWasmBackendSync(opts: WasmOptions = {}): WasmBackend {
  return build(compileKernelsSync(), opts, true).backend;
}

function build(compiled: Compiled, opts: WasmOptions, sync = false): { backend: WasmBackend; started: Promise<void> } {
  const isolated = compiled.nodeWorkers !== null || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated) throw new Error('wasm backend: shared memory needs a cross-origin isolated page (COOP/COEP headers)');
  const envCheck = compiled.env('NABLA_HEAP_CHECK');
  if (envCheck !== undefined && envCheck !== '' && envCheck !== '0' && envCheck !== '1') {
    throw new RangeError(`wasm backend: NABLA_HEAP_CHECK must be 0 or 1, got ${JSON.stringify(envCheck)}`);
  }
  const checked = opts.heapCheck ?? envCheck === '1';
  const heap = checked ? new CheckedHeap(64, opts.maxPages ?? 65536) : new Heap(64, opts.maxPages ?? 65536);
  const instance = new WebAssembly.Instance(compiled.module, kernelImports(heap.memory));
  const names = WebAssembly.Module.exports(compiled.module).filter((e) => e.kind === 'function').map((e) => e.name);
  const pool = new Pool({ module: compiled.module, memory: heap.memory, names, nodeWorkers: compiled.nodeWorkers });
  let ex = instance.exports as unknown as KernelExports;
  if (heap instanceof CheckedHeap) {
    heap.snapshotStatics();
    ex = checkKernels(heap, ex as unknown as Record<string, Kernel>, pool) as unknown as KernelExports;
  }
  const ctx = new Ctx(heap, ex, pool);

  const envThreads = compiled.env('NABLA_THREADS');
  const threads = opts.threads ?? (envThreads ? Number(envThreads) : compiled.cores);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`wasm backend: NABLA_THREADS must be a positive integer, got ${JSON.stringify(envThreads)}`);
  }
  // NABLA_SPIN_MS=worker,caller tunes how long threads spin before sleeping (experiments).
  const spin = compiled.env('NABLA_SPIN_MS')?.split(',').map(Number);
  if (spin && spin.every((v) => v >= 0)) { pool.workerSpinMs = spin[0]!; pool.callerSpinMs = spin[1] ?? spin[0]!; }
  let started: Promise<void>;
  if (sync) {
    const usable = pool.setThreadsSync(threads);
    if (usable < pool.threads) console.warn(`nabla: ${pool.threads - usable} of the wasm backend's worker threads did not start within 10 s; running on ${usable}`);
    started = Promise.resolve();
  } else {
    started = pool.setThreads(threads);
  }

  const ew = elementwiseKernels(ctx);
  const { matmul, linearAct } = matmulKernels(ctx, ew.copyStrided);
  const { conv2dAct, conv2dActPool, ...conv } = convKernels(ctx, ew.copyStrided, matmul);
  const { maxPool2dValues, ...pooling } = poolKernels(ctx);
  const backend: WasmBackend = {
    name: 'wasm',
    ...ew,
    matmul,
    ...conv,
    ...pooling,
    ...indexingKernels(ctx),
    // NABLA_FUSED=0 runs the composites instead of the fused fast paths (for comparisons).
    ...(compiled.env('NABLA_FUSED') === '0' ? {} : { fused: { ...fusedKernels(ctx, matmul, ew.copyStrided), ...rowKernels(ctx), ...randomKernels(ctx), ...channelKernels(ctx), conv2dBiasAct: conv2dAct, conv2dBiasActMaxPool: conv2dActPool, linearBiasAct: linearAct, maxPool2dValues } }),
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
  return { backend, started };
}
