// Pending results: an op whose fused rewrite may absorb the next op returns its result uncomputed
// (conv2d + bias, then ReLU, then max pooling run as one kernel). Its inputs are held (as aliases)
// until the result is read; reading it runs the kernel and records the node it would have recorded.
// A result read both through the op folded into it and directly is computed once for each: right,
// but twice the work (nn.Sequential never reads it directly).

import type { Backend, Storage } from '../backend/backend.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor, type Pending } from '../tensor/tensor.js';
import { Buf, type Holder } from '../tensor/memory.js';
import { enableGrad, type BackwardFn } from '../autograd/graph.js';
import { needsGraph, record } from './util.js';
import { contiguousStrides } from '../tensor/shape.js';

export interface DeferredSpec<D> {
  /** what it is, for the rules that may take it over ('conv', 'convRelu', 'linear', …) */
  kind: string;
  /** the inputs the kernel reads and the node's edges (null: an absent bias) */
  inputs: (Tensor | null)[];
  /** what a later rule may need (parameters, backward pieces) */
  data: D;
  /** runs the kernel on the held inputs */
  run(held: (Tensor | null)[]): Storage;
  /** the node it records: its name, what it saves (input positions, 'out' = the result), its backward */
  node: { name: string; saves: (number | 'out')[]; backward: BackwardFn };
  /**
   * the pending results this one took over (the conv2d result a ReLU folded into): no node of their
   * own unless read, so a step boundary releases them with this node's output (autograd/release.ts)
   */
  absorbs?: Tensor[];
}

/** A pending result as the rules see it: its kind, held inputs and data. */
export interface Held<D> extends Pending { readonly held: (Tensor | null)[]; readonly data: D; readonly backend: Backend }

/** A tensor whose value spec.run computes when something first reads it. */
export function deferred<D>(be: Backend, shape: readonly number[], dtype: DType, spec: DeferredSpec<D>): Tensor {
  const requiresGrad = needsGraph(spec.inputs);
  const held = spec.inputs.map((t) => t?._alias() ?? null);
  // An input written in place before the result is computed: the held alias gets a copy of its old
  // values first (src/ops/inplace.ts calls these), so the result is what it was when the op ran.
  const snapshots = held.map((h) => {
    if (!h) return null;
    const b = h._buf!;
    const snap = (): void => {
      b.readers!.delete(snap);
      const copy = new Buf(b.backend, b.backend.copyStrided(b.storage, h.shape, contiguousStrides(h.shape), 0));
      b.release();
      h._buf = copy;
      h._savedVersion = 0;
    };
    (b.readers ??= new Set()).add(snap);
    return [b, snap] as const;
  });
  // holders only: the taken-over handles stay collectable
  const absorbed: Holder[] | null = spec.absorbs?.length ? spec.absorbs.map((t) => t._holder) : null;
  let live = true;
  const release = (): void => {
    if (!live) return;
    live = false;
    for (const s of snapshots) s?.[0].readers?.delete(s[1]);
    for (const h of held) h?._releaseAlias();
  };
  const p: Held<D> = {
    kind: spec.kind, requiresGrad, held, data: spec.data, backend: be, release,
    materialize(t: Tensor, set: (b: Buf) => void): void {
      try {
        set(new Buf(be, spec.run(held)));
        if (requiresGrad) {
          const { name, saves, backward } = spec.node;
          enableGrad(() => record(t, name, held, saves.map((i) => (i === 'out' ? t : held[i]!)), backward));
          const n = t._node;
          if (n && absorbed) n.absorbed = absorbed;
        }
      } finally {
        release();
      }
    },
  };
  return new Tensor(null, shape, dtype, false, p);
}

/** The pending result t holds, if it is of one of the kinds (for a rule's match). */
export function pendingOf<D>(t: unknown, ...kinds: string[]): Held<D> | null {
  if (!(t instanceof Tensor)) return null;
  const p = t._pending as Held<D> | null;
  return p && kinds.includes(p.kind) ? p : null;
}
