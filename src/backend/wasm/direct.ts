// Direct float32 convolution (kernels/conv-direct.ts) for few input channels per group — a first
// layer's cIn·kh·kw = 9…75, where im2col + GEMM has too short a K — forward and weight gradient.

import type { Conv2dParams } from '../backend.js';
import { SCRATCH_BYTES, type Ctx, type WasmStorage } from './context.js';

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

/**
 * Largest cIn/groups · kh · kw that runs direct, and the most input channels per group. Measured
 * (bench/conv-quick.ts, one thread; direct vs the path taken otherwise): K = 9…75 with 32 output
 * channels, direct forward 1.2–1.35× faster than im2col, weight gradient 1.3–2×; with 128 output
 * channels the forward ties (the GEMM's M is large enough) and the weight gradient still wins. From
 * 8 channels, 3×3 goes to Winograd, which beats direct there (K = 72: forward even, weight gradient
 * 2.8 against 3.5 ms; K = 144: 2.2 against 3.5 ms).
 */
export const directLimits = { maxK: Number(env.NABLA_DIRECT_K ?? 75), maxChannels: 7 };

/** Bytes of the kernels' shifted copies of one image-group's input (kernels/conv-direct.ts). */
const shiftBytes = (p: Conv2dParams, cig: number) => ((cig * p.kw * (p.oh + (p.kh - 1) * p.dh) * p.ow * 4 + 15) & ~15) + 64;
const round16 = (b: number) => (b + 15) & ~15;

/** Stride 1 and non-negative padding (the rest is checked per pass: K, channels, scratch). */
function shapeFits(p: Conv2dParams): boolean {
  if (env.NABLA_DIRECT === '0') return false; // for comparisons: the other paths
  return p.sh === 1 && p.sw === 1 && p.ph >= 0 && p.pw >= 0 && p.oh > 0 && p.ow > 0;
}

/** Whether conv2d's forward runs direct. */
export function directFits(p: Conv2dParams): boolean {
  const cig = p.cIn / p.groups, K = cig * p.kh * p.kw;
  if (!shapeFits(p) || K > directLimits.maxK || cig > directLimits.maxChannels) return false;
  return round16(4 * K) + 64 * K + 64 + shiftBytes(p, cig) + 256 <= SCRATCH_BYTES;
}

/** Units of the weight gradient: (3 output channels, 3 taps) — many, so that threads get even shares. */
const weightUnits = (p: Conv2dParams) => p.groups * Math.ceil(p.cOut / p.groups / 3) * Math.ceil((p.cIn / p.groups) * p.kh * p.kw / 3);

/** Whether conv2d's weight gradient runs direct. */
export function directWeightFits(p: Conv2dParams): boolean {
  const cig = p.cIn / p.groups, K = cig * p.kh * p.kw, KT = Math.ceil(K / 3) * 3;
  if (!shapeFits(p) || K > directLimits.maxK || cig > directLimits.maxChannels) return false;
  return round16(4 * KT) + shiftBytes(p, cig) + weightUnits(p) * 144 + 256 <= SCRATCH_BYTES;
}

/** Splits [0, total) into t contiguous parts and runs the kernel on each (threads take whole units). */
function run(ctx: Ctx, name: string, pre: number[], total: number, work: number, post: number[]): void {
  const t = ctx.threadsFor(work, total);
  const scratch = ctx.scratchFor(t);
  const f = ctx.fn(name);
  const parts: number[][] = [];
  for (let i = 0; i < t; i++) parts.push([...pre, Math.round((total * i) / t), Math.round((total * (i + 1)) / t), scratch[i]!, ...post]);
  if (parts.length === 1) f(...parts[0]!);
  else ctx.pool.run(name, parts, f as (...a: number[]) => void);
}

const work = (p: Conv2dParams) => (2 * p.n * p.cOut * p.oh * p.ow * (p.cIn / p.groups) * p.kh * p.kw) / 30;

/** y = relu?(conv2d(x, w) + bias) (checked by directFits); threads split (image, block of ≤ 4 output channels) units. */
export function directConv(ctx: Ctx, x: WasmStorage, w: WasmStorage, y: WasmStorage, p: Conv2dParams, biasPtr: number, relu: boolean): void {
  const prm = ctx.params([p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, 1, 1, p.ph, p.pw, p.dh, p.dw, p.groups, p.oh, p.ow]);
  const units = p.n * p.groups * Math.ceil(p.cOut / p.groups / 4);
  run(ctx, 'conv_direct_f32', [x.ptr, w.ptr, y.ptr, prm], units, work(p), [biasPtr, relu ? 1 : 0]);
}

/** gw [cOut, cIn/groups, kh, kw] (checked by directWeightFits); threads split (3 output channels, 3 taps) units, each summing all images. */
export function directWeightGrad(ctx: Ctx, x: WasmStorage, gy: WasmStorage, gw: WasmStorage, p: Conv2dParams): void {
  const prm = ctx.params([p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, 1, 1, p.ph, p.pw, p.dh, p.dw, p.groups, p.oh, p.ow]);
  const units = weightUnits(p);
  run(ctx, 'conv_direct_bwd_weight_f32', [x.ptr, gy.ptr, gw.ptr, prm], units, work(p), []);
}
