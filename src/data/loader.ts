// DataLoader: batches of a dataset (seeded shuffle, dropLast, collate, background prefetch for
// async data), and the step scope — what a step creates is released when the next batch is asked for.

import { Tensor } from '../tensor/tensor.js';
import { adopt, beginScope, detachedScope, endScope, enterScope, keep, type Scope } from '../tensor/memory.js';
import type { RngState } from '../tensor/random.js';
import { isDataset, randperm, type Dataset, type IterableDataset } from './dataset.js';
import { defaultCollate, type Collated } from './collate.js';
import { seededState, withRngState } from './rng.js';
import type { BatchSampler } from './batch-sampler.js';

export interface DataLoaderOptions<S, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** A new random order every epoch (map-style datasets only). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Makes a batch from a list of samples (default: defaultCollate, or the dataset's getBatch fast path). */
  collate?: (samples: S[]) => B;
  /** Shuffle from a private stream seeded by this number instead of the global generator (manualSeed). */
  seed?: number;
  /**
   * Batches loaded ahead while a step computes, for async datasets (default 2; 0 turns it off).
   * Sync datasets are never loaded ahead, so their random transforms draw from the RNG in a fixed
   * order with the step's own draws (dropout); an async dataset's transforms draw when its I/O
   * resolves, which is not reproducible — return raw data from async get() and augment after.
   */
  prefetch?: number;
  /** Open a step scope per batch (default true): see the class comment. */
  stepScope?: boolean;
  /**
   * Which samples form each batch (e.g. a BucketBatchSampler: samples of similar length together),
   * instead of batchSize, shuffle and dropLast, which it replaces (map-style datasets only). Its random
   * draws come from this loader's stream (`seed`, else the global generator), so getState() holds them.
   */
  batchSampler?: BatchSampler;
}

const OPTION_NAMES = ['batchSize', 'shuffle', 'dropLast', 'collate', 'seed', 'prefetch', 'stepScope', 'batchSampler'];

/** Where a loader is in its run, for checkpoints: the epochs begun and its private shuffle stream. */
export interface DataLoaderState {
  epoch: number;
  rng: RngState | null;
}

/** Every tensor inside a batch (arrays, plain objects, Maps). */
export function tensorsIn(v: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (depth > 8 || v === null || typeof v !== 'object') return out;
  else if (Array.isArray(v)) for (const x of v) tensorsIn(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) tensorsIn(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) tensorsIn(x, out, depth + 1);
  return out;
}

const isPromise = (v: unknown): v is Promise<unknown> => typeof (v as Promise<unknown> | null)?.then === 'function';

/**
 * Iterates a dataset in batches: `for (const [x, y] of loader)` for sync datasets,
 * `for await (const [x, y] of loader)` for any. Each iteration is a step scope: the batch and every
 * tensor the loop body creates are released when the next batch is asked for (or the loop ends or
 * breaks) — except parameters, optimizer state, gradients and tensors passed to nb.keep(). So a plain
 * PyTorch-style loop does not leak; a tensor kept in a variable past its step must be kept.
 * Step scopes belong to the async context of the loop (Node, Deno, Bun), so loops in concurrent
 * tasks don't disturb each other — with `for await`, or, for a synchronous `for … of` whose body
 * awaits, with each task started inside nb.scope(async () => …) (a sync iterator enters its first
 * step in the turn that started the tasks). Don't zip two loaders in one loop: the second's step
 * would end inside the first's.
 */
export class DataLoader<S = unknown, B = Collated<S>> implements Iterable<B>, AsyncIterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly stepScope: boolean;
  readonly batchSampler: BatchSampler | null;
  private readonly collateFn: ((samples: S[]) => B) | null;
  private rng: RngState | null;
  /** Epochs begun (an epoch begins when an iteration starts). */
  epoch = 0;

  constructor(readonly dataset: Dataset<S> | IterableDataset<S>, opts: DataLoaderOptions<S, B> = {}) {
    for (const k of Object.keys(opts)) {
      if (!OPTION_NAMES.includes(k)) throw new Error(`DataLoader: unknown option '${k}' (options: ${OPTION_NAMES.join(', ')})`);
    }
    const bs = opts.batchSize ?? 1;
    if (!Number.isInteger(bs) || bs < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${bs}`);
    const pf = opts.prefetch ?? 2;
    if (!Number.isInteger(pf) || pf < 0) throw new Error(`DataLoader: prefetch must be a non-negative integer, got ${pf}`);
    if (!isDataset(dataset) && !isIterable(dataset)) {
      throw new TypeError('DataLoader: the dataset must have length and get(i), or be iterable / async iterable');
    }
    if (opts.shuffle && !isDataset(dataset)) {
      throw new Error('DataLoader: shuffle needs a map-style dataset (length + get); an iterable dataset is read in its own order');
    }
    if (opts.seed !== undefined && !Number.isFinite(opts.seed)) throw new Error(`DataLoader: seed must be a number, got ${opts.seed}`);
    const sampler = opts.batchSampler ?? null;
    if (sampler) {
      // As in PyTorch: the sampler decides batch membership, order and size.
      const clash = (['batchSize', 'shuffle', 'dropLast'] as const).filter((k) => opts[k] !== undefined);
      if (clash.length) throw new Error(`DataLoader: batchSampler decides the batches; leave out ${clash.join(', ')}`);
      if (typeof sampler.batches !== 'function' || !Number.isInteger(sampler.length) || sampler.length < 0) {
        throw new TypeError('DataLoader: batchSampler must have batches() and a length (batches per epoch)');
      }
      if (!isDataset(dataset)) throw new Error('DataLoader: batchSampler needs a map-style dataset (length + get); an iterable dataset is read in its own order');
      if (sampler.numSamples !== undefined && sampler.numSamples !== dataset.length) {
        throw new Error(`DataLoader: batchSampler is for ${sampler.numSamples} samples, the dataset has ${dataset.length}`);
      }
    }
    this.batchSampler = sampler;
    this.batchSize = bs;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.prefetch = pf;
    this.stepScope = opts.stepScope ?? true;
    this.collateFn = opts.collate ?? null;
    this.rng = opts.seed === undefined ? null : seededState(opts.seed);
  }

  /** Whether the number of batches is known (map-style datasets). */
  get hasLength(): boolean {
    return isDataset(this.dataset);
  }

  /** Batches per epoch. */
  get length(): number {
    if (!isDataset(this.dataset)) throw new Error('DataLoader: an iterable dataset has no length');
    if (this.batchSampler) return this.batchSampler.length;
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Samples per epoch (what the batches hold), when known. */
  get numSamples(): number {
    if (!isDataset(this.dataset)) throw new Error('DataLoader: an iterable dataset has no length');
    // A batch sampler's epoch is known only when it is drawn: this counts every sample once.
    if (this.batchSampler) return this.dataset.length;
    return this.dropLast ? this.length * this.batchSize : this.dataset.length;
  }

  getState(): DataLoaderState {
    return { epoch: this.epoch, rng: this.rng ? { ...this.rng } : null };
  }

  setState(s: DataLoaderState): void {
    this.epoch = s.epoch;
    this.rng = s.rng ? { ...s.rng } : null;
  }

  /** Draws from this loader's stream: the private one of a seeded loader, else the global generator. */
  private draw<T>(fn: () => T): T {
    if (this.rng === null) return fn();
    const { result, state } = withRngState(this.rng, fn);
    this.rng = state;
    return result;
  }

  /** A new epoch's batches of sample indices: the batch sampler's, or runs of batchSize in order or shuffled. */
  private epochBatches(n: number): number[][] {
    this.epoch++;
    if (this.batchSampler) return this.sampledBatches(n);
    const order = this.shuffle ? this.draw(() => randperm(n)) : Array.from({ length: n }, (_, i) => i);
    const out: number[][] = [];
    for (let i = 0; i < order.length; i += this.batchSize) {
      const b = order.slice(i, i + this.batchSize);
      if (b.length < this.batchSize && this.dropLast) break;
      out.push(b);
    }
    return out;
  }

  /** The batch sampler's epoch, checked: a wrong count or index would otherwise train on something else silently. */
  private sampledBatches(n: number): number[][] {
    const s = this.batchSampler!;
    const batches = this.draw(() => s.batches());
    if (!Array.isArray(batches) || batches.length !== s.length) {
      throw new Error(`DataLoader: batchSampler.batches() gave ${Array.isArray(batches) ? batches.length : typeof batches} batches, but its length says ${s.length}`);
    }
    batches.forEach((b, k) => {
      if (!Array.isArray(b) || b.length === 0) throw new Error(`DataLoader: batchSampler batch ${k} is ${Array.isArray(b) ? 'empty' : typeof b}, not a list of sample indices`);
      for (const i of b) {
        if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`DataLoader: batchSampler batch ${k} holds index ${i}, outside the dataset's 0…${n - 1}`);
      }
    });
    return batches;
  }

  private collate(samples: S[]): B {
    const batch = this.collateFn ? this.collateFn(samples) : (defaultCollate(samples) as B);
    // Sample tensors that the batch does not hold are garbage now: free them at once.
    const inBatch = new Set(tensorsIn(batch));
    for (const t of tensorsIn(samples)) if (!inBatch.has(t)) t.dispose();
    return batch;
  }

  /** Loads one batch of a map-style dataset; a Promise only when the dataset is async. */
  private load(ds: Dataset<S>, idx: number[]): B | Promise<B> {
    if (!this.collateFn && typeof ds.getBatch === 'function') return ds.getBatch(idx) as B;
    const raw = idx.map((i) => ds.get(i));
    if (!raw.some(isPromise)) return this.collate(raw as S[]);
    // Async samples arrive while other code (the step) runs: keep their tensors out of its scope.
    return Promise.all(raw.map((r) => Promise.resolve(r).then((v) => (tensorsIn(v).forEach((t) => keep(t)), v)))).then((samples) => {
      try {
        return this.collate(samples);
      } catch (e) {
        tensorsIn(samples).forEach((t) => t.dispose());
        throw e;
      }
    });
  }

  [Symbol.iterator](): Iterator<B> {
    const ds = this.dataset;
    if (isDataset(ds)) {
      const batches = this.epochBatches(ds.length);
      return this.scoped(batches.map((idx) => () => {
        const b = this.load(ds, idx);
        if (isPromise(b)) {
          b.then((v) => tensorsIn(v).forEach((t) => t.dispose()), () => undefined);
          throw new Error('DataLoader: the dataset returned a Promise from get(); iterate it with `for await (… of loader)`');
        }
        return b;
      }));
    }
    if (!(Symbol.iterator in ds)) throw new Error('DataLoader: the dataset is async iterable; iterate it with `for await (… of loader)`');
    this.epoch++;
    const it = (ds as Iterable<S>)[Symbol.iterator]();
    return this.scoped(this.chunks(it));
  }

  /** Batches of a sync iterable dataset, as loaders of one batch each. */
  private *chunks(it: Iterator<S>): Generator<() => B> {
    for (;;) {
      const samples: S[] = [];
      let done = false;
      while (samples.length < this.batchSize) {
        const r = it.next();
        if (r.done) { done = true; break; }
        samples.push(r.value);
      }
      if (samples.length > 0 && !(this.dropLast && samples.length < this.batchSize)) yield () => this.collate(samples);
      else tensorsIn(samples).forEach((t) => t.dispose());
      if (done) return;
    }
  }

  /** Runs each batch loader inside a fresh step scope, closing the previous one first. */
  private *scoped(loaders: Iterable<() => B>): Generator<B> {
    let s: ReturnType<typeof beginScope> | null = null;
    try {
      for (const load of loaders) {
        if (s) { endScope(s); s = null; }
        s = this.stepScope ? beginScope() : null;
        yield load();
      }
    } finally {
      if (s) endScope(s);
    }
  }

  /**
   * The async iteration. A batch's step scope becomes current when the loop reads the batch (the
   * `value` of the iterator result, read in the loop's own async context after its await), and ends
   * when the next batch is asked for — so loops in different tasks each have their own step scopes.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<B> {
    const source = this.keptBatches();
    const steps: Scope[] = [];
    let finished = false;
    const endSteps = (): void => {
      for (const s of steps.splice(0)) if (s.open) endScope(s);
    };
    const it: AsyncIterableIterator<B> = {
      next: (): Promise<IteratorResult<B>> => {
        endSteps();
        if (finished) return Promise.resolve({ done: true, value: undefined });
        return source.next().then((r): IteratorResult<B> => {
          if (r.done) {
            finished = true;
            return r;
          }
          const batch = r.value;
          if (!this.stepScope) return { done: false, value: batch };
          const s = detachedScope();
          for (const t of tensorsIn(batch)) adopt(s, t);
          steps.push(s);
          let entered = false;
          return {
            done: false,
            get value(): B {
              if (!entered && s.open) {
                entered = true;
                enterScope(s);
              }
              return batch;
            },
          };
        });
      },
      return: async (value?: unknown): Promise<IteratorResult<B>> => {
        endSteps();
        finished = true;
        await source.return(undefined);
        return { done: true, value: value as B };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** The epoch's batches, each kept out of every scope (the step scope adopts it), loaded ahead for async data. */
  private async *keptBatches(): AsyncGenerator<B, void, undefined> {
    const ds = this.dataset;
    const kept = (b: B): B => (tensorsIn(b).forEach((t) => keep(t)), b);
    const disposeLater = (p: Promise<B>): void => void p.then((b) => tensorsIn(b).forEach((t) => t.dispose()), () => undefined);
    if (isDataset(ds)) {
      const batches = this.epochBatches(ds.length);
      const ahead: Promise<B>[] = [];
      let next = 0;
      let async = false;
      const start = (): void => {
        const r = this.load(ds, batches[next++]!);
        if (isPromise(r)) {
          async = true;
          const p = r.then(kept);
          p.catch(() => undefined); // surfaced when awaited
          ahead.push(p);
        } else {
          ahead.push(Promise.resolve(kept(r)));
        }
      };
      try {
        while (next < batches.length || ahead.length) {
          if (ahead.length === 0) start();
          // Load ahead only for async data: sync loading cannot overlap the step, and loading it
          // late keeps random augmentation in a deterministic order with the step's own draws.
          while (async && ahead.length < this.prefetch + 1 && next < batches.length) start();
          yield await ahead.shift()!;
        }
      } finally {
        for (const p of ahead.splice(0)) disposeLater(p);
      }
      return;
    }
    this.epoch++;
    if (Symbol.asyncIterator in ds) {
      const it = (ds as AsyncIterable<S>)[Symbol.asyncIterator]();
      let chain: Promise<unknown> = Promise.resolve();
      let finished = false;
      const pull = (): Promise<B | null> => {
        const p = chain.then(async () => {
          if (finished) return null;
          const samples: S[] = [];
          while (samples.length < this.batchSize) {
            const r = await it.next();
            if (r.done) { finished = true; break; }
            tensorsIn(r.value).forEach((t) => keep(t));
            samples.push(r.value);
          }
          if (samples.length === 0 || (this.dropLast && samples.length < this.batchSize)) {
            tensorsIn(samples).forEach((t) => t.dispose());
            return null;
          }
          return kept(this.collate(samples));
        });
        chain = p.catch(() => undefined);
        p.catch(() => undefined);
        return p;
      };
      const ahead: Promise<B | null>[] = [];
      try {
        for (;;) {
          while (ahead.length < Math.max(1, this.prefetch + 1) && !finished) ahead.push(pull());
          if (ahead.length === 0) break;
          const b = await ahead.shift()!;
          if (b === null) {
            if (finished) break;
            continue;
          }
          yield b;
        }
      } finally {
        for (const p of ahead.splice(0)) void p.then((b) => b && tensorsIn(b).forEach((t) => t.dispose()), () => undefined);
        if (!finished) await it.return?.();
      }
      return;
    }
    for (const load of this.chunks((ds as Iterable<S>)[Symbol.iterator]())) yield kept(load());
  }
}

function isIterable(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (Symbol.iterator in v || Symbol.asyncIterator in v);
}
