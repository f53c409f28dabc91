// Module hooks, as PyTorch's: forward pre-hooks (see and replace the arguments), forward hooks (see
// and replace the output) and full backward hooks (see the gradients at the module's outputs and
// inputs, and replace the latter). Every call goes through module.forward, so the hooks live in a
// wrapper of the instance's forward: whoever calls it (a user, Sequential, a layer inside a layer) fires them.

import { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from '../autograd/graph.js';
import { cast, cat, narrow, reshape } from '../ops/index.js';
import { promoteTypes } from '../tensor/dtype.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { record } from '../ops/util.js';
import { keep } from '../tensor/memory.js';

/** What register…Hook returns: remove() unregisters the hook (again: nothing). */
export interface RemovableHandle { readonly id: number; remove(): void }

/** Gets the module and its arguments; may return replacement arguments (an array of them, or the one argument). */
export type ForwardPreHook<M> = (module: M, args: unknown[]) => unknown;
/** Gets the module, its arguments and output; may return a replacement output. */
export type ForwardHook<M> = (module: M, args: unknown[], output: unknown) => unknown;
/**
 * Gets the module, the gradients of its tensor arguments (null where one does not require grad) and
 * of its output tensors; may return replacement gradients for the arguments (same order and shapes).
 */
export type FullBackwardHook<M> = (module: M, gradInput: (Tensor | null)[], gradOutput: (Tensor | null)[]) => (Tensor | null)[] | void | undefined;

type AnyFn = (...a: never[]) => unknown;
interface Hooks { pre: { id: number; fn: AnyFn }[]; fwd: { id: number; fn: AnyFn }[]; bwd: { id: number; fn: AnyFn }[] }

let nextId = 1;
const registry = new WeakMap<object, Hooks>();
const WRAPPED = Symbol('nabla.hooked');

type ModuleLike = { forward: (...a: unknown[]) => unknown; constructor: { name: string } };

/** Adds a hook of one kind to m (first when prepend), wrapping m.forward once. */
export function addHook(m: ModuleLike, kind: keyof Hooks, fn: AnyFn, opts: { prepend?: boolean } | undefined, what: string): RemovableHandle {
  if (typeof fn !== 'function') throw new TypeError(`${what}: the hook must be a function, got ${typeof fn}`);
  for (const k of Object.keys(opts ?? {})) if (k !== 'prepend') throw new TypeError(`${what}: unknown option '${k}' (known: prepend)`);
  let h = registry.get(m);
  if (!h) registry.set(m, (h = { pre: [], fwd: [], bwd: [] }));
  const id = nextId++;
  if (opts?.prepend) h[kind].unshift({ id, fn });
  else h[kind].push({ id, fn });
  wrapForward(m);
  return {
    id,
    remove(): void {
      const list = h![kind];
      const i = list.findIndex((e) => e.id === id);
      if (i >= 0) list.splice(i, 1);
    },
  };
}

function wrapForward(m: ModuleLike): void {
  if ((m.forward as { [WRAPPED]?: boolean })[WRAPPED]) return;
  const inner = m.forward;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    return callWithHooks(m, (a) => inner.apply(this, a), args);
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  Object.defineProperty(m, 'forward', { value: wrapped, configurable: true, writable: true, enumerable: false });
}

/**
 * A pending result (src/ops/pending.ts) computed now: a hooked module's inputs and output are the
 * tensors the neighbouring layers use — a conv2d output a hook keeps is not folded into the ReLU
 * after it, so gradients reach it (Grad-CAM) — at the cost of that one fusion.
 */
function settle(v: unknown): void {
  if (v instanceof Tensor) {
    if (v._pending && !v.isDisposed) v._live('hook');
  } else if (Array.isArray(v)) v.forEach(settle);
}

function callWithHooks(m: ModuleLike, inner: (args: unknown[]) => unknown, args: unknown[]): unknown {
  const h = registry.get(m)!;
  if (h.pre.length || h.fwd.length) settle(args);
  for (const { fn } of [...h.pre]) {
    const r = (fn as ForwardPreHook<ModuleLike>)(m, args);
    if (r !== undefined) args = Array.isArray(r) ? [...r] : [r];
  }
  const backward = h.bwd.length > 0 && isGradEnabled();
  const call: { gradOutput: (Tensor | null)[] | null; inputsHooked: boolean } = { gradOutput: null, inputsHooked: false };
  if (backward) args = hookInputs(m, h, args, call);
  let out = inner(args);
  if (h.fwd.length) settle(out);
  for (const { fn } of [...h.fwd]) {
    const r = (fn as ForwardHook<ModuleLike>)(m, args, out);
    if (r !== undefined) out = r;
  }
  if (backward) out = hookOutputs(m, h, args, out, call);
  return out;
}

/**
 * xs passed on through one node (a flat concatenation when there are several, one reshape when one)
 * whose backward hands the gradients of all of them to onGrad at once; onGrad may replace them.
 */
function gate(name: string, xs: Tensor[], onGrad: (grads: Tensor[]) => Tensor[] | void): Tensor[] {
  const dtype = xs.map((x) => x.dtype).reduce(promoteTypes);
  const flats = xs.map((x) => reshape(cast(x, dtype), [x.numel()]));
  const packed = flats.length === 1 ? flats[0]! : cat(flats, 0);
  const sizes = xs.map((x) => x.numel()), shapes = xs.map((x) => x.shape);
  const through = record(new Tensor(packed._live(name).retain(), packed.shape, dtype), name, [packed], [], (g) => {
    let off = 0;
    const pieces = sizes.map((n, i) => {
      const p = xs.length === 1 ? g : narrow(g, 0, off, n);
      off += n;
      const r = reshape(p, shapes[i]!);
      if (p !== g) p.dispose();
      return r;
    });
    const repl = onGrad(pieces);
    const use = repl ?? pieces;
    const flat = use.map((p) => reshape(cast(p, dtype), [p.numel()]));
    const back = flat.length === 1 ? flat[0]! : cat(flat, 0);
    for (const t of new Set([...pieces, ...flat])) if (t !== back) t.dispose();
    return [back];
  });
  let off = 0;
  const out = xs.map((x, i) => {
    const p = xs.length === 1 ? through : narrow(through, 0, off, sizes[i]!);
    off += sizes[i]!;
    const r = reshape(p, x.shape);
    const c = cast(r, x.dtype);
    if (c !== r) r.dispose();
    if (p !== through) p.dispose();
    return c;
  });
  for (const f of flats) if (!xs.includes(f)) f.dispose();
  if (packed !== flats[0]) packed.dispose();
  through.dispose();
  return out;
}

function fire(m: ModuleLike, h: Hooks, gradInput: (Tensor | null)[], gradOutput: (Tensor | null)[]): (Tensor | null)[] {
  let cur = gradInput;
  for (const { fn } of [...h.bwd]) {
    const r = (fn as FullBackwardHook<ModuleLike>)(m, cur, gradOutput);
    if (r === undefined) continue;
    if (!Array.isArray(r) || r.length !== cur.length) {
      throw new Error(`${m.constructor.name} full backward hook: must return undefined or an array of ${cur.length} gradient(s) (one per tensor argument), got ${Array.isArray(r) ? `${r.length}` : typeof r}`);
    }
    r.forEach((g, i) => {
      const was = cur[i];
      if (g !== null && !(g instanceof Tensor)) throw new TypeError(`${m.constructor.name} full backward hook: gradient ${i} must be a tensor or null`);
      if (g && was && !sameShape(g.shape, was.shape)) throw new Error(`${m.constructor.name} full backward hook: gradient ${i} has shape ${fmt(g.shape)}, the argument's is ${fmt(was.shape)}`);
    });
    cur = r;
  }
  return cur;
}

function hookInputs(m: ModuleLike, h: Hooks, args: unknown[], call: { gradOutput: (Tensor | null)[] | null; inputsHooked: boolean }): unknown[] {
  const tensorArgs = args.map((a, i) => (a instanceof Tensor ? i : -1)).filter((i) => i >= 0);
  const live = tensorArgs.filter((i) => (args[i] as Tensor).requiresGrad);
  if (live.length === 0) return args;
  call.inputsHooked = true;
  const gated = gate('BackwardHookFunctionBackward', live.map((i) => args[i] as Tensor), (grads) => {
    const gradInput = tensorArgs.map((i) => (live.includes(i) ? grads[live.indexOf(i)]! : null));
    const res = fire(m, h, gradInput, call.gradOutput ?? []);
    for (const g of call.gradOutput ?? []) g?.dispose();
    call.gradOutput = null;
    return live.map((i) => {
      const r = res[tensorArgs.indexOf(i)];
      return r ?? grads[live.indexOf(i)]!.mul(0);
    });
  });
  const out = [...args];
  live.forEach((i, k) => (out[i] = gated[k]));
  return out;
}

function tensorsOf(v: unknown, out: Tensor[]): void {
  if (v instanceof Tensor) out.push(v);
  else if (Array.isArray(v)) for (const x of v) tensorsOf(x, out);
}

function replaceTensors(v: unknown, map: Map<Tensor, Tensor>): unknown {
  if (v instanceof Tensor) return map.get(v) ?? v;
  if (Array.isArray(v)) return v.map((x) => replaceTensors(x, map));
  return v;
}

function hookOutputs(m: ModuleLike, h: Hooks, args: unknown[], out: unknown, call: { gradOutput: (Tensor | null)[] | null; inputsHooked: boolean }): unknown {
  const outs: Tensor[] = [];
  tensorsOf(out, outs);
  const live = outs.filter((t) => t.requiresGrad);
  if (live.length === 0) return out;
  const nArgs = args.filter((a) => a instanceof Tensor).length;
  const gated = gate('BackwardHookFunctionBackward', live, (grads) => {
    // Kept for the inputs' gate, which fires the hooks (backward frees each rule's temporaries when it
    // returns, so these copies are kept, and freed once the hooks have seen them); when no input
    // requires grad the hooks fire here.
    const gradOutput = outs.map((t) => (live.includes(t) ? keep(grads[live.indexOf(t)]!.add(0)) : null));
    if (call.inputsHooked) call.gradOutput = gradOutput;
    else {
      fire(m, h, Array.from({ length: nArgs }, () => null), gradOutput);
      for (const g of gradOutput) g?.dispose();
    }
  });
  return replaceTensors(out, new Map(live.map((t, i) => [t, gated[i]!])));
}
