// Direct float32 convolution (kernels/conv-direct.ts) for few input channels per group — a first
// layer's cIn·kh·kw = 9…150, where im2col + GEMM has too short a K — forward and weight gradient.

import type { Conv2dParams, Pool2dParams } from '../backend.js';
import { SCRATCH_BYTES, type Ctx, type WasmStorage } from './context.js';
import type { KernelName } from './exports.gen.js';
import { convSlots } from './params.js';

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

/**
 * Largest cIn/groups · kh · kw that runs direct, and the most input channels per group. Measured
 * (bench/conv-quick.ts, one thread; direct vs the path taken otherwise): K = 9…75 with 32 output
 * channels, direct forward 1.2–1.35× faster than im2col, weight gradient 1.3–2×; with 128 output
 * channels the forward ties (the GEMM's M is large enough) and the weight gradient still wins; the
 * 7×7/2 RGB stem (K = 147, 64 channels) 1.17× forward, 1.23× weight gradient; K = 150 with 128
 * channels ties. From 8 channels, 3×3 goes to Winograd, which beats direct there (K = 72: forward
 * even, weight gradient 2.8 against 3.5 ms; K = 144: 2.2 against 3.5 ms).
 */
export const directLimits = { maxK: Number(env.NABLA_DIRECT_K ?? 150), maxChannels: 7 };

/** Bytes of the kernels' shifted copies of a band of br output rows of one image-group (kernels/conv-direct.ts). */
const shiftBytes = (p: Conv2dParams, br: number) =>
  (((p.cIn / p.groups) * p.kw * p.sh * (br + Math.floor(((p.kh - 1) * p.dh) / p.sh)) * p.ow * 4 + 15) & ~15) + 64;
const round16 = (b: number) => (b + 15) & ~15;
/** The most bytes of shifted copies per band: bigger planes go in bands of rows that stay in L2. */
export const directBandBytes = { max: 512 * 1024 };

/** Output rows per band when `fixed` bytes of the scratch are taken (0: not even one row fits). */
function bandRows(p: Conv2dParams, fixed: number): number {
  const room = Math.min(SCRATCH_BYTES - fixed, directBandBytes.max);
  if (shiftBytes(p, p.oh) <= room) return p.oh;
  let br = Math.floor((room - 80) / ((p.cIn / p.groups) * p.kw * p.sh * p.ow * 4)) - Math.floor(((p.kh - 1) * p.dh) / p.sh);
  while (br > 0 && shiftBytes(p, br) > room) br--;
  return Math.max(0, Math.min(br, p.oh));
}

/** Few channels per group, a small kernel, non-negative padding (the scratch is checked per pass). */
function shapeFits(p: Conv2dParams): boolean {
  if (env.NABLA_DIRECT === '0') return false; // for comparisons: the other paths
  const cig = p.cIn / p.groups;
  return p.sh >= 1 && p.sw >= 1 && p.ph >= 0 && p.pw >= 0 && p.oh > 0 && p.ow > 0 &&
    cig * p.kh * p.kw <= directLimits.maxK && cig <= directLimits.maxChannels;
}

const forwardFixed = (K: number) => round16(4 * K) + 80 * K + 64 + 256;

/** Whether conv2d's forward runs direct. */
export function directFits(p: Conv2dParams): boolean {
  return shapeFits(p) && bandRows(p, forwardFixed((p.cIn / p.groups) * p.kh * p.kw)) > 0;
}

/** Units of the weight gradient: (3 output channels, 3 taps) — many, so that threads get even shares. */
const weightUnits = (p: Conv2dParams) => p.groups * Math.ceil(p.cOut / p.groups / 3) * Math.ceil((p.cIn / p.groups) * p.kh * p.kw / 3);
const weightFixed = (p: Conv2dParams) => round16(4 * Math.ceil((p.cIn / p.groups) * p.kh * p.kw / 3) * 3) + weightUnits(p) * 144 + 256;

/** Whether conv2d's weight gradient runs direct. */
export function directWeightFits(p: Conv2dParams): boolean {
  return shapeFits(p) && bandRows(p, weightFixed(p)) > 0;
}

/** Runs the kernel over units [0, total), parts claimed by the pool's threads (units are independent). */
function run(ctx: Ctx, name: KernelName, pre: number[], total: number, work: number, post: number[]): void {
  ctx.parallelScratch(name, total, 1, work, (s, e) => [...pre, s, e, 0, ...post], pre.length + 2);
}

const work = (p: Conv2dParams) => (2 * p.n * p.cOut * p.oh * p.ow * (p.cIn / p.groups) * p.kh * p.kw) / 30;

/** y = relu?(conv2d(x, w) + bias) (checked by directFits); threads split (image, band of rows, block of ≤ 4 output channels) units. */
export function directConv(ctx: Ctx, x: WasmStorage, w: WasmStorage, y: WasmStorage, p: Conv2dParams, biasPtr: number, relu: boolean): void {
  const br = bandRows(p, forwardFixed((p.cIn / p.groups) * p.kh * p.kw));
  const prm = ctx.params(convSlots(p, br));
  const units = p.n * p.groups * Math.ceil(p.oh / br) * Math.ceil(p.cOut / p.groups / 4);
  run(ctx, 'conv_direct_f32', [x.ptr, w.ptr, y.ptr, prm], units, work(p), [biasPtr, relu ? 1 : 0]);
}

/** gw [cOut, cIn/groups, kh, kw] (checked by directWeightFits); threads split (3 output channels, 3 taps) units, each summing all images. */
export function directWeightGrad(ctx: Ctx, x: WasmStorage, gy: WasmStorage, gw: WasmStorage, p: Conv2dParams): void {
  const prm = ctx.params(convSlots(p, bandRows(p, weightFixed(p))));
  const units = weightUnits(p);
  run(ctx, 'conv_direct_bwd_weight_f32', [x.ptr, gy.ptr, gw.ptr, prm], units, work(p), []);
}

/** The 2×2, stride-2, unpadded max pooling (floor mode) that conv_direct_pool_f32 applies. */
const pool2x2 = (c: Conv2dParams, q: Pool2dParams) => q.kh === 2 && q.kw === 2 && q.sh === 2 && q.sw === 2 && q.ph === 0 && q.pw === 0 &&
  q.dh === 1 && q.dw === 1 && q.n === c.n && q.c === c.cOut && q.h === c.oh && q.w === c.ow && q.oh === c.oh >> 1 && q.ow === c.ow >> 1 && q.oh > 0 && q.ow > 0;

/** Scratch offset of the per-image conv plane for conv_direct_pool_f32, or -1 when it does not fit. */
function poolPlaneOffset(p: Conv2dParams): number {
  const K = (p.cIn / p.groups) * p.kh * p.kw;
  const br = bandRows(p, forwardFixed(K));
  if (br <= 0) return -1;
  const plane = round16(p.cOut * p.oh * p.ow * 4), off = (SCRATCH_BYTES - plane) & ~15;
  return off >= forwardFixed(K) + shiftBytes(p, br) && plane <= 256 * 1024 ? off : -1;
}

/** Whether inference's conv → ReLU → 2×2 max pooling runs as conv_direct_pool_f32 (one image's conv output fits the scratch). */
export function directPoolFits(p: Conv2dParams, q: Pool2dParams): boolean {
  return directFits(p) && pool2x2(p, q) && poolPlaneOffset(p) >= 0;
}

/** y [n, cOut, oh/2, ow/2] = maxpool2×2(relu?(conv2d(x, w) + bias)) (checked by directPoolFits); threads take whole images. */
export function directConvPool(ctx: Ctx, x: WasmStorage, w: WasmStorage, y: WasmStorage, p: Conv2dParams, q: Pool2dParams, biasPtr: number, relu: boolean): void {
  const br = bandRows(p, forwardFixed((p.cIn / p.groups) * p.kh * p.kw));
  const prm = ctx.params(convSlots({ ...p, n: 1 }, br));
  const units = p.groups * Math.ceil(p.oh / br) * Math.ceil(p.cOut / p.groups / 4);
  const pre = [x.ptr, w.ptr, y.ptr, prm, units, biasPtr, relu ? 1 : 0, p.cIn * p.h * p.w * 4, p.cOut, p.oh, p.ow, q.oh, q.ow, poolPlaneOffset(p)];
  run(ctx, 'conv_direct_pool_f32', pre, p.n, work(p), []);
}
