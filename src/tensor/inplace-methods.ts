// The Tensor methods that write in place or assign through an index (x.add_(y), x.zero_(), x.set(…, v)):
// their types and the functions installMethods (./methods.ts) puts on Tensor.prototype.

import type { Tensor } from './tensor.js';
import type { TensorLike } from '../ops/index.js';
import * as ip from '../ops/inplace.js';
import { indexPut, indexPut_, set_, type IndexSpec } from '../ops/subscript.js';

declare module './tensor.js' {
  interface Tensor {
    add_(other: TensorLike, opts?: { alpha?: number }): this;
    sub_(other: TensorLike, opts?: { alpha?: number }): this;
    mul_(other: TensorLike): this;
    div_(other: TensorLike): this;
    clamp_(min?: number | null, max?: number | null): this;
    maskedFill_(mask: Tensor, value: number | Tensor): this;
    fill_(value: number | boolean | Tensor): this;
    zero_(): this;
    copy_(src: Tensor): this;
    normal_(mean?: number, std?: number): this;
    uniform_(from?: number, to?: number): this;
    /** x[spec…] = value in place: x.set(mask, 0), x.set(null, '0::2', v) (the value is the last argument). */
    set(...specsThenValue: (IndexSpec | TensorLike)[]): this;
    indexPut_(indices: readonly (Tensor | null)[], values: TensorLike, accumulate?: boolean): this;
    indexPut(indices: readonly (Tensor | null)[], values: TensorLike, accumulate?: boolean): Tensor;
  }
}

const methods: Record<string, (this: Tensor, ...a: never[]) => unknown> = {
  add_(this: Tensor, o: TensorLike, opts?: { alpha?: number }) { return ip.add_(this, o, opts); },
  sub_(this: Tensor, o: TensorLike, opts?: { alpha?: number }) { return ip.sub_(this, o, opts); },
  mul_(this: Tensor, o: TensorLike) { return ip.mul_(this, o); },
  div_(this: Tensor, o: TensorLike) { return ip.div_(this, o); },
  clamp_(this: Tensor, lo?: number | null, hi?: number | null) { return ip.clamp_(this, lo, hi); },
  maskedFill_(this: Tensor, m: Tensor, v: number | Tensor) { return ip.maskedFill_(this, m, v); },
  fill_(this: Tensor, v: number | boolean | Tensor) { return ip.fill_(this, v); },
  zero_(this: Tensor) { return ip.zero_(this); },
  copy_(this: Tensor, s: Tensor) { return ip.copy_(this, s); },
  normal_(this: Tensor, m?: number, s?: number) { return ip.normal_(this, m, s); },
  uniform_(this: Tensor, a?: number, b?: number) { return ip.uniform_(this, a, b); },
  set(this: Tensor, ...a: (IndexSpec | TensorLike)[]) { return set_(this, ...a); },
  indexPut_(this: Tensor, i: readonly (Tensor | null)[], v: TensorLike, acc?: boolean) { return indexPut_(this, i, v, acc); },
  indexPut(this: Tensor, i: readonly (Tensor | null)[], v: TensorLike, acc?: boolean) { return indexPut(this, i, v, acc); },
};

export function installInPlaceMethods(proto: object): void {
  Object.assign(proto, methods);
}
