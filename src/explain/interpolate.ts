// Resizing attribution maps to the input (Captum's LayerAttribution.interpolate, PyTorch's
// F.interpolate with alignCorners false): each spatial dim by a small interpolation matrix.

import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { matmul } from '../ops/linalg.js';
import { transpose } from '../ops/shape.js';
import { tensor } from '../tensor/create.js';
import { fmt } from '../tensor/shape.js';

export const INTERPOLATE_MODES = ['nearest', 'linear', 'bilinear'] as const;
export type InterpolateMode = (typeof INTERPOLATE_MODES)[number];

/**
 * x [N, C, L] (mode 'nearest' or 'linear') or [N, C, H, W] ('nearest' or 'bilinear') resized to
 * `size` ([L'] or [H', W']). Differentiable (it is two matrix products).
 */
export function interpolate(x: Tensor, size: number | readonly number[], mode: InterpolateMode = 'nearest'): Tensor {
  const op = 'interpolate';
  if (!INTERPOLATE_MODES.includes(mode)) throw new Error(`${op}: unknown mode '${String(mode)}' (modes: ${INTERPOLATE_MODES.join(', ')})`);
  const spatial = x.ndim - 2;
  if (spatial !== 1 && spatial !== 2) throw new Error(`${op}: expected [N, C, L] or [N, C, H, W], got ${fmt(x.shape)}`);
  const out = typeof size === 'number' ? Array<number>(spatial).fill(size) : [...size];
  if (out.length !== spatial || out.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`${op}: size must be ${spatial} positive integer(s) for an input ${fmt(x.shape)}, got ${JSON.stringify(size)}`);
  }
  if (mode === 'linear' && spatial !== 1) throw new Error(`${op}: mode 'linear' is for [N, C, L] inputs; use 'bilinear' for ${fmt(x.shape)}`);
  if (mode === 'bilinear' && spatial !== 2) throw new Error(`${op}: mode 'bilinear' is for [N, C, H, W] inputs; use 'linear' for ${fmt(x.shape)}`);
  const linear = mode !== 'nearest';
  return scope(() => {
    const last = x.shape[x.ndim - 1]!;
    // x · Mᵀ resizes the last dim; for 2-D, transpose, resize the other, transpose back.
    const mLast = resizeMatrixT(last, out[spatial - 1]!, linear, x.dtype);
    let y = matmul(x, mLast);
    if (spatial === 2) {
      const mFirst = resizeMatrixT(x.shape[2]!, out[0]!, linear, x.dtype);
      y = transpose(matmul(transpose(y, 2, 3), mFirst), 2, 3);
    }
    return y;
  });
}

/** Mᵀ [in, out]: output o takes Σ_i M[o, i] · input i (PyTorch's source-index rules, alignCorners false). */
function resizeMatrixT(inSize: number, outSize: number, linear: boolean, dtype: 'float32' | 'float64' | string): Tensor {
  const m = new Float64Array(inSize * outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (!linear) {
      // PyTorch: identity when sizes match, floor(o · scale) otherwise (scale in float32).
      const src = inSize === outSize ? o : Math.min(Math.floor(o * Math.fround(scale)), inSize - 1);
      m[src * outSize + o] = 1;
      continue;
    }
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = src - i0;
    m[i0 * outSize + o] += 1 - l1;
    m[i1 * outSize + o] += l1;
  }
  return tensor(m, { dtype: dtype === 'float64' ? 'float64' : 'float32', shape: [inSize, outSize] });
}
