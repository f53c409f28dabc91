// Resampling layers: Upsample (F.interpolate), PixelShuffle / PixelUnshuffle, Unfold / Fold — each
// holds its arguments and calls the functional form.

import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { interpolate, type InterpolateOptions } from '../../ops/interpolate.js';
import { pixelShuffle, pixelUnshuffle } from '../../ops/pixel-shuffle.js';
import { fold, unfold, type Pair, type UnfoldOptions } from '../../ops/unfold.js';
import { checkOpts } from '../../ops/sorting.js';
import { checkInt } from './util.js';

const show = (v: unknown): string => (Array.isArray(v) ? `(${v.join(', ')})` : String(v));

/** F.interpolate as a layer: {size | scaleFactor, mode (default 'nearest'), alignCorners}. */
export class Upsample extends Module {
  readonly opts: Readonly<InterpolateOptions>;
  constructor(opts: InterpolateOptions) {
    super();
    checkOpts('Upsample', opts, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']);
    if ((opts.size == null) === (opts.scaleFactor == null)) throw new Error('Upsample: give exactly one of size and scaleFactor');
    this.opts = { ...opts };
  }
  override forward(x: Tensor): Tensor {
    return interpolate(x, this.opts);
  }
  override extraRepr(): string {
    const o = this.opts;
    return `${o.size != null ? `size=${show(o.size)}` : `scaleFactor=${show(o.scaleFactor)}`}, mode='${o.mode ?? 'nearest'}'`;
  }
}

/** Upsample with mode 'nearest' (torch.nn.UpsamplingNearest2d): {size | scaleFactor}. */
export class UpsamplingNearest2d extends Upsample {
  constructor(opts: Pick<InterpolateOptions, 'size' | 'scaleFactor'>) {
    checkOpts('UpsamplingNearest2d', opts, ['size', 'scaleFactor']);
    super({ ...opts, mode: 'nearest' });
  }
}

/** Upsample with mode 'bilinear' and alignCorners true (torch.nn.UpsamplingBilinear2d): {size | scaleFactor}. */
export class UpsamplingBilinear2d extends Upsample {
  constructor(opts: Pick<InterpolateOptions, 'size' | 'scaleFactor'>) {
    checkOpts('UpsamplingBilinear2d', opts, ['size', 'scaleFactor']);
    super({ ...opts, mode: 'bilinear', alignCorners: true });
  }
}

/** [*, C·r², H, W] → [*, C, H·r, W·r]. */
export class PixelShuffle extends Module {
  readonly upscaleFactor: number;
  constructor(upscaleFactor: number) {
    super();
    this.upscaleFactor = checkInt('PixelShuffle', 'upscaleFactor', upscaleFactor, 1);
  }
  override forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }
  override extraRepr(): string {
    return `upscaleFactor=${this.upscaleFactor}`;
  }
}

/** [*, C, H·r, W·r] → [*, C·r², H, W]. */
export class PixelUnshuffle extends Module {
  readonly downscaleFactor: number;
  constructor(downscaleFactor: number) {
    super();
    this.downscaleFactor = checkInt('PixelUnshuffle', 'downscaleFactor', downscaleFactor, 1);
  }
  override forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }
  override extraRepr(): string {
    return `downscaleFactor=${this.downscaleFactor}`;
  }
}

/** F.unfold as a layer (im2col): [N, C, H, W] → [N, C·kh·kw, L]. */
export class Unfold extends Module {
  readonly kernelSize: Pair;
  readonly opts: Readonly<UnfoldOptions>;
  constructor(kernelSize: Pair, opts: UnfoldOptions = {}) {
    super();
    checkOpts('Unfold', opts, ['dilation', 'padding', 'stride']);
    this.kernelSize = kernelSize;
    this.opts = { ...opts };
  }
  override forward(x: Tensor): Tensor {
    return unfold(x, this.kernelSize, this.opts);
  }
  override extraRepr(): string {
    return `kernelSize=${show(this.kernelSize)}, dilation=${show(this.opts.dilation ?? 1)}, padding=${show(this.opts.padding ?? 0)}, stride=${show(this.opts.stride ?? 1)}`;
  }
}

/** F.fold as a layer (col2im): [N, C·kh·kw, L] → [N, C, outputSize]. */
export class Fold extends Module {
  readonly outputSize: Pair;
  readonly kernelSize: Pair;
  readonly opts: Readonly<UnfoldOptions>;
  constructor(outputSize: Pair, kernelSize: Pair, opts: UnfoldOptions = {}) {
    super();
    checkOpts('Fold', opts, ['dilation', 'padding', 'stride']);
    this.outputSize = outputSize;
    this.kernelSize = kernelSize;
    this.opts = { ...opts };
  }
  override forward(x: Tensor): Tensor {
    return fold(x, this.outputSize, this.kernelSize, this.opts);
  }
  override extraRepr(): string {
    return `outputSize=${show(this.outputSize)}, kernelSize=${show(this.kernelSize)}, dilation=${show(this.opts.dilation ?? 1)}, padding=${show(this.opts.padding ?? 0)}, stride=${show(this.opts.stride ?? 1)}`;
  }
}
