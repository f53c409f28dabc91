// Step boundaries (DESIGN.md decision 5): the outputs of a graph that backward() consumed are
// released two boundaries later, so a hand-written loop with no scope holds memory flat.
// A leaf's boundaries are the optimizer.step() calls that update it, or, for a leaf no optimizer
// updates, the backward() calls that reach it. Kept handles (nb.keep) are never released.

import { revoke, type Holder } from '../tensor/memory.js';
import { AccumulateGrad, Node, type Generation } from './graph.js';

/** Moves a leaf to its next step interval: the graphs of the interval before the last are released. */
function boundary(acc: AccumulateGrad): void {
  for (const g of acc.previous) release(g);
  acc.previous = acc.current;
  acc.current = [];
}

function release(g: Generation): void {
  if (g.released) return;
  g.released = true;
  for (const h of g.holders) revoke(h);
  g.holders = [];
}

/**
 * Called after a backward() that freed its graph (no retainGraph / createGraph): the graph's outputs
 * become a generation of every leaf the graph reaches — and so do the outputs of side branches
 * recorded on it that backward did not go through (an LSTM's final states, attention weights, a
 * metric computed with grad on), which nothing else would free.
 */
export function graphConsumed(order: readonly Node[]): void {
  const holders: Holder[] = [];
  const leaves = new Set<AccumulateGrad>();
  const consumed = new Set(order);
  const side = new Set<Node>();
  const take = (n: Node): void => {
    const h = n.output;
    if (h && h.buf && !h.kept) holders.push(h);
    if (n.absorbed) for (const a of n.absorbed) if ((a.buf || a.pending) && !a.kept) holders.push(a);
  };
  for (const n of order) {
    take(n);
    for (const e of n.edges) if (e instanceof AccumulateGrad) leaves.add(e);
    const stack = n.consumers ?? [];
    n.consumers = null;
    // side branches: every node recorded on this graph that the walk did not reach
    for (let i = 0; i < stack.length; i++) {
      const c = stack[i]!;
      if (consumed.has(c) || side.has(c)) continue;
      side.add(c);
      take(c);
      if (c.consumers) stack.push(...c.consumers);
    }
  }
  if (holders.length === 0 || leaves.size === 0) return;
  const gen: Generation = { holders, released: false };
  for (const acc of leaves) {
    if (!acc.managed) boundary(acc);
    acc.current.push(gen);
  }
}

/** An optimizer will step these parameters: from now on their boundaries are its steps. */
export function markManaged(params: readonly { _acc: AccumulateGrad | null }[]): void {
  for (const p of params) if (p._acc) p._acc.managed = true;
}

/** optimizer.step(): a step boundary of each parameter it updates. */
export function stepBoundary(params: readonly { _acc: AccumulateGrad | null }[]): void {
  for (let i = 0; i < params.length; i++) {
    const acc = params[i]!._acc;
    if (!acc) continue;
    acc.managed = true;
    if (acc.previous.length > 0 || acc.current.length > 0) boundary(acc);
  }
}
