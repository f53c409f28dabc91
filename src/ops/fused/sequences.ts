// Fused paths of whole sequences: the LSTM and GRU recurrences (W_hh packed once, one kernel call
// per step; one shared node runs the fused backward, or under createGraph the composite's) and
// softmax cross-entropy of logits rows (one pass forward, one backward).

import type { Backend, GruParams, GruSaved, LstmParams, LstmSaved } from '../../backend/backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isGradEnabled } from '../../autograd/graph.js';
import { backendOf, record, wrap } from '../util.js';
import type { Rewrite } from '../rewrites.js';

/** What lstmSeq / gruSeq give their rules (src/ops/recurrent.ts): the composite's recorded vector-Jacobian product. */
export interface RecurrentAux { replay(outs: Tensor[], inputs: Tensor[], gs: (Tensor | null)[]): (Tensor | null)[] }
/** What crossEntropyRows gives its rule (src/ops/xent.ts): a backward walk, for the composite's replay. */
export interface XentAux { gradOf(rows: Tensor, g: Tensor, x: Tensor): Tensor | null }

const float32 = (ts: (Tensor | null)[]) => ts.every((t) => !t || t.dtype === 'float32');

function lstmFused(be: Backend, xp: Tensor, h0: Tensor, c0: Tensor, whh: Tensor, reverse: boolean, aux: RecurrentAux,
  composite: (...a: unknown[]) => unknown): { output: Tensor; h: Tensor; c: Tensor } {
  const [L, N, G] = [xp.shape[0]!, xp.shape[1]!, xp.shape[2]!];
  const H = G / 4;
  const fused = be.fused!;
  const all = [xp, h0, c0, whh];
  const p: LstmParams = { L, n: N, h: H, reverse };
  const r = fused.lstmForward!(xp._s('lstm'), h0._s('lstm'), c0._s('lstm'), whh._s('lstm'), p);
  const output = wrap(be, r.output, [L, N, H]), h = wrap(be, r.h, [N, H]), c = wrap(be, r.c, [N, H]);
  const sv = r.saved;
  const savedT = [wrap(be, sv.acts, [L, N, G]), wrap(be, sv.hPrev, [L, N, H]), wrap(be, sv.cPrev, [L, N, H]), wrap(be, sv.tanhC, [L, N, H])];
  if (isGradEnabled() && all.some((t) => t.requiresGrad)) {
    const box: (Tensor | null)[] = [null, null, null];
    const bwdFused = fused.lstmBackward!;
    // The shared node: its own gradient (a zero scalar) only orders it after the outputs' nodes.
    const tok = wrap(be, be.fill('float32', 1, 0), []);
    record(tok, 'lstm', all, [...all, ...savedT], (_g, saved, needs) => {
      const [gOut, gH, gC] = box;
      box.fill(null);
      try {
        const [sxp, sh0, sc0, swhh, acts, hPrev, cPrev, tanhC] = saved as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
        if (!gOut && !gH && !gC) return [null, null, null, null];
        if (isGradEnabled()) {
          const r = composite(sxp, sh0, sc0, swhh, reverse) as { output: Tensor; h: Tensor; c: Tensor };
          return aux.replay([r.output, r.h, r.c], [sxp, sh0, sc0, swhh], [gOut, gH, gC]);
        }
        const st: LstmSaved = { acts: acts._s('lstm backward'), hPrev: hPrev._s('lstm backward'), cPrev: cPrev._s('lstm backward'), tanhC: tanhC._s('lstm backward') };
        const g = bwdFused(gOut?._s('lstm backward') ?? null, gH?._s('lstm backward') ?? null, gC?._s('lstm backward') ?? null,
          swhh._s('lstm backward'), st, p, needs[3]!);
        return [wrap(be, g.xp, [L, N, G]), wrap(be, g.h0, [N, H]), wrap(be, g.c0, [N, H]), g.whh ? wrap(be, g.whh, [G, H]) : null];
      } finally {
        for (const t of [gOut, gH, gC]) t?._releaseAlias();
      }
    });
    [output, h, c].forEach((o, k) => record(o, 'lstm', [tok], [], (g) => {
      box[k]?._releaseAlias();
      box[k] = g._alias();
      return [wrap(be, be.fill('float32', 1, 0), [])];
    }));
    tok.dispose();
  }
  for (const t of savedT) t.dispose();
  return { output, h, c };
}

function gruFused(be: Backend, xp: Tensor, h0: Tensor, whh: Tensor, bhh: Tensor | null, reverse: boolean, aux: RecurrentAux,
  composite: (...a: unknown[]) => unknown): { output: Tensor; h: Tensor } {
  const [L, N, G] = [xp.shape[0]!, xp.shape[1]!, xp.shape[2]!];
  const H = G / 3;
  const fused = be.fused!;
  const all = bhh ? [xp, h0, whh, bhh] : [xp, h0, whh];
  const p: GruParams = { L, n: N, h: H, reverse };
  const r = fused.gruForward!(xp._s('gru'), h0._s('gru'), whh._s('gru'), bhh ? bhh._s('gru') : null, p);
  const output = wrap(be, r.output, [L, N, H]), h = wrap(be, r.h, [N, H]);
  const sv = r.saved;
  const savedT = [wrap(be, sv.acts, [L, N, G]), wrap(be, sv.hn, [L, N, H]), wrap(be, sv.hPrev, [L, N, H])];
  if (isGradEnabled() && all.some((t) => t.requiresGrad)) {
    const box: (Tensor | null)[] = [null, null];
    const bwdFused = fused.gruBackward!;
    const k = all.length;
    // The shared node: its own gradient (a zero scalar) only orders it after the outputs' nodes.
    const tok = wrap(be, be.fill('float32', 1, 0), []);
    record(tok, 'gru', all, [...all, ...savedT], (_g, saved, needs) => {
      const [gOut, gH] = box;
      box.fill(null);
      try {
        const ins = saved.slice(0, k) as Tensor[];
        const [acts, hn, hPrev] = saved.slice(k) as [Tensor, Tensor, Tensor];
        if (!gOut && !gH) return ins.map(() => null);
        if (isGradEnabled()) {
          const c = composite(ins[0]!, ins[1]!, ins[2]!, ins[3] ?? null, reverse) as { output: Tensor; h: Tensor };
          return aux.replay([c.output, c.h], ins, [gOut, gH]);
        }
        const st: GruSaved = { acts: acts._s('gru backward'), hn: hn._s('gru backward'), hPrev: hPrev._s('gru backward') };
        const g = bwdFused(gOut?._s('gru backward') ?? null, gH?._s('gru backward') ?? null, ins[2]!._s('gru backward'), st, p,
          needs[2]!, k > 3 && needs[3]!);
        const res = [wrap(be, g.xp, [L, N, G]), wrap(be, g.h0, [N, H]), g.whh ? wrap(be, g.whh, [G, H]) : null];
        return k > 3 ? [...res, g.bhh ? wrap(be, g.bhh, [G]) : null] : res;
      } finally {
        for (const t of [gOut, gH]) t?._releaseAlias();
      }
    });
    [output, h].forEach((o, j) => record(o, 'gru', [tok], [], (g) => {
      box[j]?._releaseAlias();
      box[j] = g._alias();
      return [wrap(be, be.fill('float32', 1, 0), [])];
    }));
    tok.dispose();
  }
  for (const t of savedT) t.dispose();
  return { output, h };
}

/** lstmSeq(xp, h0, c0, whh, reverse) of float32: Backend.fused.lstmForward/Backward. */
const lstmRule: Rewrite = {
  name: 'the LSTM recurrence in one kernel call per step (Backend.fused.lstmForward)',
  match: ([xp, h0, c0, whh, reverse], aux, impl) => {
    const ts = [xp, h0, c0, whh] as Tensor[];
    const be = backendOf('lstm', ...ts);
    if (!be.fused?.lstmForward || !be.fused.lstmBackward || !float32(ts)) return null;
    return () => lstmFused(be, ts[0]!, ts[1]!, ts[2]!, ts[3]!, reverse as boolean, aux as RecurrentAux, impl);
  },
};

/** gruSeq(xp, h0, whh, bhh, reverse) of float32: Backend.fused.gruForward/Backward. */
const gruRule: Rewrite = {
  name: 'the GRU recurrence in one kernel call per step (Backend.fused.gruForward)',
  match: ([xp, h0, whh, bhh, reverse], aux, impl) => {
    const ts = [xp, h0, whh, bhh] as (Tensor | null)[];
    const be = backendOf('gru', ...ts);
    if (!be.fused?.gruForward || !be.fused.gruBackward || !float32(ts)) return null;
    return () => gruFused(be, ts[0]!, ts[1]!, ts[2]!, ts[3] ?? null, reverse as boolean, aux as RecurrentAux, impl);
  },
};

/** crossEntropyRows(x [M, C], target int32 [M], ignoreIndex) of float32: Backend.fused.softmaxCrossEntropy. */
const xentRule: Rewrite = {
  name: 'softmax cross-entropy of rows in one pass (Backend.fused.softmaxCrossEntropy)',
  match: ([x, target, ignore], aux, impl) => {
    const [tx, tt] = [x as Tensor, target as Tensor];
    const be = backendOf('crossEntropy', tx, tt);
    const f = be.fused;
    if (!f?.softmaxCrossEntropy || !f.softmaxCrossEntropyBackward || tx.dtype !== 'float32' || tx.ndim !== 2 || tt.dtype !== 'int32') return null;
    const [M, C] = [tx.shape[0]!, tx.shape[1]!];
    if (tt.numel() !== M || M === 0 || C === 0) return null;
    return () => {
      const p = { m: M, c: C, ignoreIndex: ignore as number };
      const [ls, lses] = f.softmaxCrossEntropy!(tx._s('crossEntropy'), tt._s('crossEntropy'), p);
      const rows = wrap(be, ls, [M]), lse = wrap(be, lses, [M]);
      const bwd = f.softmaxCrossEntropyBackward!;
      record(rows, 'crossEntropy', [tx], [tx, tt, lse], (g, [sx, st, sl]) => {
        // createGraph: the composite's vector-Jacobian product, recorded
        if (isGradEnabled()) return [(aux as XentAux).gradOf(impl(sx, st, ignore) as Tensor, g, sx!)];
        return [wrap(be, bwd(sx!._s('crossEntropy backward'), st!._s('crossEntropy backward'), sl!._s('crossEntropy backward'),
          g._s('crossEntropy backward'), g.numel() === 1 ? 0 : 1, 1, p), [M, C])];
      });
      lse.dispose();
      return rows;
    };
  },
};

export const SEQUENCE_RULES = { lstmSeq: [lstmRule], gruSeq: [gruRule], crossEntropyRows: [xentRule] };
