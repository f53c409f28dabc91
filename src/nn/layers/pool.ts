// Pooling layers MaxPool1d/2d, AvgPool1d/2d and AdaptiveAvgPool2d: PyTorch's arguments and
// defaults (stride defaults to the kernel size), on batched or unbatched input.

import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { adaptiveAvgPool2d, avgPool1d, avgPool2d, maxPool1d, maxPool2d, maxPool2dWithIndices, squeeze, unsqueeze } from '../../ops/index.js';
import type { Pair } from '../../ops/conv.js';
import { expectFloat, expectInput, pairText } from './util.js';

export interface MaxPoolLayerOptions {
  /** default: the kernel size */
  stride?: Pair | null;
  padding?: Pair;
  dilation?: Pair;
  /** forward returns {values, indices} (flat indices into each H×W plane) */
  returnIndices?: boolean;
  ceilMode?: boolean;
}

export interface AvgPoolLayerOptions {
  stride?: Pair | null;
  padding?: Pair;
  ceilMode?: boolean;
  /** count the zero padding in the divisor (default true) */
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

function check2d(label: string, x: Tensor): void {
  expectInput(label, x, x.ndim === 4 || x.ndim === 3, '[N, C, H, W] or [C, H, W]');
  expectFloat(label, x);
}

function check1d(label: string, x: Tensor): void {
  expectInput(label, x, x.ndim === 3 || x.ndim === 2, '[N, C, L] or [C, L]');
  expectFloat(label, x);
}

export class MaxPool2d extends Module {
  readonly kernelSize: Pair;
  readonly opts: MaxPoolLayerOptions;
  constructor(kernelSize: Pair, opts: MaxPoolLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.opts = { ...opts };
  }
  get label(): string {
    return `MaxPool2d(${pairText(this.kernelSize)})`;
  }
  override forward(x: Tensor): Tensor | { values: Tensor; indices: Tensor } {
    check2d(this.label, x);
    const { returnIndices, ...o } = this.opts;
    return returnIndices ? maxPool2dWithIndices(x, this.kernelSize, o) : maxPool2d(x, this.kernelSize, o);
  }
  override extraRepr(): string {
    return poolRepr(this.kernelSize, this.opts);
  }
}

export class MaxPool1d extends Module {
  readonly kernelSize: number;
  readonly opts: MaxPoolLayerOptions;
  constructor(kernelSize: number, opts: MaxPoolLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.opts = { ...opts };
  }
  get label(): string {
    return `MaxPool1d(${this.kernelSize})`;
  }
  override forward(x: Tensor): Tensor | { values: Tensor; indices: Tensor } {
    check1d(this.label, x);
    const { returnIndices, ...o } = this.opts;
    if (!returnIndices) return maxPool1d(x, this.kernelSize, o);
    // As a 2-D pool over a height of 1: the flat index h·L + l is then l, PyTorch's 1-D index.
    const first = (v: Pair | null | undefined): number | undefined => (v == null ? undefined : typeof v === 'number' ? v : v[0]);
    const x4 = unsqueeze(x, -2);
    const s = first(o.stride);
    const r = maxPool2dWithIndices(x4, [1, this.kernelSize], {
      stride: s === undefined ? null : [1, s], padding: [0, first(o.padding) ?? 0], dilation: [1, first(o.dilation) ?? 1], ceilMode: o.ceilMode,
    });
    x4.dispose();
    const values = squeeze(r.values, -2), indices = squeeze(r.indices, -2);
    r.values.dispose();
    r.indices.dispose();
    return { values, indices };
  }
  override extraRepr(): string {
    return poolRepr(this.kernelSize, this.opts);
  }
}

export class AvgPool2d extends Module {
  readonly kernelSize: Pair;
  readonly opts: AvgPoolLayerOptions;
  constructor(kernelSize: Pair, opts: AvgPoolLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.opts = { ...opts };
  }
  get label(): string {
    return `AvgPool2d(${pairText(this.kernelSize)})`;
  }
  override forward(x: Tensor): Tensor {
    check2d(this.label, x);
    return avgPool2d(x, this.kernelSize, this.opts);
  }
  override extraRepr(): string {
    return poolRepr(this.kernelSize, this.opts);
  }
}

export class AvgPool1d extends Module {
  readonly kernelSize: number;
  readonly opts: Omit<AvgPoolLayerOptions, 'divisorOverride'>;
  constructor(kernelSize: number, opts: Omit<AvgPoolLayerOptions, 'divisorOverride'> = {}) {
    super();
    this.kernelSize = kernelSize;
    this.opts = { ...opts };
  }
  get label(): string {
    return `AvgPool1d(${this.kernelSize})`;
  }
  override forward(x: Tensor): Tensor {
    check1d(this.label, x);
    return avgPool1d(x, this.kernelSize, this.opts);
  }
  override extraRepr(): string {
    return poolRepr(this.kernelSize, this.opts);
  }
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: number | readonly [number | null, number | null];
  constructor(outputSize: number | readonly [number | null, number | null]) {
    super();
    this.outputSize = outputSize;
  }
  get label(): string {
    return `AdaptiveAvgPool2d(${typeof this.outputSize === 'number' ? this.outputSize : `(${this.outputSize.join(', ')})`})`;
  }
  override forward(x: Tensor): Tensor {
    check2d(this.label, x);
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `outputSize=${typeof this.outputSize === 'number' ? this.outputSize : `(${this.outputSize.join(', ')})`}`;
  }
}

function poolRepr(k: Pair, o: object): string {
  const parts = [`kernelSize=${pairText(k)}`];
  for (const [key, v] of Object.entries(o)) if (v !== undefined && v !== null) parts.push(`${key}=${Array.isArray(v) ? pairText(v) : String(v)}`);
  return parts.join(', ');
}
