// Ownership of backend storage: reference-counted buffers, scopes, keep(), memory(), and the
// FinalizationRegistry backstop. Tensors register here; nothing here knows about ops.

import type { Backend, Storage } from '../backend/backend.js';
import { getBackend, listBackends } from '../backend/backend.js';

/** A backend storage shared by a tensor and its reshaped views / autograd aliases. */
export class Buf {
  refs = 1;
  /** PyTorch's version counter: bumped by every in-place write, shared by the views of this storage */
  version = 0;
  /** the in-place op that last wrote here (named by the saved-tensor error) */
  lastWrite = '';
  /** the op that made this storage as a copy of part of another tensor (PyTorch makes a view there) */
  copyOf: string | null = null;
  /** pending results holding this storage as an input: an in-place write gives each its own copy first */
  readers: Set<() => void> | null = null;
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
}

const scopes: Set<Owner>[] = [];
let liveHandles = 0;

export function trackCreated(t: Owner): void {
  liveHandles++;
  const top = scopes[scopes.length - 1];
  if (top) top.add(t);
}

export function trackDisposed(t: Owner | null): void {
  liveHandles--;
  if (t) for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.delete(t)) break;
}

/** Removes a handle from every open scope, so it outlives them (parameters, optimizer state, results). */
export function keep<T extends Owner>(t: T): T {
  for (const s of scopes) s.delete(t);
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

/** Opens a scope by hand (the DataLoader's step scope uses this); close it with endScope. */
export function beginScope(): Set<Owner> {
  const s = new Set<Owner>();
  scopes.push(s);
  return s;
}

/**
 * Closes a scope opened by beginScope: disposes what was created in it, except the tensors found
 * in `result` (a tensor, or arrays / plain objects / Maps of them), which move to the parent scope.
 */
export function endScope(s: Set<Owner>, result?: unknown): void {
  const idx = scopes.lastIndexOf(s);
  if (idx < 0) throw new Error('endScope: this scope is not open');
  // Close inner scopes left open by a throw inside them.
  while (scopes.length > idx + 1) endScope(scopes[scopes.length - 1]!);
  scopes.pop();
  const survivors = new Set<Owner>();
  collectOwners(result, survivors);
  const parent = scopes[scopes.length - 1];
  for (const t of s) {
    if (survivors.has(t)) {
      if (parent) parent.add(t);
    } else if (!t.isDisposed) {
      t.dispose();
    }
  }
}

/**
 * Runs fn and frees every tensor created inside it except the ones it returns (found inside
 * arrays, plain objects and Maps too). Synchronous: for async steps use beginScope/endScope.
 */
export function scope<T>(fn: () => T): T {
  const s = beginScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    endScope(s);
    throw e;
  }
  if (result instanceof Promise) {
    endScope(s);
    throw new Error('scope: fn returned a Promise; scope(fn) is synchronous — use beginScope()/endScope() around async code');
  }
  endScope(s, result);
  return result;
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

