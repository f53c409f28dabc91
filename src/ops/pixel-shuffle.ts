// F.pixelShuffle and F.pixelUnshuffle (torch.nn.functional): depth ↔ space rearrangements, plain
// functions of reshape + permute — their gradients are the inverse rearrangements, and a trace (ONNX
// export of nn.PixelShuffle or of a forward calling F.pixelShuffle) sees those two ops.

import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { scope } from '../tensor/memory.js';
import { permute, reshape } from './layout.js';

function checkFactor(op: string, name: string, r: number): void {
  if (!Number.isInteger(r) || r < 1) throw new RangeError(`${op}: ${name} must be an integer ≥ 1, got ${String(r)}`);
}

/** [*, C·r², H, W] → [*, C, H·r, W·r]. */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const r = upscaleFactor;
  checkFactor('pixelShuffle', 'upscaleFactor', r);
  if (x.ndim < 3) throw new Error(`pixelShuffle: expected input [*, C·r², H, W] of at least 3 dims, got ${fmt(x.shape)}`);
  const lead = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  if (c % (r * r) !== 0) throw new Error(`pixelShuffle: the channels (${c}) of input ${fmt(x.shape)} must be divisible by upscaleFactor² = ${r * r}`);
  const oc = c / (r * r);
  return scope(() => {
    const t = reshape(x, [-1, oc, r, r, h, w]);
    const p = permute(t, [0, 1, 4, 2, 5, 3]);
    return reshape(p, [...lead, oc, h * r, w * r]);
  });
}

/** [*, C, H·r, W·r] → [*, C·r², H, W]. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const r = downscaleFactor;
  checkFactor('pixelUnshuffle', 'downscaleFactor', r);
  if (x.ndim < 3) throw new Error(`pixelUnshuffle: expected input [*, C, H, W] of at least 3 dims, got ${fmt(x.shape)}`);
  const lead = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  if (h % r !== 0 || w % r !== 0) throw new Error(`pixelUnshuffle: the height and width of input ${fmt(x.shape)} must be divisible by downscaleFactor ${r}`);
  const oh = h / r, ow = w / r;
  return scope(() => {
    const t = reshape(x, [-1, c, oh, r, ow, r]);
    const p = permute(t, [0, 1, 3, 5, 2, 4]);
    return reshape(p, [...lead, c * r * r, oh, ow]);
  });
}
