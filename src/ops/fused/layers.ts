// Fused paths of the layers: conv2d and linear with their bias in the kernel's writes, a ReLU
// after them folded in too, max pooling of that in cache at inference, max pooling's values alone,
// and ReLU's one-pass backward. conv2d/linear return pending results (../pending.ts) so that a
// ReLU that follows can still join; reading a result any other way computes it as it is.

import type { Conv2dParams, Pool2dParams } from '../../backend/backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { sameShape } from '../../tensor/shape.js';
import { isGradEnabled } from '../../autograd/graph.js';
import { deferred, pendingOf, type DeferredKind } from '../pending.js';
import { backendOf, wrap } from '../util.js';
import type { Rewrite } from '../rewrites.js';

/** conv2dBias's backward pieces (src/ops/conv.ts) and, once a ReLU joined, ReLU's. */
export interface ConvAux {
  gradInput(g: Tensor, w: Tensor, p: Conv2dParams): Tensor;
  gradWeight(x: Tensor, g: Tensor, p: Conv2dParams): Tensor;
  gradBias(g: Tensor): Tensor;
}
/** linearBias's backward pieces (src/ops/linalg.ts): x·wᵀ + b. */
export interface LinearAux {
  gradX(g: Tensor, w: Tensor): Tensor;
  gradW(g: Tensor, x: Tensor): Tensor;
  gradBias(g: Tensor): Tensor;
}
/** What a ReLU record offers: its backward (g, x, y) — masked where the output y > 0. */
interface ReluAux { grad(g: Tensor, x: Tensor, y: Tensor): Tensor }

interface ConvData { p: Conv2dParams; aux: ConvAux; relu: ReluAux | null }
interface LinearData { aux: LinearAux; relu: ReluAux | null; m: number; k: number; n: number }

const f32 = (...ts: (Tensor | null)[]) => ts.every((t) => !t || t.dtype === 'float32');

/** The backward of conv or linear (+ ReLU): ReLU's mask on the output's gradient first, then the layer's. */
function layerBackward(g: Tensor, y: Tensor | undefined, relu: ReluAux | null, grads: (gz: Tensor) => (Tensor | null)[]): (Tensor | null)[] {
  const gz = relu ? relu.grad(g, y!, y!) : g; // y > 0 ⟺ the pre-activation > 0
  const r = grads(gz);
  if (gz !== g) gz.dispose();
  return r;
}

function convKind(act: boolean): DeferredKind<ConvData> {
  return {
    kind: act ? 'convRelu' : 'conv',
    run: ([hx, hw, hb], { p }, be) => be.fused!.conv2dBiasAct!(hx!._s('conv2d'), hw!._s('conv2d'), hb ? hb._s('conv2d') : null, p, act),
    node: {
      name: act ? 'conv2dRelu' : 'conv2d', saves: act ? [0, 1, 'out'] : [0, 1],
      backward: (g, [sx, sw, y], needs, { p, aux, relu }) => layerBackward(g, y, relu, (gz) =>
        [needs[0] ? aux.gradInput(gz, sw!, p) : null, needs[1] ? aux.gradWeight(sx!, gz, p) : null, needs[2] ? aux.gradBias(gz) : null]),
    },
  };
}

function linearKind(act: boolean): DeferredKind<LinearData> {
  return {
    kind: act ? 'linearRelu' : 'linear',
    run: ([hx, hw, hb], { m, k, n }, be) => be.fused!.linearBiasAct!(hx!._s('linear'), hw!._s('linear'), hb ? hb._s('linear') : null, { m, k, n }, act),
    node: {
      name: act ? 'linearRelu' : 'linear', saves: act ? [0, 1, 'out'] : [0, 1],
      backward: (g, [sx, sw, y], needs, { aux, relu }) => layerBackward(g, y, relu, (gz) =>
        [needs[0] ? aux.gradX(gz, sw!) : null, needs[1] ? aux.gradW(gz, sx!) : null, needs[2] ? aux.gradBias(gz) : null]),
    },
  };
}

const CONV = convKind(false), CONV_RELU = convKind(true), LINEAR = linearKind(false), LINEAR_RELU = linearKind(true);

function convDeferred(x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, aux: ConvAux, relu: ReluAux | null, absorbs?: Tensor): Tensor {
  const be = backendOf('conv2d', x, w, b);
  return deferred(be, [p.n, p.cOut, p.oh, p.ow], 'float32', relu ? CONV_RELU : CONV, [x, w, b], { p, aux, relu }, absorbs);
}

function linearDeferred(x: Tensor, w: Tensor, b: Tensor | null, aux: LinearAux, relu: ReluAux | null, absorbs?: Tensor): Tensor {
  const be = backendOf('linear', x, w, b);
  const [m, k] = x.shape as [number, number], n = w.shape[0]!;
  return deferred(be, [m, n], 'float32', relu ? LINEAR_RELU : LINEAR, [x, w, b], { aux, relu, m, k, n }, absorbs);
}

/** conv2dBias(x, w, bias, p) of float32: Backend.fused.conv2dBiasAct writes y + bias[c] itself. */
const convBias: Rewrite = {
  name: 'conv2d + bias (Backend.fused.conv2dBiasAct)',
  match: ([x, w, b, p], aux) => {
    const [tx, tw, tb] = [x as Tensor, w as Tensor, b as Tensor | null];
    if (!backendOf('conv2d', tx, tw, tb).fused?.conv2dBiasAct || !f32(tx, tw, tb)) return null;
    return () => convDeferred(tx, tw, tb, p as Conv2dParams, aux as ConvAux, null);
  },
};

/** linearBias(x [m, k], w [n, k], bias) of float32: Backend.fused.linearBiasAct adds the bias in one pass over the product. */
const linearBias: Rewrite = {
  name: 'linear + bias (Backend.fused.linearBiasAct)',
  match: ([x, w, b], aux) => {
    const [tx, tw, tb] = [x as Tensor, w as Tensor, b as Tensor | null];
    if (!backendOf('linear', tx, tw, tb).fused?.linearBiasAct || !f32(tx, tw, tb) || tx.ndim !== 2) return null;
    return () => linearDeferred(tx, tw, tb, aux as LinearAux, null);
  },
};

/** relu of a pending conv2d or linear: the same kernel with the ReLU in its writes. */
const reluAfter: Rewrite = {
  name: 'ReLU folded into the conv2d / linear before it',
  match: ([x], aux) => {
    const c = pendingOf<ConvData>(x, 'conv');
    if (c) return () => convDeferred(c.held[0]!, c.held[1]!, c.held[2], c.data.p, c.data.aux, aux as ReluAux, x as Tensor);
    const l = pendingOf<LinearData>(x, 'linear');
    if (l) return () => linearDeferred(l.held[0]!, l.held[1]!, l.held[2], l.data.aux, aux as ReluAux, x as Tensor);
    return null;
  },
};

/** Max pooling's values without a graph: of a pending conv + ReLU, pooled in cache per image. */
const poolAfterConvRelu: Rewrite = {
  name: 'conv2d + bias + ReLU + max pooling, the conv output pooled in cache (Backend.fused.conv2dBiasActMaxPool)',
  match: ([x, q]) => {
    const c = pendingOf<ConvData>(x, 'convRelu');
    const f = c?.backend.fused?.conv2dBiasActMaxPool;
    if (!c || !f || c.requiresGrad) return null;
    const [hx, hw, hb] = c.held;
    return () => {
      const pool = q as Pool2dParams;
      const s = f(hx!._s('conv2d'), hw!._s('conv2d'), hb ? hb._s('conv2d') : null, c.data.p, true, pool);
      return s ? wrap(c.backend, s, [pool.n, pool.c, pool.oh, pool.ow]) : undefined; // shapes it does not take: decline
    };
  },
};

/** Max pooling's values without a graph (no indices kept): Backend.fused.maxPool2dValues. */
const poolValues: Rewrite = {
  name: 'max pooling values only (Backend.fused.maxPool2dValues)',
  match: ([x, q]) => {
    const t = x as Tensor;
    const be = backendOf('maxPool2d', t);
    const f = be.fused?.maxPool2dValues;
    if (!f || t.dtype !== 'float32') return null;
    const p = q as Pool2dParams;
    return () => wrap(be, f(t._s('maxPool2d'), p), [p.n, p.c, p.oh, p.ow]);
  },
};

/** ReLU's backward where(x > 0, g, 0) in one pass, when no graph is recorded through it. */
const reluBackward: Rewrite = {
  name: "ReLU's backward in one pass (Backend.fused.reluBackward)",
  match: ([g, x]) => {
    const [tg, tx] = [g as Tensor, x as Tensor];
    const be = backendOf('relu backward', tg, tx);
    const f = be.fused?.reluBackward;
    if (!f || isGradEnabled() || tg.dtype !== 'float32' || tx.dtype !== 'float32' || !sameShape(tg.shape, tx.shape)) return null;
    return () => wrap(be, f(tx._s('relu backward'), tg._s('relu backward')), tx.shape);
  },
};

export const LAYER_RULES = {
  conv2dBias: [convBias],
  linearBias: [linearBias],
  relu: [reluAfter],
  maxPoolValues: [poolAfterConvRelu, poolValues],
  reluGrad: [reluBackward],
};
