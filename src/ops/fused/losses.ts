// Fused paths of the losses: binary cross-entropy of float32 probabilities in one pass forward and
// one backward (Backend.fused.bce, bceBackward) where the composite of src/nn/loss.ts makes about
// eleven passes forward and six backward; the composite stays the definition.

import type { Tensor } from '../../tensor/tensor.js';
import { sameShape } from '../../tensor/shape.js';
import { isGradEnabled } from '../../autograd/graph.js';
import { backendOf, record, wrap } from '../util.js';
import type { Rewrite } from '../rewrites.js';

/** bceElementwise's backward pieces (src/nn/loss.ts): its gradients written with ops, and its ε. */
export interface BceAux {
  readonly eps: number;
  gradX(g: Tensor, x: Tensor, t: Tensor): Tensor;
  gradT(g: Tensor, x: Tensor): Tensor;
}

/** bceElementwise(x, t) of float32, one shape: the loss per element in one pass, its x-gradient in one. */
const bceRule: Rewrite = {
  name: 'binary cross-entropy in one pass each way (Backend.fused.bce, bceBackward)',
  match: ([x, t], aux) => {
    const [tx, tt] = [x as Tensor, t as Tensor];
    const be = backendOf('binaryCrossEntropy', tx, tt);
    const f = be.fused;
    if (!f?.bce || !f.bceBackward || tx.dtype !== 'float32' || tt.dtype !== 'float32' || !sameShape(tx.shape, tt.shape)) return null;
    const a = aux as BceAux, bwd = f.bceBackward;
    return () => {
      const out = wrap(be, f.bce!(tx._s('binaryCrossEntropy'), tt._s('binaryCrossEntropy')), tx.shape);
      return record(out, 'binaryCrossEntropy', [tx, tt], [tx, tt], (g, [sx, st], needs) => {
        let gx: Tensor | null = null;
        if (needs[0]) {
          // createGraph (or a gradient of another dtype): the composite's formula, recorded
          gx = isGradEnabled() || g.dtype !== 'float32' || !sameShape(g.shape, sx!.shape) ? a.gradX(g, sx!, st!)
            : wrap(be, bwd(sx!._s('binaryCrossEntropy backward'), st!._s('binaryCrossEntropy backward'), g._s('binaryCrossEntropy backward'), 1, a.eps), sx!.shape);
        }
        return [gx, needs[1] ? a.gradT(g, sx!) : null];
      });
    };
  },
};

export const LOSS_RULES = { bceElementwise: [bceRule] };
