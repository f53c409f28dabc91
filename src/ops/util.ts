// What every op uses to run a primitive: the backend its inputs live on, a result tensor around a
// new storage, and the autograd node that records how the result was made.

import type { Backend, Storage } from '../backend/backend.js';
import { currentBackend } from '../backend/default.js';
import { Node, edgeOf, isGradEnabled, type BackwardFn } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { fmt, prod, type Shape } from '../tensor/shape.js';

/** The backend shared by all inputs (tensors must live on one backend). */
export function backendOf(op: string, ...ts: (Tensor | null | undefined)[]): Backend {
  let b: Backend | null = null;
  for (const t of ts) {
    if (!t) continue;
    const tb = t._live(op).backend;
    if (b && tb !== b) throw new Error(`${op}: tensors are on different backends (${b.name} and ${tb.name}); move one with t.to(backend)`);
    b = tb;
  }
  return b ?? currentBackend();
}

export function wrap(backend: Backend, s: Storage, shape: Shape): Tensor {
  if (s.size !== prod(shape)) throw new Error(`internal: storage of ${s.size} elements for shape ${fmt(shape)}`);
  return Tensor._fromStorage(backend, s, shape);
}

/** Whether an op on these inputs records a node (grad mode on, some input requires grad). */
export function needsGraph(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Records `out` as produced by an op with the given inputs, if any of them requires grad and
 * grad mode is on. `saved` tensors are kept alive (as aliases) for the backward rule, which gets
 * the output's gradient and returns one gradient (or null) per input.
 */
export function record(out: Tensor, name: string, inputs: readonly (Tensor | null | undefined)[], saved: readonly Tensor[], backward: BackwardFn): Tensor {
  if (!needsGraph(inputs)) return out;
  if (out.dtype !== 'float32' && out.dtype !== 'float64') return out;
  const edges = inputs.map((t) => (t ? edgeOf(t) : null));
  const node = new Node(name, edges, [], backward);
  node.retain();
  const aliases = saved.map((t) => (t === out ? null : t._alias()));
  out._node = node;
  node.setSaved(aliases.map((a) => a ?? out._alias(true)));
  return out;
}

/**
 * Marks t as a copy of part of another tensor where PyTorch returns a view (slices, flips, permutes,
 * expands): an in-place write to it could not reach that tensor, so src/ops/inplace.ts refuses it.
 */
export function markCopy(t: Tensor, op: string): Tensor {
  t._live(op).copyOf = op;
  return t;
}

export function assertFloat(op: string, t: Tensor): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') {
    throw new TypeError(`${op}: expected a floating-point tensor, got ${t.dtype}`);
  }
}

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}
