// conv3d composed of conv2d: for each kernel depth k, the input depth slices that tap k are
// gathered into the batch ([N·oD, C, H, W]) and convolved with weight[:, :, k]; the kD results add up.
// Gradients (and gradients of gradients) come from conv2d, indexSelect and pad.

import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { fmt } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { permute, reshape } from './layout.js';
import { add } from './elementwise.js';
import { pad, select, squeeze, unsqueeze } from './shape.js';
import { indexSelect } from './index-select.js';
import { conv2d, samePads } from './conv.js';

export type Triple = number | readonly [number, number, number];

export interface Conv3dOptions {
  stride?: Triple;
  padding?: Triple | 'valid' | 'same';
  dilation?: Triple;
  groups?: number;
}

export function triple(op: string, name: string, v: Triple | undefined, dflt: number, min: number): [number, number, number] {
  const t = v === undefined ? [dflt, dflt, dflt] : typeof v === 'number' ? [v, v, v] : [...v];
  if (t.length !== 3 || !t.every((x) => Number.isInteger(x) && x >= min)) {
    throw new RangeError(`${op}: ${name} must be an integer ≥ ${min} or a triple of them, got ${JSON.stringify(v)}`);
  }
  return t as [number, number, number];
}

/** conv3d of [N, C, D, H, W] (or [C, D, H, W]) with weight [cOut, cIn/groups, kD, kH, kW]. */
export const conv3d = defineOp('conv3d', (x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv3dOptions = {}): Tensor => {
  const op = 'conv3d';
  if (weight.ndim !== 5) throw new Error(`${op}: weight must be 5-D [cOut, cIn/groups, kD, kH, kW], got ${fmt(weight.shape)}`);
  if (x.ndim !== 5 && x.ndim !== 4) throw new Error(`${op}: expected input [N, C, D, H, W] or [C, D, H, W], got ${fmt(x.shape)}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);
  const [cOut, cPerG, kd, kh, kw] = weight.shape as [number, number, number, number, number];
  const cIn = x.shape[x.ndim - 4]!;
  if (cIn !== cPerG * groups) {
    throw new Error(`${op}: input has ${cIn} channels (shape ${fmt(x.shape)}) but weight ${fmt(weight.shape)} with groups=${groups} expects ${cPerG * groups}`);
  }
  if (cOut % groups !== 0) throw new Error(`${op}: out channels ${cOut} are not divisible by groups ${groups}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== cOut)) throw new Error(`${op}: bias must have shape [${cOut}], got ${fmt(bias.shape)}`);
  const [sd, sh, sw] = triple(op, 'stride', opts.stride, 1, 1);
  const [dd, dh, dw] = triple(op, 'dilation', opts.dilation, 1, 1);
  let pads: [number, number][];
  if (opts.padding === 'valid') pads = [[0, 0], [0, 0], [0, 0]];
  else if (opts.padding === 'same') pads = samePads(op, [kd, kh, kw], [dd, dh, dw], [sd, sh, sw]);
  else pads = triple(op, 'padding', opts.padding, 0, 0).map((p) => [p, p] as [number, number]);
  const [[d0, d1], [h0, h1], [w0, w1]] = pads as [[number, number], [number, number], [number, number]];
  const [D, H, W] = x.shape.slice(-3) as [number, number, number];
  const od = Math.floor((D + d0 + d1 - dd * (kd - 1) - 1) / sd) + 1;
  const oh = Math.floor((H + h0 + h1 - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((W + w0 + w1 - dw * (kw - 1) - 1) / sw) + 1;
  if (od < 1 || oh < 1 || ow < 1) {
    throw new Error(`${op}: input ${fmt(x.shape)} is too small for kernel ${kd}×${kh}×${kw} (dilation ${dd}×${dh}×${dw}, padding ${fmt(pads.flat())}): output would be ${od}×${oh}×${ow}`);
  }
  return scope(() => {
    const xi = x.ndim === 4 ? unsqueeze(x, 0) : x;
    const n = xi.shape[0]!;
    // Depth padding and any odd extra of H and W are explicit; the symmetric H, W part is conv2d's.
    const xp = d0 || d1 || h1 !== h0 || w1 !== w0 ? pad(xi, [0, w1 - w0, 0, h1 - h0, d0, d1]) : xi;
    const [hp, wp] = [xp.shape[3]!, xp.shape[4]!];
    const byDepth = permute(xp, [0, 2, 1, 3, 4]); // [N, D', C, H', W']
    let acc: Tensor | null = null;
    for (let k = 0; k < kd; k++) {
      const taps = tensor(Int32Array.from({ length: od }, (_, o) => o * sd + k * dd));
      const xs = reshape(indexSelect(byDepth, 1, taps), [n * od, cIn, hp, wp]);
      const y = conv2d(xs, select(weight, 2, k), null, { stride: [sh, sw], padding: [h0, w0], dilation: [dh, dw], groups });
      acc = acc ? add(acc, y) : y;
    }
    let out = permute(reshape(acc!, [n, od, cOut, oh, ow]), [0, 2, 1, 3, 4]);
    if (bias) out = add(out, reshape(bias, [cOut, 1, 1, 1]));
    return x.ndim === 4 ? squeeze(out, 0) : out;
  });
});
