// Conv3d with PyTorch's arguments, weight layout [cOut, cIn/groups, kD, kH, kW], paddingMode and
// default initialisation (src/ops/conv3d.ts computes it from conv2d).

import type { Tensor } from '../../tensor/tensor.js';
import { conv3d, triple, type Triple } from '../../ops/conv3d.js';
import { ConvNd, type PaddingMode } from './conv.js';
import { expectFloat, expectInput, pairText, type DTypeOption } from './util.js';

export interface Conv3dLayerOptions extends DTypeOption {
  stride?: Triple;
  /** a number, a triple, or 'valid' / 'same' (stride 1 only) */
  padding?: Triple | 'valid' | 'same';
  dilation?: Triple;
  groups?: number;
  bias?: boolean;
  /** how the padding is filled: 'zeros' (default), or F.pad's 'reflect', 'replicate', 'circular' */
  paddingMode?: PaddingMode;
}

export class Conv3d extends ConvNd {
  readonly stride: [number, number, number];
  readonly padding: [number, number, number] | 'valid' | 'same';
  readonly dilation: [number, number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Triple, opts: Conv3dLayerOptions = {}) {
    const k = triple('Conv3d', 'kernelSize', kernelSize, 1, 1);
    super('Conv3d', inChannels, outChannels, k, false, opts.groups ?? 1, opts.bias ?? true, opts);
    this.stride = triple('Conv3d', 'stride', opts.stride, 1, 1);
    this.padding = opts.padding === 'same' || opts.padding === 'valid' ? opts.padding : triple('Conv3d', 'padding', opts.padding, 0, 0);
    this.dilation = triple('Conv3d', 'dilation', opts.dilation, 1, 1);
    if (this.padding === 'same' && this.stride.some((s) => s !== 1)) throw new Error(`Conv3d: padding='same' is not supported for strided convolutions`);
  }

  override forward(x: Tensor): Tensor {
    const c = this.inChannels;
    expectInput(this.label, x, (x.ndim === 5 && x.shape[1] === c) || (x.ndim === 4 && x.shape[0] === c), `[N, ${c}, D, H, W]`);
    expectFloat(this.label, x);
    const opts = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    return this.modePadded(x, this.padding, this.dilation, (xp) => conv3d(xp, this.weight, this.bias, opts)) ??
      conv3d(x, this.weight, this.bias, { ...opts, padding: this.padding });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${pairText(this.kernelSize)}, stride=${pairText(this.stride)}` +
      (this.padding === 'same' || this.padding === 'valid' ? `, padding='${this.padding}'` : this.padding.some((p) => p) ? `, padding=${pairText(this.padding)}` : '') +
      (this.dilation.some((d) => d !== 1) ? `, dilation=${pairText(this.dilation)}` : '') +
      (this.groups !== 1 ? `, groups=${this.groups}` : '') + (this.bias ? '' : ', bias=false') + this.modeRepr();
  }
}
