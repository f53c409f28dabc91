// Fused paths of convolutional networks' per-channel composites: batch norm in training mode (the batch's
// statistics and the normalised output in one kernel, the closed-form backward in one more) and LeakyReLU
// (one pass forward, one backward, where the composite makes a mask, a product and a where, and as many
// again backward). float32; under createGraph the backward is the composite's own, recorded.

import type { Tensor } from '../../tensor/tensor.js';
import { isGradEnabled } from '../../autograd/graph.js';
import { backendOf, record, wrap } from '../util.js';
import type { Rewrite } from '../rewrites.js';
import { compositeGrads } from './rows.js';

type MaybeT = Tensor | null | undefined;

/** batchNormTrain(x [N, C, *], weight, bias, dims = [0, 2, 3…], eps): Backend.fused.batchNorm, backward batchNormBackward. */
const batchNormRule: Rewrite = {
  name: 'batch norm in training mode in one kernel forward and one backward (Backend.fused.batchNorm)',
  match: (args, _aux, impl) => {
    const [x, w, b, dims, eps] = args as [Tensor, MaybeT, MaybeT, number[], number];
    if (x.dtype !== 'float32' || x.ndim < 2 || x.numel() === 0 || [w, b].some((t) => t && t.dtype !== 'float32')) return null;
    if (dims.length !== x.ndim - 1 || dims.some((d, i) => d !== (i === 0 ? 0 : i + 1))) return null;
    const be = backendOf('batchNorm', x, w, b);
    const f = be.fused;
    if (!f?.batchNorm || !f.batchNormBackward) return null;
    const n = x.shape[0]!, c = x.shape[1]!;
    const p = { n, c, inner: x.numel() / (n * c) };
    const cshape = [1, c, ...Array<number>(x.ndim - 2).fill(1)];
    return () => {
      const name = 'batchNorm';
      const [ys, ms, vs, rs] = f.batchNorm!(x._s(name), w ? w._s(name) : null, b ? b._s(name) : null, { ...p, eps });
      const y = wrap(be, ys, x.shape), mean = wrap(be, ms, cshape), varBiased = wrap(be, vs, cshape), rstd = wrap(be, rs, [c]);
      record(y, name, [x, w, b], w ? [x, mean, rstd, w] : [x, mean, rstd], (g, saved, needs) => {
        const [sx, sm, sr] = saved as [Tensor, Tensor, Tensor];
        const sw = w ? saved[3]! : null;
        if (isGradEnabled()) {
          const yOf = (...a: unknown[]) => (impl(...a) as { y: Tensor }).y;
          return compositeGrads(yOf, [sx, sw, b ?? null, dims, eps], [sx, sw, b ?? null], g, needs);
        }
        const nm = 'batchNorm backward';
        const [dx, dw, db] = f.batchNormBackward!(sx._s(nm), sw ? sw._s(nm) : null, sm._s(nm), sr._s(nm), g._s(nm), p,
          needs[0]!, !!(sw && needs[1]), !!(b && needs[2]));
        return [dx ? wrap(be, dx, sx.shape) : null, dw ? wrap(be, dw, [c]) : null, db ? wrap(be, db, [c]) : null];
      });
      rstd.dispose();
      return { y, mean, varBiased };
    };
  },
};

/** leakyRelu(x, negativeSlope): Backend.fused.leakyRelu, backward leakyReluBackward. */
const leakyReluRule: Rewrite = {
  name: 'LeakyReLU in one pass forward and one backward (Backend.fused.leakyRelu)',
  match: (args, _aux, impl) => {
    const x = args[0] as Tensor;
    const slope = args[1] === undefined ? 0.01 : args[1];
    if (x.dtype !== 'float32' || typeof slope !== 'number' || x.numel() === 0) return null;
    const be = backendOf('leakyRelu', x);
    const f = be.fused;
    if (!f?.leakyRelu || !f.leakyReluBackward) return null;
    return () => {
      const y = wrap(be, f.leakyRelu!(x._s('leakyRelu'), slope), x.shape);
      record(y, 'leakyRelu', [x], [x], (g, [sx], needs) => {
        if (isGradEnabled()) return compositeGrads(impl, [sx, slope], [sx!], g, needs);
        return [wrap(be, f.leakyReluBackward!(sx!._s('leakyRelu backward'), g._s('leakyRelu backward'), slope), sx!.shape)];
      });
      return y;
    };
  },
};

export const CHANNEL_RULES = {
  batchNormTrain: [batchNormRule],
  leakyRelu: [leakyReluRule],
};
