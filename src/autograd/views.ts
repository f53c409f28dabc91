// The history of views written in place (PyTorch's rule): a view shares its base's storage, so an
// in-place write through the view gives the base a new history, and the base's other views follow it.

import type { Tensor } from '../tensor/tensor.js';
import { Node, edgeOf } from './graph.js';

type Reshape = (g: Tensor, shape: readonly number[]) => Tensor;
let reshapeFn: Reshape | null = null;

/** @internal src/ops/layout.ts hands over reshape (the views' backward) when it loads. */
export function setViewReshape(f: Reshape): void {
  reshapeFn = f;
}

/** A node passing its gradient, reshaped to from's shape, to from's history: how a view's value came about. */
function viewNode(from: Tensor): Node {
  const shape = from.shape;
  const n = new Node('viewOf', [edgeOf(from)], [], (g) => [reshapeFn!(g, shape)]);
  n.retain();
  return n;
}

/** Gives t the node n (t's reference to its old node goes; n's edges keep what they need of it). */
export function replaceNode(t: Tensor, n: Node | null): void {
  const old = t._node;
  t._node = n;
  if (old) old.release();
}

/** A view whose storage was written in place since its graph link was made: link it to its base's history now. */
export function rebaseView(v: Tensor): void {
  const b = v._base!;
  v._viewVersion = v._buf!.version;
  if (b.isDisposed) return;
  const bn = b._node;
  if (bn === v._baseNode) return;
  v._baseNode = bn;
  if (bn === null && b._acc === null) return;
  replaceNode(v, viewNode(b));
}

/**
 * After the in-place write through view v gave v the node of the write: the base's history is now
 * the view's, seen through a reshape; the other views follow the base when next read.
 */
export function rebaseBase(v: Tensor): void {
  const b = v._base;
  if (!b || b.isDisposed) return;
  replaceNode(b, viewNode(v));
  v._viewVersion = v._buf!.version;
  v._baseNode = b._node;
}
