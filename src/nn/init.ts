// nn.init: PyTorch's weight initialisers (fan computation, gains, Xavier/Kaiming/orthogonal…),
// filling a tensor in place from Nabla's seeded generator; each returns the tensor it filled.

import type { Tensor } from '../tensor/tensor.js';
import { full, rand, randn, tensor } from '../tensor/create.js';
import { noGrad } from '../autograd/graph.js';
import { add, mul } from '../ops/index.js';
import { fmt, prod } from '../tensor/shape.js';
import { checkOptions } from '../options.js';

export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu'
  | 'convTranspose1d' | 'convTranspose2d' | 'convTranspose3d' | 'leakyRelu';

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): 1 for linear/conv/sigmoid,
 * 5/3 for tanh, √2 for relu, √(2/(1+slope²)) for leaky_relu (slope defaults to 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d':
    case 'convTranspose1d': case 'convTranspose2d': case 'convTranspose3d':
      return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new TypeError(`calculateGain: negative slope ${String(param)} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default: throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * fanIn = size(1)·receptive field, fanOut = size(0)·receptive field, where the receptive field is
 * the product of the dims after the first two (PyTorch's _calculate_fan_in_and_fan_out).
 */
export function calculateFanInAndFanOut(t: Tensor, op = 'init'): [number, number] {
  if (t.ndim < 2) throw new Error(`${op}: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (got shape ${fmt(t.shape)})`);
  const receptive = prod(t.shape.slice(2));
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function floatOnly(op: string, t: Tensor): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TypeError(`${op}: needs a floating-point tensor, got ${t.dtype}`);
}

/** Points t at `fresh` (same shape and dtype) without recording a graph, then frees fresh. */
function fill(t: Tensor, fresh: Tensor): Tensor {
  t._assign(fresh);
  fresh.dispose();
  return t;
}

/**
 * PyTorch's keyword arguments: a trailing options object ({std: 0.02}) or the positional values.
 * Returns the values in `names` order, undefined where not given.
 */
function args(op: string, names: readonly string[], given: unknown[]): (number | undefined)[] {
  if (given[0] !== null && typeof given[0] === 'object') {
    if (given.slice(1).some((v) => v !== undefined)) throw new TypeError(`${op}: give the options either as an object or as numbers, not both`);
    const o = given[0] as Record<string, unknown>;
    checkOptions(op, o, names);
    return names.map((n) => num(op, n, o[n]));
  }
  return names.map((n, i) => num(op, n, given[i]));
}

function num(op: string, name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: ${name} must be a number, got ${String(v)}`);
  return v;
}

/** Fills t with U(a, b): uniform_(t, a, b) or uniform_(t, {a, b}). */
export function uniform_(t: Tensor, a?: number | { a?: number; b?: number }, b?: number): Tensor {
  const [lo = 0, hi = 1] = args('uniform_', ['a', 'b'], [a, b]);
  floatOnly('uniform_', t);
  if (!(hi >= lo)) throw new RangeError(`uniform_: need a ≤ b, got a=${lo}, b=${hi}`);
  return noGrad(() => {
    const u = rand([...t.shape], { dtype: t.dtype });
    const s = mul(u, hi - lo);
    u.dispose();
    const out = add(s, lo);
    s.dispose();
    return fill(t, out);
  });
}

/** Fills t with N(mean, std²): normal_(t, mean, std) or normal_(t, {mean, std}). */
export function normal_(t: Tensor, mean?: number | { mean?: number; std?: number }, std?: number): Tensor {
  const [mu = 0, sigma = 1] = args('normal_', ['mean', 'std'], [mean, std]);
  floatOnly('normal_', t);
  if (!(sigma >= 0)) throw new RangeError(`normal_: std must be ≥ 0, got ${sigma}`);
  return noGrad(() => {
    const z = randn([...t.shape], { dtype: t.dtype });
    const s = mul(z, sigma);
    z.dispose();
    const out = add(s, mu);
    s.dispose();
    return fill(t, out);
  });
}

/** Fills t with the value val. */
export function constant_(t: Tensor, val: number): Tensor {
  return noGrad(() => fill(t, full([...t.shape], val, { dtype: t.dtype })));
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** U(−a, a) with a = gain·√(6 / (fanIn + fanOut)) (Glorot & Bengio, 2010). */
export function xavierUniform_(t: Tensor, gainOrOpts?: number | { gain?: number }): Tensor {
  const [gain = 1] = args('xavierUniform_', ['gain'], [gainOrOpts]);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, 'xavierUniform_');
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform_(t, -a, a);
}

/** N(0, std²) with std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gainOrOpts?: number | { gain?: number }): Tensor {
  const [gain = 1] = args('xavierNormal_', ['gain'], [gainOrOpts]);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, 'xavierNormal_');
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

export interface KaimingOptions {
  /** the negative slope of the rectifier after this layer (leaky_relu only; default 0) */
  a?: number;
  /** 'fanIn' (default) keeps the forward pass's variance, 'fanOut' the backward pass's */
  mode?: 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';
  /** default 'leaky_relu', as in PyTorch */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, t: Tensor, o: KaimingOptions): number {
  checkOptions(op, o, ['a', 'mode', 'nonlinearity']);
  const mode = o.mode ?? 'fanIn';
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, op);
  let fan: number;
  if (mode === 'fanIn' || mode === 'fan_in') fan = fanIn;
  else if (mode === 'fanOut' || mode === 'fan_out') fan = fanOut;
  else throw new Error(`${op}: mode must be 'fanIn' or 'fanOut', got '${String(mode)}'`);
  if (fan === 0) throw new Error(`${op}: cannot initialise a tensor with a zero-size fan (shape ${fmt(t.shape)})`);
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

/** U(−bound, bound) with bound = gain·√(3 / fan) (He et al., 2015). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  // PyTorch: initialising a zero-element tensor is a no-op.
  if (t.numel() === 0) return t;
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, opts);
  return uniform_(t, -bound, bound);
}

/** N(0, std²) with std = gain / √fan. */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  if (t.numel() === 0) return t;
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, opts));
}

/**
 * A (semi-)orthogonal matrix times gain (Saxe et al., 2013), as PyTorch does it: a normal matrix
 * [rows, numel/rows] (transposed when wider than tall), Q of its QR with the signs of R's diagonal
 * folded in. QR here is modified Gram-Schmidt in float64, which gives the same Q as Householder.
 */
export function orthogonal_(t: Tensor, gainOrOpts?: number | { gain?: number }): Tensor {
  const [gain = 1] = args('orthogonal_', ['gain'], [gainOrOpts]);
  floatOnly('orthogonal_', t);
  if (t.ndim < 2) throw new Error(`orthogonal_: only tensors with 2 or more dimensions are supported, got shape ${fmt(t.shape)}`);
  const rows = t.shape[0]!;
  const cols = t.numel() / rows;
  if (t.numel() === 0) return t;
  return noGrad(() => {
    const z = randn([rows, cols], { dtype: 'float64' });
    const flat = z.dataSync() as Float64Array;
    z.dispose();
    // A is m×n with m ≥ n, stored column-major as n columns of length m.
    const tall = rows >= cols;
    const m = tall ? rows : cols, n = tall ? cols : rows;
    const colsA: Float64Array[] = [];
    for (let j = 0; j < n; j++) {
      const c = new Float64Array(m);
      for (let i = 0; i < m; i++) c[i] = tall ? flat[i * cols + j]! : flat[j * cols + i]!;
      colsA.push(c);
    }
    for (let j = 0; j < n; j++) {
      const v = colsA[j]!;
      // Twice-applied projection keeps float64 orthogonality for ill-conditioned draws.
      for (let pass = 0; pass < 2; pass++) {
        for (let k = 0; k < j; k++) {
          const q = colsA[k]!;
          let d = 0;
          for (let i = 0; i < m; i++) d += q[i]! * v[i]!;
          for (let i = 0; i < m; i++) v[i] = v[i]! - d * q[i]!;
        }
      }
      let nrm = 0;
      for (let i = 0; i < m; i++) nrm += v[i]! * v[i]!;
      nrm = Math.sqrt(nrm);
      // Gram-Schmidt's R has a positive diagonal, so Q·sign(diag R) = Q.
      for (let i = 0; i < m; i++) v[i] = nrm > 0 ? v[i]! / nrm : 0;
    }
    const out = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? colsA[c]![r]! : colsA[r]![c]!);
    }
    return fill(t, tensor(out, { dtype: t.dtype, shape: [...t.shape] }));
  });
}

/** The identity matrix in a 2-D tensor (torch.nn.init.eye_). */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new Error(`eye_: only 2-D tensors are supported, got shape ${fmt(t.shape)}`);
  const [r, c] = t.shape as [number, number];
  const out = new Float64Array(r * c);
  for (let i = 0; i < Math.min(r, c); i++) out[i * c + i] = 1;
  return noGrad(() => fill(t, tensor(out, { dtype: t.dtype, shape: [r, c] })));
}

export interface TruncNormalOptions { mean?: number; std?: number; a?: number; b?: number }

/**
 * N(mean, std²) truncated to [a, b] (PyTorch's trunc_normal_, default a = −2, b = 2 — absolute
 * bounds, not in stds): draws outside [a, b] are redrawn, which is the distribution PyTorch
 * documents. Where [a, b] lies so far in a tail that almost nothing is accepted, this is an error
 * (PyTorch warns and returns values that do not follow the distribution).
 */
export function truncNormal_(t: Tensor, mean?: number | TruncNormalOptions, std?: number, a?: number, b?: number): Tensor {
  const op = 'truncNormal_';
  const [mu = 0, sigma = 1, lo = -2, hi = 2] = args(op, ['mean', 'std', 'a', 'b'], [mean, std, a, b]);
  floatOnly(op, t);
  if (!(sigma >= 0)) throw new RangeError(`${op}: std must be ≥ 0, got ${sigma}`);
  if (!(lo < hi)) throw new RangeError(`${op}: need a < b, got a=${lo}, b=${hi}`);
  const n = t.numel();
  const out = new Float64Array(n);
  if (sigma === 0) {
    if (!(mu >= lo && mu <= hi)) throw new RangeError(`${op}: with std 0 every value is the mean ${mu}, which is outside [${lo}, ${hi}]`);
    out.fill(mu);
  } else {
    let filled = 0, drawn = 0;
    while (filled < n) {
      const want = Math.max(64, Math.ceil((n - filled) * 1.25));
      const z = noGrad(() => randn([want], { dtype: 'float64' }));
      const zs = z.dataSync() as Float64Array;
      z.dispose();
      for (let i = 0; i < want && filled < n; i++) {
        const v = mu + sigma * zs[i]!;
        if (v >= lo && v <= hi) out[filled++] = v;
      }
      drawn += want;
      if (drawn > 64 * n + 100_000 && filled < n / 2) {
        throw new RangeError(`${op}: [${lo}, ${hi}] is too far in the tail of N(${mu}, ${sigma}²): fewer than 1 in ${Math.floor(drawn / Math.max(filled, 1))} draws fall in it`);
      }
    }
  }
  return noGrad(() => fill(t, tensor(out, { dtype: t.dtype, shape: [...t.shape] })));
}

/**
 * The identity of a convolution: a [out, in, k…] weight (3-, 4- or 5-d) that passes input
 * channel d to output channel d (per group) through the kernel's centre; zeros elsewhere.
 */
export function dirac_(t: Tensor, groups: number | { groups?: number } = 1): Tensor {
  const op = 'dirac_';
  const [g = 1] = args(op, ['groups'], [groups]);
  if (t.ndim < 3 || t.ndim > 5) throw new Error(`${op}: only tensors with 3, 4 or 5 dimensions (convolution weights) are supported, got shape ${fmt(t.shape)}`);
  if (!Number.isInteger(g) || g <= 0) throw new RangeError(`${op}: groups must be a positive integer, got ${g}`);
  const [outCh, inCh, ...k] = t.shape as number[];
  if (outCh! % g !== 0) throw new Error(`${op}: dim 0 (${outCh}) must be divisible by groups (${g})`);
  const perGroup = outCh! / g;
  const strides = [inCh! * prod(k), prod(k), ...k.map((_, i) => prod(k.slice(i + 1)))];
  const centre = k.reduce((acc, size, i) => acc + Math.floor(size / 2) * strides[i + 2]!, 0);
  const out = new Float64Array(t.numel());
  for (let gi = 0; gi < g; gi++) {
    for (let d = 0; d < Math.min(perGroup, inCh!); d++) out[(gi * perGroup + d) * strides[0]! + d * strides[1]! + centre] = 1;
  }
  return noGrad(() => fill(t, tensor(out, { dtype: t.dtype, shape: [...t.shape] })));
}

/**
 * A sparse 2-d matrix (Martens, 2010): N(0, std²) with ⌈sparsity·rows⌉ entries of each column,
 * chosen at random, set to zero.
 */
export function sparse_(t: Tensor, sparsity: number, std: number | { std?: number } = 0.01): Tensor {
  const op = 'sparse_';
  const [sigma = 0.01] = args(op, ['std'], [std]);
  if (t.ndim !== 2) throw new Error(`${op}: only 2-d tensors are supported, got shape ${fmt(t.shape)}`);
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity <= 1)) throw new RangeError(`${op}: sparsity must be a fraction in [0, 1], got ${String(sparsity)}`);
  const [rows, cols] = t.shape as [number, number];
  const numZeros = Math.ceil(sparsity * rows);
  normal_(t, 0, sigma);
  const w = Float64Array.from(t.dataSync() as ArrayLike<number>);
  // a random permutation of the rows per column: the order of uniform keys
  const keys = noGrad(() => rand([cols, rows], { dtype: 'float64' }));
  const ks = keys.dataSync() as Float64Array;
  keys.dispose();
  const idx = Array.from({ length: rows }, (_, i) => i);
  for (let c = 0; c < cols; c++) {
    idx.sort((x, y) => ks[c * rows + x]! - ks[c * rows + y]!);
    for (let z = 0; z < numZeros; z++) w[idx[z]! * cols + c] = 0;
  }
  return noGrad(() => fill(t, tensor(w, { dtype: t.dtype, shape: [rows, cols] })));
}
