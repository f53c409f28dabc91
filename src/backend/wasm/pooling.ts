// The wasm backend's pooling: max pooling (the 2×2 SIMD path, and values alone for inference), its
// backward, average and adaptive average pooling and theirs.

import type { AdaptivePool2dParams, FusedKernels, Kernels, Pool2dParams, Storage } from '../backend.js';
import { Ctx, SUFFIX, WasmStorage } from './context.js';
import { adaptiveSlots, poolSlots } from './params.js';

function floatOnly(s: WasmStorage, op: string): void {
  if (s.dtype !== 'float32' && s.dtype !== 'float64') throw new TypeError(`wasm backend: ${op} needs float32 or float64, got ${s.dtype}`);
}

type PoolKernels = Pick<Kernels, 'maxPool2d' | 'maxPool2dBackward' | 'avgPool2d' | 'avgPool2dBackward' | 'adaptiveAvgPool2d' | 'adaptiveAvgPool2dBackward'> &
  { maxPool2dValues: FusedKernels['maxPool2dValues'] };

export function poolKernels(ctx: Ctx): PoolKernels {
  /** The 2×2, stride-2, unpadded pooling of kernels/pool.ts (ceilMode windows past the input excluded). */
  const is2x2 = (p: Pool2dParams) => p.kh === 2 && p.kw === 2 && p.sh === 2 && p.sw === 2 && p.ph === 0 && p.pw === 0 &&
    p.dh === 1 && p.dw === 1 && 2 * p.oh <= p.h && 2 * p.ow <= p.w;

  /** Max pooling's values without the indices (fused.maxPool2dValues: inference). */
  const maxPool2dValues = (xs: Storage, p: Pool2dParams): Storage => {
    const x = ctx.use(xs, 'maxPool2d');
    if (x.dtype !== 'float32' || !is2x2(p)) {
      const [y, idx] = maxPool2d(xs, p);
      ctx.heap.release((idx as WasmStorage).ptr, (idx as WasmStorage).bytes);
      return y;
    }
    const y = ctx.alloc(x.dtype, p.n * p.c * p.oh * p.ow);
    ctx.parallel('maxpool2x2_f32', [x.ptr, y.ptr, 0, p.h, p.w, p.oh, p.ow], p.n * p.c, y.size * 2);
    return y;
  };

  const maxPool2d = (xs: Storage, p: Pool2dParams): [Storage, Storage] => {
    const x = ctx.use(xs, 'maxPool2d');
    floatOnly(x, 'maxPool2d');
    const outN = p.n * p.c * p.oh * p.ow;
    const y = ctx.alloc(x.dtype, outN), idx = ctx.alloc('int32', outN);
    if (x.dtype === 'float32' && is2x2(p)) {
      ctx.parallel('maxpool2x2_f32', [x.ptr, y.ptr, idx.ptr, p.h, p.w, p.oh, p.ow], p.n * p.c, outN * 2);
      return [y, idx];
    }
    ctx.parallel(ctx.kernel(`maxpool_${SUFFIX[x.dtype]}`, 'maxpool'), [x.ptr, y.ptr, idx.ptr, ctx.params(poolSlots(p))], p.n * p.c, outN * p.kh * p.kw * 2);
    return [y, idx];
  };

  const maxPool2dBackward = (gys: Storage, is: Storage, p: Pool2dParams): Storage => {
    const gy = ctx.use(gys, 'maxPool2dBackward'), idx = ctx.use(is, 'maxPool2dBackward');
    floatOnly(gy, 'maxPool2dBackward');
    const gx = ctx.alloc(gy.dtype, p.n * p.c * p.h * p.w);
    if (gy.dtype === 'float32' && is2x2(p)) {
      ctx.parallel('maxpool2x2_bwd_f32', [gy.ptr, idx.ptr, gx.ptr, p.h, p.w, p.oh, p.ow], p.n * p.c, gx.size);
      return gx;
    }
    ctx.parallel(ctx.kernel(`maxpool_bwd_${SUFFIX[gy.dtype]}`, 'maxpool_bwd'), [gy.ptr, idx.ptr, gx.ptr, ctx.params(poolSlots(p))], p.n * p.c, gx.size * 2);
    return gx;
  };

  /**
   * A kernel that maps each (image, channel) plane of x to one of `outN` elements: average and
   * adaptive pooling and their backward (`work`: its cost in element passes).
   */
  const planes = (op: string, kernel: string, xs: Storage, outN: number, slots: number[], planesN: number, work: number): Storage => {
    const x = ctx.use(xs, op);
    floatOnly(x, op);
    const y = ctx.alloc(x.dtype, outN);
    ctx.parallel(ctx.kernel(`${kernel}_${SUFFIX[x.dtype]}`, op), [x.ptr, y.ptr, ctx.params(slots)], planesN, work);
    return y;
  };
  const avgPool2d = (xs: Storage, p: Pool2dParams): Storage =>
    planes('avgPool2d', 'avgpool', xs, p.n * p.c * p.oh * p.ow, poolSlots(p), p.n * p.c, p.n * p.c * p.oh * p.ow * p.kh * p.kw * 2);
  const avgPool2dBackward = (gys: Storage, p: Pool2dParams): Storage =>
    planes('avgPool2dBackward', 'avgpool_bwd', gys, p.n * p.c * p.h * p.w, poolSlots(p), p.n * p.c, p.n * p.c * p.oh * p.ow * p.kh * p.kw * 2);
  const adaptiveAvgPool2d = (xs: Storage, p: AdaptivePool2dParams): Storage =>
    planes('adaptiveAvgPool2d', 'adaptive', xs, p.n * p.c * p.oh * p.ow, adaptiveSlots(p), p.n * p.c, p.n * p.c * p.h * p.w * 2);
  const adaptiveAvgPool2dBackward = (gys: Storage, p: AdaptivePool2dParams): Storage =>
    planes('adaptiveAvgPool2dBackward', 'adaptive_bwd', gys, p.n * p.c * p.h * p.w, adaptiveSlots(p), p.n * p.c, p.n * p.c * p.h * p.w * 2);

  return { maxPool2d, maxPool2dValues, maxPool2dBackward, avgPool2d, avgPool2dBackward, adaptiveAvgPool2d, adaptiveAvgPool2dBackward };
}
