// Fused paths of the transformer's composites: softmax and logSoftmax over the last dim (and the
// causal softmax of attention scores), layer norm and exact GELU — one kernel forward and one backward
// each (Backend.fused.softmaxRows … geluBackward) instead of a chain of element-wise ops and their
// temporaries. Under createGraph the backward is the composite's own vector-Jacobian product, recorded
// (softmax's from its output alone, as PyTorch's, so that the input need not be kept).

import type { Backend, RowsParams } from '../../backend/backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isGradEnabled } from '../../autograd/graph.js';
import { runBackward } from '../../autograd/backward.js';
import { backendOf, needsGraph, record, wrap } from '../util.js';
import type { Rewrite } from '../rewrites.js';
import type { SoftmaxAux } from '../activation.js';

const isFloat = (t: Tensor | null | undefined): boolean => !!t && (t.dtype === 'float32' || t.dtype === 'float64');

/** The composite's gradients of the wanted inputs: impl run again on the saved inputs, its graph walked with createGraph. */
export function compositeGrads(impl: (...a: unknown[]) => unknown, args: unknown[], inputs: (Tensor | null)[], g: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const want = inputs.map((t, i) => (t && needs[i] ? t : null));
  const live = want.filter((t): t is Tensor => t !== null);
  if (!live.length) return inputs.map(() => null);
  const out = impl(...args) as Tensor;
  const r = runBackward(out, g, { createGraph: true }, live) as (Tensor | null)[];
  let k = 0;
  return want.map((t) => (t ? r[k++] ?? null : null));
}

/** The last dim of x as rows × c, or null where the kernel does not apply (the composite then runs, and reports errors). */
function rowsOf(x: Tensor, dim: unknown): { rows: number; c: number } | null {
  if (!isFloat(x) || x.ndim === 0 || typeof dim !== 'number' || (dim !== x.ndim - 1 && dim !== -1)) return null;
  const c = x.shape[x.ndim - 1]!, n = x.numel();
  return n === 0 ? null : { rows: n / c, c };
}

/**
 * softmax / logSoftmax (/ the causal softmax) of x's rows, recorded with the fused backward; only the output
 * is kept for it (under createGraph too: aux's product from the output, recorded, as PyTorch's softmax backward).
 */
function softmaxFused(be: Backend, name: string, x: Tensor, p: RowsParams, aux: SoftmaxAux): Tensor {
  const f = be.fused!;
  const y = wrap(be, f.softmaxRows!(x._s(name), p), x.shape);
  record(y, name, [x], [y], (g, [sy]) => {
    if (isGradEnabled()) return [aux.gradFromOutput(g, sy!)];
    return [wrap(be, f.softmaxRowsBackward!(sy!._s(`${name} backward`), g._s(`${name} backward`), p), sy!.shape)];
  });
  return y;
}

function softmaxRule(log: boolean): Rewrite {
  const name = log ? 'logSoftmax' : 'softmax';
  return {
    name: `${name} of the last dim in one pass forward and one backward (Backend.fused.softmaxRows)`,
    match: (args, aux) => {
      const x = args[0] as Tensor;
      const r = rowsOf(x, args[1]);
      const be = r && backendOf(name, x);
      if (!r || !be?.fused?.softmaxRows || !be.fused.softmaxRowsBackward) return null;
      return () => softmaxFused(be, name, x, { ...r, log }, aux as SoftmaxAux);
    },
  };
}

/** causalSoftmax(scores [..., L, S]): softmax with j > i masked, the mask applied by position. */
const causalRule: Rewrite = {
  name: 'softmax of attention scores with the causal mask applied in the kernel (Backend.fused.softmaxRows)',
  match: (args, aux) => {
    const x = args[0] as Tensor;
    const r = x.ndim >= 2 ? rowsOf(x, -1) : null;
    const be = r && backendOf('causalSoftmax', x);
    if (!r || !be?.fused?.softmaxRows || !be.fused.softmaxRowsBackward) return null;
    return () => softmaxFused(be, 'causalSoftmax', x, { ...r, causal: x.shape[x.ndim - 2]! }, aux as SoftmaxAux);
  },
};

/** gelu(x) exact: Backend.fused.gelu, backward geluBackward. */
const geluRule: Rewrite = {
  name: 'exact GELU in one pass forward and one backward (Backend.fused.gelu)',
  match: (args, _aux, impl) => {
    const x = args[0] as Tensor;
    const opts = args[1] as { approximate?: string } | undefined;
    if (!isFloat(x) || (opts?.approximate ?? 'none') !== 'none' || x.numel() === 0) return null;
    const be = backendOf('gelu', x);
    const f = be.fused;
    if (!f?.gelu || !f.geluBackward) return null;
    return () => {
      const y = wrap(be, f.gelu!(x._s('gelu')), x.shape);
      record(y, 'gelu', [x], [x], (g, [sx], needs) => {
        if (isGradEnabled()) return compositeGrads(impl, [sx, ...args.slice(1)], [sx!], g, needs);
        return [wrap(be, f.geluBackward!(sx!._s('gelu backward'), g._s('gelu backward')), sx!.shape)];
      });
      return y;
    };
  },
};

/** layerNormRows(x, k, weight, bias, eps) over the trailing k dims: Backend.fused.layerNormRows. */
const layerNormRule: Rewrite = {
  name: 'layer norm in one pass forward and one backward (Backend.fused.layerNormRows)',
  match: (args, _aux, impl) => {
    const [x, k, w, b, eps] = args as [Tensor, number, Tensor | null, Tensor | null, number];
    if (!isFloat(x) || (w && w.dtype !== x.dtype) || (b && b.dtype !== x.dtype) || x.numel() === 0) return null;
    const be = backendOf('layerNorm', x, w, b);
    const f = be.fused;
    if (!f?.layerNormRows || !f.layerNormRowsBackward) return null;
    let c = 1;
    for (let d = x.ndim - k; d < x.ndim; d++) c *= x.shape[d]!;
    const p = { rows: x.numel() / c, c };
    return () => {
      const [ys, ms, rs] = f.layerNormRows!(x._s('layerNorm'), w ? w._s('layerNorm') : null, b ? b._s('layerNorm') : null, { ...p, eps });
      const ins = [x, w, b];
      if (!needsGraph(ins)) {
        // no backward to come (inference, generation): the statistics are not kept
        be.free(ms);
        be.free(rs);
        return wrap(be, ys, x.shape);
      }
      const y = wrap(be, ys, x.shape), mean = wrap(be, ms, [p.rows]), rstd = wrap(be, rs, [p.rows]);
      record(y, 'layerNorm', ins, [x, mean, rstd, ...(w ? [w] : []), ...(b ? [b] : [])], (g, saved, needs) => {
        const [sx, sm, sr] = saved as [Tensor, Tensor, Tensor];
        const sw = w ? saved[3]! : null, sb = b ? saved[w ? 4 : 3]! : null;
        if (isGradEnabled()) return compositeGrads(impl, [sx, k, sw, sb, eps], [sx, sw, sb], g, needs);
        const n = 'layerNorm backward';
        const [dx, dw, db] = f.layerNormRowsBackward!(sx._s(n), sw ? sw._s(n) : null, sm._s(n), sr._s(n), g._s(n), p, !!(sw && needs[1]), !!(sb && needs[2]));
        return [needs[0] ? wrap(be, dx, sx.shape) : (be.free(dx), null), dw ? wrap(be, dw, sw!.shape) : null, db ? wrap(be, db, sb!.shape) : null];
      });
      mean.dispose();
      rstd.dispose();
      return y;
    };
  },
};

export const ROW_RULES = {
  softmax: [softmaxRule(false)],
  logSoftmax: [softmaxRule(true)],
  causalSoftmax: [causalRule],
  gelu: [geluRule],
  layerNormRows: [layerNormRule],
};
