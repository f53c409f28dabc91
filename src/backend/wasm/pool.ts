// The thread pool: workers that share the kernels' WebAssembly.Memory, woken through a shared
// control block (a short spin, then Atomics.wait). The calling thread always takes part 0.

import type { NodeWorkerThreads } from './loader.js';
import { SLOT, ARGS, C_SEQ, C_DONE, C_FN, C_NARGS, C_ERR, C_READY, nodeWorkerSource, webWorkerSource } from './worker-source.js';

const MAX_WORKERS = 64;
/** How long an idle worker spins before it sleeps. Short: when another process holds a core, a
 * longer spin (0.5 ms measured) made 2 threads slower than 1 — see notes/wasm-kernels.md. */
const WORKER_SPIN_MS = 0.05;
/** How long the calling thread spins for a worker's part before it sleeps. */
const CALLER_SPIN_MS = 0.05;

interface WorkerHandle { terminate(): unknown }

export interface PoolInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  names: string[];
  /** Node's worker_threads module, or null in a page. */
  nodeWorkers: NodeWorkerThreads | null;
}

export class Pool {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(4 * SLOT * MAX_WORKERS));
  private readonly args = new Float64Array(new SharedArrayBuffer(8 * ARGS * MAX_WORKERS));
  private readonly workers: WorkerHandle[] = [];
  private readonly seq: number[] = [];
  private readonly fnIndex = new Map<string, number>();
  private readonly canBlock: boolean;
  /** Threads the user asked for (including the calling thread). */
  threads = 1;
  /** Spin budgets in ms (worker before sleeping; caller before sleeping). */
  workerSpinMs = WORKER_SPIN_MS;
  callerSpinMs = CALLER_SPIN_MS;
  closed = false;

  constructor(private readonly init: PoolInit) {
    init.names.forEach((n, i) => this.fnIndex.set(n, i));
    // Atomics.wait is refused on a page's main thread; there we spin.
    this.canBlock = init.nodeWorkers !== null || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
  }

  /** Starts workers up to threads-1; resolves once they are ready. */
  async setThreads(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
    this.threads = Math.min(n, MAX_WORKERS + 1);
    const ready: Promise<void>[] = [];
    while (this.workers.length < this.threads - 1) ready.push(this.spawn(this.workers.length));
    await Promise.all(ready);
  }

  /** Workers that have finished starting (the calling thread not included). */
  get readyWorkers(): number {
    let r = 0;
    for (let i = 0; i < this.workers.length; i++) if (Atomics.load(this.ctl, i * SLOT + C_READY) === 1) r++; else break;
    return r;
  }

  /** Threads a dispatch will use now. */
  get usable(): number { return Math.min(this.threads, 1 + this.readyWorkers); }

  private spawn(slot: number): Promise<void> {
    const data = { module: this.init.module, memory: this.init.memory, names: this.init.names,
      ctl: this.ctl.buffer, args: this.args.buffer, slot, spinMs: this.workerSpinMs };
    this.seq[slot] = 0;
    return new Promise<void>((resolve, reject) => {
      const wt = this.init.nodeWorkers;
      if (wt) {
        const w = new wt.Worker(nodeWorkerSource, { eval: true, workerData: data });
        w.unref();
        w.once('message', () => resolve());
        w.once('error', (e: Error) => reject(new Error(`wasm backend: worker ${slot} failed to start: ${e.message}`)));
        this.workers.push(w);
      } else {
        const url = URL.createObjectURL(new Blob([webWorkerSource], { type: 'text/javascript' }));
        const w = new Worker(url);
        w.onmessage = () => resolve();
        w.onerror = (e) => reject(new Error(`wasm backend: worker ${slot} failed to start: ${e.message}`));
        w.postMessage(data);
        this.workers.push(w);
      }
    });
  }

  /**
   * Runs `fn` once per part: part 0 on this thread, parts 1.. on workers. `parts` holds each
   * part's argument list; the calling thread's instance runs `local`.
   */
  run(fn: string, parts: number[][], local: (...args: number[]) => void): void {
    const idx = this.fnIndex.get(fn);
    if (idx === undefined) throw new Error(`wasm backend: no kernel named ${fn}`);
    const nw = parts.length - 1;
    for (let w = 0; w < nw; w++) {
      const base = w * SLOT, p = parts[w + 1]!;
      if (p.length > ARGS) throw new Error(`wasm backend: ${fn}: too many arguments`);
      for (let i = 0; i < p.length; i++) this.args[w * ARGS + i] = p[i]!;
      this.ctl[base + C_FN] = idx;
      this.ctl[base + C_NARGS] = p.length;
      this.ctl[base + C_ERR] = 0;
      const s = (this.seq[w] = (this.seq[w]! + 1) & 0x3fffffff);
      Atomics.store(this.ctl, base + C_SEQ, s);
      Atomics.notify(this.ctl, base + C_SEQ);
    }
    let err: unknown = null;
    try { local(...parts[0]!); } catch (e) { err = e; }
    let failed = false;
    for (let w = 0; w < nw; w++) {
      const base = w * SLOT, s = this.seq[w]!;
      let n = 0, until = 0;
      while (Atomics.load(this.ctl, base + C_DONE) !== s) {
        if ((++n & 255) !== 0 || !this.canBlock) continue;
        const now = performance.now();
        if (until === 0) until = now + this.callerSpinMs;
        else if (now > until) Atomics.wait(this.ctl, base + C_DONE, Atomics.load(this.ctl, base + C_DONE), 1000);
      }
      if (this.ctl[base + C_ERR]) failed = true;
    }
    if (err) throw err;
    if (failed) throw new Error(`wasm backend: kernel ${fn} failed on a worker (out-of-bounds memory access?)`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.ctl, w * SLOT + C_SEQ, -1);
      Atomics.notify(this.ctl, w * SLOT + C_SEQ);
    }
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
