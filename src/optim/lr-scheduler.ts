// Learning-rate schedulers as PyTorch writes them (the chainable get_lr forms, and the closed forms
// SequentialLR uses at milestones), so the sequences are PyTorch's to the last bit. Call
// scheduler.step() after optimizer.step(); getLastLr() gives the current rates, one per group.

import type { Optimizer, ParamGroup } from './optimizer.js';
import { checkOptions } from '../options.js';

function checkOptimizer(name: string, o: unknown): Optimizer {
  if (!o || typeof o !== 'object' || !Array.isArray((o as Optimizer).paramGroups)) {
    throw new TypeError(`${name}: the first argument must be an Optimizer`);
  }
  return o as Optimizer;
}

/** Base class: last epoch, base LRs (each group's initialLr) and the step protocol. */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  baseLrs: number[] = [];
  lastEpoch = -1;
  /** @internal PyTorch's _step_count (1 after construction) */
  stepCount = 0;
  protected lastLr: number[] = [];

  protected constructor(readonly name: string, optimizer: Optimizer) {
    this.optimizer = checkOptimizer(name, optimizer);
  }

  /** Subclasses call this at the end of their constructor (after setting their own fields). */
  protected init(lastEpoch: number): void {
    const groups = this.optimizer.paramGroups;
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) throw new Error(`${this.name}: param group ${i} has no initialLr, which resuming with lastEpoch ${lastEpoch} needs`);
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
    this.initialStep();
  }

  /** @internal */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  protected get groups(): ParamGroup[] {
    return this.optimizer.paramGroups;
  }

  /** The chainable rule: the next LRs from the groups' current ones. */
  protected abstract getLr(): number[];

  /** The closed form at lastEpoch (used when a step names its epoch, as SequentialLR does). */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Advances one epoch (or, with `epoch`, jumps to it using the closed form) and sets each group's lr. */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.groups.forEach((g, i) => (g.lr = values[i]!));
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** The learning rates set by the last step, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's state (plain numbers and arrays; JSON-safe). */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer' || k === 'name' || typeof v === 'function' || v instanceof LRScheduler) continue;
      // other schedulers save themselves; functions (LambdaLR's) are code, not state
      if (Array.isArray(v) && v.some((x) => x instanceof LRScheduler || typeof x === 'function')) continue;
      out[k] = structuredClone(v);
    }
    return out;
  }

  loadStateDict(sd: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(sd)) {
      if (!(k in this)) throw new Error(`${this.name}.loadStateDict: unknown key '${k}'`);
      (this as Record<string, unknown>)[k] = structuredClone(v);
    }
  }
}

function checkPositiveInt(name: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`${name}: ${what} must be a positive integer, got ${String(v)}`);
  return v;
}

/** lr·γ every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: Optimizer, opts: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    super('StepLR', optimizer);
    checkOptions('StepLR', opts, ['stepSize', 'gamma', 'lastEpoch']);
    this.stepSize = checkPositiveInt('StepLR', 'stepSize', opts?.stepSize);
    this.gamma = opts.gamma ?? 0.1;
    this.init(opts.lastEpoch ?? -1);
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** lr·γ at each milestone epoch (a milestone listed twice decays twice). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;
  constructor(optimizer: Optimizer, opts: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    super('MultiStepLR', optimizer);
    checkOptions('MultiStepLR', opts, ['milestones', 'gamma', 'lastEpoch']);
    if (!Array.isArray(opts?.milestones)) throw new TypeError('MultiStepLR: milestones must be an array of epochs');
    this.milestones = [...opts.milestones].sort((a, b) => a - b);
    this.gamma = opts.gamma ?? 0.1;
    this.init(opts.lastEpoch ?? -1);
  }
  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** hits);
  }
  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** lr·γ every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: Optimizer, opts: { gamma: number; lastEpoch?: number }) {
    super('ExponentialLR', optimizer);
    checkOptions('ExponentialLR', opts, ['gamma', 'lastEpoch']);
    if (typeof opts?.gamma !== 'number') throw new TypeError('ExponentialLR: gamma (the decay per epoch) is required');
    this.gamma = opts.gamma;
    this.init(opts.lastEpoch ?? -1);
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/** Cosine from the base LR down to etaMin over tMax epochs (and back up after, as PyTorch's recurrence does). */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: Optimizer, opts: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    super('CosineAnnealingLR', optimizer);
    checkOptions('CosineAnnealingLR', opts, ['tMax', 'etaMin', 'lastEpoch']);
    this.tMax = checkPositiveInt('CosineAnnealingLR', 'tMax', opts?.tMax);
    this.etaMin = opts.etaMin ?? 0;
    this.init(opts.lastEpoch ?? -1);
  }
  protected getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (e === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if ((((e - 1 - T) % (2 * T)) + 2 * T) % (2 * T) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groups.map((g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** The factor goes linearly from startFactor to endFactor over totalIters epochs (warm-up). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, opts: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super('LinearLR', optimizer);
    checkOptions('LinearLR', opts, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch']);
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    this.totalIters = opts.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new RangeError(`LinearLR: startFactor must be in (0, 1], got ${this.startFactor}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new RangeError(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
    checkPositiveInt('LinearLR', 'totalIters', this.totalIters);
    this.init(opts.lastEpoch ?? -1);
  }
  protected getLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    if (e === 0) return this.groups.map((g) => g.lr * s);
    if (e > n) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }
  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((f - s) * Math.min(n, this.lastEpoch)) / n));
  }
}

/**
 * Runs schedulers one after another: schedulers[i] from milestones[i − 1] on. The classic use is a
 * LinearLR warm-up followed by CosineAnnealingLR.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];
  constructor(optimizer: Optimizer, opts: { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number }) {
    super('SequentialLR', optimizer);
    checkOptions('SequentialLR', opts, ['schedulers', 'milestones', 'lastEpoch']);
    const { schedulers, milestones } = opts;
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new Error('SequentialLR: schedulers must be a non-empty array');
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: scheduler ${i} (${s.name}) belongs to another optimizer`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(`SequentialLR: expected ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, got ${Array.isArray(milestones) ? milestones.length : String(milestones)}`);
    }
    this.schedulers = schedulers;
    this.milestones = [...milestones];
    this.lastEpoch = (opts.lastEpoch ?? -1) + 1;
    // Undo the initial steps of the schedulers' constructors, then start the first one again.
    for (const g of this.groups) g.lr = g.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0]!.initialStep();
    this.baseLrs = this.groups.map((g) => g.initialLr as number);
    this.lastLr = schedulers[0]!.getLastLr();
  }
  protected getLr(): number[] {
    return this.lastLr;
  }
  override step(): void {
    this.lastEpoch++;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx]! <= this.lastEpoch) idx++;
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }
  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  override loadStateDict(sd: Record<string, unknown>): void {
    const { schedulers, ...rest } = sd;
    super.loadStateDict(rest);
    (schedulers as Record<string, unknown>[]).forEach((s, i) => this.schedulers[i]!.loadStateDict(s));
  }
}
