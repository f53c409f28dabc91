// Attention as PyTorch has it: scaledDotProductAttention, MultiheadAttention (in_proj_weight, out_proj),
// TransformerEncoderLayer (post- or pre-norm) and TransformerEncoder, with PyTorch's stateDict keys.

import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { rand, tensor, zeros } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { KVCache } from './kv-cache.js';

export { KVCache } from './kv-cache.js';
import { noGrad } from '../autograd/graph.js';
import { Module, ModuleList, Parameter } from './module.js';
import { Linear } from './layers/linear.js';
import { LayerNorm } from './layers/norm.js';
import { Dropout } from './layers/dropout.js';
import { cloneLayers } from './clones.js';
import { add, mul, where, cast, relu, mean, linear, expand, narrow, reshape, squeeze, transpose, unsqueeze, chunk, gelu, softmax, cat } from '../ops/index.js';
import { causalSoftmax } from '../ops/activation.js';
import { matmulT } from '../ops/linalg.js';
import { defineOp } from '../ops/dispatch.js';
import { dropout as dropoutFn } from '../ops/activation.js';
import { fmt } from '../tensor/shape.js';

const isFloat = (t: Tensor): boolean => t.dtype === 'float32' || t.dtype === 'float64';

function uniformParam(shape: number[], bound: number, dtype: DType): Parameter {
  return scope(() => noGrad(() => new Parameter(rand(shape, { dtype }).mul(2 * bound).sub(bound))));
}

/**
 * The causal mask of nn.Transformer.generate_square_subsequent_mask: [n, n] float, -inf above the
 * diagonal (position i may not attend to j > i) and 0 elsewhere.
 */
export function generateSquareSubsequentMask(n: number, opts: { dtype?: DType } = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`generateSquareSubsequentMask: size must be an integer ≥ 0, got ${n}`);
  return causalMask(n, n, 0, opts.dtype ?? 'float32');
}

/** [L, S] additive mask: query i may attend keys j ≤ held + i (-inf beyond); held = S − L is a cache's earlier positions. */
function causalMask(L: number, S: number, held: number, dtype: DType): Tensor {
  const d = new Float64Array(L * S);
  for (let i = 0; i < L; i++) for (let j = held + i + 1; j < S; j++) d[i * S + j] = -Infinity;
  return tensor(d, { shape: [L, S], dtype });
}

/** A bool mask (true = masked out) as an additive float mask (-inf / 0); a float mask as is. */
function additive(mask: Tensor, dtype: DType): Tensor {
  if (mask.dtype === 'bool') return where(mask, -Infinity, 0).to(dtype);
  if (!isFloat(mask)) throw new TypeError(`attention: a mask must be bool or floating-point, got ${mask.dtype}`);
  return mask.dtype === dtype ? mask : cast(mask, dtype);
}

/** softmax(q kᵀ · scale + mask) over the last dim, dropped out when p > 0; returns the output and the weights. */
function attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | 'causal' | null, scale: number, p: number): { out: Tensor; attn: Tensor } {
  let scores = matmulT(mul(q, scale), k, false, true, 'attention');
  if (mask && mask !== 'causal') scores = add(scores, mask);
  let attn = mask === 'causal' ? causalSoftmax(scores) : softmax(scores, -1);
  if (p > 0) attn = dropoutFn(attn, p, true);
  return { out: matmulT(attn, v, false, false, 'attention'), attn };
}

export interface ScaledDotProductAttentionOptions {
  /** bool: true = takes part (PyTorch 2's convention, the opposite of MultiheadAttention's); float: added to the scores */
  attnMask?: Tensor | null;
  /** dropout on the attention weights (applied whenever > 0, like PyTorch's dropout_p) */
  dropoutP?: number;
  /** mask j > i (top-left aligned, like PyTorch); cannot be combined with attnMask */
  isCausal?: boolean;
  /** default 1/√E */
  scale?: number | null;
}

/**
 * torch.nn.functional.scaled_dot_product_attention: query [..., L, E], key [..., S, E],
 * value [..., S, Ev] → [..., L, Ev]; batch dims broadcast. An op of its own (the tracer sees it
 * whole, so ONNX export writes it as MatMul/Softmax nodes), since its products call matmulT directly.
 */
export const scaledDotProductAttention = defineOp('scaledDotProductAttention', (query: Tensor, key: Tensor, value: Tensor, opts: ScaledDotProductAttentionOptions = {}): Tensor => {
  const name = 'scaledDotProductAttention';
  for (const [n, t] of [['query', query], ['key', key], ['value', value]] as const) {
    if (t.ndim < 2) throw new Error(`${name}: ${n} must have at least 2 dims [..., seq, features], got ${fmt(t.shape)}`);
    if (!isFloat(t)) throw new TypeError(`${name}: ${n} must be floating-point, got ${t.dtype}`);
  }
  const L = query.shape[query.ndim - 2]!, E = query.shape[query.ndim - 1]!;
  const S = key.shape[key.ndim - 2]!;
  if (key.shape[key.ndim - 1] !== E) throw new Error(`${name}: query ${fmt(query.shape)} and key ${fmt(key.shape)} differ in the feature dim`);
  if (value.shape[value.ndim - 2] !== S) throw new Error(`${name}: key ${fmt(key.shape)} and value ${fmt(value.shape)} differ in sequence length`);
  const p = opts.dropoutP ?? 0;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name}: dropoutP must be in [0, 1], got ${p}`);
  if (opts.isCausal && opts.attnMask) throw new Error(`${name}: pass either attnMask or isCausal, not both`);
  return scope(() => {
    let mask: Tensor | 'causal' | null = null;
    if (opts.isCausal) {
      mask = 'causal'; // j > i masked by position (causalSoftmax), no mask tensor
    } else if (opts.attnMask) {
      const m = opts.attnMask;
      if (m.shape[m.ndim - 1] !== S || (m.ndim > 1 && m.shape[m.ndim - 2] !== L && m.shape[m.ndim - 2] !== 1)) {
        throw new Error(`${name}: attnMask ${fmt(m.shape)} does not fit scores [..., ${L}, ${S}]`);
      }
      mask = m.dtype === 'bool' ? where(m, 0, -Infinity).to(query.dtype) : additive(m, query.dtype);
    }
    return attend(query, key, value, mask, opts.scale ?? 1 / Math.sqrt(E), p).out;
  });
});

export interface MultiheadAttentionOptions {
  /** dropout on the attention weights in training mode (default 0) */
  dropout?: number;
  /** in_proj_bias and out_proj.bias (default true) */
  bias?: boolean;
  /** inputs and output are [N, L, E] instead of [L, N, E] */
  batchFirst?: boolean;
  /** key features (default embedDim) */
  kdim?: number;
  /** value features (default embedDim) */
  vdim?: number;
  dtype?: DType;
}

export interface MultiheadAttentionForward {
  /** [N, S] (or [S] unbatched): bool true = ignore that key, or float added to the scores */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N·numHeads, L, S]: bool true = not allowed, or float added to the scores */
  attnMask?: Tensor | null;
  /** return the attention weights (default true) */
  needWeights?: boolean;
  /** average the weights over heads → [N, L, S], else [N, numHeads, L, S] (default true) */
  averageAttnWeights?: boolean;
  /** with no attnMask, apply the causal mask (j > i masked); with one, a hint as in PyTorch */
  isCausal?: boolean;
  /**
   * incremental decoding: the keys and values of earlier positions (see KVCache); the new ones are appended
   * (a fixed cache: made on the first call, then reused). Masks then cover every key: attnMask [L, S] or
   * [N·numHeads, L, S] and keyPaddingMask [N, S] with S = held + new; isCausal lets new position i see the
   * held ones and the new ones up to i.
   */
  cache?: KVCache | null;
}

/** torch.nn.MultiheadAttention: numHeads heads of embedDim/numHeads features each. */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly outProj: Linear;
  private readonly sameDims: boolean;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    const label = 'MultiheadAttention';
    if (!Number.isInteger(embedDim) || embedDim < 1) throw new RangeError(`${label}: embedDim must be an integer ≥ 1, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new RangeError(`${label}: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new RangeError(`${label}: dropout must be in [0, 1], got ${this.dropout}`);
    this.batchFirst = opts.batchFirst ?? false;
    const dtype = opts.dtype ?? 'float32';
    const bias = opts.bias ?? true;
    this.sameDims = this.kdim === embedDim && this.vdim === embedDim;
    // xavier_uniform_ on the projections, zero biases, like PyTorch's _reset_parameters
    const xavier = (rows: number, cols: number): Parameter => uniformParam([rows, cols], Math.sqrt(6 / (rows + cols)), dtype);
    if (this.sameDims) {
      this.registerParameter('in_proj_weight', xavier(3 * embedDim, embedDim));
    } else {
      this.registerParameter('q_proj_weight', xavier(embedDim, embedDim));
      this.registerParameter('k_proj_weight', xavier(embedDim, this.kdim));
      this.registerParameter('v_proj_weight', xavier(embedDim, this.vdim));
    }
    this.registerParameter('in_proj_bias', bias ? new Parameter(zeros([3 * embedDim], { dtype })) : null);
    this.outProj = new Linear(embedDim, embedDim, { bias, dtype });
    if (this.outProj.bias) noGrad(() => scope(() => this.outProj.bias!._assign(zeros([embedDim], { dtype }))));
    this.registerModule('out_proj', this.outProj);
  }

  private param(name: string): Parameter | null {
    for (const [k, p] of this.ownParameters()) if (k === name) return p;
    return null;
  }

  private get label(): string {
    return `MultiheadAttention(${this.embedDim}, heads=${this.numHeads})`;
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}${this.batchFirst ? ', batchFirst=true' : ''}`;
  }

  /**
   * query [L, N, E], key [S, N, kdim], value [S, N, vdim] ([N, ·, ·] with batchFirst; 2-D unbatched)
   * → [output like query, weights [N, L, S] (or per head) or null].
   */
  override forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForward = {}): [Tensor, Tensor | null] {
    const E = this.embedDim, H = this.numHeads, hd = this.headDim;
    const batched = query.ndim === 3;
    const lay = this.batchFirst ? '[N, L, ' : '[L, N, ';
    if ((query.ndim !== 2 && query.ndim !== 3) || query.shape[query.ndim - 1] !== E) {
      throw new Error(`${this.label}: expected query ${lay}${E}]${this.batchFirst ? ' (batchFirst)' : ''} or unbatched [L, ${E}], got ${fmt(query.shape)}`);
    }
    for (const [n, t, d] of [['key', key, this.kdim], ['value', value, this.vdim]] as const) {
      if (t.ndim !== query.ndim || t.shape[t.ndim - 1] !== d) {
        throw new Error(`${this.label}: expected ${n} ${batched ? `${lay.replace('L', 'S')}${d}]` : `[S, ${d}]`} like the query ${fmt(query.shape)}, got ${fmt(t.shape)}`);
      }
      if (!isFloat(t)) throw new TypeError(`${this.label}: ${n} must be floating-point, got ${t.dtype}`);
    }
    if (key.shape.slice(0, -1).some((v, i) => v !== value.shape[i])) {
      throw new Error(`${this.label}: key ${fmt(key.shape)} and value ${fmt(value.shape)} differ in sequence or batch size`);
    }
    const needWeights = opts.needWeights ?? true;
    const average = opts.averageAttnWeights ?? true;
    const cache = opts.cache ?? null;
    if (cache !== null && !(cache instanceof KVCache)) throw new TypeError(`${this.label}: cache must be an nn.KVCache, got ${typeof cache}`);
    return scope(() => {
      const tm = (t: Tensor): Tensor => (!batched ? unsqueeze(t, 1) : this.batchFirst ? transpose(t, 0, 1) : t);
      const selfAttn = query === key && key === value;
      const q0 = tm(query), k0 = selfAttn ? q0 : tm(key), v0 = selfAttn ? q0 : tm(value);
      const L = q0.shape[0]!, N = q0.shape[1]!;
      if (batched && k0.shape[1] !== N) throw new Error(`${this.label}: query batch ${N} and key batch ${k0.shape[1]} differ`);
      // [T, N, E] → [N·H, T, hd]
      const heads = (t: Tensor, T: number): Tensor => transpose(reshape(t, [T, N * H, hd]), 0, 1);
      // a fixed cache that holds its keys and values already: the key and value inputs are not projected again
      const reuse = cache !== null && cache.fixed && cache.keys !== null;
      // projections
      const b = this.param('in_proj_bias');
      const bq = b ? narrow(b, 0, 0, E) : null, bk = b ? narrow(b, 0, E, E) : null, bv = b ? narrow(b, 0, 2 * E, E) : null;
      let q: Tensor, k: Tensor | null = null, v: Tensor | null = null;
      if (this.sameDims) {
        const w = this.param('in_proj_weight')!;
        if (selfAttn && !reuse) {
          [q, k, v] = chunk(linear(q0, w, b), 3, -1) as [Tensor, Tensor, Tensor];
        } else {
          q = linear(q0, narrow(w, 0, 0, E), bq);
          if (!reuse) {
            k = linear(k0, narrow(w, 0, E, E), bk);
            v = linear(v0, narrow(w, 0, 2 * E, E), bv);
          }
        }
      } else {
        q = linear(q0, this.param('q_proj_weight')!, bq);
        if (!reuse) {
          k = linear(k0, this.param('k_proj_weight')!, bk);
          v = linear(v0, this.param('v_proj_weight')!, bv);
        }
      }
      let kh: Tensor, vh: Tensor;
      const held = cache && !cache.fixed ? cache.length : 0;
      if (reuse) {
        [kh, vh] = this.fromCache(cache, N, q.dtype);
      } else {
        kh = heads(k!, k0.shape[0]!);
        vh = heads(v!, k0.shape[0]!);
        if (cache) {
          if (held > 0) {
            const [pk, pv] = this.fromCache(cache, N, q.dtype);
            kh = cat([pk, kh], 1);
            vh = cat([pv, vh], 1);
          }
          cache._store(kh, vh, H);
        }
      }
      const S = kh.shape[1]!;
      const mask = this.buildMask(opts, L, S, N, q.dtype, batched, held);
      const { out, attn } = attend(heads(q, L), kh, vh, mask, 1 / Math.sqrt(hd), this.training ? this.dropout : 0);
      const merged = reshape(transpose(out, 0, 1), [L * N, E]);
      let output = reshape(this.outProj.forward(merged), [L, N, E]);
      output = !batched ? squeeze(output, 1) : this.batchFirst ? transpose(output, 0, 1) : output;
      let weights: Tensor | null = null;
      if (needWeights) {
        weights = reshape(attn, [N, H, L, S]);
        if (average) weights = mean(weights, 1);
        if (!batched) weights = squeeze(weights, 0);
      }
      return [output, weights] as [Tensor, Tensor | null];
    });
  }

  /** A cache's keys and values, checked against this call (batch, heads, head size, dtype). */
  private fromCache(cache: KVCache, N: number, dtype: DType): [Tensor, Tensor] {
    const k = cache.keys!, v = cache.values!;
    const H = this.numHeads, hd = this.headDim;
    if (k.isDisposed || v.isDisposed) throw new Error(`${this.label}: the cache's keys or values were disposed (use cache.reset() to start over)`);
    if (k.ndim !== 3 || k.shape[0] !== N * H || k.shape[2] !== hd || v.shape[0] !== N * H || v.shape[1] !== k.shape[1] || v.shape[2] !== hd) {
      throw new Error(`${this.label}: the cache holds keys ${fmt(k.shape)} and values ${fmt(v.shape)}, but this call needs [${N * H}, S, ${hd}] (batch ${N} × ${H} heads, head size ${hd}) — one cache per layer and batch; reset() it for a new sequence`);
    }
    if (k.dtype !== dtype) throw new TypeError(`${this.label}: the cache holds ${k.dtype} keys, this call is ${dtype}`);
    return [k, v];
  }

  /** attnMask and keyPaddingMask merged into one additive float mask broadcastable to [N·H, L, S]. */
  private buildMask(opts: MultiheadAttentionForward, L: number, S: number, N: number, dtype: DType, batched: boolean, held = 0): Tensor | null {
    const H = this.numHeads;
    let mask: Tensor | null = null;
    const am = opts.attnMask ?? null;
    if (am) {
      const ok = am.ndim === 2 ? am.shape[0] === L && am.shape[1] === S : am.ndim === 3 && am.shape[0] === N * H && am.shape[1] === L && am.shape[2] === S;
      if (!ok) throw new Error(`${this.label}: attnMask must be [${L}, ${S}] or [${N * H}, ${L}, ${S}] (N·numHeads, L, S), got ${fmt(am.shape)}`);
      mask = additive(am, dtype);
    } else if (opts.isCausal && held > 0) {
      // the new positions come after the `held` ones (a cache's): position i sees keys j ≤ held + i
      if (S - held !== L) throw new Error(`${this.label}: isCausal with a cache needs as many new keys as queries (got L=${L} queries and ${S - held} new keys)`);
      if (L > 1) mask = causalMask(L, S, held, dtype);
    } else if (opts.isCausal) {
      if (L !== S) throw new Error(`${this.label}: isCausal needs as many keys as queries (got L=${L}, S=${S}); pass an attnMask instead`);
      mask = generateSquareSubsequentMask(L, { dtype });
    }
    const kpm = opts.keyPaddingMask ?? null;
    if (kpm) {
      const want = batched ? [N, S] : [S];
      if (kpm.ndim !== want.length || kpm.shape.some((d, i) => d !== want[i])) {
        throw new Error(`${this.label}: keyPaddingMask must be ${fmt(want)}${batched ? ' (N, S)' : ' (S)'}, got ${fmt(kpm.shape)}`);
      }
      const k = reshape(expand(reshape(additive(kpm, dtype), [N, 1, 1, S]), [N, H, 1, S]), [N * H, 1, S]);
      mask = mask ? add(mask, k) : k;
    }
    return mask;
  }
}

export type Activation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: Activation;
  layerNormEps?: number;
  batchFirst?: boolean;
  /** pre-norm: x + sa(norm1(x)), then x + ff(norm2(x)) (default false: post-norm) */
  normFirst?: boolean;
  bias?: boolean;
  dtype?: DType;
}

export interface EncoderForward {
  /** [L, L] or [N·nhead, L, L] attention mask (bool true = not allowed, or float added) */
  srcMask?: Tensor | null;
  /** [N, L]: bool true = padding, ignored as a key */
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
  /** incremental decoding: the self-attention's keys and values of earlier positions (MultiheadAttention's cache) */
  cache?: KVCache | null;
}

/** torch.nn.TransformerEncoderLayer: self-attention and a feed-forward block, each with residual and LayerNorm. */
export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly normFirst: boolean;
  private readonly drop: Dropout;
  private readonly drop1: Dropout;
  private readonly drop2: Dropout;
  private readonly act: (x: Tensor) => Tensor;

  constructor(readonly dModel: number, readonly nhead: number, readonly options: TransformerEncoderLayerOptions = {}) {
    super();
    const ff = options.dimFeedforward ?? 2048;
    const p = options.dropout ?? 0.1;
    const eps = options.layerNormEps ?? 1e-5;
    const dtype = options.dtype ?? 'float32';
    const bias = options.bias ?? true;
    const a = options.activation ?? 'relu';
    if (typeof a === 'function') this.act = a;
    else if (a === 'relu') this.act = relu;
    else if (a === 'gelu') this.act = (x) => gelu(x);
    else throw new Error(`TransformerEncoderLayer: activation must be 'relu', 'gelu' or a function, got '${String(a)}'`);
    this.normFirst = options.normFirst ?? false;
    // registered in PyTorch's order, under PyTorch's names
    this.selfAttn = this.registerModule('self_attn', new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: options.batchFirst, dtype })) as MultiheadAttention;
    this.linear1 = this.registerModule('linear1', new Linear(dModel, ff, { bias, dtype })) as Linear;
    this.drop = this.registerModule('dropout', new Dropout(p)) as Dropout;
    this.linear2 = this.registerModule('linear2', new Linear(ff, dModel, { bias, dtype })) as Linear;
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel, { eps, dtype })) as LayerNorm;
    this.norm2 = this.registerModule('norm2', new LayerNorm(dModel, { eps, dtype })) as LayerNorm;
    this.drop1 = this.registerModule('dropout1', new Dropout(p)) as Dropout;
    this.drop2 = this.registerModule('dropout2', new Dropout(p)) as Dropout;
  }

  /** A copy with the same configuration and the same weights (what PyTorch's deepcopy gives). */
  clone(): TransformerEncoderLayer {
    const c = new TransformerEncoderLayer(this.dModel, this.nhead, this.options);
    c.loadStateDict(this.stateDict());
    c.train(this.training);
    return c;
  }

  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}${this.normFirst ? ', normFirst=true' : ''}`;
  }

  /** src [L, N, dModel] ([N, L, dModel] with batchFirst, or [L, dModel]) → same shape. */
  override forward(src: Tensor, opts: EncoderForward = {}): Tensor {
    return scope(() => {
      const sa = (x: Tensor): Tensor => {
        const [o] = this.selfAttn.forward(x, x, x, {
          attnMask: opts.srcMask ?? null, keyPaddingMask: opts.srcKeyPaddingMask ?? null, needWeights: false, isCausal: opts.isCausal,
          cache: opts.cache ?? null,
        });
        return this.drop1.forward(o);
      };
      const ffb = (x: Tensor): Tensor => this.drop2.forward(this.linear2.forward(this.drop.forward(this.act(this.linear1.forward(x)))));
      let x = src;
      if (this.normFirst) {
        x = add(x, sa(this.norm1.forward(x)));
        x = add(x, ffb(this.norm2.forward(x)));
      } else {
        x = this.norm1.forward(add(x, sa(x)));
        x = this.norm2.forward(add(x, ffb(x)));
      }
      return x;
    });
  }
}

export interface TransformerEncoderForward {
  mask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
  /**
   * incremental decoding (a causal encoder used as a decoder-only language model): one KVCache per layer
   * (makeCache()); src then holds only the new positions, and the masks cover every key (held + new)
   */
  cache?: KVCache[] | null;
}

/** torch.nn.TransformerEncoder: numLayers copies of a layer (same starting weights), then an optional norm. */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList;
  readonly norm: Module | null;
  readonly numLayers: number;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    this.numLayers = numLayers;
    this.layers = this.registerModule('layers', cloneLayers('TransformerEncoder', encoderLayer, numLayers)) as ModuleList;
    this.norm = this.registerModule('norm', opts.norm ?? null);
  }

  /** A cache for each layer's self-attention, for incremental decoding (forward's opts.cache). */
  makeCache(): KVCache[] {
    return Array.from({ length: this.numLayers }, () => new KVCache());
  }

  override forward(src: Tensor, opts: TransformerEncoderForward = {}): Tensor {
    const cache = opts.cache ?? null;
    if (cache && (!Array.isArray(cache) || cache.length !== this.numLayers || !cache.every((c) => c instanceof KVCache))) {
      throw new Error(`TransformerEncoder: cache must be one nn.KVCache per layer (${this.numLayers}; makeCache() makes them)`);
    }
    return scope(() => {
      let x = src;
      const o: EncoderForward = { srcMask: opts.mask ?? null, srcKeyPaddingMask: opts.srcKeyPaddingMask ?? null, isCausal: opts.isCausal };
      let i = 0;
      for (const layer of this.layers) x = (layer as TransformerEncoderLayer).forward(x, cache ? { ...o, cache: cache[i++]! } : o);
      if (this.norm) x = this.norm.forward(x) as Tensor;
      return x;
    });
  }
}
