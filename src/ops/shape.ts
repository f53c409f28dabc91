// Shape ops built on the layout primitives: flatten/squeeze/unsqueeze (views), transpose, slicing,
// indexing by numbers, ranges and int32 tensors, flip, cat/stack/split/chunk, pad, repeat, contiguous, clone.

import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, checkInt, contiguousStrides, fmt, normDim, prod, sameShape } from '../tensor/shape.js';
import { promoteTypes } from '../tensor/dtype.js';
import { defineOp } from './dispatch.js';
import { cast, reshape, permute, stridedView } from './layout.js';
import { expand } from './broadcast.js';
import { indexSelect } from './index-select.js';
import { backendOf, markCopy, record, wrap } from './util.js';
import { tensor } from '../tensor/create.js';

export { reshape, permute, expand };

export const flatten = defineOp('flatten', (x: Tensor, startDim: number = 0, endDim: number = -1): Tensor => {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim), e = normDim('flatten', endDim, x.ndim);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), prod(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
});

export const unflatten = defineOp('unflatten', (x: Tensor, dim: number, sizes: readonly number[]): Tensor => {
  const d = normDim('unflatten', dim, x.ndim);
  return reshape(x, [...x.shape.slice(0, d), ...sizes, ...x.shape.slice(d + 1)]);
});

export const squeeze = defineOp('squeeze', (x: Tensor, dim?: number | readonly number[]): Tensor => {
  let dims: number[];
  if (dim === undefined) dims = x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  else dims = (typeof dim === 'number' ? [dim] : [...dim]).map((d) => normDim('squeeze', d, x.ndim));
  return reshape(x, x.shape.filter((d, i) => !(dims.includes(i) && d === 1)));
});

export const unsqueeze = defineOp('unsqueeze', (x: Tensor, dim: number): Tensor => {
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
});

export const transpose = defineOp('transpose', (x: Tensor, dim0: number, dim1: number): Tensor => {
  if (x.ndim < 2 && x.ndim > 0) {
    normDim('transpose', dim0, x.ndim);
    normDim('transpose', dim1, x.ndim);
    return reshape(x, x.shape);
  }
  if (x.ndim === 0) return reshape(x, []);
  const a = normDim('transpose', dim0, x.ndim), b = normDim('transpose', dim1, x.ndim);
  const p = x.shape.map((_, i) => i);
  p[a] = b;
  p[b] = a;
  return permute(x, p);
});

/** Matrix transpose of a ≤ 2-D tensor (like torch.t). */
export const t = defineOp('t', (x: Tensor): Tensor => {
  if (x.ndim > 2) throw new Error(`t: expects a tensor with ≤ 2 dimensions, got ${x.ndim} (shape ${fmt(x.shape)}); use transpose(d0, d1)`);
  return x.ndim < 2 ? reshape(x, x.shape) : transpose(x, 0, 1);
});

export const broadcastTo = defineOp('broadcastTo', (x: Tensor, shape: readonly number[]): Tensor => {
  return expand(x, shape);
});

export const broadcastTensors = defineOp('broadcastTensors', (...ts: Tensor[]): Tensor[] => {
  const shape = broadcastShapes('broadcastTensors', ...ts.map((x) => x.shape));
  return ts.map((x) => expand(x, shape));
});

/** Elements start, start+step, … (< end) along dim; start/end may be negative, clamped like Python slices. */
export const slice = defineOp('slice', (x: Tensor, dim: number, start?: number | null, end?: number | null, step: number = 1): Tensor => {
  const d = normDim('slice', dim, x.ndim);
  checkInt('slice', 'step', step, 1);
  const n = x.shape[d]!;
  const clampIdx = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = start == null ? 0 : clampIdx(start);
  const e = end == null ? n : clampIdx(end);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const cs = contiguousStrides(x.shape);
  const shape = [...x.shape];
  shape[d] = len;
  const strides = [...cs];
  strides[d] = cs[d]! * step;
  return markCopy(stridedView('slice', x, shape, strides, len > 0 ? s * cs[d]! : 0), 'slice');
});

export const narrow = defineOp('narrow', (x: Tensor, dim: number, start: number, length: number): Tensor => {
  const d = normDim('narrow', dim, x.ndim);
  const n = x.shape[d]!;
  checkInt('narrow', 'length', length, 0);
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || s < 0 || s + length > n) {
    throw new RangeError(`narrow: start ${start} + length ${length} exceeds dim ${d} of size ${n} (shape ${fmt(x.shape)})`);
  }
  return slice(x, d, s, s + length);
});

/** x[i] along dim (removes the dim). */
export const select = defineOp('select', (x: Tensor, dim: number, index: number): Tensor => {
  const d = normDim('select', dim, x.ndim);
  const n = x.shape[d]!;
  if (!Number.isInteger(index) || index < -n || index >= n) throw new RangeError(`select: index ${index} is out of range for dim ${d} of size ${n}`);
  const i = index < 0 ? index + n : index;
  const s = slice(x, d, i, i + 1);
  const out = squeeze(s, d);
  s.dispose();
  return out;
});

export const flip = defineOp('flip', (x: Tensor, dims: readonly number[]): Tensor => {
  const ds = dims.map((d) => normDim('flip', d, x.ndim));
  const cs = contiguousStrides(x.shape);
  let offset = 0;
  const strides = cs.map((s, i) => {
    if (!ds.includes(i)) return s;
    if (x.shape[i]! > 0) offset += (x.shape[i]! - 1) * s;
    return -s;
  });
  if (x.numel() === 0) offset = 0;
  return markCopy(stridedView('flip', x, x.shape, strides, offset), 'flip');
});

/** Concatenates along dim; all other dims must match. Dtypes promote. */
export const cat = defineOp('cat', (ts: readonly Tensor[], dim: number = 0): Tensor => {
  if (!ts || ts.length === 0) throw new Error('cat: expects a non-empty list of tensors');
  // Like PyTorch, 1-D empty tensors are skipped (legacy behaviour).
  const parts = ts.filter((x) => !(x.ndim === 1 && x.shape[0] === 0));
  if (parts.length === 0) return reshape(ts[0]!, ts[0]!.shape);
  const ref = parts[0]!;
  if (ref.ndim === 0) throw new Error('cat: zero-dimensional tensors cannot be concatenated; use stack');
  const d = normDim('cat', dim, ref.ndim);
  const dtype = parts.map((x) => x.dtype).reduce(promoteTypes);
  parts.forEach((x, k) => {
    if (x.ndim !== ref.ndim || x.shape.some((s, i) => i !== d && s !== ref.shape[i])) {
      throw new Error(`cat: tensor ${k} has shape ${fmt(x.shape)}, which does not match ${fmt(ref.shape)} except in dim ${d}`);
    }
  });
  const cast_ = parts.map((x) => cast(x, dtype));
  const be = backendOf('cat', ...cast_);
  const shape = [...ref.shape];
  shape[d] = parts.reduce((a, x) => a + x.shape[d]!, 0);
  const dst = be.fill(dtype, prod(shape), 0);
  const cs = contiguousStrides(shape);
  let off = 0;
  const sizes: number[] = [];
  for (const x of cast_) {
    if (x.numel() > 0) be.writeStrided(dst, x._s('cat'), x.shape, cs, off * cs[d]!);
    sizes.push(x.shape[d]!);
    off += x.shape[d]!;
  }
  const out = wrap(be, dst, shape);
  record(out, 'cat', cast_, [], (g) => {
    let o = 0;
    return sizes.map((s) => {
      const r = narrow(g, d, o, s);
      o += s;
      return r;
    });
  });
  for (let i = 0; i < cast_.length; i++) if (cast_[i] !== parts[i]) cast_[i]!.dispose();
  return out;
});

export const stack = defineOp('stack', (ts: readonly Tensor[], dim: number = 0): Tensor => {
  if (!ts || ts.length === 0) throw new Error('stack: expects a non-empty list of tensors');
  const ref = ts[0]!;
  ts.forEach((x, k) => {
    if (!sameShape(x.shape, ref.shape)) throw new Error(`stack: tensor ${k} has shape ${fmt(x.shape)}, expected ${fmt(ref.shape)} like tensor 0`);
  });
  const d = normDim('stack', dim, ref.ndim + 1);
  const us = ts.map((x) => unsqueeze(x, d));
  const out = cat(us, d);
  for (const u of us) u.dispose();
  return out;
});

/** split(x, 3, dim): pieces of 3 (the last may be smaller); split(x, [2, 5], dim): exact sizes. */
export const split = defineOp('split', (x: Tensor, sizeOrSizes: number | readonly number[], dim: number = 0): Tensor[] => {
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d]!;
  let sizes: number[];
  if (typeof sizeOrSizes === 'number') {
    checkInt('split', 'splitSize', sizeOrSizes, 1);
    sizes = [];
    for (let o = 0; o < n; o += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, n - o));
    if (n === 0) sizes = [0];
  } else {
    sizes = [...sizeOrSizes];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) throw new Error(`split: sizes ${fmt(sizes)} sum to ${total}, but dim ${d} has size ${n}`);
  }
  let o = 0;
  return sizes.map((s) => {
    const r = narrow(x, d, o, s);
    o += s;
    return r;
  });
});

/** chunk(x, n, dim): n pieces of ceil(size/n) (fewer if the size is small), like PyTorch. */
export const chunk = defineOp('chunk', (x: Tensor, chunks: number, dim: number = 0): Tensor[] => {
  checkInt('chunk', 'chunks', chunks, 1);
  const d = normDim('chunk', dim, x.ndim);
  const size = Math.ceil(x.shape[d]! / chunks);
  return split(x, Math.max(size, 1), d);
});

export interface PadOptions {
  /** 'constant' (default) fills with value; 'reflect', 'replicate' and 'circular' as PyTorch's F.pad. */
  mode?: 'constant' | 'reflect' | 'replicate' | 'circular';
  value?: number;
}

/**
 * F.pad: pads[0..1] pad the last dim (before, after), pads[2..3] the one before, … Negative pads
 * crop (constant mode). The third argument is the fill value, or {mode, value}.
 */
export const pad = defineOp('pad', (x: Tensor, pads: readonly number[], value: number | PadOptions = 0): Tensor => {
  if (typeof value === 'object' && value !== null) {
    for (const k of Object.keys(value)) if (k !== 'mode' && k !== 'value') throw new TypeError(`pad: unknown option '${k}' (options: mode, value)`);
    const mode = value.mode ?? 'constant';
    if (mode !== 'constant') {
      if (value.value !== undefined) throw new TypeError(`pad: a fill value only goes with mode 'constant', not '${mode}'`);
      return padIndexed(x, pads, mode);
    }
    value = value.value ?? 0;
  }
  if (typeof value !== 'number') throw new TypeError(`pad: the fill value must be a number (or {mode, value}), got ${typeof value}`);
  return padConstant(x, pads, value);
});

/** reflect / replicate / circular padding: an index select per padded dim (its gradient adds back). */
function padIndexed(x: Tensor, pads: readonly number[], mode: string): Tensor {
  if (mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') {
    throw new TypeError(`pad: unknown mode '${mode}' (modes: constant, reflect, replicate, circular)`);
  }
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim) {
    throw new Error(`pad: needs an even number of pads, at most 2 per dimension (${x.ndim} dims), got ${fmt(pads)}`);
  }
  pads.forEach((p) => checkInt('pad', 'padding', p, 0));
  let cur = x;
  for (let k = 0; k < pads.length / 2; k++) {
    const d = x.ndim - 1 - k;
    const lo = pads[2 * k]!, hi = pads[2 * k + 1]!, n = x.shape[d]!;
    if (lo === 0 && hi === 0) continue;
    const most = mode === 'reflect' ? n - 1 : mode === 'circular' ? n : Infinity;
    if (n === 0 || lo > most || hi > most) {
      throw new RangeError(`pad: ${mode} padding of (${lo}, ${hi}) needs ${mode === 'replicate' ? 'a non-empty dim' : `pads ≤ ${mode === 'reflect' ? 'size − 1' : 'size'}`} in dim ${d} of ${fmt(x.shape)}`);
    }
    const src = new Int32Array(n + lo + hi);
    for (let i = 0; i < src.length; i++) {
      const j = i - lo;
      src[i] = mode === 'replicate' ? Math.min(Math.max(j, 0), n - 1)
        : mode === 'circular' ? ((j % n) + n) % n
        : j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j;
    }
    const idx = tensor(src);
    const next = indexSelect(cur, d, idx);
    idx.dispose();
    if (cur !== x) cur.dispose();
    cur = next;
  }
  return cur === x ? reshape(x, x.shape) : cur;
}

/** Constant padding: negative pads crop. */
function padConstant(x: Tensor, pads: readonly number[], value: number): Tensor {
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim) {
    throw new Error(`pad: needs an even number of pads, at most 2 per dimension (${x.ndim} dims), got ${fmt(pads)}`);
  }
  pads.forEach((p) => checkInt('pad', 'padding', p));
  let cur = x;
  const temps: Tensor[] = [];
  // Crop first (negative pads), then pad what remains.
  const pos = [...pads];
  for (let k = 0; k < pads.length / 2; k++) {
    const d = x.ndim - 1 - k;
    const lo = pads[2 * k]!, hi = pads[2 * k + 1]!;
    if (lo < 0 || hi < 0) {
      const n = cur.shape[d]!;
      const s = lo < 0 ? -lo : 0, e = hi < 0 ? n + hi : n;
      if (e < s) throw new Error(`pad: cropping ${fmt(pads)} leaves a negative size in dim ${d} of ${fmt(x.shape)}`);
      const next = narrow(cur, d, s, e - s);
      if (cur !== x) temps.push(cur);
      cur = next;
      pos[2 * k] = Math.max(lo, 0);
      pos[2 * k + 1] = Math.max(hi, 0);
    }
  }
  const shape = [...cur.shape];
  let offset = 0;
  const outShape = [...shape];
  for (let k = 0; k < pos.length / 2; k++) outShape[x.ndim - 1 - k]! += pos[2 * k]! + pos[2 * k + 1]!;
  const cs = contiguousStrides(outShape);
  for (let k = 0; k < pos.length / 2; k++) offset += pos[2 * k]! * cs[x.ndim - 1 - k]!;
  const be = backendOf('pad', cur);
  const dst = be.fill(cur.dtype, prod(outShape), value);
  if (cur.numel() > 0) be.writeStrided(dst, cur._s('pad'), shape, cs, offset);
  const out = wrap(be, dst, outShape);
  record(out, 'pad', [cur], [], (g) => [stridedView('padBackward', g, shape, cs, offset)]);
  for (const t of temps) t.dispose();
  if (cur !== x) cur.dispose();
  return out;
}

/** Tiles x: repeat([2, 3]) doubles dim -2 and triples dim -1 (extra leading reps add dims). */
export const repeat = defineOp('repeat', (x: Tensor, reps: readonly number[]): Tensor => {
  if (reps.length < x.ndim) throw new Error(`repeat: ${reps.length} repeats for a tensor of ${x.ndim} dims; need at least as many`);
  reps.forEach((r) => checkInt('repeat', 'repeat count', r, 0));
  const lead = reps.length - x.ndim;
  const shape = [...Array(lead).fill(1), ...x.shape];
  // [a, b] → [1, a, 1, b] → expand [r0, a, r1, b] → reshape [r0·a, r1·b]
  const inter: number[] = [], exp: number[] = [];
  shape.forEach((s, i) => {
    inter.push(1, s);
    exp.push(reps[i]!, s);
  });
  const r1 = reshape(x, inter);
  const r2 = expand(r1, exp);
  const out = reshape(r2, shape.map((s, i) => s * reps[i]!));
  r1.dispose();
  r2.dispose();
  return out;
});

/** Tensors here are always contiguous: returns a handle sharing x's storage. */
export const contiguous = defineOp('contiguous', (x: Tensor): Tensor => {
  return reshape(x, x.shape);
});

export const clone = defineOp('clone', (x: Tensor): Tensor => {
  const cs = contiguousStrides(x.shape);
  return stridedView('clone', x, x.shape, cs, 0);
});
