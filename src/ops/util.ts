// Shared machinery of the op table: shape rules (broadcasting, dims), making result tensors,
// and recording a node in the autograd graph.

import type { Backend, Storage } from '../backend/backend.js';
import { getBackend } from '../backend/backend.js';
import { Node, edgeOf, isGradEnabled, type BackwardFn } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';

export type Shape = readonly number[];

export function prod(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** PyTorch's broadcasting: align right, dims equal or 1. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const nd = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = nd - s.length + i;
      const d = s[i]!;
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new Error(`${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast (dim ${o - nd}: ${out[o]} vs ${d})`);
      }
    }
  }
  return out;
}

/** Strides that read `shape` (contiguous) as if broadcast to `out` (0 along broadcast dims). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const cs = contiguousStrides(shape);
  const st = new Array<number>(out.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = out.length - shape.length + i;
    st[o] = shape[i] === 1 && out[o] !== 1 ? 0 : cs[i]!;
  }
  return st;
}

/** Normalises a possibly negative dim for a tensor of rank nd. */
export function normDim(op: string, dim: number, nd: number): number {
  if (!Number.isInteger(dim)) throw new TypeError(`${op}: dim must be an integer, got ${dim}`);
  const r = Math.max(nd, 1);
  if (dim < -r || dim >= r) {
    throw new RangeError(`${op}: dim ${dim} is out of range for a tensor of ${nd} dimension${nd === 1 ? '' : 's'} (expected ${-r} to ${r - 1})`);
  }
  return dim < 0 ? dim + r : dim;
}

/** Normalises dims (number, list, or undefined = all) to a sorted unique list. */
export function normDims(op: string, dim: number | readonly number[] | undefined | null, nd: number): number[] {
  if (dim === undefined || dim === null) return [...Array(nd).keys()];
  const list = typeof dim === 'number' ? [dim] : [...dim];
  if (list.length === 0) return [...Array(nd).keys()];
  const out = list.map((d) => (nd === 0 ? (normDim(op, d, 0), 0) : normDim(op, d, nd)));
  if (nd === 0) return [];
  const set = new Set(out);
  if (set.size !== out.length) throw new Error(`${op}: dim ${JSON.stringify(list)} repeats a dimension`);
  return [...set].sort((a, b) => a - b);
}

/** The backend shared by all inputs (tensors must live on one backend). */
export function backendOf(op: string, ...ts: (Tensor | null | undefined)[]): Backend {
  let b: Backend | null = null;
  for (const t of ts) {
    if (!t) continue;
    const tb = t._live(op).backend;
    if (b && tb !== b) throw new Error(`${op}: tensors are on different backends (${b.name} and ${tb.name}); move one with t.to(backend)`);
    b = tb;
  }
  return b ?? getBackend();
}

export function wrap(backend: Backend, s: Storage, shape: Shape): Tensor {
  if (s.size !== prod(shape)) throw new Error(`internal: storage of ${s.size} elements for shape ${fmt(shape)}`);
  return Tensor._fromStorage(backend, s, shape);
}

/**
 * Records `out` as produced by an op with the given inputs, if any of them requires grad and
 * grad mode is on. `saved` tensors are kept alive (as aliases) for the backward rule, which gets
 * the output's gradient and returns one gradient (or null) per input.
 */
export function record(out: Tensor, name: string, inputs: readonly (Tensor | null | undefined)[], saved: readonly Tensor[], backward: BackwardFn): Tensor {
  if (!isGradEnabled()) return out;
  let needs = false;
  for (const t of inputs) if (t && t.requiresGrad) needs = true;
  if (!needs) return out;
  if (out.dtype !== 'float32' && out.dtype !== 'float64') return out;
  const edges = inputs.map((t) => (t ? edgeOf(t) : null));
  const node = new Node(name, edges, [], backward);
  node.retain();
  const aliases = saved.map((t) => (t === out ? null : t._alias()));
  out._node = node;
  node.setSaved(aliases.map((a) => a ?? out._alias(true)));
  return out;
}

export function assertFloat(op: string, t: Tensor): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') {
    throw new TypeError(`${op}: expected a floating-point tensor, got ${t.dtype}`);
  }
}

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

export function checkInt(op: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new TypeError(`${op}: ${name} must be an integer${min > -Infinity ? ` ≥ ${min}` : ''}, got ${String(v)}`);
  }
  return v;
}
