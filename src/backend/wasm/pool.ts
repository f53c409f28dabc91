// The thread pool: workers that share the kernels' WebAssembly.Memory, woken through a shared
// control block (a short spin, then Atomics.wait). `run` gives part i to thread i (the caller takes
// part 0); `runShared` lets every thread claim parts from a shared table until none is left, so a
// thread that starts late (a slow wake-up, a core taken by another process) costs its share, not a wait.

import type { NodeWorkerThreads } from './loader.js';
import { SLOT, ARGS, C_SEQ, C_DONE, C_FN, C_NARGS, C_ERR, C_READY, G_COMPLETED, G_ERR, G_FN, G_NARGS, G_NEXT, G_NPARTS, G_SARG, G_WORDS,
  MAX_PARTS, nodeWorkerSource, webWorkerSource } from './worker-source.js';

const MAX_WORKERS = 64;
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
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

/**
 * The parent's Node options minus those that would change how the worker's eval'd source runs:
 * --input-type / --experimental-default-type (ES modules have no require) and -e / -p (the
 * parent's own script).
 */
function workerExecArgv(): string[] {
  const argv = (globalThis as { process?: { execArgv?: string[] } }).process?.execArgv ?? [];
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print' || a === '--input-type' || a === '--experimental-default-type') { i++; continue; }
    if (/^--(eval|print|input-type|experimental-default-type)=/.test(a)) continue;
    if (refusedInWorkers.has(a)) continue;
    out.push(a);
  }
  return out;
}

/** Flags of this process that Node refused for a worker (V8's, e.g. --expose-gc, --max-old-space-size=N). */
const refusedInWorkers = new Set<string>();

/**
 * A Node worker with this process's flags (tsx's --import, so workers load as the caller does),
 * less those Node does not take for a worker: it names them in its error, and the worker starts
 * without them (they are per process).
 */
function nodeWorker(wt: NodeWorkerThreads, data: unknown): InstanceType<NodeWorkerThreads['Worker']> {
  for (;;) {
    try {
      return new wt.Worker(nodeWorkerSource, { eval: true, workerData: data, execArgv: workerExecArgv() });
    } catch (e) {
      const bad = /invalid execArgv flags: (.+)$/.exec((e as Error).message)?.[1]?.split(/,\s*/).filter((f) => !refusedInWorkers.has(f));
      if (!bad?.length) throw e;
      for (const f of bad) refusedInWorkers.add(f);
    }
  }
}

export class Pool {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(4 * SLOT * MAX_WORKERS));
  private readonly args = new Float64Array(new SharedArrayBuffer(8 * ARGS * MAX_WORKERS));
  private readonly shared = new Int32Array(new SharedArrayBuffer(4 * G_WORDS));
  /** runShared's parts (MAX_PARTS × ARGS), then the scratch pointer of each thread. */
  private readonly table = new Float64Array(new SharedArrayBuffer(8 * (MAX_PARTS * ARGS + MAX_WORKERS + 1)));
  private epoch = 0;
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

  /**
   * setThreads without awaiting, for a synchronous start (Node): the calling thread blocks until the
   * workers are up (they start on their own threads) or `timeoutMs` passes; returns the threads usable.
   */
  setThreadsSync(n: number, timeoutMs = 10_000): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
    this.threads = Math.min(n, MAX_WORKERS + 1);
    while (this.workers.length < this.threads - 1) this.spawn(this.workers.length).catch(() => { /* counted as not ready below */ });
    const until = performance.now() + timeoutMs;
    for (let i = 0; i < this.workers.length; i++) {
      while (Atomics.load(this.ctl, i * SLOT + C_READY) !== 1) {
        const left = until - performance.now();
        if (left <= 0 || !this.canBlock) return this.usable;
        Atomics.wait(this.ctl, i * SLOT + C_READY, 0, left);
      }
    }
    return this.usable;
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
      ctl: this.ctl.buffer, args: this.args.buffer, shared: this.shared.buffer, table: this.table.buffer, maxParts: MAX_PARTS,
      slot, spinMs: this.workerSpinMs };
    this.seq[slot] = 0;
    // made before the promise: a worker that cannot be made throws here, out of the callers' spawn loops
    const wt = this.init.nodeWorkers;
    const nw = wt ? nodeWorker(wt, data) : null;
    return new Promise<void>((resolve, reject) => {
      if (nw) {
        const w = nw;
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
      const s = (this.seq[w] = this.next(w, false));
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

  /**
   * Runs `fn` once per part, each part claimed by whichever thread is free first (the caller too).
   * With `scratchArg` ≥ 0, that argument of a part is replaced by the running thread's entry of
   * `scratch` (one block per thread). Parts must not depend on each other or on who runs them.
   * NABLA_POOL_SHARED=0 (comparisons) gives part i to thread i instead, with as many parts as threads.
   */
  runShared(fn: string, parts: number[][], local: (...args: number[]) => void, scratchArg = -1, scratch: readonly number[] = []): void {
    const idx = this.fnIndex.get(fn);
    if (idx === undefined) throw new Error(`wasm backend: no kernel named ${fn}`);
    if (env.NABLA_POOL_SHARED === '0' && parts.length <= this.usable) {
      // for comparisons: part i on thread i, as run() does
      this.run(fn, parts.map((p, i) => (scratchArg >= 0 ? p.map((v, j) => (j === scratchArg ? scratch[i]! : v)) : p)), local);
      return;
    }
    const np = parts.length, nargs = parts[0]?.length ?? 0;
    if (np > MAX_PARTS) throw new Error(`wasm backend: ${fn}: ${np} parts (at most ${MAX_PARTS})`);
    if (nargs > ARGS) throw new Error(`wasm backend: ${fn}: too many arguments`);
    const nw = Math.min(this.usable - 1, np - 1);
    // every thread's block: a worker still idle from an earlier dispatch may join this one
    if (scratchArg >= 0 && scratch.length < this.usable) throw new Error(`wasm backend: ${fn}: ${scratch.length} scratch blocks for ${this.usable} threads`);
    const g = this.shared, t = this.table;
    // A new epoch, with no part claimable while the table is rewritten (a late worker of the last
    // dispatch reads an exhausted index, or fails its compare-exchange).
    const ep = this.epoch = (this.epoch % 0x7fff) + 1;
    Atomics.store(g, G_NEXT, (ep << 16) | 0xffff);
    for (let i = 0; i < np; i++) {
      const p = parts[i]!;
      if (p.length !== nargs) throw new Error(`wasm backend: ${fn}: parts with different argument counts`);
      t.set(p, i * ARGS);
    }
    for (let w = 0; w < scratch.length && w <= MAX_WORKERS; w++) t[MAX_PARTS * ARGS + w] = scratch[w]!;
    g[G_FN] = idx; g[G_NARGS] = nargs; g[G_SARG] = scratchArg; g[G_NPARTS] = np;
    Atomics.store(g, G_COMPLETED, 0);
    Atomics.store(g, G_ERR, 0);
    Atomics.store(g, G_NEXT, ep << 16);
    for (let w = 0; w < nw; w++) {
      const base = w * SLOT;
      const s = (this.seq[w] = this.next(w, true));
      Atomics.store(this.ctl, base + C_SEQ, s);
      Atomics.notify(this.ctl, base + C_SEQ);
    }
    let err: unknown = null;
    const args = new Array<number>(nargs);
    for (;;) {
      const v = Atomics.load(g, G_NEXT), i = v & 0xffff;
      if (i >= np) break;
      if (Atomics.compareExchange(g, G_NEXT, v, v + 1) !== v) continue;
      const p = parts[i]!;
      for (let j = 0; j < nargs; j++) args[j] = p[j]!;
      if (scratchArg >= 0) args[scratchArg] = scratch[0]!;
      if (!err) { try { local(...args); } catch (e) { err = e; } }
      Atomics.add(g, G_COMPLETED, 1);
    }
    let n = 0, until = 0;
    for (let c = Atomics.load(g, G_COMPLETED); c !== np; c = Atomics.load(g, G_COMPLETED)) {
      if ((++n & 255) !== 0 || !this.canBlock) continue;
      const now = performance.now();
      if (until === 0) until = now + this.callerSpinMs;
      else if (now > until) Atomics.wait(g, G_COMPLETED, c, 1000);
    }
    if (err) throw err;
    if (g[G_ERR]) throw new Error(`wasm backend: kernel ${fn} failed on a worker (out-of-bounds memory access?)`);
  }

  /** A worker's next wake-up word: a counter, times two, plus 1 for a shared-table dispatch. */
  private next(w: number, shared: boolean): number {
    return ((((this.seq[w]! >> 1) + 1) & 0x3fffffff) << 1) | (shared ? 1 : 0);
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
