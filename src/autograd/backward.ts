// The backward walk (reverse-mode, iterative) and the functional forms grad / valueAndGrad.

import { Tensor } from '../tensor/tensor.js';
import { AccumulateGrad, Node, enableGrad, isGradEnabled, noGrad, topoOrder, edgeOf } from './graph.js';
import { keep, scope } from '../tensor/memory.js';
import { noteStep } from '../tensor/leak-watch.js';
import { graphConsumed } from './release.js';
import { add } from '../ops/elementwise.js';
import { full } from '../tensor/create.js';
import { fmt, sameShape } from '../tensor/shape.js';

/** backward() reached the node that made these tensors (retainGrad): each adds g into its .grad. */
function retainGrads(ts: readonly Tensor[], g: Tensor): void {
  for (const t of ts) {
    if (t.isDisposed) continue;
    const prev = t.grad;
    t.grad = keep(prev ? add(prev, g) : add(g, 0));
    prev?.dispose();
  }
}

export interface BackwardOptions {
  /** Keep the graph's saved tensors so backward can run through it again. */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again. */
  createGraph?: boolean;
}

/**
 * Backpropagates from `root`: accumulates d(root)/d(leaf) into the .grad of every leaf that
 * requires grad, or, when `inputs` is given, returns the gradients of those tensors instead.
 */
export function runBackward(root: Tensor, gradient: Tensor | null | undefined, opts: BackwardOptions = {}, inputs?: Tensor[]): (Tensor | null)[] | void {
  if (!root.requiresGrad) {
    throw new Error('backward: this tensor does not require grad and has no grad_fn (did you call it inside noGrad, or forget requiresGrad on the inputs?)');
  }
  let g0: Tensor;
  if (gradient) {
    if (!sameShape(gradient.shape, root.shape)) throw new Error(`backward: gradient shape ${fmt(gradient.shape)} does not match the tensor's ${fmt(root.shape)}`);
    g0 = gradient;
  } else {
    if (root.numel() !== 1) {
      throw new Error(`backward: grad can be implicitly created only for scalar outputs; this tensor has shape ${fmt(root.shape)} — pass a gradient of that shape`);
    }
    g0 = full(root.shape, 1, { dtype: root.dtype });
  }
  const createGraph = opts.createGraph ?? false;
  const retain = opts.retainGraph ?? createGraph;
  const wanted = inputs ? new Map<object, number>() : null;
  const results: (Tensor | null)[] = inputs ? inputs.map(() => null) : [];
  if (inputs) inputs.forEach((t, i) => {
    const e = edgeOf(t);
    if (!e) throw new Error(`grad: input ${i} does not require grad`);
    wanted!.set(e, i);
  });

  let order: Node[] = [];
  const run = (): void => {
    const rootEdge = edgeOf(root)!;
    const pending = new Map<Node, Tensor>();
    // deliver() consumes t: it stores it or disposes it after combining.
    const deliver = (edge: AccumulateGrad | Node, t: Tensor): void => {
      if (wanted) {
        const i = wanted.get(edge);
        if (i !== undefined) {
          const prev = results[i];
          const mine = edge instanceof Node ? add(t, 0) : t;
          if (prev) {
            results[i] = add(prev, mine);
            prev.dispose();
            mine.dispose();
          } else results[i] = mine;
        }
        if (edge instanceof AccumulateGrad) {
          if (i === undefined) t.dispose();
          return;
        }
      } else if (edge instanceof AccumulateGrad) {
        const leaf = edge.leaf;
        if (leaf.isDisposed) {
          t.dispose();
          return;
        }
        const prev = leaf.grad;
        let ng = t;
        if (prev) {
          ng = add(prev, t);
          prev.dispose();
          t.dispose();
        }
        leaf.grad = keep(ng);
        return;
      }
      const prev = pending.get(edge);
      if (prev) {
        pending.set(edge, add(prev, t));
        prev.dispose();
        t.dispose();
      } else pending.set(edge, t);
    };

    const start = gradient ? add(g0, 0) : g0;
    if (rootEdge instanceof AccumulateGrad) {
      deliver(rootEdge, start);
      return;
    }
    deliver(rootEdge, start);
    order = topoOrder(rootEdge);
    for (const node of order) {
      const g = pending.get(node);
      if (!g) {
        if (!retain) node.freeSaved();
        continue;
      }
      pending.delete(node);
      if (node.retained && !wanted) retainGrads(node.retained, g);
      // A rule's temporaries (written with ops) are freed as soon as it returns its gradients.
      const grads = scope(() => node.apply(g));
      const used = new Set<Tensor>();
      const uses = node.edges.map((e, i) => (e ? grads[i] ?? null : null));
      node.edges.forEach((e, i) => {
        const gi = grads[i];
        if (!e || !gi) return;
        // Every use but the last gets its own copy, so consumers can free theirs independently.
        if (uses.indexOf(gi, i + 1) >= 0) deliver(e, add(gi, 0));
        else {
          used.add(gi);
          deliver(e, gi);
        }
      });
      for (const gi of new Set(grads)) if (gi && gi !== g && !used.has(gi)) gi.dispose();
      if (!used.has(g)) g.dispose();
      if (!retain) node.freeSaved();
    }
    for (const g of pending.values()) g.dispose();
  };
  if (createGraph) enableGrad(run);
  else noGrad(run);
  if (inputs) return results;
  // The graph's saved tensors are gone; its outputs (the loss, activations) follow two steps later.
  if (!retain) graphConsumed(order);
  noteStep();
}

/**
 * grad(f) returns a function computing the gradient of scalar f with respect to its tensor
 * arguments (all of them, or those at `argnums`), like JAX's grad.
 */
export function grad(f: (...args: Tensor[]) => Tensor, opts: { argnums?: number | number[]; createGraph?: boolean } = {}) {
  const vg = valueAndGrad(f, opts);
  return (...args: Tensor[]): Tensor[] => {
    const { value, grads } = vg(...args);
    value.dispose();
    return grads;
  };
}

/** Like grad, but also returns f's value. */
export function valueAndGrad(f: (...args: Tensor[]) => Tensor, opts: { argnums?: number | number[]; createGraph?: boolean } = {}) {
  // In a scope: what f computes on the way (its graph's outputs) is freed once the gradients exist.
  return (...args: Tensor[]): { value: Tensor; grads: Tensor[] } => scope(() => {
    const idx = opts.argnums === undefined ? args.map((_, i) => i) : typeof opts.argnums === 'number' ? [opts.argnums] : opts.argnums;
    // Differentiate with respect to fresh leaves that share the arguments' storage.
    const leaves = args.map((a, i) => (idx.includes(i) ? (opts.createGraph ? a : a.detach().requiresGrad_(true)) : a));
    const value = enableGrad(() => f(...leaves));
    if (!(value instanceof Tensor) || value.numel() !== 1) {
      throw new Error(`grad: the function must return a one-element tensor, got ${value instanceof Tensor ? `shape ${fmt(value.shape)}` : typeof value}`);
    }
    const targets = idx.map((i) => leaves[i]!);
    for (const [k, t] of targets.entries()) if (!t.requiresGrad) throw new Error(`grad: argument ${idx[k]} does not require grad`);
    let grads: (Tensor | null)[];
    if (!value.requiresGrad) grads = targets.map(() => null);
    else grads = runBackward(value, null, { createGraph: opts.createGraph ?? false }, targets) as (Tensor | null)[];
    const out = grads.map((g, k) => g ?? full(targets[k]!.shape, 0, { dtype: targets[k]!.dtype }));
    const v = opts.createGraph ? value : value.detach();
    if (!opts.createGraph) {
      value.dispose();
      for (const [k, l] of leaves.entries()) if (l !== args[k]) l.dispose();
    }
    return { value: v, grads: out };
  });
}

export { isGradEnabled };
