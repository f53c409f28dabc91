// Ownership of backend storage: reference-counted buffers, scopes per async context, keep(),
// release through a handle's holder (step boundaries), memory() and size checks. Nothing here knows ops.

import type { Backend, Storage } from '../backend/backend.js';
import { getBackend, listBackends } from '../backend/backend.js';
import { contextSlot } from './async-context.js';
import { bytesPer, type DType } from './dtype.js';

/** A backend storage shared by a tensor and its reshaped views / autograd aliases. */
export class Buf {
  refs = 1;
  /** PyTorch's version counter: bumped by every in-place write, shared by the views of this storage */
  version = 0;
  /** the in-place op that last wrote here (named by the saved-tensor error) */
  lastWrite = '';
  /** the op that made this storage as a copy of part of another tensor (PyTorch makes a view there) */
  copyOf: string | null = null;
  /** how many pending results (src/ops/pending.ts) hold this storage as an input: an in-place write gives each its own copy first */
  pendingReads = 0;
  constructor(readonly backend: Backend, public storage: Storage) {}
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.backend.free(this.storage);
  }
}

/** Anything that owns a Buf and can be released: a Tensor handle. */
export interface Owner {
  dispose(): void;
  readonly isDisposed: boolean;
  /** Marks the handle as kept: no step boundary releases it (keep()). */
  _pin?(): void;
  /** @internal the scope that holds this handle (set and read here only) */
  _scope?: Scope | null;
  /** @internal its index in that scope's owners (set and read here only) */
  _scopeIdx?: number;
  /** @internal what the handle holds (released through it if the handle is dropped undisposed) */
  readonly _holder?: Holder;
  /** @internal no scope holds the handle any more: the finalizer takes over (src/tensor/tensor.ts) */
  _unowned?(): void;
}

/**
 * What a tensor handle holds, apart from the handle itself: the finalizer and the step boundaries
 * of autograd/release.ts reach a handle's storage through this without keeping the handle alive.
 */
export interface Holder {
  buf: Buf | null;
  node: { release(): void } | null;
  /** Counted out of memory() already (disposed, collected or revoked). */
  done: boolean;
  /** Passed to keep(): never released by a step boundary. */
  kept: boolean;
  /** Released by a step boundary (the error on use says so). */
  revoked: boolean;
  /** A result not computed yet (src/ops/pending.ts): what it holds is released instead of a storage. */
  pending?: { release(): void } | null;
}

/**
 * Releases a handle's storage and graph link through its holder (the handle may be unreachable by
 * then); a kept or already released handle is left alone. Using the handle afterwards throws.
 */
export function revoke(h: Holder): void {
  if (h.done || h.kept || (!h.buf && !h.pending)) return;
  h.done = true;
  h.revoked = true;
  if (h.pending) {
    h.pending.release();
    h.pending = null;
  }
  if (h.buf) h.buf.release();
  h.buf = null;
  const n = h.node;
  h.node = null;
  if (n) n.release();
  liveHandles--;
}

/**
 * A scope: the tensors created while it is current, released when it ends. Scopes form a tree
 * through their parents; which one is current belongs to the async context (see async-context.ts),
 * so tasks that interleave with await each see their own. A closed scope is transparent: a context
 * still pointing at it creates into its nearest open ancestor.
 */
export class Scope {
  /**
   * What the scope holds (made on the first one: most scopes of ops hold few or none for long), as an
   * array: each owner knows its index (_scopeIdx), so forgetting one is a swap with the last — cheaper
   * than a Set's hashing on the path of every tensor made (a generated token makes ~120).
   */
  owners: Owner[] | null = null;
  /**
   * The owners' holders, index for index (null for an owner without one): what scopeFinalizer releases if
   * the scope itself is dropped open (a scope holds its handles, so theirs cannot run; one registration
   * per scope instead of one per handle).
   */
  holders: (Holder | null)[] | null = null;
  open = true;
  constructor(public parent: Scope | null) {}
  add(t: Owner): void {
    if (!this.owners) {
      this.owners = [];
      this.holders = [];
      scopeFinalizer?.register(this, this.holders, this);
    }
    t._scopeIdx = this.owners.length;
    this.owners.push(t);
    this.holders!.push(t._holder ?? null);
    t._scope = this;
  }
  /** Takes t (one of this scope's owners) out: the last owner moves into its place. */
  remove(t: Owner): void {
    t._scope = null;
    const o = this.owners, h = this.holders;
    if (!o || !h) return;
    const i = t._scopeIdx!, last = o.length - 1;
    if (o[i] !== t) throw new Error('internal: a scope lost track of a tensor handle it holds (please report this)');
    if (i !== last) {
      const m = o[last]!;
      o[i] = m;
      h[i] = h[last]!;
      m._scopeIdx = i;
    }
    o.pop();
    h.pop();
  }
}

/**
 * Releases what a handle held, through its holder (the handle itself may be gone): the backstop for
 * handles dropped without dispose(), by the tensor finalizer and scopeFinalizer.
 */
export function releaseHolder(h: Holder): void {
  if (h.done) return;
  h.done = true;
  if (h.pending) h.pending.release();
  h.pending = null;
  if (h.buf) h.buf.release();
  h.buf = null;
  if (h.node) h.node.release();
  h.node = null;
  liveHandles--;
}

const scopeFinalizer: FinalizationRegistry<(Holder | null)[]> | null =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((hs: (Holder | null)[]) => { for (const h of hs) if (h) releaseHolder(h); }) : null;

const slot = contextSlot<Scope>();
let liveHandles = 0;

export function openAncestor(s: Scope | null | undefined): Scope | null {
  while (s && !s.open) s = s.parent;
  return s ?? null;
}

/** The innermost open scope of the calling context (null: none, tensors live until disposed). */
export function currentScope(): Scope | null {
  return openAncestor(slot.get());
}

/** Whether scopes follow async contexts here (Node, Deno, Bun) or one variable per thread (browsers). */
export function scopesPerAsyncContext(): boolean {
  return slot.perAsyncContext;
}

/** Called with each new handle while set (the leak watch samples creation stacks through it). */
let creationHook: ((t: Owner) => void) | null = null;
export function setCreationHook(f: ((t: Owner) => void) | null): void {
  creationHook = f;
}

/** Live tensor handles (not yet disposed, collected or released). */
export function liveHandleCount(): number {
  return liveHandles;
}

export function trackCreated(t: Owner): void {
  liveHandles++;
  if (creationHook) creationHook(t);
  const s = currentScope();
  if (s) s.add(t);
  else t._unowned?.();
}

export function trackDisposed(t: Owner | null): void {
  liveHandles--;
  if (t) forget(t);
}

function forget(t: Owner): void {
  const s = t._scope;
  if (s) s.remove(t);
}

/**
 * Removes a handle from its scope and exempts it from step boundaries, so it outlives every scope
 * and step (parameters, optimizer state, results).
 */
export function keep<T extends Owner>(t: T): T {
  forget(t);
  t._unowned?.();
  t._pin?.();
  return t;
}

function collectOwners(value: unknown, out: Set<Owner>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (isOwner(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectOwners(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectOwners(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectOwners(v, out, depth + 1);
  }
}

function isOwner(v: object): v is Owner {
  return typeof (v as Owner).dispose === 'function' && 'isDisposed' in v;
}

/** Moves a handle into scope s (out of whatever scope held it). */
export function adopt(s: Scope, t: Owner): void {
  forget(t);
  s.add(t);
}

/** Opens a scope by hand in the calling context (the DataLoader's step scope uses this); close it with endScope. */
export function beginScope(): Scope {
  const s = new Scope(currentScope());
  slot.enter(s);
  return s;
}

/** A scope that is not current anywhere yet (a loader's step scope, entered when its batch is read). */
export function detachedScope(): Scope {
  return new Scope(null);
}

/** Makes s current in the calling context, inside the context's current scope (unless s has a parent). */
export function enterScope(s: Scope): void {
  if (!s.open) throw new Error('enterScope: this scope has ended');
  if (s.parent === null) {
    const p = currentScope();
    if (p !== s) s.parent = p;
  }
  slot.enter(s);
}

/**
 * Closes a scope: disposes what was created in it, except the tensors found in `result` (a tensor,
 * or arrays / plain objects / Maps of them), which move to the nearest open enclosing scope. Scopes
 * the calling context opened inside s and left open (a throw) close first; scopes other async
 * contexts opened inside s stay open.
 */
export function endScope(s: Scope, result?: unknown): void {
  if (!s.open) throw new Error('endScope: this scope has already ended');
  const cur = slot.get() ?? null;
  let inner = false;
  for (let c: Scope | null = cur; c; c = c.parent) if (c === s) { inner = true; break; }
  if (inner) for (let c: Scope | null = cur; c && c !== s; c = c.parent) if (c.open) close(c);
  close(s, result);
  if (inner) slot.enter(openAncestor(s.parent) ?? undefined);
}

function close(s: Scope, result?: unknown): void {
  s.open = false;
  const survivors = new Set<Owner>();
  collectOwners(result, survivors);
  const owners = s.owners;
  s.owners = null;
  if (!owners) return;
  scopeFinalizer?.unregister(s);
  s.holders = null;
  const parent = openAncestor(s.parent);
  for (const t of owners) {
    t._scope = null;
    if (survivors.has(t)) {
      if (parent) parent.add(t);
      else t._unowned?.();
    } else if (!t.isDisposed) {
      t.dispose();
    }
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === 'function';

/**
 * Runs fn and frees every tensor created inside it except the ones it returns (found inside
 * arrays, plain objects and Maps too). fn may be async: then scope returns its promise, and the
 * scope covers fn's awaits too and ends when the promise settles. Tasks running at the same time
 * each have their own scopes (in Node, Deno and Bun; in a browser, an async scope is current for
 * the whole thread until it settles — don't interleave two there).
 */
export function scope<T>(fn: () => T): T {
  const s = new Scope(currentScope());
  let result: T;
  try {
    result = slot.run(s, fn);
  } catch (e) {
    endScope(s);
    throw e;
  }
  if (!isThenable(result)) {
    endScope(s, result);
    return result;
  }
  // Where the platform tracks async contexts, the caller is back in its own scope already; in the
  // fallback s stays current until fn settles.
  return Promise.resolve(result).then(
    (v) => { settle(s, v); return v; },
    (e: unknown) => { settle(s); throw e; },
  ) as T;
}

function settle(s: Scope, result?: unknown): void {
  if (!s.open) return;
  close(s, result);
  // In the fallback s was current for the whole thread: step back out of it (and any scope left
  // open inside it).
  const cur = slot.get();
  if (!slot.perAsyncContext && cur && !cur.open) slot.enter(openAncestor(cur) ?? undefined);
}

/** "1.50 GiB", "12.0 MiB", "640 B": sizes in errors. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Elements of a typed array at most (V8's limit), for backends that set none of their own. */
const TYPED_ARRAY_MAX = 2 ** 32;

/**
 * Checks, before any array is built, that a tensor of `shape` can exist on the backend: an error
 * that names the op, the size, what is live and the limit instead of "Invalid typed array length"
 * or a wrapped allocation.
 */
export function checkFits(op: string, shape: readonly number[], dtype: DType, backend?: Backend): number {
  let n = 1;
  for (const d of shape) n *= d;
  // Small tensors always fit the shape limits; the backend's own allocation error covers a full heap.
  if (n <= 2 ** 24) return n;
  backend ??= getBackend();
  const bytes = n * bytesPer(dtype);
  const st = backend.stats();
  const maxElements = st.maxElements ?? TYPED_ARRAY_MAX;
  const what = () => `${op}: ${dtype === 'int32' ? 'an' : 'a'} ${dtype} tensor of shape [${shape.join(', ')}] (${n.toLocaleString('en-US')} elements, ${formatBytes(bytes)})`;
  if (n > maxElements) {
    throw new RangeError(`${what()} is too large: the ${backend.name} backend holds at most ${maxElements.toLocaleString('en-US')} elements in one tensor`);
  }
  if (st.limitBytes !== undefined && bytes > st.limitBytes - st.bytes) {
    throw new RangeError(
      `${what()} does not fit in the ${backend.name} backend's memory: ${formatBytes(st.bytes)} is live and the limit is ` +
        `${formatBytes(st.limitBytes)}. Free tensors you no longer need (dispose(), nb.scope) or use smaller sizes.`,
    );
  }
  return n;
}

export interface MemoryInfo {
  /** Live tensor handles (not yet disposed or collected). */
  tensors: number;
  /** Bytes held by live storages, all backends. */
  bytes: number;
  backends: Record<string, { storages: number; bytes: number }>;
}

export function memory(): MemoryInfo {
  const backends: MemoryInfo['backends'] = {};
  let bytes = 0;
  for (const name of listBackends()) {
    const st = getBackend(name).stats();
    backends[name] = st;
    bytes += st.bytes;
  }
  return { tensors: liveHandles, bytes, backends };
}

/**
 * Verifies the guard bytes around every live block of the backends that keep them (the wasm backend
 * under NABLA_HEAP_CHECK=1) and throws an error naming the block, its size and where it was made
 * if one was overwritten. Returns the backends checked and the blocks verified; without the mode
 * there is nothing to verify (checked: []).
 */
export function checkHeap(): { checked: string[]; blocks: number } {
  const checked: string[] = [];
  let blocks = 0;
  for (const name of listBackends()) {
    const r = getBackend(name).checkHeap?.();
    if (r?.checked) { checked.push(name); blocks += r.blocks; }
  }
  return { checked, blocks };
}
