// Optimizer base: parameter groups, hyperparameter checks, zeroGrad, a step that runs each
// parameter's update (a pure function of tensors) under noGrad, and PyTorch-shaped state dicts.

import { Tensor } from '../tensor/tensor.js';
import { keep, scope } from '../tensor/memory.js';
import { enableGrad, noGrad } from '../autograd/graph.js';
import { markManaged, stepBoundary } from '../autograd/release.js';
import { isFloat } from '../tensor/dtype.js';
import { clone, cast } from '../ops/index.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { clearSparseGrad, hasSparseGrad } from '../nn/sparse-grad.js';

/** Per-parameter state: tensors (moments, buffers) and numbers (step counts), under PyTorch's names. */
export type ParamState = Record<string, Tensor | number>;

/** A group of parameters sharing hyperparameters (lr, and the optimizer's own; schedulers add keys). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [key: string]: unknown;
}

/** What a caller passes for one group: the params, and any hyperparameters that differ from the defaults. */
export interface ParamGroupInput {
  params: Iterable<Tensor>;
  [key: string]: unknown;
}

export type Params = Iterable<Tensor> | ParamGroupInput[];

/** PyTorch's layout: state per parameter index (over all groups, in order) and the groups' hyperparameters. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: Record<string, unknown>[];
}

/** Keys the LR schedulers add to a group (initialLr …): numbers a saved state may hold. */
const SCHEDULER_KEYS = new Set(['initialLr', 'maxLr', 'minLr', 'baseMomentum', 'maxMomentum']);
/** PyTorch's implementation switches, accepted in a state dict only at values that change nothing. */
const TORCH_FLAGS: Record<string, unknown> = { foreach: null, capturable: false, differentiable: false, fused: null };

/** A value for an error message: JSON where it has one (never throwing, e.g. on a cycle), else its String. */
function show(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}…` : s;
  } catch {
    return Array.isArray(v) ? 'an array' : typeof v;
  }
}

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export abstract class Optimizer {
  readonly paramGroups: ParamGroup[] = [];
  /** The hyperparameters a group gets unless it says otherwise. */
  readonly defaults: Record<string, unknown>;
  /** @internal per-parameter state (tensors are kept: they outlive every scope) */
  protected readonly state = new Map<Tensor, ParamState>();

  /** `options` is what the caller passed: a name the optimizer does not know is an error, not ignored. */
  protected constructor(readonly name: string, params: Params, defaults: Record<string, unknown>, options: object = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`${name}: options must be an object, got ${String(options)}`);
    for (const k of Object.keys(options)) {
      if (!(k in defaults)) throw new Error(`${name}: unknown option '${k}' (options: ${Object.keys(defaults).join(', ')})`);
    }
    this.defaults = { ...defaults };
    this.checkHyper(this.defaults);
    const list = [...(params as Iterable<Tensor | ParamGroupInput>)];
    if (list.length === 0) throw new Error(`${name}: got an empty parameter list`);
    const groups: ParamGroupInput[] = list[0] instanceof Tensor ? [{ params: list as Tensor[] }] : (list as ParamGroupInput[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Checks one group's hyperparameters; throws an error that names the optimizer and the value. */
  protected abstract checkHyper(h: Record<string, unknown>): void;

  /**
   * The state one parameter of `group` may hold (PyTorch's names): tensors of the parameter's shape,
   * numbers (counts: non-negative integers), reals (any finite number, e.g. NAdam's mu_product),
   * and which of them must be there. loadStateDict checks a state against it.
   */
  protected abstract stateSpec(group: ParamGroup): { tensors: string[]; numbers: string[]; required: string[]; reals?: string[] };

  /** The update of one parameter: returns its new value; state tensors are replaced through setState. */
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor;

  /** Adds a group (like PyTorch's add_param_group); unknown option names are refused. */
  addParamGroup(input: ParamGroupInput): void {
    if (input === null || typeof input !== 'object' || !('params' in input)) {
      throw new TypeError(`${this.name}: a parameter group must be an object with 'params'`);
    }
    const params = input.params instanceof Tensor ? [input.params] : [...input.params];
    const known = new Set(Object.keys(this.defaults));
    for (const k of Object.keys(input)) {
      if (k !== 'params' && !known.has(k)) {
        const hint = known.has(camel(k)) ? ` — did you mean '${camel(k)}'?` : '';
        throw new Error(`${this.name}: unknown option '${k}' in a parameter group${hint} (options: ${[...known].join(', ')})`);
      }
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.name}: parameter ${i} of a group is not a Tensor`);
      if (!isFloat(p.dtype)) throw new TypeError(`${this.name}: can only optimize floating-point tensors, parameter ${i} is ${p.dtype}`);
      if (!p.isLeaf) throw new Error(`${this.name}: can't optimize a non-leaf tensor (parameter ${i} of shape ${fmt(p.shape)}); detach() it or use a Parameter`);
      if (seen.has(p)) throw new Error(`${this.name}: a parameter (shape ${fmt(p.shape)}) appears in more than one parameter group`);
      seen.add(p);
    });
    const group = { ...this.defaults, ...input, params } as ParamGroup;
    // Arrays (betas) are per group: a scheduler changing one group's must not change another's.
    for (const [k, v] of Object.entries(group)) if (k !== 'params' && Array.isArray(v)) group[k] = [...v];
    this.checkHyper(group);
    this.paramGroups.push(group);
    // From now on these parameters' step boundaries are this optimizer's steps (decision 5).
    markManaged(params);
  }

  /** Clears every parameter's gradient (setToNone: drop it, as PyTorch 2 does; else fill with zeros). */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        clearSparseGrad(p);
        const grad = p.grad;
        if (!grad) continue;
        if (setToNone) {
          p.grad = null;
          grad.dispose();
        } else {
          noGrad(() => {
            const z = grad.mul(0);
            p.grad = keep(z);
            grad.dispose();
          });
        }
      }
    }
  }

  /**
   * One update of every parameter that has a gradient. A closure (which re-evaluates the model and
   * returns the loss) is run first, with grad enabled, and its result returned.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) {
        const params = group.params;
        for (let i = 0; i < params.length; i++) {
          const p = params[i]!;
          if (p.isDisposed) {
            throw new Error(`${this.name}.step: parameter ${i} of group ${this.paramGroups.indexOf(group)} (shape ${fmt(p.shape)}) was disposed; ` +
              'a disposed parameter cannot be updated (build a new optimizer over the parameters that remain)');
          }
          if (hasSparseGrad(p)) {
            throw new Error(`${this.name} does not support sparse gradients (a parameter of shape ${fmt(p.shape)} from nn.Embedding({sparse: true})); train it with optim.SparseAdam`);
          }
          const grad = p.grad;
          if (!grad) continue;
          let state = this.state.get(p);
          if (!state) this.state.set(p, (state = {}));
          scope(() => {
            const next = this.update(p, grad, state, group);
            if (next !== p) p._assign(next);
          });
        }
      }
    });
    // A step boundary: graphs consumed by backward() two steps ago release their outputs.
    for (const g of this.paramGroups) stepBoundary(g.params);
    return loss;
  }

  /** Replaces a state tensor: the new one is kept past every scope, the old one released. */
  protected setState(state: ParamState, key: string, t: Tensor): Tensor {
    const old = state[key];
    keep(t);
    state[key] = t;
    if (old instanceof Tensor && old !== t) old.dispose();
    return t;
  }

  /** The state of this optimizer (copies of the state tensors: the caller owns them). */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    const groups: Record<string, unknown>[] = [];
    let index = 0;
    for (const g of this.paramGroups) {
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s && Object.keys(s).length) {
          const copy: ParamState = {};
          for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? noGrad(() => clone(v)) : v;
          state[index] = copy;
        }
        ids.push(index++);
      }
      const h: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') h[snake(k)] = Array.isArray(v) ? [...v] : v;
      h.params = ids;
      groups.push(h);
    }
    return { state, param_groups: groups };
  }

  /**
   * Restores a stateDict() (copying its tensors) so training resumes exactly. Everything is checked
   * before anything changes: the groups, every hyperparameter, and each parameter's state against what
   * this optimizer keeps. `source` (a file name) goes into the errors.
   */
  loadStateDict(sd: OptimizerStateDict, opts: { source?: string } = {}): void {
    for (const k of Object.keys(opts)) if (k !== 'source') throw new Error(`${this.name}.loadStateDict: unknown option '${k}' (options: source)`);
    const n = opts.source ? `${this.name}.loadStateDict (${opts.source})` : `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !sd.state || typeof sd.state !== 'object' || !Array.isArray(sd.param_groups)) {
      throw new TypeError(`${n}: expected {state, param_groups}`);
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new Error(`${n}: the state has ${sd.param_groups.length} parameter groups, this optimizer ${this.paramGroups.length}`);
    }
    const byIndex: Tensor[] = [];
    sd.param_groups.forEach((h, gi) => {
      const g = this.paramGroups[gi]!;
      if (h === null || typeof h !== 'object' || Array.isArray(h)) throw new Error(`${n}: group ${gi} is ${show(h)}, not an object of hyperparameters`);
      const ids = h.params as number[];
      if (!Array.isArray(ids) || ids.length !== g.params.length) {
        throw new Error(`${n}: group ${gi} has ${Array.isArray(ids) ? ids.length : '?'} parameters in the state, ${g.params.length} here`);
      }
      ids.forEach((id, j) => {
        if (!Number.isInteger(id) || id < 0 || byIndex[id]) throw new Error(`${n}: group ${gi} lists parameter id ${show(id)}, which is not a new non-negative integer`);
        byIndex[id] = g.params[j]!;
      });
    });
    // Check everything before changing anything: the groups' hyperparameters as they will be …
    const merged = sd.param_groups.map((h, gi) => {
      const g: ParamGroup = { ...this.paramGroups[gi]! };
      for (const [k, v] of Object.entries(h)) {
        if (k === 'params') continue;
        const key = camel(k);
        if (!(key in this.defaults) && !SCHEDULER_KEYS.has(key) && !(key in TORCH_FLAGS)) {
          throw new Error(`${n}: group ${gi} has an unknown hyperparameter '${k}' (this optimizer has ${Object.keys(this.defaults).map(snake).join(', ')})`);
        }
        if (key in TORCH_FLAGS) {
          if (v !== TORCH_FLAGS[key] && v !== null && v !== false) throw new Error(`${n}: group ${gi} sets PyTorch's '${k}' to ${show(v)}, which nabla does not do`);
          continue;
        }
        if (SCHEDULER_KEYS.has(key) && (typeof v !== 'number' || !Number.isFinite(v))) {
          throw new Error(`${n}: group ${gi}'s ${k} must be a finite number, got ${show(v)}`);
        }
        g[key] = Array.isArray(v) ? [...v] : v;
      }
      try {
        this.checkHyper(g);
      } catch (e) {
        throw new Error(`${n}: group ${gi}: ${(e as Error).message}`, { cause: e });
      }
      return g;
    });
    // … and each parameter's state against what this optimizer keeps
    for (const [key, s] of Object.entries(sd.state)) {
      const p = byIndex[Number(key)];
      if (!p) throw new Error(`${n}: state for parameter ${key}, which no group lists`);
      if (s === null || typeof s !== 'object') throw new Error(`${n}: the state of parameter ${key} is not an object`);
      const group = merged[this.paramGroups.findIndex((g) => g.params.includes(p))]!;
      const spec = this.stateSpec(group);
      for (const r of spec.required) if (!(r in s)) throw new Error(`${n}: the state of parameter ${key} has no '${r}' (${this.name} keeps ${[...spec.numbers, ...(spec.reals ?? []), ...spec.tensors].join(', ')})`);
      for (const [k, v] of Object.entries(s)) {
        if (spec.numbers.includes(k)) {
          const num = v instanceof Tensor ? (v.numel() === 1 ? v.item() : NaN) : v;
          if (typeof num !== 'number' || !Number.isInteger(num) || num < 0) throw new Error(`${n}: state '${k}' of parameter ${key} must be a non-negative integer, got ${v instanceof Tensor ? `a tensor of shape ${fmt(v.shape)}` : show(v)}`);
        } else if (spec.reals?.includes(k)) {
          if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${n}: state '${k}' of parameter ${key} must be a finite number, got ${v instanceof Tensor ? `a tensor of shape ${fmt(v.shape)}` : show(v)}`);
        } else if (spec.tensors.includes(k)) {
          if (!(v instanceof Tensor)) throw new Error(`${n}: state '${k}' of parameter ${key} must be a tensor, got ${typeof v}`);
          if (v.isDisposed) throw new Error(`${n}: state '${k}' of parameter ${key} was disposed`);
          if (!isFloat(v.dtype)) throw new Error(`${n}: state '${k}' of parameter ${key} is ${v.dtype}, not floating-point`);
          if (!sameShape(v.shape, p.shape)) throw new Error(`${n}: state '${k}' of parameter ${key} has shape ${fmt(v.shape)}, the parameter ${fmt(p.shape)}`);
        } else {
          throw new Error(`${n}: the state of parameter ${key} has '${k}', which ${this.name} does not keep (it keeps ${[...spec.numbers, ...(spec.reals ?? []), ...spec.tensors].join(', ')})`);
        }
      }
    }
    merged.forEach((g, gi) => Object.assign(this.paramGroups[gi]!, g));
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [key, s] of Object.entries(sd.state)) {
      const p = byIndex[Number(key)]!;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) {
        if (k === 'step') copy[k] = v instanceof Tensor ? v.item() : v; // PyTorch keeps the step count as a tensor
        else copy[k] = v instanceof Tensor ? keep(noGrad(() => clone(v.dtype === p.dtype ? v : cast(v, p.dtype)))) : v;
      }
      this.state.set(p, copy);
    }
  }

  /** Releases the state tensors (the optimizer can keep stepping: state restarts from zero). */
  dispose(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }
}

// ---- hyperparameter checks shared by the optimizers ----

export function checkNumber(opt: string, name: string, v: unknown, min: number, what = `must be ≥ ${min}`): number {
  if (typeof v !== 'number' || !(v >= min)) throw new RangeError(`${opt}: invalid ${name} ${String(v)} (${what})`);
  return v;
}

export function checkLr(opt: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0)) throw new RangeError(`${opt}: invalid learning rate ${String(v)} (must be a number ≥ 0)`);
}

export function checkBool(opt: string, name: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new TypeError(`${opt}: ${name} must be true or false, got ${String(v)}`);
}

export function checkBetas(opt: string, v: unknown): void {
  if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`${opt}: betas must be a pair [beta1, beta2], got ${String(v)}`);
  v.forEach((b, i) => {
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new RangeError(`${opt}: invalid beta parameter at index ${i}: ${String(b)} (must be in [0, 1))`);
  });
}
