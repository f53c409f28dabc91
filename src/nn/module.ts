// nn.Module: parameters, buffers and child modules found from fields (or registered under
// PyTorch's exact names), stateDict/loadStateDict with PyTorch's keys, train/eval, apply, summary.

import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { cast } from '../ops/index.js';
import { fmt } from '../tensor/shape.js';

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
    return p;
  }

  /** Registers a buffer (state that is saved but not trained, e.g. 'running_mean'). */
  registerBuffer(name: string, t: Tensor | null, persistent = true): Tensor | null {
    if (t) keep(t);
    this._buffers.set(name, { t, persistent });
    return t;
  }

  registerModule(name: string, m: Module | null): Module | null {
    this._mods.set(name, m);
    return m;
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

  /** Fields that hold a Parameter or a Module count as registered under their field name (an array of modules does not: use ModuleList). */
  private fieldEntries(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (k.startsWith('_') || k === 'training') continue;
      if (v instanceof Parameter || v instanceof Module) out.push([k, v]);
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
    for (const [k, v] of this.fieldEntries()) if (v instanceof Module && !seen.has(v) && !this._mods.has(k)) yield [k, v];
  }

  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** This module and all below it, depth first, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [k, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${k}` : k);
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

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) for (const [k, b] of m.ownBuffers()) out.push([prefix ? `${prefix}.${k}` : k, b]);
    return out;
  }

  /** Parameters and persistent buffers under PyTorch's keys, in PyTorch's order (per module: params, then buffers). */
  stateDict(): StateDict {
    // A weight shared by two modules appears under both keys, as in PyTorch's state_dict().
    const sd: StateDict = {};
    for (const [prefix, m] of this.namedModules()) {
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
    const shapes = new Map<Module, string>();
    if (exampleInput) {
      const restore: [Module, Module['forward']][] = [];
      for (const [, m] of this.namedModules()) {
        const orig = m.forward;
        restore.push([m, orig]);
        m.forward = function (this: Module, ...args: unknown[]) {
          const out = orig.apply(this, args);
          if (out instanceof Tensor) shapes.set(m, fmt(out.shape));
          else if (Array.isArray(out) && out[0] instanceof Tensor) shapes.set(m, fmt(out[0].shape));
          return out;
        } as Module['forward'];
      }
      const wasTraining = this.training;
      this.eval();
      try {
        noGrad(() => {
          const out = this.forward(exampleInput);
          disposeDeep(out);
        });
      } finally {
        for (const [m, f] of restore) m.forward = f;
        this.train(wasTraining);
      }
    }
    const rows: string[][] = [['Layer', 'Type', 'Output shape', 'Params']];
    for (const [name, m] of this.namedModules()) {
      if (name === '') continue;
      const own = [...m.ownParameters()].reduce((a, [, p]) => a + p.numel(), 0);
      rows.push([name, m.constructor.name, shapes.get(m) ?? '', own.toLocaleString('en-US')]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]): string => r.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
    const total = this.numParameters(), trainable = this.numParameters({ trainable: true });
    return [
      line(rows[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line),
      `Total params: ${total.toLocaleString('en-US')} (trainable ${trainable.toLocaleString('en-US')})`,
    ].join('\n');
  }

  // The forward pass; subclasses override it.
  forward(..._args: unknown[]): unknown {
    throw new Error(`${this.constructor.name}: forward() is not implemented`);
  }
}

function disposeDeep(v: unknown): void {
  if (v instanceof Tensor) v.dispose();
  else if (Array.isArray(v)) v.forEach(disposeDeep);
}

/** Runs modules in order; stateDict keys are '0.weight', '1.bias', … like PyTorch. */
export class Sequential extends Module {
  private readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  override forward(x: Tensor): Tensor {
    let cur = x;
    for (const m of this.layers) cur = m.forward(cur) as Tensor;
    return cur;
  }
  get length(): number {
    return this.layers.length;
  }
  at(i: number): Module {
    const m = this.layers.at(i);
    if (!m) throw new RangeError(`Sequential: index ${i} is out of range for ${this.layers.length} layers`);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }
}

/** A list of modules registered as '0', '1', … (no forward of its own). */
export class ModuleList extends Module {
  private readonly items: Module[] = [];
  constructor(mods: Module[] = []) {
    super();
    for (const m of mods) this.append(m);
  }
  append(m: Module): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): Module {
    const m = this.items.at(i);
    if (!m) throw new RangeError(`ModuleList: index ${i} is out of range for ${this.items.length} modules`);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
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
