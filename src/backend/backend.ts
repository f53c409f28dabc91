// The Backend interface: the ~30 primitives every backend implements, and the registry.
// Everything a kernel sees is resolved here: contiguous storages, sizes, broadcast strides.

import type { DType, TypedArray } from '../tensor/dtype.js';
import type { RngState } from '../tensor/random.js';

/** A backend's opaque handle to a contiguous run of elements of one dtype. */
export interface Storage {
  readonly backend: string;
  readonly dtype: DType;
  readonly size: number;
}

/**
 * An element-wise op as a backend sees it: the kernel half of its record in src/ops/elementwise.ts.
 * The formulas are src/ops/scalar.ts's functions, which the js backend calls and the wasm kernels
 * are generated from (scripts/gen-kernels.ts), so the two cannot disagree.
 */
export interface ElementwiseKernel {
  /** the op's name (the wasm kernels are unary_<name>_<dtype> / binary_<name>_<dtype>) */
  readonly name: string;
  readonly arity: 1 | 2;
  /** the float formula: float64 runs it, float32 runs it in float64 and rounds the result */
  readonly f: (...x: number[]) => number;
  /** int32: 'exact' runs f (exact on int32 values), a function is the int32 formula itself; absent: none */
  readonly int?: 'exact' | ((...x: number[]) => number);
  /** bool: f on 0/1, nonzero is true; absent: none */
  readonly bool?: boolean;
  /** the output's dtype: the input's, or bool (comparisons, logical ops) */
  readonly out: 'same' | 'bool';
  /** work per element relative to an add (transcendental ops ~10), for the thread split */
  readonly cost: number;
  /** the f32x4 form of the formula (AssemblyScript over v, or u and v), where SIMD pays */
  readonly simd?: string;
}

/**
 * A reduction as a backend sees it (src/ops/layout.ts, src/ops/reduce.ts). A fold runs
 * acc = step(acc, v) from init; a selection keeps the first element that wins against all earlier
 * ones (wins(best, v) ≠ 0) and yields its value, or with `index` its int32 position.
 */
export interface ReduceKernel {
  readonly name: string;
  readonly step?: (acc: number, v: number) => number;
  readonly init?: number;
  readonly wins?: (best: number, v: number) => number;
  readonly index?: boolean;
  /** int32: 'exact' runs the float formula, a function is the int32 step; absent: none */
  readonly int?: 'exact' | ((acc: number, v: number) => number);
  /** the f32x4 combine of lanes (AssemblyScript function name, e.g. f32x4.add), where SIMD pays */
  readonly simd?: string;
}

/**
 * Reductions and scans see the input as [outer, r, inner] (row-major) and reduce / scan the
 * middle axis: the output of a reduction is [outer, inner].
 */
export interface ReduceShape { outer: number; r: number; inner: number }

/**
 * Batched matrix product: for each b < batch, C[b] (m×n) = op(A[b]) (m×k) · op(B[b]) (k×n).
 * A[b] starts at b*aBatchStride elements (0 broadcasts one matrix over the batch); likewise B.
 * transA: A[b] is stored k×m; transB: B[b] is stored n×k. C is contiguous batch×m×n.
 */
export interface MatmulParams {
  batch: number; m: number; k: number; n: number;
  transA: boolean; transB: boolean;
  aBatchStride: number; bBatchStride: number;
}

/**
 * 2-D convolution in NCHW with weight [cOut, cIn/groups, kh, kw] (conv1d is h = kh = 1).
 * oh = floor((h + 2ph - dh(kh-1) - 1)/sh) + 1, likewise ow.
 */
export interface Conv2dParams {
  n: number; cIn: number; h: number; w: number;
  cOut: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  groups: number; oh: number; ow: number;
}

/**
 * Pooling windows over NCHW (1-D pooling is h = kh = 1). Padding counts as -inf for max
 * and, for average, as zeros included in the divisor only when countIncludePad.
 * divisorOverride (if > 0) replaces the divisor, as in PyTorch.
 */
export interface Pool2dParams {
  n: number; c: number; h: number; w: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
  dh: number; dw: number; oh: number; ow: number;
  countIncludePad: boolean; divisorOverride: number;
}

/** Adaptive average pooling: output cell i covers [floor(i*h/oh), ceil((i+1)*h/oh)). */
export interface AdaptivePool2dParams { n: number; c: number; h: number; w: number; oh: number; ow: number }

/**
 * The primitives. A backend object must implement every one (a missing kernel is a compile
 * error). Unless stated otherwise, inputs of a primitive share one dtype (the op layer casts
 * first), outputs are new storages the caller owns, and no input is modified.
 */
export interface Kernels {
  // ---- memory ----
  /** A new storage holding a copy of data (the caller may reuse data afterwards). */
  fromArray(data: TypedArray, dtype: DType): Storage;
  /** A new storage of `size` elements, every one `value`. */
  fill(dtype: DType, size: number, value: number): Storage;
  /** A copy of the contents (never a live view). */
  readSync(s: Storage): TypedArray;
  read(s: Storage): Promise<TypedArray>;
  free(s: Storage): void;
  cast(x: Storage, dtype: DType): Storage;

  // ---- layout ----
  /**
   * Gathers the strided view (shape, strides, offset — in elements, strides may be 0 or
   * negative) of x into a new contiguous storage of prod(shape) elements.
   */
  copyStrided(x: Storage, shape: readonly number[], strides: readonly number[], offset: number): Storage;
  /**
   * Writes contiguous src (prod(shape) elements) into the strided view (shape, strides, offset)
   * of dst, in place. dst must be a fresh storage owned by the calling op (never shared).
   */
  writeStrided(dst: Storage, src: Storage, shape: readonly number[], strides: readonly number[], offset: number): void;

  // ---- element-wise ----
  /** out = f(x) element by element; the dtype is x's (or bool, by op.out). */
  unary(op: ElementwiseKernel, x: Storage): Storage;
  /**
   * Broadcast binary op: out[i] = a[aIdx(i)] op b[bIdx(i)] over outShape, where aStrides /
   * bStrides have outShape's length and are 0 along broadcast dims.
   */
  binary(op: ElementwiseKernel, a: Storage, b: Storage, outShape: readonly number[],
    aStrides: readonly number[], bStrides: readonly number[]): Storage;
  /** Broadcast select: out = cond ? a : b; cond is bool, a and b share a dtype. */
  where(cond: Storage, a: Storage, b: Storage, outShape: readonly number[],
    cStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[]): Storage;

  // ---- reductions and scans ----
  reduce(op: ReduceKernel, x: Storage, s: ReduceShape): Storage;
  /** The running fold (op.step from op.init) along r: cumsum is the scan of sum. */
  scan(op: ReduceKernel, x: Storage, s: ReduceShape): Storage;

  // ---- linear algebra, convolution, pooling ----
  matmul(a: Storage, b: Storage, p: MatmulParams): Storage;
  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage;
  /** Gradient of conv2d w.r.t. its input (also convTranspose2d's forward): gy [n,cOut,oh,ow] → [n,cIn,h,w]. */
  conv2dBackwardInput(gy: Storage, w: Storage, p: Conv2dParams): Storage;
  /** Gradient of conv2d w.r.t. its weight: [cOut, cIn/groups, kh, kw]. */
  conv2dBackwardWeight(x: Storage, gy: Storage, p: Conv2dParams): Storage;
  /** Values [n,c,oh,ow] and int32 indices (flat h*w index within each input plane, as PyTorch). */
  maxPool2d(x: Storage, p: Pool2dParams): [Storage, Storage];
  /** Scatter-adds gy into a zero [n,c,h,w] at the indices maxPool2d returned. */
  maxPool2dBackward(gy: Storage, indices: Storage, p: Pool2dParams): Storage;
  avgPool2d(x: Storage, p: Pool2dParams): Storage;
  avgPool2dBackward(gy: Storage, p: Pool2dParams): Storage;
  adaptiveAvgPool2d(x: Storage, p: AdaptivePool2dParams): Storage;
  adaptiveAvgPool2dBackward(gy: Storage, p: AdaptivePool2dParams): Storage;

  // ---- indexing (indices are int32; the op layer checks their range) ----
  /** x [outer, r, inner], idx [outer, k, inner] → out[o,j,i] = x[o, idx[o,j,i], i]. */
  gather(x: Storage, idx: Storage, outer: number, r: number, inner: number, k: number): Storage;
  /** out = copy of x [outer, r, inner]; out[o, idx[o,j,i], i] += src[o,j,i]. */
  scatterAdd(x: Storage, idx: Storage, src: Storage, outer: number, r: number, inner: number, k: number): Storage;
  /** x [outer, r, inner], idx [k] → out[o,j,i] = x[o, idx[j], i]. */
  indexSelect(x: Storage, idx: Storage, outer: number, r: number, inner: number): Storage;
  /** out = copy of x [outer, r, inner]; out[o, idx[j], i] += src[o,j,i] for src [outer, k, inner]. */
  indexAdd(x: Storage, idx: Storage, src: Storage, outer: number, r: number, inner: number): Storage;
}

export type Primitive = keyof Kernels;

/** sgdStep's hyperparameters (src/optim/sgd.ts): first = no momentum buffer yet (it starts as d). */
export interface SgdStepParams {
  lr: number; momentum: number; dampening: number; weightDecay: number;
  nesterov: boolean; maximize: boolean;
}

/**
 * adamStep's hyperparameters (src/optim/adam.ts): step counts this update (bias corrections
 * 1 − β^step); decoupled = AdamW's p·(1 − lr·wd) instead of Adam's g + wd·p.
 */
export interface AdamStepParams {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number;
  decoupled: boolean; amsgrad: boolean; maximize: boolean;
}

/** An LSTM layer's recurrence over L steps of a batch of N, hidden size H (reverse: t = L−1 … 0). */
export interface LstmParams { L: number; n: number; h: number; reverse: boolean }

/** What lstmForward keeps for lstmBackward (storages the caller owns and frees). */
export interface LstmSaved {
  /** [L, N, 4H] the gates after their nonlinearities, i f g o */
  acts: Storage;
  /** [L, N, H] the state each step started from (h0 at the first step) */
  hPrev: Storage;
  /** [L, N, H] likewise for c */
  cPrev: Storage;
  /** [L, N, H] tanh of each step's new c */
  tanhC: Storage;
}

/** A GRU layer's recurrence over L steps of a batch of N, hidden size H (reverse: t = L−1 … 0). */
export interface GruParams { L: number; n: number; h: number; reverse: boolean }

/** What gruForward keeps for gruBackward (storages the caller owns and frees). */
export interface GruSaved {
  /** [L, N, 3H] the gates after their nonlinearities, r z n */
  acts: Storage;
  /** [L, N, H] each step's hb_n = (h·W_hnᵀ + b_hn), which r multiplies */
  hn: Storage;
  /** [L, N, H] the state each step started from (h0 at the first step) */
  hPrev: Storage;
}

/**
 * Optional fused fast paths for composites (DESIGN.md decision 2). Each one must equal its
 * composite within float32 tolerance; the composite stays the definition, and the op layer falls
 * back to it when the backend lacks a kernel, for other dtypes, and wherever a graph must be
 * recorded through the computation. Inputs are never modified; outputs are new storages.
 */
export interface FusedKernels {
  /**
   * n uniforms in [0, 1) = uniformArray(n, dtype === 'float64') (src/tensor/random.ts) drawn from the
   * generator's state `at` (its key and first counter): the same numbers, bit for bit. The caller
   * advances the generator (reserveBlocks). With `mask`, dropout's mask of those numbers instead:
   * scale where u < keep, else 0 (keep and scale rounded to dtype, as src/ops/activation.ts's
   * composite holds them: cast(lt(u, keep), dtype)·scale).
   */
  uniform(n: number, dtype: 'float32' | 'float64', at: RngState, mask?: { keep: number; scale: number }): Storage;
  /**
   * One SGD update of one float32 parameter = sgdUpdate (src/optim/sgd.ts):
   * d = ±g + wd·p; b = μ·b + (1 − τ)·d (b = d when buf is null); d = nesterov ? d + μ·b : b;
   * p' = p − lr·d. Returns [p', b'] (b' null without momentum).
   */
  sgdStep(p: Storage, g: Storage, buf: Storage | null, h: SgdStepParams): [Storage, Storage | null];
  /**
   * One Adam/AdamW update of one float32 parameter = adamUpdate (src/optim/adam.ts). vmax is the
   * amsgrad state (null without amsgrad). Returns [p', m', v', vmax' or null].
   */
  adamStep(p: Storage, g: Storage, m: Storage, v: Storage, vmax: Storage | null, h: AdamStepParams): [Storage, Storage, Storage, Storage | null];
  /**
   * The float32 LSTM recurrence = the per-step composite of src/ops/recurrent.ts: xp [L, N, 4H] is
   * the input projection with both biases, whh [4H, H]; z = xp_t + h·whhᵀ, i f o = σ, g = tanh,
   * c' = f·c + i·g, h' = o·tanh c'. Returns the outputs [L, N, H] (h of every step, in time
   * order), the final h and c [N, H], and what lstmBackward needs.
   */
  lstmForward(xp: Storage, h0: Storage, c0: Storage, whh: Storage, p: LstmParams): { output: Storage; h: Storage; c: Storage; saved: LstmSaved };
  /**
   * Its backward from the gradients of output, h and c (null = zero): the gradients of xp
   * [L, N, 4H], h0, c0 and (when wantWhh) whh [4H, H] (null otherwise).
   */
  lstmBackward(gOut: Storage | null, gH: Storage | null, gC: Storage | null, whh: Storage, saved: LstmSaved, p: LstmParams,
    wantWhh: boolean): { xp: Storage; h0: Storage; c0: Storage; whh: Storage | null };
  /**
   * The float32 GRU recurrence = the per-step composite of src/ops/recurrent.ts (PyTorch's gate
   * order r, z, n): xp [L, N, 3H] is the input projection with b_ih, whh [3H, H], bhh [3H] or null
   * (no bias); hb = h·whhᵀ + bhh, r = σ(xp_r + hb_r), z = σ(xp_z + hb_z), n = tanh(xp_n + r·hb_n),
   * h' = n + z·(h − n) = (1 − z)·n + z·h. Returns the outputs [L, N, H] (h of every step, in
   * time order), the final h [N, H], and what gruBackward needs.
   */
  gruForward(xp: Storage, h0: Storage, whh: Storage, bhh: Storage | null, p: GruParams): { output: Storage; h: Storage; saved: GruSaved };
  /**
   * Its backward from the gradients of output and h (null = zero): the gradients of xp [L, N, 3H]
   * and h0 [N, H], of whh [3H, H] when wantWhh and of bhh [3H] when wantBhh (null otherwise).
   */
  gruBackward(gOut: Storage | null, gH: Storage | null, whh: Storage, saved: GruSaved, p: GruParams,
    wantWhh: boolean, wantBhh: boolean): { xp: Storage; h0: Storage; whh: Storage | null; bhh: Storage | null };
  /**
   * Cross-entropy of float32 logits x [m, c] at int32 classes t [m] (all in [0, c) or ignoreIndex)
   * = −logSoftmax(x)[r, t_r] per row, 0 where t_r = ignoreIndex (src/nn/loss.ts crossEntropy).
   * Returns [loss [m], lse [m]] (lse_r = log Σ_j exp x_rj, for the backward).
   */
  softmaxCrossEntropy(x: Storage, t: Storage, p: XentParams): [Storage, Storage];
  /**
   * Its backward: dx_rj = scale·g_r·(softmax(x)_rj − [j = t_r]), 0 on ignored rows; g_r is
   * g[r·gStride] (gStride 0: one value for every row).
   */
  softmaxCrossEntropyBackward(x: Storage, t: Storage, lse: Storage, g: Storage, gStride: number, scale: number, p: XentParams): Storage;
  /** ReLU's backward = where(x > 0, g, 0) for float32 x and g of one size. */
  reluBackward(x: Storage, g: Storage): Storage;
  /**
   * Binary cross-entropy of float32 probabilities x against targets t of one size, per element:
   * −(t·max(log x, −100) + (1 − t)·max(log(1 − x), −100)) (src/nn/loss.ts's composite).
   */
  bce(x: Storage, t: Storage): Storage;
  /** Its gradient in x: g_i·(x − t)/max(x(1 − x), eps), g_i = g[i·gStride] (gStride 0: one g for all). */
  bceBackward(x: Storage, t: Storage, g: Storage, gStride: number, eps: number): Storage;
  /**
   * float32 conv2d(x, w) followed by y = relu?(y + bias[c]) (bias [cOut], or null for none): the
   * composite conv2d + bias add (+ ReLU) of src/ops/conv.ts with the bias and ReLU applied in the
   * kernel's output writes instead of two more passes over y. Same values as the composite.
   */
  conv2dBiasAct(x: Storage, w: Storage, bias: Storage | null, p: Conv2dParams, relu: boolean): Storage;
  /**
   * float32 x [m, k] · wᵀ (w [n, k]), then y = relu?(y + bias[j]) (bias [n], or null): nn.Linear's
   * composite matmul + bias add (+ ReLU) of src/ops/linalg.ts with one pass for bias and ReLU.
   */
  linearBiasAct(x: Storage, w: Storage, bias: Storage | null, p: { m: number; k: number; n: number }, relu: boolean): Storage;
  /**
   * Inference's maxPool2d(relu?(conv2d(x, w) + bias), q) for float32 with no graph recorded, q a pooling
   * of the conv's output: the composite's values without writing the full-size conv output. Returns
   * null where the backend has no kernel for these shapes (the op layer then runs the composite).
   */
  conv2dBiasActMaxPool(x: Storage, w: Storage, bias: Storage | null, p: Conv2dParams, relu: boolean, q: Pool2dParams): Storage | null;
  /** maxPool2d's values alone, for float32 when no graph is recorded and the indices are not asked for. */
  maxPool2dValues(x: Storage, p: Pool2dParams): Storage;
  /**
   * softmax (or logSoftmax with p.log) over the last dim of x [rows, c], float32 or float64 = the
   * composites of src/ops/activation.ts. p.causal > 0: row r keeps entries j ≤ r mod causal and the rest
   * are 0 — softmax of scores plus the causal mask (-inf above the diagonal), with no mask tensor.
   */
  softmaxRows(x: Storage, p: RowsParams): Storage;
  /** Its backward from y (its output) and g: y·(g − Σ g·y), or g − exp(y)·Σ g for logSoftmax. */
  softmaxRowsBackward(y: Storage, g: Storage, p: RowsParams): Storage;
  /**
   * layerNorm of x [rows, c] over c, float32 or float64 (src/ops/norm-functional.ts): (x − mean)·rstd·w + b,
   * rstd = 1/√(biased var + eps); w, b [c] or null. Returns [y, mean [rows], rstd [rows]].
   */
  layerNormRows(x: Storage, w: Storage | null, b: Storage | null, p: RowsParams & { eps: number }): [Storage, Storage, Storage];
  /** Its backward: [dx, dw (when wantW, else null), db (when wantB, else null)]. */
  layerNormRowsBackward(x: Storage, w: Storage | null, mean: Storage, rstd: Storage, g: Storage, p: RowsParams,
    wantW: boolean, wantB: boolean): [Storage, Storage | null, Storage | null];
  /**
   * Batch norm in training mode of float32 x [n, c, inner] (src/ops/norm-functional.ts batchNormTrain): per
   * channel the batch's mean and biased variance, rstd = 1/√(var + eps), y = x·scale + shift with
   * scale = rstd·w, shift = b − mean·scale (w, b [c] or null). Returns [y, mean [c], var [c], rstd [c]].
   */
  batchNorm(x: Storage, w: Storage | null, b: Storage | null, p: BatchNormParams & { eps: number }): [Storage, Storage, Storage, Storage];
  /**
   * Its backward from g: db = Σ g, dw = Σ g·x̂ (x̂ = (x − mean)·rstd) per channel, dx = w·rstd·(g − db/m − x̂·dw/m)
   * with m = n·inner; each only when wanted (else null).
   */
  batchNormBackward(x: Storage, w: Storage | null, mean: Storage, rstd: Storage, g: Storage, p: BatchNormParams,
    wantX: boolean, wantW: boolean, wantB: boolean): [Storage | null, Storage | null, Storage | null];
  /** LeakyReLU of float32 x: x > 0 ? x : x·slope (src/ops/activation.ts's composite). */
  leakyRelu(x: Storage, slope: number): Storage;
  /** Its backward: x > 0 ? g : g·slope. */
  leakyReluBackward(x: Storage, g: Storage, slope: number): Storage;
  /** exact GELU x·Φ(x), float32 or float64 (src/ops/activation.ts gelu), and its backward g·(Φ(x) + x·φ(x)). */
  gelu(x: Storage): Storage;
  geluBackward(x: Storage, g: Storage): Storage;
}

/** A batch norm's input [n, c, inner]: n samples of c channels of inner values each (inner = the product of the dims after C). */
export interface BatchNormParams { n: number; c: number; inner: number }

/** Rows of c entries for the row kernels; causal (softmax only): the query length of the causal mask, 0 for none. */
export interface RowsParams { rows: number; c: number; log?: boolean; causal?: number }

/** softmaxCrossEntropy's shape: m rows of c classes. */
export interface XentParams { m: number; c: number; ignoreIndex: number }

export interface Backend extends Kernels {
  readonly name: string;
  /** Fused fast paths this backend has (none: the composites run). */
  readonly fused?: Partial<FusedKernels>;
  /** Live storages and their bytes, for memory(); the most bytes / elements it can hold, where bounded. */
  stats(): { storages: number; bytes: number; limitBytes?: number; maxElements?: number };
  /** Free-form facts for `nabla info` (threads, SIMD…). */
  info(): Record<string, unknown>;
  /** Verifies the guards around every live block where the backend keeps them (wasm with NABLA_HEAP_CHECK=1). */
  checkHeap?(): { checked: boolean; blocks: number };
}

// ---- registry (src/backend/default.ts starts the default backend) ----

const registry = new Map<string, Backend>();
let current: Backend | null = null;

export function registerBackend(b: Backend): void {
  registry.set(b.name, b);
}

/** Makes a registered backend the current one. */
export function setBackend(name: string): void {
  const b = registry.get(name);
  if (!b) throw new Error(`setBackend: no backend named '${name}' (registered: ${[...registry.keys()].join(', ') || 'none'})`);
  current = b;
}

/** A registered backend by name, or the current one (null when none has started). */
export function findBackend(name?: string): Backend | null {
  return name === undefined ? current : registry.get(name) ?? null;
}

export function getBackend(name?: string): Backend {
  const b = findBackend(name);
  if (!b) {
    throw new Error(name !== undefined
      ? `getBackend: no backend named '${name}' (registered: ${[...registry.keys()].join(', ') || 'none'})`
      : 'getBackend: no backend has started yet (await nb.ready(), or run an op)');
  }
  return b;
}

export function listBackends(): string[] {
  return [...registry.keys()];
}
