// Fused optimizer steps: one SGD or Adam/AdamW update of a float32 parameter in one pass over
// parameter, gradient and state (the composites in src/optim/sgd.ts and adam.ts are the definition).

import type { AdamStepParams, SgdStepParams } from '../../backend/backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { backendOf, wrap } from '../util.js';
import type { Rewrite } from '../rewrites.js';

const fits = (p: Tensor, ts: (Tensor | null)[]) => ts.every((t) => !t || (t.dtype === 'float32' && t.numel() === p.numel()));

/** sgdUpdate(p, g, buf, hyper) → {param, buf}: Backend.fused.sgdStep. */
const sgdRule: Rewrite = {
  name: 'SGD update in one pass (Backend.fused.sgdStep)',
  match: ([p, g, buf, h]) => {
    const [tp, tg, tb] = [p as Tensor, g as Tensor, buf as Tensor | null];
    const be = backendOf('SGD.step', tp, tg, tb);
    const f = be.fused?.sgdStep;
    if (!f || !fits(tp, [tp, tg, tb])) return null;
    return () => {
      const [np, nb] = f(tp._s('SGD.step'), tg._s('SGD.step'), tb ? tb._s('SGD.step') : null, h as SgdStepParams);
      return { param: wrap(be, np, tp.shape), buf: nb ? wrap(be, nb, tp.shape) : null };
    };
  },
};

interface AdamArgs { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq: Tensor | null }
interface AdamHyper { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean }

/** adamUpdate(p, g, state, hyper, decoupled) → {param, state}: Backend.fused.adamStep. */
const adamRule: Rewrite = {
  name: 'Adam/AdamW update in one pass (Backend.fused.adamStep)',
  match: ([p, g, state, hyper, decoupled]) => {
    const [tp, tg, s, h] = [p as Tensor, g as Tensor, state as AdamArgs, hyper as AdamHyper];
    const be = backendOf('Adam.step', tp, tg, s.expAvg, s.expAvgSq, s.maxExpAvgSq);
    const f = be.fused?.adamStep;
    if (!f || !fits(tp, [tp, tg, s.expAvg, s.expAvgSq, h.amsgrad ? s.maxExpAvgSq : null])) return null;
    return () => {
      const hp: AdamStepParams = { lr: h.lr, beta1: h.betas[0], beta2: h.betas[1], eps: h.eps, weightDecay: h.weightDecay, step: s.step,
        decoupled: decoupled as boolean, amsgrad: h.amsgrad, maximize: h.maximize };
      const [np, m, v, vm] = f(tp._s('Adam.step'), tg._s('Adam.step'), s.expAvg._s('Adam.step'), s.expAvgSq._s('Adam.step'),
        h.amsgrad ? s.maxExpAvgSq!._s('Adam.step') : null, hp);
      return {
        param: wrap(be, np, tp.shape),
        state: { step: s.step, expAvg: wrap(be, m, tp.shape), expAvgSq: wrap(be, v, tp.shape), maxExpAvgSq: vm ? wrap(be, vm, tp.shape) : null },
      };
    };
  },
};

export const STEP_RULES = { sgdUpdate: [sgdRule], adamUpdate: [adamRule] };

export type { SgdStepParams };
