// The Tensor methods that write in place or assign through an index (x.add_(y), x.zero_(), x.set(…, v)):
// their types and the functions installMethods (./methods.ts) puts on Tensor.prototype.

import type { Tensor } from './tensor.js';
import type { TensorLike } from '../ops/index.js';
import * as ops from '../ops/index.js';
import * as ip from '../ops/inplace.js';
import { indexPut, indexPut_, set_, type IndexSpec } from '../ops/subscript.js';

type Ops = typeof ops;
/** The element-wise unary records that are methods (exp, relu, …): each has its in-place form (exp_, relu_, …). */
type UnaryName = { [K in keyof Ops]: Ops[K] extends { kind: 'unary'; def: { method?: infer M } } ? (M extends false ? never : K) : never }[keyof Ops];
export type UnaryInPlace = { [K in UnaryName as `${K & string}_`]: () => Tensor };

declare module './tensor.js' {
  interface Tensor extends UnaryInPlace {
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
  const P = proto as Record<string, unknown>;
  for (const [name, v] of Object.entries(ops)) {
    const r = v as { kind?: string; def?: { method?: boolean } };
    if (typeof v !== 'function' || r.kind !== 'unary' || r.def?.method === false) continue;
    const f = v as (x: Tensor) => Tensor;
    // The backward of most unary records reads its input: the in-place form computes from a copy when a graph is recorded.
    P[`${name}_`] = function (this: Tensor) { return ip.inPlace(`${name}_`, this, (s) => f(s), { savesSelf: true }); };
  }
}
