// Shape arithmetic shared by tensor creation, the ops and the backends: element counts, strides,
// PyTorch's broadcasting and dim normalisation, with errors that name the op.

export type Shape = readonly number[];

export function prod(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

/** The shape after reducing dims (kept as 1 with keepdim). */
export function reducedShape(shape: Shape, dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (dims.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(d);
  });
  return out;
}

export function checkInt(op: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new TypeError(`${op}: ${name} must be an integer${min > -Infinity ? ` ≥ ${min}` : ''}, got ${String(v)}`);
  }
  return v;
}
