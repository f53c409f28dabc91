// Pending results: an op whose fused rewrite may absorb the next op returns its result uncomputed
// (conv2d + bias, then ReLU, then max pooling run as one kernel). Its inputs are held (as aliases)
// until the result is read; reading it runs the kernel and records the node it would have recorded.
// A result read both through the op folded into it and directly is computed once for each: right,
// but twice the work (nn.Sequential never reads it directly).

import type { Backend, Storage } from '../backend/backend.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor, type Pending } from '../tensor/tensor.js';
import { Buf, type Holder } from '../tensor/memory.js';
import { enableGrad } from '../autograd/graph.js';
import { needsGraph, record } from './util.js';
import { contiguousStrides } from '../tensor/shape.js';

/**
 * What a kind of pending result is, once for every call (module-level: nothing is built per call).
 * `data` is what one call adds: parameters, backward pieces.
 */
export interface DeferredKind<D> {
  /** what it is, for the rules that may take it over ('conv', 'convRelu', 'linear', …) */
  readonly kind: string;
  /** runs the kernel on the held inputs (null: an absent bias) */
  run(held: readonly (Tensor | null)[], data: D, be: Backend): Storage;
  /** the node it records: its name, what it saves (input positions, 'out' = the result), its backward */
  readonly node: { name: string; saves: readonly (number | 'out')[]; backward(g: Tensor, saved: Tensor[], needs: readonly boolean[], data: D): (Tensor | null)[] };
}

/** A pending result as the rules see it: its kind, held inputs and data. */
export interface Held<D> extends Pending { readonly held: (Tensor | null)[]; readonly data: D; readonly backend: Backend }

/** The pending results not computed or released yet: what an in-place write checks (snapshotReaders). */
const live = new Set<Deferred<unknown>>();

/** One pending result: its inputs held as aliases until it is computed (once) or released. */
class Deferred<D> implements Held<D> {
  readonly kind: string;
  readonly requiresGrad: boolean;
  readonly held: (Tensor | null)[];
  readonly data: D;
  private readonly absorbed: Holder[] | null;
  private live = true;
  /**
   * `inputs` are what the kernel reads and the node's edges; `absorbs` the pending results this one
   * took over (the conv2d result a ReLU folded into): no node of their own unless read, so a step
   * boundary releases them with this node's output (autograd/release.ts).
   */
  constructor(readonly backend: Backend, private readonly k: DeferredKind<D>, inputs: readonly (Tensor | null)[], data: D, absorbs?: Tensor) {
    this.kind = k.kind;
    this.data = data;
    this.requiresGrad = needsGraph(inputs);
    const held: (Tensor | null)[] = new Array(inputs.length);
    for (let i = 0; i < held.length; i++) {
      const h = inputs[i]?._alias() ?? null;
      if (h) h._buf!.pendingReads++;
      held[i] = h;
    }
    this.held = held;
    // holders only: the taken-over handles stay collectable
    this.absorbed = absorbs ? [absorbs._holder] : null;
    live.add(this);
  }

  /**
   * An input whose storage is about to be written in place: the held alias gets a copy of its old
   * values first, so the result is what it was when the op ran.
   */
  snapshot(b: Buf): void {
    for (const h of this.held) {
      if (!h || h._buf !== b) continue;
      b.pendingReads--;
      const copy = new Buf(b.backend, b.backend.copyStrided(b.storage, h.shape, contiguousStrides(h.shape), 0));
      copy.pendingReads++;
      b.release();
      h._buf = copy;
      h._savedVersion = 0;
    }
  }

  release(): void {
    if (!this.live) return;
    this.live = false;
    live.delete(this);
    for (const h of this.held) {
      if (!h) continue;
      h._buf!.pendingReads--;
      h._releaseAlias();
    }
  }

  materialize(t: Tensor, set: (b: Buf) => void): void {
    try {
      set(new Buf(this.backend, this.k.run(this.held, this.data, this.backend)));
      if (this.requiresGrad) {
        const { name, saves, backward } = this.k.node;
        const held = this.held, data = this.data;
        const saved = saves.map((i) => (i === 'out' ? t : held[i]!));
        enableGrad(() => record(t, name, held, saved, (g, s, needs) => backward(g, s, needs, data)));
        const n = t._node;
        if (n && this.absorbed) n.absorbed = this.absorbed;
      }
    } finally {
      this.release();
    }
  }
}

/** A tensor whose value k.run computes when something first reads it. */
export function deferred<D>(be: Backend, shape: readonly number[], dtype: DType, k: DeferredKind<D>, inputs: readonly (Tensor | null)[], data: D, absorbs?: Tensor): Tensor {
  return new Tensor(null, shape, dtype, false, new Deferred(be, k, inputs, data, absorbs));
}

/** Before an in-place write to b: every pending result reading b takes a copy of its old values. */
export function snapshotReaders(b: Buf): void {
  if (b.pendingReads === 0) return;
  for (const d of [...live]) d.snapshot(b);
}

/** The pending result t holds, if it is of one of the kinds (for a rule's match). */
export function pendingOf<D>(t: unknown, ...kinds: string[]): Held<D> | null {
  if (!(t instanceof Tensor)) return null;
  const p = t._pending as Held<D> | null;
  return p && kinds.includes(p.kind) ? p : null;
}
