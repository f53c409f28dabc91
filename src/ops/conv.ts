// Convolutions: conv1d, conv2d, convTranspose1d/2d (stride, padding, dilation, groups), built on three
// differentiable primitives (forward, grad-input, grad-weight) so gradients of gradients work;
// conv2d's bias goes through conv2dBias, which the rewrite table fuses into the kernel.

import type { Conv2dParams } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { promoteTypes } from '../tensor/dtype.js';
import { fmt } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { backendOf, record, wrap } from './util.js';
import { cast, reshape } from './layout.js';
import { sum } from './broadcast.js';
import { add } from './elementwise.js';
import { pad, unsqueeze, squeeze } from './shape.js';

export type Pair = number | readonly [number, number];

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair | 'valid' | 'same';
  dilation?: Pair;
  groups?: number;
}

export interface ConvTransposeOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
}

export function pair(op: string, name: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new RangeError(`${op}: ${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

function conv2dPrim(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const be = backendOf('conv2d', x, w);
  const out = wrap(be, be.conv2d(x._s('conv2d'), w._s('conv2d'), p), [p.n, p.cOut, p.oh, p.ow]);
  return record(out, 'conv2d', [x, w], [x, w], (g, [sx, sw], needs) => [needs[0] ? convGradInput(g, sw!, p) : null, needs[1] ? convGradWeight(sx!, g, p) : null]);
}

/** dL/dx of conv2d (= convTranspose2d's forward). */
function convGradInput(g: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const be = backendOf('conv2dBackwardInput', g, w);
  const out = wrap(be, be.conv2dBackwardInput(g._s('conv2d'), w._s('conv2d'), p), [p.n, p.cIn, p.h, p.w]);
  return record(out, 'conv2dBackwardInput', [g, w], [g, w], (gg, [sg, sw], needs) => [needs[0] ? conv2dPrim(gg, sw!, p) : null, needs[1] ? convGradWeight(gg, sg!, p) : null]);
}

/** dL/dw of conv2d. */
function convGradWeight(x: Tensor, g: Tensor, p: Conv2dParams): Tensor {
  const be = backendOf('conv2dBackwardWeight', x, g);
  const out = wrap(be, be.conv2dBackwardWeight(x._s('conv2d'), g._s('conv2d'), p), [p.cOut, p.cIn / p.groups, p.kh, p.kw]);
  return record(out, 'conv2dBackwardWeight', [x, g], [x, g], (gw, [sx, sg], needs) => [needs[0] ? convGradInput(sg!, gw, p) : null, needs[1] ? conv2dPrim(sx!, gw, p) : null]);
}

/**
 * conv2d of the 4-D x plus bias [cOut] (or none): the op the rewrite table runs as one kernel
 * (Backend.fused.conv2dBiasAct, with a ReLU after it folded in); these are its backward pieces.
 */
const conv2dBias = defineOp('conv2dBias', (x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams): Tensor =>
  addBias('conv2d', conv2dPrim(x, w, p), b, p.cOut), { gradInput: convGradInput, gradWeight: convGradWeight, gradBias: (g: Tensor) => sum(g, [0, 2, 3]) });

function addBias(op: string, y: Tensor, bias: Tensor | null | undefined, channels: number): Tensor {
  if (!bias) return y;
  if (bias.ndim !== 1 || bias.shape[0] !== channels) throw new Error(`${op}: bias must have shape [${channels}], got ${fmt(bias.shape)}`);
  const b = reshape(bias, [channels, 1, 1]);
  const out = add(y, b);
  b.dispose();
  y.dispose();
  return out;
}

/**
 * The shared tail of conv2d and convTranspose2d: casts input and weight to one float dtype, runs the
 * convolution on the 4-D input xi, adds the bias, and drops the batch dim again for unbatched x.
 */
function runConv(op: string, x: Tensor, xi: Tensor, weight: Tensor, bias: Tensor | null | undefined, channels: number,
  conv: (x: Tensor, w: Tensor, b: Tensor | null) => Tensor): Tensor {
  const dt = promoteTypes(xi.dtype, weight.dtype);
  if (dt !== 'float32' && dt !== 'float64') throw new TypeError(`${op}: needs floating-point input and weight, got ${xi.dtype} and ${weight.dtype}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== channels)) throw new Error(`${op}: bias must have shape [${channels}], got ${fmt(bias.shape)}`);
  const cx = cast(xi, dt), cw = cast(weight, dt);
  const y = conv(cx, cw, bias ?? null);
  if (cx !== xi) cx.dispose();
  if (cw !== weight) cw.dispose();
  if (xi === x) return y;
  xi.dispose();
  const r = squeeze(y, 0);
  y.dispose();
  return r;
}

/** conv2d's parameters for the 4-D input xi (checks them, with errors that name the op and the shapes). */
export function conv2dParams(op: string, x: Tensor, xi: Tensor, weight: Tensor, opts: ConvOptions): Conv2dParams {
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);
  const [cOut, cPerG, kh, kw] = weight.shape as [number, number, number, number];
  const [n, cIn, h, w] = xi.shape as [number, number, number, number];
  if (cIn !== cPerG * groups) {
    throw new Error(`${op}: input has ${cIn} channels (shape ${fmt(x.shape)}) but weight ${fmt(weight.shape)} with groups=${groups} expects ${cPerG * groups}`);
  }
  if (cOut % groups !== 0) throw new Error(`${op}: out channels ${cOut} are not divisible by groups ${groups}`);
  const [sh, sw] = pair(op, 'stride', opts.stride, 1, 1);
  const [dh, dw] = pair(op, 'dilation', opts.dilation, 1, 1);
  let ph: number, pw: number;
  if (opts.padding === 'valid') [ph, pw] = [0, 0];
  else if (opts.padding === 'same') {
    // conv2d pads an odd total's extra on the right first, so only the symmetric part is left here.
    const [[h0, h1], [w0, w1]] = samePads(op, [kh, kw], [dh, dw], [sh, sw]);
    if (h0 !== h1 || w0 !== w1) throw new Error(`internal: ${op} got asymmetric 'same' padding`);
    [ph, pw] = [h0, w0];
  } else [ph, pw] = pair(op, 'padding', opts.padding, 0, 0);
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (oh < 1 || ow < 1) {
    throw new Error(`${op}: input ${fmt(x.shape)} is too small for kernel ${kh}×${kw} (dilation ${dh}×${dw}, padding ${ph}×${pw}): output would be ${oh}×${ow}`);
  }
  const p: Conv2dParams = { n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow };
  return p;
}

/** The 4-D input of a 2-D convolution (an unbatched [C, H, W] gets a batch of 1), its weight checked. */
function batched(op: string, x: Tensor, weight: Tensor, layout: string): Tensor {
  if (weight.ndim !== 4) throw new Error(`${op}: weight must be 4-D [${layout}], got ${fmt(weight.shape)}`);
  if (x.ndim !== 4 && x.ndim !== 3) throw new Error(`${op}: expected input [N, C, H, W] or [C, H, W], got ${fmt(x.shape)}`);
  return x.ndim === 3 ? unsqueeze(x, 0) : x;
}

/**
 * padding='same' of a stride-1 convolution, as PyTorch splits it: [before, after] per spatial dim,
 * the extra of an odd total (dilation·(k − 1)) after.
 */
export function samePads(op: string, kernel: readonly number[], dilation: readonly number[], stride: readonly number[]): [number, number][] {
  if (stride.some((s) => s !== 1)) throw new Error(`${op}: padding='same' is not supported for strided convolutions (stride ${fmt(stride)})`);
  return kernel.map((k, i) => {
    const t = dilation[i]! * (k - 1);
    return [t >> 1, t - (t >> 1)];
  });
}

export const conv2d = defineOp('conv2d', (x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor => {
  const op = 'conv2d';
  if (opts.padding === 'same' && weight.ndim === 4 && (x.ndim === 3 || x.ndim === 4)) {
    const [[h0, h1], [w0, w1]] = samePads(op, weight.shape.slice(2), pair(op, 'dilation', opts.dilation, 1, 1), pair(op, 'stride', opts.stride, 1, 1));
    if (h0 !== h1 || w0 !== w1) {
      // PyTorch pads the odd extra on the right and bottom, then convolves symmetrically.
      const xp = pad(x, [0, w1 - w0, 0, h1 - h0]);
      const y = conv2d(xp, weight, bias, { ...opts, padding: [h0, w0] });
      xp.dispose();
      return y;
    }
  }
  const xi = batched(op, x, weight, 'cOut, cIn/groups, kh, kw');
  const p = conv2dParams(op, x, xi, weight, opts);
  const y = runConv(op, x, xi, weight, bias, p.cOut, (cx, cw, b) => conv2dBias(cx, cw, b, p));
  return y;
});

/** conv1d on [N, C, L] (or [C, L]) with weight [cOut, cIn/groups, k]: conv2d with a height of 1. */
export const conv1d = defineOp('conv1d', (x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor => {
  if (weight.ndim !== 3) throw new Error(`conv1d: weight must be 3-D [cOut, cIn/groups, k], got ${fmt(weight.shape)}`);
  if (x.ndim !== 3 && x.ndim !== 2) throw new Error(`conv1d: expected input [N, C, L] or [C, L], got ${fmt(x.shape)}`);
  const one = (v: Pair | undefined, d: number): [number, number] => [d, typeof v === 'number' ? v : v === undefined ? d : v[0]];
  const x4 = unsqueeze(x, -2);
  const w4 = unsqueeze(weight, -2);
  const padding = opts.padding === 'same' || opts.padding === 'valid' ? opts.padding : one(opts.padding, 0);
  const y = conv2d(x4, w4, bias, {
    stride: one(opts.stride, 1), dilation: one(opts.dilation, 1), groups: opts.groups,
    padding: padding === 'same' || padding === 'valid' ? padding : [0, padding[1]],
  });
  x4.dispose();
  w4.dispose();
  const out = squeeze(y, -2);
  y.dispose();
  return out;
});

/** Transposed 1-D convolution on [N, C, L] (or [C, L]) with weight [cIn, cOut/groups, k]: convTranspose2d with a height of 1. */
export const convTranspose1d = defineOp('convTranspose1d', (x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor => {
  if (weight.ndim !== 3) throw new Error(`convTranspose1d: weight must be 3-D [cIn, cOut/groups, k], got ${fmt(weight.shape)}`);
  if (x.ndim !== 3 && x.ndim !== 2) throw new Error(`convTranspose1d: expected input [N, C, L] or [C, L], got ${fmt(x.shape)}`);
  const one = (v: Pair | undefined, d: number): [number, number] => [d, typeof v === 'number' ? v : v === undefined ? d : v[0]];
  const x4 = unsqueeze(x, -2);
  const w4 = unsqueeze(weight, -2);
  const y = convTranspose2d(x4, w4, bias, {
    stride: one(opts.stride, 1), padding: one(opts.padding, 0), outputPadding: one(opts.outputPadding, 0),
    dilation: one(opts.dilation, 1), groups: opts.groups,
  });
  x4.dispose();
  w4.dispose();
  const out = squeeze(y, -2);
  y.dispose();
  return out;
});

/** Transposed 2-D convolution with weight [cIn, cOut/groups, kh, kw] (PyTorch's layout). */
export const convTranspose2d = defineOp('convTranspose2d', (x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor => {
  const op = 'convTranspose2d';
  const xi = batched(op, x, weight, 'cIn, cOut/groups, kh, kw');
  const groups = opts.groups ?? 1;
  const [n, cIn, h, w] = xi.shape as [number, number, number, number];
  const [wIn, cOutPerG, kh, kw] = weight.shape as [number, number, number, number];
  if (cIn !== wIn) throw new Error(`${op}: input has ${cIn} channels (shape ${fmt(x.shape)}) but weight ${fmt(weight.shape)} expects ${wIn}`);
  if (cIn % groups !== 0) throw new Error(`${op}: in channels ${cIn} are not divisible by groups ${groups}`);
  const [sh, sw] = pair(op, 'stride', opts.stride, 1, 1);
  const [ph, pw] = pair(op, 'padding', opts.padding, 0, 0);
  const [dh, dw] = pair(op, 'dilation', opts.dilation, 1, 1);
  const [oph, opw] = pair(op, 'outputPadding', opts.outputPadding, 0, 0);
  if (oph >= Math.max(sh, dh) || opw >= Math.max(sw, dw)) {
    throw new Error(`${op}: outputPadding (${oph}, ${opw}) must be smaller than stride or dilation`);
  }
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (oh < 1 || ow < 1) throw new Error(`${op}: output size ${oh}×${ow} is not positive for input ${fmt(x.shape)}`);
  const cOut = cOutPerG * groups;
  // The transposed conv is the input-gradient of the conv that maps [cOut, oh, ow] → [cIn, h, w].
  const p: Conv2dParams = { n, cIn: cOut, h: oh, w: ow, cOut: cIn, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh: h, ow: w };
  return runConv(op, x, xi, weight, bias, cOut, (cx, cw, b) => addBias(op, convGradInput(cx, cw, p), b, cOut));
});

