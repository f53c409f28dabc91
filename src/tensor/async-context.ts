// Which scope is current, per async context: Node's AsyncLocalStorage (also in Deno and Bun) where
// the platform has one; elsewhere (browsers) one variable for the whole thread — see memory.ts.

/** A value that follows the flow of a program through awaits (or, in the fallback, through calls). */
export interface ContextSlot<T> {
  /** True when the value follows async contexts; false in the fallback (one value per thread). */
  readonly perAsyncContext: boolean;
  get(): T | undefined;
  /** Makes v current for the rest of this synchronous run and the async work it starts. */
  enter(v: T | undefined): void;
  /** Runs fn with v current (for fn's awaits too, where the platform tracks them). */
  run<R>(v: T, fn: () => R): R;
}

interface Als<T> {
  getStore(): T | undefined;
  enterWith(v: T | undefined): void;
  run<R>(v: T, fn: () => R): R;
}
type AlsClass = new <T>() => Als<T>;

const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;

/** AsyncLocalStorage from the platform, found without a static import (bundlers and pages never see node:). */
function builtinAls(): AlsClass | null {
  try {
    const mod = proc?.getBuiltinModule?.('node:async_hooks') as { AsyncLocalStorage?: AlsClass } | undefined;
    return mod?.AsyncLocalStorage ?? null;
  } catch {
    return null;
  }
}

class AlsSlot<T> implements ContextSlot<T> {
  readonly perAsyncContext = true;
  constructor(private readonly als: Als<T>) {}
  get(): T | undefined { return this.als.getStore(); }
  enter(v: T | undefined): void { this.als.enterWith(v); }
  run<R>(v: T, fn: () => R): R { return this.als.run(v, fn); }
}

class ThreadSlot<T> implements ContextSlot<T> {
  readonly perAsyncContext = false;
  private value: T | undefined;
  get(): T | undefined { return this.value; }
  enter(v: T | undefined): void { this.value = v; }
  run<R>(v: T, fn: () => R): R {
    // No async tracking: v stays current until the caller enters another value (scope() does that
    // when fn's promise settles), so a single task with awaits still sees its scope.
    this.value = v;
    return fn();
  }
}

const slots: { slot: ContextSlot<unknown>; upgrade: (A: AlsClass) => void }[] = [];

/** A context slot; it becomes per-async-context once installAsyncContext() finds AsyncLocalStorage. */
export function contextSlot<T>(): ContextSlot<T> {
  const A = builtinAls();
  if (A) return new AlsSlot<T>(new A<T>()); // the usual case: no indirection on the hot path
  const holder: { slot: ContextSlot<T> } = { slot: new ThreadSlot<T>() };
  const facade: ContextSlot<T> = {
    get perAsyncContext() { return holder.slot.perAsyncContext; },
    get: () => holder.slot.get(),
    enter: (v) => holder.slot.enter(v),
    run: (v, fn) => holder.slot.run(v, fn),
  };
  slots.push({ slot: facade as ContextSlot<unknown>, upgrade: (C) => { if (!holder.slot.perAsyncContext) holder.slot = new AlsSlot<T>(new C<T>()); } });
  return facade;
}

/**
 * For Node versions without process.getBuiltinModule (before 20.16): loads node:async_hooks
 * asynchronously (nb.ready() awaits this). Elsewhere a no-op.
 */
export async function installAsyncContext(): Promise<void> {
  if (slots.length === 0 || !proc?.versions?.node) return;
  const spec = 'node:async_hooks'; // in a variable, so bundlers leave it alone
  try {
    const mod = (await import(spec)) as { AsyncLocalStorage?: AlsClass };
    if (mod.AsyncLocalStorage) for (const s of slots) s.upgrade(mod.AsyncLocalStorage);
  } catch {
    // stays per thread (documented in memory.ts)
  }
}
