// ChainedScheduler (PyTorch's): steps several schedulers of one optimizer together, each applying
// its chainable rule to the LR the previous one left (e.g. ConstantLR warm-up × ExponentialLR).

import type { Optimizer } from './optimizer.js';
import { LRScheduler } from './lr-scheduler.js';

export class ChainedScheduler extends LRScheduler {
  readonly schedulers: LRScheduler[];

  /** As PyTorch's ChainedScheduler(schedulers, optimizer=None): the schedulers are already built. */
  constructor(schedulers: LRScheduler[], optimizer?: Optimizer) {
    const n = 'ChainedScheduler';
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new Error(`${n}: schedulers must be a non-empty array of LR schedulers`);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new TypeError(`${n}: schedulers[${i}] is not an LR scheduler${s && (s as { name?: string }).name === 'ReduceLROnPlateau' ? ' (ReduceLROnPlateau steps on a metric and cannot be chained)' : ''}`);
    });
    const opt = optimizer ?? schedulers[0]!.optimizer;
    super(n, opt);
    schedulers.forEach((s, i) => {
      if (s.optimizer !== opt) throw new Error(`${n}: expects all schedulers to belong to the same optimizer, but schedulers[${i}] (${s.name}) belongs to another`);
    });
    this.schedulers = [...schedulers];
    this.lastLr = this.groups.map((g) => g.lr);
  }

  protected getLr(): number[] {
    return this.lastLr;
  }

  override step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.groups.map((g) => g.lr);
  }

  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(sd: Record<string, unknown>): void {
    const { schedulers, ...rest } = sd;
    if (!Array.isArray(schedulers) || schedulers.length !== this.schedulers.length) {
      throw new Error(`${this.name}.loadStateDict: expected the states of ${this.schedulers.length} schedulers, got ${Array.isArray(schedulers) ? schedulers.length : String(schedulers)}`);
    }
    super.loadStateDict(rest);
    (schedulers as Record<string, unknown>[]).forEach((s, i) => this.schedulers[i]!.loadStateDict(s));
  }
}
