// Winograd F(2×2, 3×3) for float32 3×3 stride-1 convolutions (kernels/winograd.ts): the forward
// pass, and the input gradient as a forward conv of gy with the 180°-rotated, channel-swapped filters.

import type { Conv2dParams } from '../backend.js';
import { SCRATCH_BYTES, type Ctx, type WasmStorage } from './context.js';
import { convSlots } from './params.js';

/** Scratch bytes before V in kernels/winograd.ts (tile buffer, padded rows, a zero row, overlap-add rows). */
const V_OFF = 73 * 1024;
/** Largest padded row the kernel's row buffer holds (floats). */
const MAX_WP = 2048;
/** Tiles per block: V and M (16 × (K + M) floats per tile) should stay in L2. */
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const BLOCK_BYTES = 640 * 1024;

/** Bytes of transforms per block (forward and input gradient; weight gradient). Tests lower them to get many blocks. */
export const winogradBlockBytes = { conv: BLOCK_BYTES, weight: SCRATCH_BYTES };

/**
 * Tile rows per block of the forward by F(4×4, 3×3) (kernels/winograd4.ts: 36 transforms per tile
 * of 4×4 outputs), or 0 when the shape does not fit its scratch (six padded rows of ≤ 8192 floats).
 */
function rowsPerBlock4(s: WinoShape): number {
  const tW = (s.ow + 3) >> 2;
  if (6 * (4 * Math.ceil(tW / 4) + 4) > 8192 || s.w > 2048) return 0;
  const perTile = 36 * (s.K + s.M) * 4;
  const fits = (rb: number) => V_OFF + 36 * s.K * 4 * (Math.ceil((rb * tW) / 8) * 8) + 36 * s.M * 4 * rb * tW + 64 <= SCRATCH_BYTES;
  let rb = Math.max(1, Math.floor(winogradBlockBytes.conv / (perTile * tW)));
  while (rb > 1 && !fits(rb)) rb--;
  return fits(rb) ? rb : 0;
}

/**
 * Whether the forward runs as F(4×4, 3×3): only on request (NABLA_WINOGRAD=4 or winogradF4.forward),
 * and where it needs fewer products than F(2×2) (36 per 4×4 tile against 16 per 2×2 tile). Its
 * float32 error is ~20× F(2×2)'s (1.7e-3 against 8e-5 on 64 channels of values in ±3, outputs up
 * to 260), past the tests' atol of 1e-4 against the js reference, so it is not the default.
 */
export const winogradF4 = { forward: env.NABLA_WINOGRAD === '4' };
function useF4(s: WinoShape): boolean {
  if (!winogradF4.forward) return false;
  const f2 = 16 * Math.ceil(s.oh / 2) * Math.ceil(s.ow / 2), f4 = 36 * Math.ceil(s.oh / 4) * Math.ceil(s.ow / 4);
  return f4 < f2 && rowsPerBlock4(s) > 0;
}

/** The forward conv the kernel computes: x [n, K, h, w] → y [n, M, oh, ow], 3×3, stride 1. */
interface WinoShape { n: number; K: number; h: number; w: number; M: number; ph: number; pw: number; oh: number; ow: number }

/** Tile rows per block, or 0 when the shape does not fit the kernel's scratch. */
function rowsPerBlock(s: WinoShape): number {
  const tW = (s.ow + 1) >> 1;
  if (2 * (Math.ceil(tW / 4) * 4) + 4 > MAX_WP) return 0;
  const perTile = 16 * (s.K + s.M) * 4;
  const fits = (rb: number) => V_OFF + 16 * s.K * 4 * (Math.ceil((rb * tW) / 8) * 8) + 16 * s.M * 4 * rb * tW + 64 <= SCRATCH_BYTES;
  let rb = Math.max(1, Math.floor(winogradBlockBytes.conv / (perTile * tW)));
  while (rb > 1 && !fits(rb)) rb--;
  return fits(rb) ? rb : 0;
}

/** Whether a conv (forward, or its input gradient with `grad`) runs as Winograd here. */
export function winogradFits(p: Conv2dParams, grad: boolean): boolean {
  if (p.kh !== 3 || p.kw !== 3 || p.sh !== 1 || p.sw !== 1 || p.dh !== 1 || p.dw !== 1 || p.groups !== 1) return false;
  if (env.NABLA_WINOGRAD === '0') return false; // for comparisons: the im2col path

  const s = shapeOf(p, grad);
  if (s.ph < 0 || s.pw < 0) return false;
  // the 16 products are GEMMs with inner dimension K: too small a K leaves the transforms dominant
  if (s.K < 8 || s.M < 8) return false;
  return rowsPerBlock(s) > 0;
}

/** GEMM shape and tile grid (the forward conv's output) of the forward pass or of its adjoint. */
function shapeOf(p: Conv2dParams, grad: boolean): WinoShape {
  return grad
    ? { n: p.n, K: p.cOut, h: p.h, w: p.w, M: p.cIn, ph: p.ph, pw: p.pw, oh: p.oh, ow: p.ow }
    : { n: p.n, K: p.cIn, h: p.h, w: p.w, M: p.cOut, ph: p.ph, pw: p.pw, oh: p.oh, ow: p.ow };
}

/**
 * Runs the Winograd conv (checked by winogradFits): x is the input, or gy with `grad`; writes y.
 * The forward fuses the conv epilogue y = relu?(y + bias[c]) into its output transform.
 */
export function winogradConv(ctx: Ctx, x: WasmStorage, w: WasmStorage, y: WasmStorage, p: Conv2dParams, grad: boolean,
  bias: WasmStorage | null = null, relu = false): void {
  if (grad && (bias || relu)) throw new Error('winogradConv: the input gradient has no epilogue (bias/relu)');
  const s = shapeOf(p, grad);
  const f4 = !grad && useF4(s);
  const scratch0 = ctx.scratchFor(1)[0]!;
  const u = ctx.alloc('float32', (f4 ? 36 : 16) * s.M * s.K);
  if (f4) ctx.fn('winograd4_weights_f32')(w.ptr, u.ptr, s.M, s.K, scratch0);
  else ctx.fn('winograd_weights_f32')(w.ptr, u.ptr, s.M, s.K, grad ? 2 : 0);
  const prm = ctx.params(convSlots(p));
  const rb = f4 ? rowsPerBlock4(s) : rowsPerBlock(s);
  const tH = f4 ? (s.oh + 3) >> 2 : (s.oh + 1) >> 1, rows = s.n * tH;
  const work = (2 * s.n * s.M * s.oh * s.ow * s.K * 9) / 30;
  // the adjoint's patches overlap across tile rows: its parts take whole images. A few parts per
  // thread, claimed by whichever thread is free: each output's sums are within one part, in the same
  // order however it is split.
  const name = grad ? 'winograd_bwd_input_f32' : f4 ? 'winograd4_f32' : 'winograd_f32';
  const tail = grad ? [] : [bias ? bias.ptr : 0, relu ? 1 : 0];
  ctx.parallelScratch(name, rows, grad ? tH : 1, work, (s0, e0) => [x.ptr, u.ptr, y.ptr, prm, rb, s0, e0, 0, ...tail], 7);
  ctx.heap.release(u.ptr, u.bytes);
}

/**
 * Whether conv2d's weight gradient runs as Winograd (cIn a multiple of 4; from 2 images: on one,
 * conv2's 36 tiles measured 0.14 ms against im2col's 0.13).
 */
export function winogradWeightFits(p: Conv2dParams): boolean {
  return winogradFits(p, false) && p.n >= 2 && p.cIn % 4 === 0 && weightRows(p) > 0;
}

/**
 * Tiles per block of the weight gradient, at most: conv2 measured 13% faster at 192 than at 64
 * (the kernel sums each output over chunks of 64 tiles whatever the block, for accuracy).
 */
const WEIGHT_TILES = 192;
/** Ranges of tile rows the weight gradient's sum over tiles is split into (a few per thread on 2 cores). */
const WEIGHT_PARTS = 4;

/**
 * Tile rows per block of the weight gradient (the x transform in B panels, the gy transform
 * row-major over the tiles, for all 16 products), or 0 when the shape does not fit the kernel's
 * scratch (x rows: 16 padded rows of ≤ 8192 floats).
 */
function weightRows(p: Conv2dParams): number {
  const tW = (p.ow + 1) >> 1;
  if (16 * (2 * Math.ceil(tW / 4) * 4 + 4) > 8192) return 0;
  const bytes = (rb: number) => 16 * ((Math.ceil(p.cIn / 8) * rb * tW + 8) * 32 + p.cOut * 4 * (Math.ceil((rb * tW) / 4) * 4 + 4));
  const fits = (rb: number) => V_OFF + bytes(rb) <= SCRATCH_BYTES;
  let rb = Math.max(1, Math.min(Math.floor(WEIGHT_TILES / tW), Math.floor(winogradBlockBytes.weight / bytes(1))));
  while (rb > 1 && !fits(rb)) rb--;
  return fits(rb) ? rb : 0;
}

/**
 * gw [cOut, cIn, 3, 3] of conv2d by Winograd. The sum over tiles is split into WEIGHT_PARTS fixed
 * ranges of tile rows (each with its own dU, added in order at the end) and blocks of rows within
 * them: both fixed by the shape, so results do not depend on the thread count. (Splitting the 16
 * products instead, each thread redid the transforms' row pass: 2 threads took 0.55 of 1's time.)
 */
export function winogradWeightGrad(ctx: Ctx, x: WasmStorage, gy: WasmStorage, gw: WasmStorage, p: Conv2dParams): void {
  const rows = p.n * ((p.oh + 1) >> 1), np = Math.min(WEIGHT_PARTS, rows), n = 16 * p.cOut * p.cIn;
  const du = ctx.alloc('float32', np * n);
  const prm = ctx.params(convSlots(p));
  const work = (2 * p.n * p.cOut * p.oh * p.ow * p.cIn * 9) / 30;
  const t = ctx.threadsFor(work, np);
  const rb = weightRows(p);
  const f = ctx.fn('winograd_bwd_weight_f32');
  const parts: number[][] = [];
  for (let q = 0; q < np; q++) parts.push([x.ptr, gy.ptr, du.ptr + q * n * 4, prm, rb, Math.round((rows * q) / np), Math.round((rows * (q + 1)) / np), 0]);
  if (t === 1) { const s0 = ctx.scratchFor(1)[0]!; for (const part of parts) f(...part.slice(0, 7), s0); }
  else ctx.pool.runShared('winograd_bwd_weight_f32', parts, f as (...a: number[]) => void, 7, ctx.scratchAll());
  ctx.fn('winograd_weight_sum_f32')(du.ptr, n, np);
  ctx.fn('winograd_weight_grad_out_f32')(du.ptr, gw.ptr, p.cOut, p.cIn, 0, p.cOut);
  ctx.heap.release(du.ptr, du.bytes);
}
