// What x[spec, …] selects, worked out in plain numbers: the specs as PyTorch reads them (numbers,
// slices, masks, index tensors, new axes, an ellipsis), the result's shape and, for advanced
// indexing, the flat position in x of every element of the result.

import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, contiguousStrides, fmt, prod } from '../tensor/shape.js';

/** The spelling of a new axis (PyTorch's None): x.index(newaxis, null) is x[None, :]. */
export const newaxis = 'None' as const;

/**
 * One entry of x.index(…) / x.set(…, value), for one dim of x (PyTorch's x[…] in brackets):
 * a number selects (the dim goes), null or ':' keeps the dim whole, [start, end, step] or a string
 * 'start:end:step' slices, an int32 tensor picks indices (advanced indexing; a list is written as
 * nb.tensor([0, 2])), a bool tensor is a mask over as many dims as it has, newaxis ('None') adds a
 * dim of size 1 and '...' stands for as many whole dims as needed.
 */
export type IndexSpec = number | null | string | readonly [number | null, (number | null)?, number?] | Tensor;

type Axis = { size: number; stride: number; adv?: undefined } | { adv: number; stride: number; size: number };
interface Adv { data: Int32Array; shape: number[]; fromMask: boolean }

/** A plan: the result's shape, and how each result element maps to x (basic dims and advanced indices). */
export interface Plan {
  shape: number[];
  /** whether any index tensor (or mask) takes part; without one the result is a plain slice */
  advanced: boolean;
  /** flat positions in x of the result's elements */
  positions(): Int32Array;
  /** whether no position can repeat (no int index tensors: slices and masks never repeat one) */
  unique: boolean;
  /** for a plan without index tensors: the result as a strided view of x (strides and offset in elements) */
  strided?: { strides: number[]; offset: number };
}

export type Norm = { k: 'int'; i: number } | { k: 'slice'; s: number | null; e: number | null; step: number } | { k: 'new' } | { k: 'ellipsis' } | { k: 'tensor'; t: Tensor };

function parseSlice(s: string, at: number): Norm {
  const parts = s.split(':');
  const num = (p: string | undefined): number | null => {
    if (p === undefined || p.trim() === '') return null;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new TypeError(`index: index ${at} '${s}' is not a slice like '1:5:2', ':' or '...'`);
    return v;
  };
  if (parts.length > 3 || parts.length < 2) throw new TypeError(`index: index ${at} '${s}' is not a slice like '1:5:2', ':' or '...'`);
  const step = num(parts[2]) ?? 1;
  if (step < 1) throw new RangeError(`index: slice step must be ≥ 1, got ${step} (index ${at} '${s}')`);
  return { k: 'slice', s: num(parts[0]), e: num(parts[1]), step };
}

function normalize(specs: readonly IndexSpec[]): Norm[] {
  return specs.map((sp, at): Norm => {
    if (sp === null) return { k: 'slice', s: null, e: null, step: 1 };
    if (typeof sp === 'number') {
      if (!Number.isInteger(sp)) throw new TypeError(`index: index ${at} must be an integer, got ${sp}`);
      return { k: 'int', i: sp };
    }
    if (typeof sp === 'string') {
      if (sp === 'None' || sp === 'newaxis') return { k: 'new' };
      if (sp === '...') return { k: 'ellipsis' };
      return parseSlice(sp, at);
    }
    if (sp instanceof Tensor) {
      if (sp.dtype !== 'int32' && sp.dtype !== 'bool') throw new TypeError(`index: a tensor index must hold int32 indices, got ${sp.dtype} (index ${at}); a bool tensor indexes as a mask`);
      return { k: 'tensor', t: sp };
    }
    if (Array.isArray(sp) && sp.length >= 1 && sp.length <= 3 && sp.every((v: unknown) => v === null || v === undefined || Number.isInteger(v))) {
      const step = sp[2] ?? 1;
      if (step < 1) throw new RangeError(`index: slice step must be ≥ 1, got ${step} (index ${at})`);
      return { k: 'slice', s: sp[0] ?? null, e: sp[1] ?? null, step };
    }
    throw new TypeError(`index: index ${at} must be a number, null, a [start, end, step] slice, a 'start:end:step' string, '...', newaxis or an int32/bool tensor, got ${Array.isArray(sp) ? JSON.stringify(sp) : typeof sp}`);
  });
}

/** The specs read as PyTorch reads them, with an ellipsis replaced by the whole dims it stands for. */
export function expandSpecs(op: string, shape: readonly number[], specs: readonly IndexSpec[]): Norm[] {
  let norm = normalize(specs);
  const uses = (n: Norm): number => (n.k === 'int' || n.k === 'slice' ? 1 : n.k === 'tensor' ? (n.t.dtype === 'bool' ? n.t.ndim : 1) : 0);
  const ell = norm.filter((n) => n.k === 'ellipsis').length;
  if (ell > 1) throw new Error(`${op}: an index can only have a single ellipsis ('...')`);
  const used = norm.reduce((a, n) => a + uses(n), 0);
  if (used > shape.length) throw new Error(`${op}: too many indices for a tensor of dimension ${shape.length} (${used} given, shape ${fmt(shape)})`);
  if (ell) {
    const at = norm.findIndex((n) => n.k === 'ellipsis');
    const fill: Norm[] = Array.from({ length: shape.length - used }, () => ({ k: 'slice', s: null, e: null, step: 1 }) as Norm);
    norm = [...norm.slice(0, at), ...fill, ...norm.slice(at + 1)];
  }
  return norm;
}

/** The plan of x[specs] for a tensor of this shape. */
export function planIndex(op: string, shape: readonly number[], specs: readonly IndexSpec[]): Plan {
  const norm = expandSpecs(op, shape, specs);
  const cs = contiguousStrides(shape);
  const axes: Axis[] = [];
  const advs: Adv[] = [];
  let offset = 0, d = 0;
  for (const n of norm) {
    if (n.k === 'new') {
      axes.push({ size: 1, stride: 0 });
    } else if (n.k === 'int') {
      const size = shape[d]!;
      if (n.i < -size || n.i >= size) throw new RangeError(`${op}: index ${n.i} is out of bounds for dimension ${d} with size ${size}`);
      offset += (n.i < 0 ? n.i + size : n.i) * cs[d]!;
      d++;
    } else if (n.k === 'slice') {
      const size = shape[d]!;
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
      const s = n.s === null ? 0 : clamp(n.s), e = n.e === null ? size : clamp(n.e);
      const len = Math.max(0, Math.ceil((e - s) / n.step));
      if (len > 0) offset += s * cs[d]!;
      axes.push({ size: len, stride: cs[d]! * n.step });
      d++;
    } else if (n.k === 'tensor' && n.t.dtype === 'int32') {
      const size = shape[d]!;
      const data = Int32Array.from(n.t.dataSync() as Int32Array);
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (v < -size || v >= size) throw new RangeError(`${op}: index ${v} is out of bounds for dimension ${d} with size ${size}`);
        if (v < 0) data[i] = v + size;
      }
      axes.push({ adv: advs.length, stride: cs[d]!, size });
      advs.push({ data, shape: [...n.t.shape], fromMask: false });
      d++;
    } else if (n.k === 'tensor') {
      // A mask over k dims is k index tensors: the coordinates of its true elements, in order.
      const m = n.t, k = m.ndim, mshape = m.shape;
      if (k === 0) throw new Error(`${op}: a 0-d bool index (x[True]) is not supported; use unsqueeze(0) or where()`);
      for (let j = 0; j < k; j++) {
        if (mshape[j] !== shape[d + j]) {
          throw new Error(`${op}: the shape of the mask ${fmt(m.shape)} at index ${j} does not match the shape of the indexed tensor ${fmt(shape)} at index ${d + j}`);
        }
      }
      const bits = m.dataSync();
      const hits: number[] = [];
      for (let i = 0; i < bits.length; i++) if (bits[i]) hits.push(i);
      const ms = contiguousStrides(mshape);
      for (let j = 0; j < k; j++) {
        const data = Int32Array.from(hits, (h) => Math.floor(h / ms[j]!) % mshape[j]!);
        axes.push({ adv: advs.length, stride: cs[d + j]!, size: shape[d + j]! });
        advs.push({ data, shape: [hits.length], fromMask: true });
      }
      d += k;
    }
  }
  for (; d < shape.length; d++) axes.push({ size: shape[d]!, stride: cs[d]! });
  if (advs.length === 0) return {
    shape: axes.map((a) => a.size), advanced: false, unique: true, positions: () => basicPositions(axes, offset),
    strided: { strides: axes.map((a) => a.stride), offset },
  };
  return advancedPlan(op, axes, advs, offset);
}

function basicPositions(axes: readonly { size: number; stride: number }[], offset: number): Int32Array {
  const out = new Int32Array(prod(axes.map((a) => a.size)));
  if (out.length === 0) return out;
  if (axes.length === 0) {
    out[0] = offset;
    return out;
  }
  // An odometer over the outer axes, a plain loop over the innermost.
  const nd = axes.length, last = axes[nd - 1]!;
  const idx = new Array<number>(nd - 1).fill(0);
  let base = offset, k = 0;
  for (;;) {
    for (let j = 0, p = base; j < last.size; j++, p += last.stride) out[k++] = p;
    let d = nd - 2;
    for (; d >= 0; d--) {
      const a = axes[d]!;
      base += a.stride;
      if (++idx[d]! < a.size) break;
      base -= a.stride * a.size;
      idx[d] = 0;
    }
    if (d < 0) return out;
  }
}

function advancedPlan(op: string, axes: Axis[], advs: Adv[], offset: number): Plan {
  let B: number[];
  try {
    B = broadcastShapes(op, ...advs.map((a) => a.shape));
  } catch {
    throw new Error(`${op}: shape mismatch: indexing tensors could not be broadcast together with shapes ${advs.map((a) => fmt(a.shape)).join(', ')}`);
  }
  const where = axes.map((a, i) => (a.adv !== undefined ? i : -1)).filter((i) => i >= 0);
  // PyTorch's rule: index tensors next to each other put their dims where they stand, else first.
  const adjacent = where[where.length - 1]! - where[0]! === where.length - 1;
  const basic = axes.filter((a) => a.adv === undefined);
  const at = adjacent ? where[0]! : 0;
  const shape = [...basic.slice(0, at).map((a) => a.size), ...B, ...basic.slice(at).map((a) => a.size)];
  const positions = (): Int32Array => {
    // The advanced part's offset for each element of the broadcast shape B.
    const nb = prod(B);
    const table = new Int32Array(nb);
    const bs = contiguousStrides(B);
    for (const [k, a] of advs.entries()) {
      const stride = axes[where[k]!]!.stride;
      const st = a.shape.map((s, i) => (s === 1 ? 0 : contiguousStrides(a.shape)[i]!));
      const lead = B.length - a.shape.length;
      for (let b = 0; b < nb; b++) {
        let src = 0;
        for (let i = 0; i < a.shape.length; i++) src += (Math.floor(b / bs[i + lead]!) % B[i + lead]!) * st[i]!;
        table[b] += a.data[src]! * stride;
      }
    }
    const before = basicPositions(basic.slice(0, at), 0), after = basicPositions(basic.slice(at), 0);
    const out = new Int32Array(before.length * nb * after.length);
    let k = 0;
    for (const p of before) for (const t of table) for (const q of after) out[k++] = offset + p + t + q;
    return out;
  };
  return { shape, advanced: true, unique: advs.every((a) => a.fromMask), positions };
}
