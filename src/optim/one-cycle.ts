// OneCycleLR (PyTorch's): LR from maxLr/divFactor up to maxLr and down to initial/finalDivFactor
// (cos or linear anneal, two or three phases), cycling momentum (or Adam's β1) the other way.

import type { Optimizer } from './optimizer.js';
import { LRScheduler } from './lr-scheduler.js';
import { checkOptions } from '../options.js';

export interface OneCycleOptions {
  maxLr: number | number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
}

interface Phase { endStep: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string }

export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1 = false;
  phases: Phase[];

  constructor(optimizer: Optimizer, opts: OneCycleOptions) {
    super('OneCycleLR', optimizer);
    checkOptions('OneCycleLR', opts, ['maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase', 'lastEpoch']);
    const n = 'OneCycleLR';
    const o = opts ?? ({} as OneCycleOptions);
    if (o.totalSteps !== undefined) {
      if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0) throw new RangeError(`${n}: totalSteps must be a positive integer, got ${o.totalSteps}`);
      this.totalSteps = o.totalSteps;
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      if (!Number.isInteger(o.epochs) || o.epochs <= 0) throw new RangeError(`${n}: epochs must be a positive integer, got ${o.epochs}`);
      if (!Number.isInteger(o.stepsPerEpoch) || o.stepsPerEpoch <= 0) throw new RangeError(`${n}: stepsPerEpoch must be a positive integer, got ${o.stepsPerEpoch}`);
      this.totalSteps = o.epochs * o.stepsPerEpoch;
    } else {
      throw new Error(`${n}: give either totalSteps or both epochs and stepsPerEpoch`);
    }
    const pct = o.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new RangeError(`${n}: pctStart must be in [0, 1], got ${pct}`);
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') throw new Error(`${n}: annealStrategy must be 'cos' or 'linear', got '${String(anneal)}'`);
    this.annealStrategy = anneal;
    const T = this.totalSteps;
    this.phases = o.threePhase
      ? [
          { endStep: pct * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pct * T - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: T - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pct * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: T - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    const lastEpoch = o.lastEpoch ?? -1;
    const groups = optimizer.paramGroups;
    const perGroup = (what: string, v: number | number[] | undefined, dflt: number): number[] => {
      if (Array.isArray(v)) {
        if (v.length !== groups.length) throw new Error(`${n}: expected ${groups.length} values for ${what} (one per param group), got ${v.length}`);
        return v;
      }
      return groups.map(() => v ?? dflt);
    };
    if (o.maxLr === undefined) throw new Error(`${n}: maxLr is required`);
    const maxLrs = perGroup('maxLr', o.maxLr, 0);
    const div = o.divFactor ?? 25, finalDiv = o.finalDivFactor ?? 1e4;
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / div;
        g.maxLr = maxLrs[i]!;
        g.minLr = (g.initialLr as number) / finalDiv;
      });
    }
    this.cycleMomentum = o.cycleMomentum ?? true;
    if (this.cycleMomentum) {
      const d = optimizer.defaults;
      if (!('momentum' in d) && !('betas' in d)) throw new Error(`${n}: cycleMomentum needs an optimizer with momentum or betas (${optimizer.name} has neither); pass cycleMomentum: false`);
      this.useBeta1 = 'betas' in d;
      const maxM = perGroup('maxMomentum', o.maxMomentum, 0.95);
      const baseM = perGroup('baseMomentum', o.baseMomentum, 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (this.useBeta1) g.betas = [maxM[i]!, (g.betas as number[])[1]!];
          else g.momentum = maxM[i]!;
          g.maxMomentum = maxM[i]!;
          g.baseMomentum = baseM[i]!;
        });
      }
    }
    this.init(lastEpoch);
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new Error(`OneCycleLR: tried to step ${stepNum + 1} times; the schedule has ${this.totalSteps} total steps`);
    }
    return this.groups.map((g) => {
      let start = 0;
      let lr = 0, mom = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i]!;
        if (stepNum <= ph.endStep || i === this.phases.length - 1) {
          // A phase of no length (e.g. pctStart 0.25 of 4 steps: warm-up ends at step 0) has reached its
          // end: PyTorch divides 0 by 0 there (a ZeroDivisionError); a NaN rate would train NaN silently.
          const span = ph.endStep - start;
          const pct = span === 0 ? 1 : (stepNum - start) / span;
          lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) mom = this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
          break;
        }
        start = ph.endStep;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [mom, (g.betas as number[])[1]!];
        else g.momentum = mom;
      }
      return lr;
    });
  }
}
