// Sparse gradients of embedding tables (nn.Embedding({sparse: true})): a step's lookups read only the
// rows they touch into a small leaf, so backward makes a [rows touched, dim] gradient instead of a
// dense [numEmbeddings, dim] one; optim.SparseAdam updates just those rows.

import type { Tensor } from '../tensor/tensor.js';
import { cat } from '../ops/shape.js';
import { indexAdd } from '../ops/indexing.js';
import { zeros, tensor } from '../tensor/create.js';

interface Lookup { indices: Int32Array; rows: Tensor }
const pending = new WeakMap<Tensor, Lookup[]>();

/** Records that `rows` (a leaf holding weight[indices]) stands in for `weight` in this step's graph. */
export function addSparseLookup(weight: Tensor, indices: Int32Array, rows: Tensor): void {
  let list = pending.get(weight);
  if (!list) pending.set(weight, (list = []));
  list.push({ indices, rows });
}

/** Whether backward has left a sparse gradient for `weight` since the last zeroGrad or step. */
export function hasSparseGrad(weight: Tensor): boolean {
  return (pending.get(weight) ?? []).some((l) => !l.rows.isDisposed && l.rows.grad !== null);
}

/**
 * The sparse gradient of `weight` — distinct sorted row indices and their summed gradient rows
 * [k, dim] — or null when there is none; the lookups are cleared.
 */
export function takeSparseGrad(weight: Tensor): { indices: Int32Array; values: Tensor } | null {
  const list = (pending.get(weight) ?? []).filter((l) => !l.rows.isDisposed && l.rows.grad !== null);
  pending.delete(weight);
  if (list.length === 0) return null;
  if (list.length === 1) return { indices: list[0]!.indices, values: list[0]!.rows.grad! };
  // Several lookups in one step (e.g. two forwards): coalesce their rows.
  const all = new Set<number>();
  for (const l of list) for (const i of l.indices) all.add(i);
  const indices = Int32Array.from([...all].sort((a, b) => a - b));
  const pos = new Map<number, number>();
  indices.forEach((v, k) => pos.set(v, k));
  const at = tensor(Int32Array.from(list.flatMap((l) => Array.from(l.indices, (i) => pos.get(i)!))));
  const g = cat(list.map((l) => l.rows.grad!), 0);
  const z = zeros([indices.length, weight.shape[1]!], { dtype: weight.dtype });
  const values = indexAdd(z, 0, at, g);
  for (const t of [at, g, z]) t.dispose();
  return { indices, values };
}

/** Forgets the recorded lookups (zeroGrad). */
export function clearSparseGrad(weight: Tensor): void {
  pending.delete(weight);
}
