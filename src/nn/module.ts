// nn.Module: parameters, buffers and child modules found from fields (or registered under
// PyTorch's exact names), stateDict/loadStateDict with PyTorch's keys, train/eval, apply, summary.

import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { keep } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { cast } from '../ops/index.js';
import { fmt } from '../tensor/shape.js';
import { DTYPES } from '../tensor/dtype.js';
import { summarize } from './summary.js';
import { addHook, type ForwardHook, type ForwardPreHook, type FullBackwardHook, type RemovableHandle } from './hooks.js';

/** A tensor that is a module's learnable weight: a leaf that requires grad and outlives scopes. */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    const buf = data._live('Parameter');
    super(buf.retain(), data.shape, data.dtype);
    keep(this);
    if (requiresGrad) this.requiresGrad_(true);
  }
}

export type StateDict = Record<string, Tensor>;

export interface LoadResult { missingKeys: string[]; unexpectedKeys: string[] }

export class Module {
  /** Train mode (dropout active, batch norm uses batch statistics). */
  training = true;
  /** @internal entries registered under an explicit (PyTorch) name */
  private readonly _params = new Map<string, Parameter | null>();
  private readonly _buffers = new Map<string, { t: Tensor | null; persistent: boolean }>();
  private readonly _mods = new Map<string, Module | null>();

  /** Registers a parameter under PyTorch's name (e.g. 'weight_ih_l0'); null registers an absent one. */
  registerParameter(name: string, p: Parameter | null): Parameter | null {
    this._params.set(name, p);
    this.exposeField(name);
    return p;
  }

  /** Registers a buffer (state that is saved but not trained, e.g. 'running_mean'), readable as this[name]. */
  registerBuffer(name: string, t: Tensor | null, persistent = true): Tensor | null {
    if (t) keep(t);
    this._buffers.set(name, { t, persistent });
    this.exposeField(name);
    return t;
  }

  /** Registers a child module, readable as this[name] (md.wte, seq[0]). */
  registerModule(name: string, m: Module | null): Module | null {
    this._mods.set(name, m);
    this.exposeField(name);
    return m;
  }

  /**
   * Makes a registered entry readable (and assignable) as a field, as PyTorch's __getattr__ does —
   * unless the name is taken by something else (a method, a field with a value).
   */
  private exposeField(name: string): void {
    const own = Object.getOwnPropertyDescriptor(this, name);
    if (own ? !own.configurable || own.get !== undefined || own.value !== undefined : name in this) return;
    Object.defineProperty(this, name, {
      configurable: true,
      enumerable: false,
      get: () => this._params.has(name) ? this._params.get(name) : this._buffers.has(name) ? this._buffers.get(name)!.t : this._mods.get(name),
      set: (v: unknown) => this.assignRegistered(name, v),
    });
  }

  /** this[name] = v for a registered name: the entry is replaced, with PyTorch's checks of what fits. */
  private assignRegistered(name: string, v: unknown): void {
    const where = `${this.constructor.name}.${name}`;
    if (this._params.has(name)) {
      if (v !== null && !(v instanceof Parameter)) throw new TypeError(`${where}: cannot assign ${v instanceof Tensor ? 'a Tensor' : typeof v} as parameter '${name}' (a Parameter or null expected)`);
      this._params.set(name, v);
    } else if (this._buffers.has(name)) {
      if (v !== null && !(v instanceof Tensor)) throw new TypeError(`${where}: cannot assign ${typeof v} as buffer '${name}' (a Tensor or null expected)`);
      if (v) keep(v);
      this._buffers.get(name)!.t = v;
    } else {
      if (v !== null && !(v instanceof Module)) throw new TypeError(`${where}: cannot assign ${v instanceof Tensor ? 'a Tensor' : typeof v} as child module '${name}' (a Module or null expected)`);
      this._mods.set(name, v);
    }
  }

  /** Replaces a registered buffer's tensor (e.g. running statistics after a step). */
  protected setBuffer(name: string, t: Tensor): void {
    const e = this._buffers.get(name);
    if (!e) throw new Error(`${this.constructor.name}: no buffer named '${name}'`);
    keep(t);
    if (e.t && e.t !== t) e.t.dispose();
    e.t = t;
  }

  getBuffer(name: string): Tensor | null {
    return this._buffers.get(name)?.t ?? null;
  }

  /**
   * Fields that hold a Parameter or a Module count as registered under their field name, and so does
   * a plain array of modules, as the ModuleList PyTorch would need there ('layers.0.weight').
   */
  private fieldEntries(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (k.startsWith('_') || k === 'training') continue;
      if (v instanceof Parameter || v instanceof Module) out.push([k, v]);
      else if (Array.isArray(v) && v.length > 0 && v.every((m) => m instanceof Module)) out.push([k, listOf(v as Module[])]);
    }
    return out;
  }

  /** Direct parameters in registration order: explicit ones, then fields. */
  *ownParameters(): Generator<[string, Parameter]> {
    const seen = new Set<Tensor>();
    for (const [k, p] of this._params) if (p) { seen.add(p); yield [k, p]; }
    for (const [k, v] of this.fieldEntries()) if (v instanceof Parameter && !seen.has(v) && !this._params.has(k)) yield [k, v];
  }

  *ownBuffers(persistentOnly = false): Generator<[string, Tensor]> {
    for (const [k, e] of this._buffers) if (e.t && (!persistentOnly || e.persistent)) yield [k, e.t];
  }

  /** Direct children, in registration order. */
  *namedChildren(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [k, m] of this._mods) if (m) { seen.add(m); yield [k, m]; }
    for (const [k, v] of this.fieldEntries()) {
      if (!(v instanceof Module) || seen.has(v) || this._mods.has(k)) continue;
      // An array of modules registered already under other names (a container's own list) is not a second child.
      if (v instanceof ModuleList && arrayLists.has(v) && [...v].every((m) => seen.has(m))) continue;
      yield [k, v];
    }
  }

  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** This module and all below it, depth first, with dotted names ('' for this one); a shared module once, as PyTorch's. */
  *namedModules(prefix = '', memo: Set<Module> = new Set()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [k, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${k}` : k, memo);
  }

  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  /** Every parameter with its dotted name ('0.weight', 'fc1.bias'), each shared one once. */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${k}` : k, p]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer with its dotted name ('bn.running_mean'), each shared one once. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, b] of m.ownBuffers()) {
        if (seen.has(b)) continue;
        seen.add(b);
        out.push([prefix ? `${prefix}.${k}` : k, b]);
      }
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Every module below with every name it has (a shared one under each), as PyTorch's state_dict walks them. */
  private *allModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [k, m] of this.namedChildren()) yield* m.allModules(prefix ? `${prefix}.${k}` : k);
  }

  /** Parameters and persistent buffers under PyTorch's keys, in PyTorch's order (per module: params, then buffers). */
  stateDict(): StateDict {
    // A weight shared by two modules appears under both keys, as in PyTorch's state_dict().
    const sd: StateDict = {};
    for (const [prefix, m] of this.allModules()) {
      const pre = prefix ? prefix + '.' : '';
      for (const [k, p] of m.ownParameters()) sd[pre + k] = p;
      for (const [k, b] of m.ownBuffers(true)) sd[pre + k] = b;
    }
    return sd;
  }

  /**
   * Copies tensors into parameters and buffers by key. A wrong shape always throws, naming the key;
   * with strict (the default) missing or unexpected keys throw too, listing them.
   */
  loadStateDict(sd: StateDict | Map<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const entries = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !(k in own));
    const bad: string[] = [];
    for (const [k, t] of entries) {
      const target = own[k];
      if (!target) continue;
      if (t.shape.length !== target.shape.length || t.shape.some((d, i) => d !== target.shape[i])) {
        bad.push(`${k}: checkpoint has shape ${fmt(t.shape)}, the model has ${fmt(target.shape)}`);
      }
    }
    if (bad.length) throw new Error(`loadStateDict: size mismatch for ${bad.length} key(s):\n  ${bad.join('\n  ')}`);
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) parts.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
      throw new Error(`loadStateDict: ${parts.join('; ')} (pass {strict: false} to load what matches)`);
    }
    noGrad(() => {
      for (const [k, t] of entries) {
        const target = own[k];
        if (!target) continue;
        const v = cast(t.detach(), target.dtype);
        const copy = v.clone();
        target._assign(copy);
        copy.dispose();
        if (v !== t) v.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** PyTorch's register_forward_pre_hook: hook(module, args) runs before forward and may return new args. */
  registerForwardPreHook(hook: ForwardPreHook<this>, opts?: { prepend?: boolean }): RemovableHandle {
    return addHook(this as never, 'pre', hook as never, opts, 'registerForwardPreHook');
  }

  /** PyTorch's register_forward_hook: hook(module, args, output) runs after forward and may return a new output. */
  registerForwardHook(hook: ForwardHook<this>, opts?: { prepend?: boolean }): RemovableHandle {
    return addHook(this as never, 'fwd', hook as never, opts, 'registerForwardHook');
  }

  /**
   * PyTorch's register_full_backward_hook: hook(module, gradInput, gradOutput) runs when the gradients
   * of the module's tensor arguments are computed, and may return replacements for them.
   */
  registerFullBackwardHook(hook: FullBackwardHook<this>, opts?: { prepend?: boolean }): RemovableHandle {
    return addHook(this as never, 'bwd', hook as never, opts, 'registerFullBackwardHook');
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Sets .grad of every parameter to null (PyTorch's set_to_none default). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      if (p.grad) p.grad.dispose();
      p.grad = null;
    }
  }

  /** Freezes (false) or unfreezes every parameter. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) {
      if (requiresGrad !== p.requiresGrad) p.requiresGrad_(requiresGrad);
    }
    return this;
  }

  /**
   * Casts every floating-point parameter, gradient and buffer to dtype in place, as PyTorch's
   * module.to(dtype) does: the Parameter objects stay, so layers and optimizers holding them see the
   * cast. 'cpu' or the backend's name (what tensor.device reads), or {device}, is accepted and moves
   * nothing: tensors live in CPU memory on every backend; other devices are refused.
   */
  to(arg: DType | string | { dtype?: DType; device?: string }): this {
    const where = `${this.constructor.name}.to`;
    const opts = typeof arg === 'object' && arg !== null ? arg : (DTYPES as readonly string[]).includes(arg) ? { dtype: arg as DType } : { device: arg };
    for (const k of Object.keys(opts)) if (k !== 'dtype' && k !== 'device') throw new TypeError(`${where}: unknown option '${k}' (known: dtype, device)`);
    const here = this.parameters()[0]?.device ?? this.buffers()[0]?.device;
    if (opts.device !== undefined && opts.device !== 'cpu' && opts.device !== here) {
      throw new Error(`${where}: device '${opts.device}' is not available; tensors live in CPU memory ('cpu'${here ? `, on backend ${here}` : ''})`);
    }
    const dtype = opts.dtype;
    if (dtype === undefined) return this;
    if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${where}: dtype must be float32 or float64 (floating point, as PyTorch's Module.to), got ${String(dtype)}`);
    noGrad(() => {
      const seen = new Set<Tensor>();
      const retype = (t: Tensor | null): void => {
        if (!t || seen.has(t) || (t.dtype !== 'float32' && t.dtype !== 'float64') || t.dtype === dtype) return;
        seen.add(t);
        const c = cast(t.detach(), dtype);
        t._retype(c);
        c.dispose();
      };
      for (const p of this.parameters()) {
        retype(p);
        retype(p.grad);
      }
      for (const b of this.buffers()) retype(b);
    });
    return this;
  }

  /** Every floating-point parameter and buffer to float64 (PyTorch's module.double()). */
  double(): this {
    return this.to('float64');
  }

  /** Every floating-point parameter and buffer to float32 (PyTorch's module.float()). */
  float(): this {
    return this.to('float32');
  }

  /** Calls fn on every submodule (children first) and then on this one, like PyTorch's apply. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Total number of parameter elements (trainable only with {trainable: true}). */
  numParameters(opts: { trainable?: boolean } = {}): number {
    return this.parameters().filter((p) => !opts.trainable || p.requiresGrad).reduce((a, p) => a + p.numel(), 0);
  }

  /** Extra text shown by toString(), like PyTorch's extra_repr (e.g. 'in=784, out=10'). */
  extraRepr(): string {
    return '';
  }

  /** PyTorch-style nested description. */
  toString(): string {
    const kids = [...this.namedChildren()];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return head + ')';
    const body = kids.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`).join('\n');
    return `${head}\n${body}\n)`;
  }

  /**
   * A table of every layer: name, type, output shape (when an example input is given, from one
   * forward pass without grad) and parameter count, with totals.
   */
  summary(exampleInput?: Tensor): string {
    return summarize(this, exampleInput);
  }

  // The forward pass; subclasses override it.
  forward(..._args: unknown[]): unknown {
    throw new Error(`${this.constructor.name}: forward() is not implemented`);
  }
}

/** The ModuleList standing for a plain array of modules held in a field (rebuilt when the array changed). */
const arrayLists = new WeakMap<ModuleList, Module[]>();
const listsOfArrays = new WeakMap<Module[], ModuleList>();
function listOf(arr: Module[]): ModuleList {
  const have = listsOfArrays.get(arr);
  if (have && have.length === arr.length && arr.every((m, i) => have.at(i) === m)) return have;
  const l = new ModuleList(arr);
  listsOfArrays.set(arr, l);
  arrayLists.set(l, arr);
  return l;
}

function disposeDeep(v: unknown): void {
  if (v instanceof Tensor) v.dispose();
  else if (Array.isArray(v)) v.forEach(disposeDeep);
}

/** Runs modules in order; stateDict keys are '0.weight', '1.bias', … like PyTorch. */
export class Sequential extends Module {
  private readonly _layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this._layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  override forward(x: Tensor): Tensor {
    let cur = x;
    for (const m of this._layers) cur = m.forward(cur) as Tensor;
    return cur;
  }
  get length(): number {
    return this._layers.length;
  }
  at(i: number): Module {
    const m = this._layers.at(i);
    if (!m) throw new RangeError(`Sequential: index ${i} is out of range for ${this._layers.length} layers`);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this._layers[Symbol.iterator]();
  }
}

/** A list of modules registered as '0', '1', … (no forward of its own). */
export class ModuleList extends Module {
  private readonly _items: Module[] = [];
  constructor(mods: Module[] = []) {
    super();
    for (const m of mods) this.append(m);
  }
  append(m: Module): this {
    this.registerModule(String(this._items.length), m);
    this._items.push(m);
    return this;
  }
  get length(): number {
    return this._items.length;
  }
  at(i: number): Module {
    const m = this._items.at(i);
    if (!m) throw new RangeError(`ModuleList: index ${i} is out of range for ${this._items.length} modules`);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this._items[Symbol.iterator]();
  }
}

/** Modules by name, registered under those names. */
export class ModuleDict extends Module {
  constructor(mods: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(mods)) this.registerModule(k, m);
  }
  get(name: string): Module {
    const m = [...this.namedChildren()].find(([k]) => k === name);
    if (!m) throw new Error(`ModuleDict: no module named '${name}'`);
    return m[1];
  }
  set(name: string, m: Module): void {
    this.registerModule(name, m);
  }
  keys(): string[] {
    return [...this.namedChildren()].map(([k]) => k);
  }
}
