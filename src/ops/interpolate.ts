// F.interpolate (torch.nn.functional.interpolate) of [N, C, L] and [N, C, H, W]: nearest, linear,
// bilinear and bicubic, one spatial dim at a time (each mode is separable), as index selects of the
// input weighted per output position — so the gradient is the index-adds autograd already has.

import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { isFloat } from '../tensor/dtype.js';
import { scope } from '../tensor/memory.js';
import { defineOp } from './dispatch.js';
import { add, mul } from './elementwise.js';
import { indexSelect } from './index-select.js';
import { reshape } from './layout.js';
import { checkOpts, fromHost } from './sorting.js';

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic';

export interface InterpolateOptions {
  /** the output's spatial size (one number for every spatial dim, or one each) */
  size?: number | readonly number[] | null;
  /** the output's spatial size as a multiple of the input's (floored) */
  scaleFactor?: number | readonly number[] | null;
  /** default 'nearest'; 'linear' takes 3-D input, 'bilinear' and 'bicubic' 4-D */
  mode?: InterpolateMode;
  /** linear modes: the corner pixels' centres of input and output coincide (default false) */
  alignCorners?: boolean | null;
  /** with scaleFactor: sample at output/input sizes rather than at 1/scaleFactor (default false) */
  recomputeScaleFactor?: boolean | null;
}

const MODE_DIMS: Record<InterpolateMode, number | null> = { nearest: null, linear: 3, bilinear: 4, bicubic: 4 };
const A = -0.75; // PyTorch's bicubic coefficient

/** Taps along one dim: for each output position, input indices and their weights (null: weight 1). */
interface Taps { idx: Int32Array[]; w: Float64Array[] | null }

function nearestTaps(inSize: number, outSize: number, scale: number): Taps {
  const idx = new Int32Array(outSize);
  // PyTorch computes the source index in float32 whatever the dtype. (Its single-channel 4-D kernel
  // alone copies where a scaleFactor keeps the size; every other path, followed here, does not.)
  const s = Math.fround(scale);
  for (let o = 0; o < outSize; o++) idx[o] = Math.min(Math.floor(Math.fround(o * s)), inSize - 1);
  return { idx: [idx], w: null };
}

function sourceIndex(scale: number, o: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return scale * o;
  const src = scale * (o + 0.5) - 0.5;
  return !cubic && src < 0 ? 0 : src;
}

function linearTaps(inSize: number, outSize: number, scale: number, alignCorners: boolean): Taps {
  const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize), w1 = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = sourceIndex(scale, o, alignCorners, false);
    const lo = Math.min(Math.floor(src), inSize - 1);
    const l1 = src - lo;
    i0[o] = lo;
    i1[o] = lo < inSize - 1 ? lo + 1 : lo;
    w0[o] = 1 - l1;
    w1[o] = l1;
  }
  return { idx: [i0, i1], w: [w0, w1] };
}

function cubicTaps(inSize: number, outSize: number, scale: number, alignCorners: boolean): Taps {
  const idx = [0, 1, 2, 3].map(() => new Int32Array(outSize));
  const w = [0, 1, 2, 3].map(() => new Float64Array(outSize));
  const c1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const c2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  for (let o = 0; o < outSize; o++) {
    const src = sourceIndex(scale, o, alignCorners, true);
    const fl = Math.floor(src);
    const t = src - fl;
    const ws = [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)];
    for (let k = 0; k < 4; k++) {
      idx[k]![o] = Math.min(Math.max(fl - 1 + k, 0), inSize - 1);
      w[k]![o] = ws[k]!;
    }
  }
  return { idx, w };
}

function perDim(name: string, v: number | readonly number[], n: number): number[] {
  const a = typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
  if (a.length !== n) throw new Error(`interpolate: ${name} has ${a.length} entries for ${n} spatial dims`);
  return a;
}

/** Resamples the spatial dims of [N, C, L] or [N, C, H, W] to size, or by scaleFactor. */
export const interpolate = defineOp('interpolate', (x: Tensor, opts: InterpolateOptions = {}): Tensor => {
  checkOpts('interpolate', opts, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']);
  const mode = opts.mode ?? 'nearest';
  if (!(mode in MODE_DIMS)) throw new TypeError(`interpolate: unknown mode '${String(mode)}' (modes: nearest, linear, bilinear, bicubic)`);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`interpolate: expected input [N, C, L] or [N, C, H, W], got ${fmt(x.shape)}`);
  const want = MODE_DIMS[mode];
  if (want !== null && x.ndim !== want) throw new Error(`interpolate: got ${x.ndim}-D input ${fmt(x.shape)}, but mode '${mode}' needs ${want}-D input`);
  if (!isFloat(x.dtype)) throw new TypeError(`interpolate: expected a floating-point input, got ${x.dtype}`);
  const interpolating = mode !== 'nearest';
  if (!interpolating && opts.alignCorners != null) throw new Error("interpolate: alignCorners can only be set with mode 'linear', 'bilinear' or 'bicubic'");
  const alignCorners = opts.alignCorners ?? false;
  const hasSize = opts.size != null, hasScale = opts.scaleFactor != null;
  if (hasSize === hasScale) throw new Error('interpolate: give exactly one of size and scaleFactor');
  const s = x.ndim - 2;
  const inSizes = x.shape.slice(2);
  let outSizes: number[];
  let scales: (number | null)[] = new Array<number | null>(s).fill(null);
  if (hasSize) {
    outSizes = perDim('size', opts.size!, s);
    for (const o of outSizes) if (!Number.isInteger(o) || o < 1) throw new RangeError(`interpolate: size must be integers ≥ 1, got ${fmt(outSizes)}`);
  } else {
    const sf = perDim('scaleFactor', opts.scaleFactor!, s);
    for (const f of sf) if (!(f > 0) || !Number.isFinite(f)) throw new RangeError(`interpolate: scaleFactor must be positive, got ${fmt(sf)}`);
    outSizes = inSizes.map((n, i) => Math.floor(n * sf[i]!));
    if (outSizes.some((o) => o < 1)) throw new Error(`interpolate: scaleFactor ${fmt(sf)} makes an empty output from input ${fmt(x.shape)}`);
    if (!opts.recomputeScaleFactor) scales = sf.map((f) => 1 / f);
  }
  return scope(() => {
    let cur = x;
    // PyTorch's linear kernels copy a dim whose size stays, even where scaleFactor says to resample it.
    for (let i = 0; i < s; i++) {
      const I = inSizes[i]!, O = outSizes[i]!;
      if ((mode === 'linear' || mode === 'bilinear') && I === O) continue;
      const scale = interpolating && alignCorners ? (O > 1 ? (I - 1) / (O - 1) : 0) : scales[i] ?? I / O;
      const taps = mode === 'nearest' ? nearestTaps(I, O, scale) : mode === 'bicubic' ? cubicTaps(I, O, scale, alignCorners) : linearTaps(I, O, scale, alignCorners);
      cur = resampleDim(cur, 2 + i, taps);
    }
    return cur === x ? mul(x, 1) : cur;
  });
});

/** Σ_k w_k · x[..., idx_k, ...] along dim d. */
function resampleDim(x: Tensor, d: number, taps: Taps): Tensor {
  let out: Tensor | null = null;
  taps.idx.forEach((ix, k) => {
    const sel = indexSelect(x, d, fromHost(x, ix, 'int32', [ix.length]));
    let term = sel;
    if (taps.w) {
      const shape = x.shape.map((_, j) => (j === d ? ix.length : 1));
      term = mul(sel, reshape(fromHost(x, taps.w[k]!, x.dtype, [ix.length]), shape));
    }
    out = out === null ? term : add(out, term);
  });
  return out!;
}
