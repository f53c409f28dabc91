// The debug heap (NABLA_HEAP_CHECK=1): guard bytes before and after every block, verified after every
// kernel, when the block is freed and by nb.checkHeap(), so an out-of-bounds write is an error naming
// the kernel, the op and the block instead of a tensor that silently changes later.

import { Heap, HEAP_BASE, PARAM_BASE, PARAM_BYTES, blockSize } from './heap.js';
import { userFrame } from '../../tensor/leak-watch.js';
import type { Kernel } from './context.js';
import type { Pool } from './pool.js';

/** Guard bytes before a block (64 keeps the data 64-byte aligned); after it, at least this many. */
export const GUARD = 64;
/** The guard pattern: as float32 ≈ −1.2e17, as int32 −606,348,325 — not a value kernels write. */
const PATTERN = 0xdb;
const PATTERN32 = 0xdbdbdbdb | 0;
/**
 * What a new block holds until a kernel writes it: all ones, NaN as float32 and float64 (−1 as int32),
 * so a result that reads memory nobody wrote turns NaN instead of depending on what was there before.
 */
const POISON = 0xff;
/** V8's stack depth setting: deep enough here to reach the user's line from inside a backward rule. */
const V8Error = Error as { stackTraceLimit?: number };
const STACK_DEPTH = 40;

/** A stack captured now (formatted only if an error reads it). */
export function site(): Error {
  const limit = V8Error.stackTraceLimit;
  V8Error.stackTraceLimit = STACK_DEPTH;
  const e = new Error();
  V8Error.stackTraceLimit = limit;
  return e;
}

/** How many of the kernels run since the last full check an error lists. */
const RECENT = 8;
/**
 * Up to this many live blocks, every kernel is followed by a check of every block. Above it, by a
 * check of the blocks in its arguments (an overrun of those is pinned on it exactly) and a full
 * check every live/FULL_EVERY kernels, so a kernel costs O(FULL_EVERY) block checks, not O(live).
 */
const FULL_EVERY = 256;

interface Guarded {
  /** The address handed out. */
  ptr: number;
  /** Start and size of the whole block (guards included). */
  block: number; size: number;
  /** The bytes asked for. */
  bytes: number;
  what: string;
  /** Where the block was allocated (formatted only when an error names it). */
  made: Error;
}

/** A guard that was found broken: which block, which side, and the first changed bytes. */
export interface BrokenGuard { ptr: number; info: Guarded; side: 'before' | 'after'; at: number; count: number; first: number[] }

export class HeapGuardError extends Error {
  constructor(message: string, readonly broken: readonly BrokenGuard[]) { super(message); this.name = 'HeapGuardError'; }
}

/** Where nabla's own sources live: frames there are the op, frames outside are the user's. */
const srcRoot = new URL('../../', import.meta.url).href;

/** "add (ops/elementwise.ts:99)": the first frame of a stack in nabla but outside the backend. */
function opFrame(stack: string): string | null {
  for (const line of stack.split('\n').slice(1)) {
    const m = /at (?:(\S+) \()?((?:file:\/\/|\/)[^\s()]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const url = m[2]!.startsWith('/') ? `file://${m[2]}` : m[2]!;
    if (!url.startsWith(srcRoot) || url.startsWith(`${srcRoot}backend/`)) continue;
    return `${(m[1] ?? '<anonymous>').replace(/^(Module|Object)\./, '')} (${url.slice(srcRoot.length)}:${m[3]})`;
  }
  return null;
}

/** "by add (ops/elementwise.ts:99) at test/x.ts:12:3" for a stack (empty when it says nothing). */
export function whereFrom(stack: string): string {
  const op = opFrame(stack), user = userFrame(stack);
  return [op ? `by ${op}` : '', user ? `at ${user}` : ''].filter(Boolean).join(' ');
}

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * A Heap whose blocks carry guards. Sizes and counts (liveBytes, liveCount) are what the plain heap
 * would report, so nb.memory() reads the same in both modes; guardBytes holds the extra.
 */
export class CheckedHeap extends Heap {
  override readonly checked: boolean = true;
  private readonly guards = new Map<number, Guarded>();
  guardBytes = 0;
  /** How many kernel runs (dispatches) were followed by a check. */
  kernelChecks = 0;
  /** The kernels run since the last full check, with their arguments (the last RECENT of them). */
  private readonly recent: [string, readonly number[]][] = [];
  private sinceFull = 0;
  /** The kernels' constant tables (the non-zero words below the heap, above the parameter block) at start-up, and their first word. */
  private statics: Int32Array | null = null;
  private staticsAt = 0;

  override alloc(bytes: number, what?: string): number {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) return super.alloc(bytes, what);
    const want = blockSize(bytes);
    const block = super.alloc(GUARD + Math.max(bytes, 1) + GUARD, what);
    const size = this.blockAt(block)!;
    // super counted the guarded size; count what the plain heap would have
    this.liveBytes += want - size;
    this.guardBytes += size - want;
    const ptr = block + GUARD;
    this.u8.fill(PATTERN, block, ptr);
    this.u8.fill(POISON, ptr, ptr + bytes);
    this.u8.fill(PATTERN, ptr + bytes, block + size);
    this.guards.set(ptr, { ptr, block, size, bytes, what: what ?? `a block of ${bytes.toLocaleString('en-US')} bytes`, made: site() });
    return ptr;
  }

  /** Whether `ptr` starts a live block (addresses among a kernel's arguments are shown in hex). */
  isBlock(ptr: number): boolean {
    return this.guards.has(ptr);
  }

  /** Names the block at `ptr` in guard errors ("a float32 tensor of 1,000 elements"). */
  override describe(ptr: number, what: string): void {
    const g = this.guards.get(ptr);
    if (g) g.what = what;
  }

  override release(ptr: number, bytes?: number): void {
    const g = this.guards.get(ptr);
    if (!g) throw new Error(`wasm backend: internal error: release of address ${ptr}, which is not an allocated block (freed twice?)`);
    if (bytes !== undefined && blockSize(bytes) !== blockSize(g.bytes)) {
      throw new Error(`wasm backend: internal error: release of ${bytes} bytes at ${ptr}, a block of ${g.bytes}`);
    }
    const broken = this.verify(ptr, g);
    this.guards.delete(ptr);
    const want = blockSize(g.bytes);
    this.liveBytes += g.size - want;
    this.guardBytes -= g.size - want;
    super.release(g.block);
    if (broken.length > 0) throw this.error(broken, `when it was freed ${whereFrom(site().stack ?? '')}`, true);
  }

  /** Remembers the kernel tables' bytes (checked by checkAll). */
  snapshotStatics(): void {
    this.refresh();
    let a = (PARAM_BASE + PARAM_BYTES) >>> 2, e = HEAP_BASE >>> 2;
    while (a < e && this.i32[a] === 0) a++;
    while (e > a && this.i32[e - 1] === 0) e--;
    this.staticsAt = a;
    this.statics = this.i32.slice(a, e);
  }

  /** The guards of one block that are broken now (repaired, so each breakage is reported once). */
  private verify(ptr: number, g: Guarded): BrokenGuard[] {
    const out: BrokenGuard[] = [];
    const i32 = this.i32, u8 = this.u8;
    // front guard: 64 bytes, 64-byte aligned
    for (let w = g.block >>> 2, e = ptr >>> 2; w < e; w++) {
      if (i32[w] !== PATTERN32) { out.push(this.scan(ptr, g, 'before', g.block, ptr)); break; }
    }
    // back guard: a few bytes up to a word boundary, then words
    const end = ptr + g.bytes, blockEnd = g.block + g.size;
    let a = end;
    for (; a < blockEnd && (a & 3) !== 0; a++) if (u8[a] !== PATTERN) break;
    let bad = a < blockEnd && (a & 3) !== 0;
    if (!bad) for (let w = a >>> 2, e = blockEnd >>> 2; w < e; w++) if (i32[w] !== PATTERN32) { bad = true; break; }
    if (bad) out.push(this.scan(ptr, g, 'after', end, blockEnd));
    return out;
  }

  /** Describes the changed bytes of [from, to) and restores the pattern there. */
  private scan(ptr: number, g: Guarded, side: 'before' | 'after', from: number, to: number): BrokenGuard {
    const u8 = this.u8;
    let at = -1, count = 0;
    const first: number[] = [];
    for (let a = from; a < to; a++) {
      if (u8[a] === PATTERN) continue;
      if (at < 0) at = a;
      count++;
      if (first.length < 8) first.push(u8[a]!);
      u8[a] = PATTERN;
    }
    return { ptr, info: g, side, at, count, first };
  }

  /**
   * Verifies every live block's guards (and the kernels' constant tables); throws a HeapGuardError
   * naming `where()` ("by kernel binary_add_f32 …", formatted only then) for the broken ones.
   * Returns the blocks checked.
   */
  checkAll(where: () => string, inKernel = false): number {
    this.refresh();
    const broken: BrokenGuard[] = [];
    for (const g of this.guards.values()) {
      const b = this.verify(g.ptr, g);
      if (b.length > 0) broken.push(...b);
    }
    if (this.statics) {
      const s = this.statics, i32 = this.i32, base = this.staticsAt;
      for (let i = 0; i < s.length; i++) {
        if (i32[base + i] !== s[i]) {
          i32.set(s, base);
          throw new HeapGuardError(`wasm heap check: the kernels' constant tables changed (first at address ${hex(4 * (base + i))}) ${where()}`, []);
        }
      }
    }
    const since = this.sinceFull;
    this.sinceFull = 0;
    if (broken.length > 0) throw this.error(broken, where(), !inKernel || since > 1);
    this.recent.length = 0;
    return this.guards.size;
  }

  /**
   * Checks after a kernel run: the blocks among `pointers` (its arguments, its threads' scratch)
   * now, and all blocks now or every few kernels (FULL_EVERY).
   */
  afterKernel(name: string, args: readonly number[], pointers: Iterable<number>): void {
    this.kernelChecks++;
    if (this.recent.push([name, args]) > RECENT) this.recent.shift();
    this.sinceFull++;
    // where() runs (and captures the stack: still the op's) only when a guard is broken
    const where = () => `by kernel ${describeCall(this, name, args)}, run ${whereFrom(site().stack ?? '')}`;
    if (this.guards.size > FULL_EVERY && this.sinceFull * FULL_EVERY < this.guards.size) {
      this.refresh();
      const own: BrokenGuard[] = [];
      for (const p of pointers) {
        const g = this.guards.get(p);
        if (g) own.push(...this.verify(p, g));
      }
      if (own.length > 0) throw this.error(own, where(), false);
      return;
    }
    const several = this.sinceFull > 1;
    this.checkAll(() => (several ? `by kernel ${describeCall(this, name, args)} or one run before it since the last full check` : where()), true);
  }

  private error(broken: BrokenGuard[], where: string, listRecent: boolean): HeapGuardError {
    const lines = broken.slice(0, 4).map((b) => {
      const g = b.info, off = b.at - b.ptr;
      const pos = b.side === 'after' ? `${off - g.bytes} bytes past its end (offset ${off})` : `${-off} bytes before its start`;
      const made = whereFrom(g.made.stack ?? '');
      return `${b.count} guard byte${b.count === 1 ? '' : 's'} ${b.side} ${g.what} (${g.bytes.toLocaleString('en-US')} bytes at ${hex(b.ptr)}${made ? `, allocated ${made}` : ''}) ` +
        `changed, the first ${pos}: ${b.first.map((v) => v.toString(16).padStart(2, '0')).join(' ')}`;
    });
    if (broken.length > 4) lines.push(`… and ${broken.length - 4} more`);
    const recent = listRecent && this.recent.length > 0 ? `\n  the kernels run since the last full check (the last ${RECENT} at most): ${this.recent.map(([n, a]) => describeCall(this, n, a)).join('; ')}` : '';
    return new HeapGuardError(`wasm heap check: an out-of-bounds write ${where}:\n  ${lines.join('\n  ')}${recent}`, broken);
  }
}

/** The arguments of a kernel call, with addresses (of live blocks, of the parameter block) in hex. */
function describeCall(heap: CheckedHeap, name: string, args: readonly number[]): string {
  return `${name}(${args.map((a) => (heap.isBlock(a) || a === PARAM_BASE ? hex(a) : String(a))).join(', ')})`;
}

/**
 * Wraps every kernel export and the pool's dispatches so that all guards are verified after each
 * kernel (once per dispatch, when every thread has finished its part).
 */
export function checkKernels(heap: CheckedHeap, ex: Record<string, Kernel>, pool: Pool): Record<string, Kernel> {
  let dispatching = 0;
  const after = (name: string, args: readonly number[], pointers: Iterable<number> = args) => heap.afterKernel(name, args, pointers);
  const out: Record<string, Kernel> = {};
  for (const [name, f] of Object.entries(ex)) {
    if (typeof f !== 'function') { out[name] = f; continue; }
    out[name] = (...args: number[]) => {
      const r = f(...args);
      if (dispatching === 0) after(name, args);
      return r;
    };
  }
  const run = pool.run.bind(pool), runShared = pool.runShared.bind(pool);
  pool.run = (fn, parts, local) => {
    dispatching++;
    try { run(fn, parts, local); } finally { dispatching--; }
    after(fn, parts[0] ?? [], parts.flat());
  };
  pool.runShared = (fn, parts, local, scratchArg, scratch) => {
    dispatching++;
    try { runShared(fn, parts, local, scratchArg, scratch); } finally { dispatching--; }
    after(fn, parts[0] ?? [], [...parts.flat(), ...(scratch ?? [])]);
  };
  return out;
}
