// Learning-rate schedulers that scale each group's LR by a factor (PyTorch's, in their chainable
// forms): LambdaLR, MultiplicativeLR, ConstantLR and PolynomialLR.

import type { Optimizer } from './optimizer.js';
import { LRScheduler } from './lr-scheduler.js';
import { checkOptions } from '../options.js';

/** A factor of the epoch (an integer, or a fraction where a step names its epoch). */
export type LrLambda = (epoch: number) => number;

function lambdas(name: string, optimizer: Optimizer, f: unknown): LrLambda[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(f)) {
    if (f.length !== n) throw new Error(`${name}: expected ${n} lrLambda functions (one per param group), got ${f.length}`);
    f.forEach((g, i) => {
      if (typeof g !== 'function') throw new TypeError(`${name}: lrLambda ${i} is not a function`);
    });
    return [...(f as LrLambda[])];
  }
  if (typeof f !== 'function') throw new TypeError(`${name}: lrLambda must be a function of the epoch (or one per param group), got ${String(f)}`);
  return Array.from({ length: n }, () => f as LrLambda);
}

function factorOf(name: string, f: LrLambda, epoch: number, group: number): number {
  const v = f(epoch);
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${name}: lrLambda of group ${group} returned ${String(v)} at epoch ${epoch}, not a number`);
  return v;
}

/** Functions are code, not state: the state dict leaves them out (PyTorch saves None for a plain function). */
abstract class LambdaScheduler extends LRScheduler {
  lrLambdas: LrLambda[];
  protected constructor(name: string, optimizer: Optimizer, opts: { lrLambda: LrLambda | LrLambda[]; lastEpoch?: number }) {
    checkOptions(name, opts, ['lrLambda', 'lastEpoch']);
    super(name, optimizer);
    this.lrLambdas = lambdas(name, optimizer, opts?.lrLambda);
  }
}

/** lr = initialLr · lrLambda(epoch), per group. */
export class LambdaLR extends LambdaScheduler {
  constructor(optimizer: Optimizer, opts: { lrLambda: LrLambda | LrLambda[]; lastEpoch?: number }) {
    super('LambdaLR', optimizer, opts);
    this.init(opts.lastEpoch ?? -1);
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * factorOf(this.name, this.lrLambdas[i]!, this.lastEpoch, i));
  }
}

/** lr ← lr · lrLambda(epoch) each epoch after the first, per group. */
export class MultiplicativeLR extends LambdaScheduler {
  constructor(optimizer: Optimizer, opts: { lrLambda: LrLambda | LrLambda[]; lastEpoch?: number }) {
    super('MultiplicativeLR', optimizer, opts);
    this.init(opts.lastEpoch ?? -1);
  }
  protected getLr(): number[] {
    if (this.lastEpoch > 0) return this.groups.map((g, i) => g.lr * factorOf(this.name, this.lrLambdas[i]!, this.lastEpoch, i));
    return this.groups.map((g) => g.lr);
  }
}

/** lr · factor until epoch totalIters, then lr (a constant warm-up). */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, opts: { factor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    checkOptions('ConstantLR', opts, ['factor', 'totalIters', 'lastEpoch']);
    super('ConstantLR', optimizer);
    this.factor = opts.factor ?? 1 / 3;
    this.totalIters = opts.totalIters ?? 5;
    if (typeof this.factor !== 'number' || !(this.factor >= 0 && this.factor <= 1)) throw new RangeError(`ConstantLR: factor must be in [0, 1], got ${String(this.factor)}`);
    if (!Number.isInteger(this.totalIters) || this.totalIters < 0) throw new RangeError(`ConstantLR: totalIters must be an integer ≥ 0, got ${String(this.totalIters)}`);
    this.init(opts.lastEpoch ?? -1);
  }
  protected getLr(): number[] {
    const e = this.lastEpoch;
    if (e === 0) return this.groups.map((g) => g.lr * this.factor);
    if (e !== this.totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 / this.factor));
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }
}

/** lr · (1 − min(epoch, totalIters)/totalIters)^power: a polynomial decay to 0 at totalIters. */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;
  constructor(optimizer: Optimizer, opts: { totalIters?: number; power?: number; lastEpoch?: number } = {}) {
    checkOptions('PolynomialLR', opts, ['totalIters', 'power', 'lastEpoch']);
    super('PolynomialLR', optimizer);
    this.totalIters = opts.totalIters ?? 5;
    this.power = opts.power ?? 1;
    if (!Number.isInteger(this.totalIters) || this.totalIters <= 0) throw new RangeError(`PolynomialLR: totalIters must be a positive integer, got ${String(this.totalIters)}`);
    if (typeof this.power !== 'number' || !Number.isFinite(this.power)) throw new TypeError(`PolynomialLR: power must be a finite number, got ${String(this.power)}`);
    this.init(opts.lastEpoch ?? -1);
  }
  protected getLr(): number[] {
    const { lastEpoch: e, totalIters: n } = this;
    if (e === 0 || e > n) return this.groups.map((g) => g.lr);
    const decay = ((1 - e / n) / (1 - (e - 1) / n)) ** this.power;
    return this.groups.map((g) => g.lr * decay);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}
