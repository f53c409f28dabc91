// x[…] read and written, as PyTorch does it: x.index(…) (numbers and slices are strided copies, new
// axes are views, index tensors and masks gather by flat position with a scatter-add backward) and
// x.set(…, value) / x.indexPut_(indices, values) (index_put: the gradient flows to x where it was not
// overwritten and to the values that were written).

import { Tensor } from '../tensor/tensor.js';
import { fmt, prod, sameShape } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { embedView, reshape, stridedView } from './layout.js';
import { expand } from './broadcast.js';
import { select, slice, unsqueeze } from './shape.js';
import { indexAdd, indexSelect } from './indexing.js';
import { sub, where } from './elementwise.js';
import { asTensor, type TensorLike } from './record.js';
import { backendOf, record, wrap } from './util.js';
import { noGrad } from '../autograd/graph.js';
import { inPlace } from './inplace.js';
import { expandSpecs, planIndex, type IndexSpec } from './subscript-plan.js';

export { newaxis, type IndexSpec } from './subscript-plan.js';

const kindOf = (d: string): number => (d === 'bool' ? 0 : d === 'int32' ? 1 : 2);

function int32(x: Tensor, data: Int32Array | Uint8Array, dtype: 'int32' | 'bool'): Tensor {
  const be = backendOf('index', x);
  return wrap(be, be.fromArray(data, dtype), [data.length]);
}

/** Numbers, slices, new axes and '...' only: selects, strided copies and reshapes, as before. */
function basicIndex(x: Tensor, specs: readonly IndexSpec[]): Tensor {
  let cur = x;
  const temps: Tensor[] = [];
  let dim = 0;
  for (const n of expandSpecs('index', x.shape, specs)) {
    let next: Tensor;
    if (n.k === 'int') next = select(cur, dim, n.i);
    else if (n.k === 'new') next = unsqueeze(cur, dim++);
    else if (n.k === 'slice') {
      if (n.s === null && n.e === null && n.step === 1) {
        dim++;
        continue;
      }
      next = slice(cur, dim++, n.s, n.e, n.step);
    } else continue;
    if (cur !== x) temps.push(cur);
    cur = next;
  }
  for (const t of temps) t.dispose();
  return cur === x ? reshape(x, x.shape) : cur;
}

/**
 * x[spec, …] with PyTorch's meaning (see IndexSpec): x.index(null, [0, 10, 2]) is x[:, 0:10:2],
 * x.index(mask) is x[mask], x.index(nb.tensor([2, 0]), '...') is x[[2, 0], ...].
 */
export const index = defineOp('index', (x: Tensor, ...specs: IndexSpec[]): Tensor => {
  const plan = planIndex('index', x.shape, specs);
  if (!plan.advanced) return basicIndex(x, specs);
  const flat = reshape(x, [x.numel()]);
  const pos = int32(x, plan.positions(), 'int32');
  const picked = indexSelect(flat, 0, pos);
  const out = reshape(picked, plan.shape);
  for (const t of [flat, pos, picked]) t.dispose();
  return out;
});

/**
 * A copy of x with value written at x[specs] (value broadcasts to the indexed shape; with accumulate
 * it is added there instead, repeated indices adding up). Where an index repeats without accumulate,
 * the last write wins, as on PyTorch's CPU.
 */
function put(op: string, x: Tensor, specs: readonly IndexSpec[], value: TensorLike, accumulate: boolean): Tensor {
  const only = specs.length === 1 ? specs[0] : null;
  if (!accumulate && only instanceof Tensor && only.dtype === 'bool' && sameShape(only.shape, x.shape) &&
      (!(value instanceof Tensor) || (value.numel() === 1 && kindOf(value.dtype) <= kindOf(x.dtype)))) {
    // x[mask] = v with one value: where(mask, v, x) in one pass — the same numbers and gradients.
    const v = value instanceof Tensor ? (value.dtype === x.dtype ? value : value.to(x.dtype)) : value;
    const out = where(only, v, x);
    if (v !== value) (v as Tensor).dispose();
    return out;
  }
  const plan = planIndex(op, x.shape, specs);
  const v0 = value instanceof Tensor ? value : asTensor(value, x.dtype, backendOf(op, x));
  if (kindOf(v0.dtype) > kindOf(x.dtype)) throw new TypeError(`${op}: values of dtype ${v0.dtype} cannot be written into a ${x.dtype} tensor`);
  const v1 = v0.dtype === x.dtype ? v0 : v0.to(x.dtype);
  let ve: Tensor;
  try {
    ve = expand(v1, plan.shape);
  } catch {
    throw new Error(`${op}: shape mismatch: value tensor of shape ${fmt(v1.shape)} cannot be broadcast to indexing result of shape ${fmt(plan.shape)}`);
  }
  const n = x.numel(), m = prod(plan.shape);
  const temps: Tensor[] = [ve];
  const flat = reshape(x, [n]);
  const vf = reshape(ve, [m]);
  temps.push(flat, vf);
  let out: Tensor;
  if (!accumulate && plan.strided) {
    // Slices, numbers and new axes only: one strided write forward; backward, the same view of g.
    const { strides, offset } = plan.strided;
    const be = backendOf(op, x, vf);
    const forward = noGrad(() => {
      const r = wrap(be, be.copyStrided(flat._s(op), [n], [1], 0), [n]);
      if (m > 0) be.writeStrided(r._s(op), vf._s(op), plan.shape, strides, offset);
      return r;
    });
    out = record(forward, op, [flat, vf], [], (g, _s, needs) => {
      const part = stridedView(op, g, plan.shape, strides, offset);
      const res = [needs[0] ? sub(g, reshape(embedView(op, part, [n], plan.shape, strides, offset), [n])) : null, needs[1] ? reshape(part, [m]) : null];
      if (!needs[1]) part.dispose();
      return res;
    });
  } else if (accumulate) {
    const pos = int32(x, plan.positions(), 'int32');
    temps.push(pos);
    out = indexAdd(flat, 0, pos, vf);
  } else {
    // Each position is written once, with the last value given for it (PyTorch's CPU order); the
    // gradient, as PyTorch's index_put backward: x's where nothing was written, every value its
    // position's (an overwritten duplicate too).
    const positions = plan.positions();
    let hitPos = positions, src: Int32Array | null = null;
    if (!plan.unique) {
      const last = new Map<number, number>();
      for (let i = 0; i < m; i++) last.set(positions[i]!, i);
      if (last.size < m) {
        hitPos = Int32Array.from(last.keys());
        src = Int32Array.from(last.values());
      }
    }
    const hit = new Uint8Array(n);
    for (const p of hitPos) hit[p] = 1;
    const be = backendOf(op, x);
    const pos = int32(x, hitPos, 'int32'), mask = int32(x, hit, 'bool'), all = hitPos === positions ? pos : int32(x, positions, 'int32');
    const from = src && int32(x, src, 'int32');
    temps.push(pos, mask);
    if (all !== pos) temps.push(all);
    if (from) temps.push(from);
    const forward = noGrad(() => {
      const zeros = wrap(be, be.fill(x.dtype, n, 0), [n]);
      const vals = from ? indexSelect(vf, 0, from) : vf;
      const scattered = indexAdd(zeros, 0, pos, vals);
      const r = where(mask, scattered, flat);
      for (const t of [zeros, scattered]) t.dispose();
      if (vals !== vf) vals.dispose();
      return r;
    });
    out = record(forward, op, [flat, vf], [mask, all], (g, [mk, ps], needs) => [
      needs[0] ? where(mk!, 0, g) : null,
      needs[1] ? indexSelect(g, 0, ps!) : null,
    ]);
  }
  const res = reshape(out, x.shape);
  out.dispose();
  for (const t of temps) t.dispose();
  if (v1 !== v0) v1.dispose();
  if (v0 !== value) v0.dispose();
  return res;
}

function splitValue(op: string, args: readonly unknown[]): [IndexSpec[], TensorLike] {
  if (args.length === 0) throw new Error(`${op}: expects the index and then the value, as x.set(mask, 0) for x[mask] = 0`);
  const value = args[args.length - 1];
  if (!(value instanceof Tensor) && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TypeError(`${op}: the last argument is the value to write (a number or a tensor), got ${value === null ? 'null' : typeof value}`);
  }
  return [args.slice(0, -1) as IndexSpec[], value];
}

function indicesAsSpecs(op: string, x: Tensor, indices: readonly (Tensor | null)[]): IndexSpec[] {
  if (!Array.isArray(indices)) throw new TypeError(`${op}: indices must be an array of index tensors (null for a whole dim), got ${typeof indices}`);
  if (indices.length > x.ndim) throw new Error(`${op}: too many indices for a tensor of dimension ${x.ndim} (${indices.length} given)`);
  return indices.map((t, i) => {
    if (t !== null && !(t instanceof Tensor)) throw new TypeError(`${op}: index ${i} must be a tensor or null, got ${typeof t}`);
    return t;
  });
}

/** x[specs] = value, out of place: a new tensor (differentiable in x and value). */
export const indexPutAt = defineOp('indexPutAt', (x: Tensor, ...args: (IndexSpec | TensorLike)[]): Tensor => {
  const [specs, value] = splitValue('indexPutAt', args);
  return put('indexPutAt', x, specs, value, false);
});

/** torch.index_put: a copy of x with values at the index tensors (null: a whole dim); accumulate adds. */
export const indexPut = defineOp('indexPut', (x: Tensor, indices: readonly (Tensor | null)[], values: TensorLike, accumulate: boolean = false): Tensor => {
  return put('indexPut', x, indicesAsSpecs('indexPut', x, indices), values, accumulate);
});

/** x[specs] = value, in place (x.set(mask, 0) is x[mask] = 0; x.set(null, '0::2', v) is x[:, 0::2] = v). */
export function set_(x: Tensor, ...args: (IndexSpec | TensorLike)[]): Tensor {
  const [specs, value] = splitValue('set', args);
  return inPlace('set', x, (s) => put('set', s, specs, value, false), { others: [value] });
}

/** x.index_put_(indices, values, accumulate) in place. */
export function indexPut_(x: Tensor, indices: readonly (Tensor | null)[], values: TensorLike, accumulate = false): Tensor {
  const specs = indicesAsSpecs('indexPut_', x, indices);
  return inPlace('indexPut_', x, (s) => put('indexPut_', s, specs, values, accumulate), { others: [values] });
}
