// How the default backend starts. Importing nabla starts nothing: `await nb.ready()` starts it (in a
// page, where the kernels load asynchronously, that is the way), and in Node the first op starts it
// synchronously if ready() was not awaited. The default is wasm (SIMD kernels on every core);
// NABLA_BACKEND=js selects the reference backend; if wasm cannot start, a notice says why and js runs.

import { findBackend, listBackends, registerBackend, setBackend as setCurrent, type Backend } from './backend.js';
import { createJsBackend } from './js/index.js';
import { createWasmBackend, createWasmBackendSync } from './wasm/index.js';
import { installAsyncContext } from '../tensor/async-context.js';

const proc = (globalThis as { process?: { env?: Record<string, string | undefined>; getBuiltinModule?: unknown } }).process;

function wanted(): 'wasm' | 'js' {
  const v = proc?.env?.NABLA_BACKEND ?? 'wasm';
  if (v !== 'wasm' && v !== 'js') throw new Error(`nabla: NABLA_BACKEND must be 'wasm' or 'js', got '${v}'`);
  return v;
}

function ensureJs(): Backend {
  let js = findBackend('js');
  if (!js) registerBackend(js = createJsBackend());
  return js;
}

function fallBack(e: unknown): Backend {
  console.warn(`nabla: the wasm backend could not start (${(e as Error).message}); using the js backend`);
  setCurrent('js');
  return findBackend()!;
}

let starting: Promise<Backend> | null = null;

/** Starts the default backend (once) and resolves to it. Call it before the first op in a page. */
export function ready(): Promise<Backend> {
  // Node before 20.16 (no process.getBuiltinModule) finds AsyncLocalStorage only by an async import;
  // there ready() is required anyway (the wasm kernels cannot start synchronously either).
  const cur = findBackend();
  if (cur) return installAsyncContext().then(() => cur);
  starting ??= (async () => {
    await installAsyncContext();
    ensureJs();
    if (wanted() === 'js') { setCurrent('js'); return findBackend()!; }
    try {
      if (!findBackend('wasm')) registerBackend(await createWasmBackend());
      setCurrent('wasm');
      return findBackend()!;
    } catch (e) {
      return fallBack(e);
    }
  })();
  return starting;
}

/** Node can compile and start the kernels synchronously; a page cannot (fetch and compile are async). */
const canStartSync = typeof proc?.getBuiltinModule === 'function';

function startSync(name: 'wasm' | 'js'): Backend {
  ensureJs();
  if (name === 'js') { setCurrent('js'); return findBackend()!; }
  if (!canStartSync) {
    throw new Error("nabla: the wasm backend starts asynchronously here — call `await nb.ready()` before the first op (or nb.setBackend('js'))");
  }
  try {
    registerBackend(createWasmBackendSync());
    setCurrent('wasm');
    return findBackend()!;
  } catch (e) {
    return fallBack(e);
  }
}

/** The backend ops run on: the current one, else the default, started now (Node). */
export function currentBackend(): Backend {
  return findBackend() ?? startSync(wanted());
}

/** The named backend (starting js, or wasm in Node, on demand), or the current one. */
export function getBackend(name?: string, caller = 'getBackend'): Backend {
  if (name === undefined) return currentBackend();
  const b = findBackend(name);
  if (b) return b;
  if (name === 'js' || (name === 'wasm' && canStartSync)) {
    const prev = findBackend();
    startSync(name);
    if (prev) setCurrent(prev.name);
    const s = findBackend(name);
    if (s) return s;
  }
  throw new Error(`${caller}: no backend named '${name}' (registered: ${listBackends().join(', ') || 'none'}${name === 'wasm' ? '; in a page, await nb.ready() first' : ''})`);
}

/** Makes the named backend current (js and, in Node, wasm start on demand). */
export function setBackend(name: string): void {
  getBackend(name, 'setBackend');
  setCurrent(name);
}

export { listBackends, registerBackend };
