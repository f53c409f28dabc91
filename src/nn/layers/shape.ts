// Shape layers: Flatten (dims startDim..endDim into one), Unflatten (one dim into several) and
// Identity (returns its input, ignoring constructor arguments, as in PyTorch).

import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { flatten, reshape, unflatten } from '../../ops/index.js';
import { fmt, normDim } from '../../tensor/shape.js';

export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  /** defaults startDim = 1, endDim = −1 (keeps the batch dim) */
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }
  override forward(x: Tensor): Tensor {
    const r = Math.max(x.ndim, 1);
    const bad = (d: number): boolean => d < -r || d >= r;
    if (bad(this.startDim) || bad(this.endDim)) {
      throw new Error(`Flatten(${this.startDim}, ${this.endDim}): expected input with at least ${Math.max(this.startDim < 0 ? -this.startDim : this.startDim + 1, this.endDim < 0 ? -this.endDim : this.endDim + 1)} dims, got ${fmt(x.shape)}`);
    }
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: number[];
  /** new nn.Unflatten(1, [1, 28, 28]) */
  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }
  override forward(x: Tensor): Tensor {
    const label = `Unflatten(${this.dim}, ${fmt(this.unflattenedSize)})`;
    const d = normDim(label, this.dim, x.ndim);
    const known = this.unflattenedSize.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
    const n = x.shape[d]!;
    const ok = this.unflattenedSize.includes(-1) ? known > 0 && n % known === 0 : known === n;
    if (!ok) throw new Error(`${label}: dim ${this.dim} of the input has size ${n}, which does not split into ${fmt(this.unflattenedSize)} (input ${fmt(x.shape)})`);
    return unflatten(x, d, this.unflattenedSize);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattenedSize=${fmt(this.unflattenedSize)}`;
  }
}

export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }
  /** The input itself, as a new handle (so disposing the output leaves the input alive). */
  override forward(x: Tensor): Tensor {
    return reshape(x, x.shape);
  }
}
