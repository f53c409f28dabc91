// torch.nn.TransformerDecoderLayer, TransformerDecoder and Transformer with PyTorch's stateDict keys,
// registration order, init (xavier-uniform on every matrix of a Transformer) and masks.

import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { keep, scope } from '../tensor/memory.js';
import { Module, ModuleList } from './module.js';
import { Linear } from './layers/linear.js';
import { LayerNorm } from './layers/norm.js';
import { Dropout } from './layers/dropout.js';
import { add, relu } from '../ops/elementwise.js';
import { gelu } from '../ops/activation.js';
import { fmt } from '../tensor/shape.js';
import { xavierUniform_ } from './init.js';
import {
  MultiheadAttention, TransformerEncoder, TransformerEncoderLayer, generateSquareSubsequentMask,
  type Activation,
} from './attention.js';
import { cloneLayers } from './clones.js';
import { KVCache } from './kv-cache.js';

function activationFn(where: string, a: Activation): (x: Tensor) => Tensor {
  if (typeof a === 'function') return a;
  if (a === 'relu') return relu;
  if (a === 'gelu') return (x) => gelu(x);
  throw new Error(`${where}: activation must be 'relu', 'gelu' or a function, got '${String(a)}'`);
}

export interface TransformerDecoderLayerOptions {
  /** width of the feed-forward block (default 2048) */
  dimFeedforward?: number;
  /** dropout after attention, inside and after the feed-forward block (default 0.1) */
  dropout?: number;
  activation?: Activation;
  layerNormEps?: number;
  /** inputs and output are [N, T, E] instead of [T, N, E] */
  batchFirst?: boolean;
  /** pre-norm: x + block(norm(x)) for each of the three blocks (default false: post-norm) */
  normFirst?: boolean;
  bias?: boolean;
  dtype?: DType;
}

export interface DecoderForward {
  /** [T, T] or [N·nhead, T, T] self-attention mask (bool true = not allowed, or float added) */
  tgtMask?: Tensor | null;
  /** [T, S] or [N·nhead, T, S] mask on the attention to the memory */
  memoryMask?: Tensor | null;
  /** [N, T]: bool true = padding in the target, ignored as a key */
  tgtKeyPaddingMask?: Tensor | null;
  /** [N, S]: bool true = padding in the memory (the encoded source) */
  memoryKeyPaddingMask?: Tensor | null;
  /** with no tgtMask, mask future positions (PyTorch 2's tgt_is_causal) */
  tgtIsCausal?: boolean;
}

/** A decoder layer's caches for incremental decoding: its self-attention's (growing) and its attention to the memory's (fixed). */
export interface DecoderLayerCache {
  self: KVCache;
  memory: KVCache;
}

/** A decoder layer's forward options, with its cache for incremental decoding (tgt then holds only the new positions). */
export interface DecoderLayerForward extends DecoderForward {
  cache?: DecoderLayerCache | null;
}

/** A decoder's forward options, with one cache per layer (TransformerDecoder.makeCache). */
export interface TransformerDecoderForward extends DecoderForward {
  cache?: DecoderLayerCache[] | null;
}

const isLayerCache = (c: unknown): c is DecoderLayerCache =>
  !!c && typeof c === 'object' && (c as DecoderLayerCache).self instanceof KVCache && (c as DecoderLayerCache).memory instanceof KVCache;

/**
 * torch.nn.TransformerDecoderLayer: masked self-attention, attention to the encoder's output
 * (`memory`) and a feed-forward block, each with a residual connection and LayerNorm.
 */
export class TransformerDecoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly multiheadAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly normFirst: boolean;
  /**
   * Not in PyTorch (where a forward hook on multihead_attn does it): when true, forward keeps the
   * head-averaged weights of the attention to the memory, [N, T, S], in `lastAttentionWeights`
   * (e.g. for attention maps). Costs nothing when false.
   */
  keepAttentionWeights = false;
  lastAttentionWeights: Tensor | null = null;
  private readonly drop: Dropout;
  private readonly drop1: Dropout;
  private readonly drop2: Dropout;
  private readonly drop3: Dropout;
  private readonly act: (x: Tensor) => Tensor;

  constructor(readonly dModel: number, readonly nhead: number, readonly options: TransformerDecoderLayerOptions = {}) {
    super();
    const ff = options.dimFeedforward ?? 2048;
    const p = options.dropout ?? 0.1;
    const eps = options.layerNormEps ?? 1e-5;
    const dtype = options.dtype ?? 'float32';
    const bias = options.bias ?? true;
    this.act = activationFn('TransformerDecoderLayer', options.activation ?? 'relu');
    this.normFirst = options.normFirst ?? false;
    const mha = (): MultiheadAttention => new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: options.batchFirst, dtype });
    // registered in PyTorch's order, under PyTorch's names
    this.selfAttn = this.registerModule('self_attn', mha()) as MultiheadAttention;
    this.multiheadAttn = this.registerModule('multihead_attn', mha()) as MultiheadAttention;
    this.linear1 = this.registerModule('linear1', new Linear(dModel, ff, { bias, dtype })) as Linear;
    this.drop = this.registerModule('dropout', new Dropout(p)) as Dropout;
    this.linear2 = this.registerModule('linear2', new Linear(ff, dModel, { bias, dtype })) as Linear;
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel, { eps, dtype })) as LayerNorm;
    this.norm2 = this.registerModule('norm2', new LayerNorm(dModel, { eps, dtype })) as LayerNorm;
    this.norm3 = this.registerModule('norm3', new LayerNorm(dModel, { eps, dtype })) as LayerNorm;
    this.drop1 = this.registerModule('dropout1', new Dropout(p)) as Dropout;
    this.drop2 = this.registerModule('dropout2', new Dropout(p)) as Dropout;
    this.drop3 = this.registerModule('dropout3', new Dropout(p)) as Dropout;
  }

  /** A copy with the same configuration and the same weights (what PyTorch's deepcopy gives). */
  clone(): TransformerDecoderLayer {
    const c = new TransformerDecoderLayer(this.dModel, this.nhead, this.options);
    c.loadStateDict(this.stateDict());
    c.train(this.training);
    c.keepAttentionWeights = this.keepAttentionWeights;
    return c;
  }

  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}${this.normFirst ? ', normFirst=true' : ''}`;
  }

  /** tgt [T, N, dModel], memory [S, N, dModel] ([N, ·, dModel] with batchFirst; 2-D unbatched) → like tgt. */
  override forward(tgt: Tensor, memory: Tensor, opts: DecoderLayerForward = {}): Tensor {
    const cache = opts.cache ?? null;
    if (cache !== null && !isLayerCache(cache)) throw new TypeError(`TransformerDecoderLayer(${this.dModel}, nhead=${this.nhead}): cache must be { self: nn.KVCache, memory: nn.KVCache({ fixed: true }) }`);
    if (tgt.ndim !== memory.ndim) {
      throw new Error(`TransformerDecoderLayer(${this.dModel}, nhead=${this.nhead}): tgt ${fmt(tgt.shape)} and memory ${fmt(memory.shape)} must both be batched (3-D) or both unbatched (2-D)`);
    }
    if (this.lastAttentionWeights) {
      this.lastAttentionWeights.dispose();
      this.lastAttentionWeights = null;
    }
    const out = scope(() => {
      const sa = (x: Tensor): Tensor => {
        const [o] = this.selfAttn.forward(x, x, x, {
          attnMask: opts.tgtMask ?? null, keyPaddingMask: opts.tgtKeyPaddingMask ?? null, needWeights: false,
          isCausal: !opts.tgtMask && opts.tgtIsCausal, cache: cache?.self ?? null,
        });
        return this.drop1.forward(o);
      };
      let weights: Tensor | null = null;
      const mha = (x: Tensor): Tensor => {
        const [o, w] = this.multiheadAttn.forward(x, memory, memory, {
          attnMask: opts.memoryMask ?? null, keyPaddingMask: opts.memoryKeyPaddingMask ?? null, needWeights: this.keepAttentionWeights,
          cache: cache?.memory ?? null,
        });
        weights = w;
        return this.drop2.forward(o);
      };
      const ffb = (x: Tensor): Tensor => this.drop3.forward(this.linear2.forward(this.drop.forward(this.act(this.linear1.forward(x)))));
      let x = tgt;
      if (this.normFirst) {
        x = add(x, sa(this.norm1.forward(x)));
        x = add(x, mha(this.norm2.forward(x)));
        x = add(x, ffb(this.norm3.forward(x)));
      } else {
        x = this.norm1.forward(add(x, sa(x)));
        x = this.norm2.forward(add(x, mha(x)));
        x = this.norm3.forward(add(x, ffb(x)));
      }
      return { x, weights: weights as Tensor | null };
    });
    // kept past the caller's scope until the next forward replaces it
    if (out.weights) this.lastAttentionWeights = keep(out.weights.detach());
    out.weights?.dispose();
    return out.x;
  }
}

/** torch.nn.TransformerDecoder: numLayers copies of a layer (same starting weights), then an optional norm. */
export class TransformerDecoder extends Module {
  readonly layers: ModuleList;
  readonly norm: Module | null;
  readonly numLayers: number;

  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    this.numLayers = numLayers;
    this.layers = this.registerModule('layers', cloneLayers('TransformerDecoder', decoderLayer, numLayers)) as ModuleList;
    this.norm = this.registerModule('norm', opts.norm ?? null);
  }

  /** Caches for each layer (its self-attention's, and a fixed one for its attention to the memory), for incremental decoding. */
  makeCache(): DecoderLayerCache[] {
    return Array.from({ length: this.numLayers }, () => ({ self: new KVCache(), memory: new KVCache({ fixed: true }) }));
  }

  override forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderForward = {}): Tensor {
    const cache = opts.cache ?? null;
    if (cache && (!Array.isArray(cache) || cache.length !== this.numLayers || !cache.every(isLayerCache))) {
      throw new Error(`TransformerDecoder: cache must be one { self, memory } pair of nn.KVCache per layer (${this.numLayers}; makeCache() makes them)`);
    }
    return scope(() => {
      let x = tgt;
      let i = 0;
      for (const layer of this.layers) x = (layer as TransformerDecoderLayer).forward(x, memory, { ...opts, cache: cache ? cache[i++]! : null });
      if (this.norm) x = this.norm.forward(x) as Tensor;
      return x;
    });
  }
}

export interface TransformerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  dimFeedforward?: number;
  dropout?: number;
  activation?: Activation;
  /** used instead of the built TransformerEncoder (PyTorch's custom_encoder) */
  customEncoder?: Module | null;
  /** used instead of the built TransformerDecoder (PyTorch's custom_decoder) */
  customDecoder?: Module | null;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  dtype?: DType;
}

export interface TransformerForward {
  srcMask?: Tensor | null;
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
}

/**
 * torch.nn.Transformer: an encoder (with a final LayerNorm) over the source and a decoder (with a
 * final LayerNorm) over the target that attends to the encoded source. Defaults are PyTorch's
 * (dModel 512, 8 heads, 6 + 6 layers, feed-forward 2048, dropout 0.1).
 */
export class Transformer extends Module {
  readonly encoder: Module;
  readonly decoder: Module;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  /** The causal mask: [sz, sz] float, -inf above the diagonal, 0 elsewhere. */
  static generateSquareSubsequentMask(sz: number, opts: { dtype?: DType } = {}): Tensor {
    return generateSquareSubsequentMask(sz, opts);
  }

  constructor(opts: TransformerOptions = {}) {
    super();
    const d = opts.dModel ?? 512, h = opts.nhead ?? 8;
    const common = {
      dimFeedforward: opts.dimFeedforward ?? 2048, dropout: opts.dropout ?? 0.1, activation: opts.activation ?? 'relu',
      layerNormEps: opts.layerNormEps ?? 1e-5, batchFirst: opts.batchFirst ?? false, normFirst: opts.normFirst ?? false,
      dtype: opts.dtype ?? 'float32',
    } as const;
    const norm = (): LayerNorm => new LayerNorm(d, { eps: common.layerNormEps, dtype: common.dtype });
    this.encoder = this.registerModule('encoder', opts.customEncoder
      ?? new TransformerEncoder(new TransformerEncoderLayer(d, h, common), opts.numEncoderLayers ?? 6, { norm: norm() }))!;
    this.decoder = this.registerModule('decoder', opts.customDecoder
      ?? new TransformerDecoder(new TransformerDecoderLayer(d, h, common), opts.numDecoderLayers ?? 6, { norm: norm() }))!;
    // PyTorch's _reset_parameters: xavier_uniform_ on every parameter with more than one dim
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform_(p);
    this.dModel = d;
    this.nhead = h;
    this.batchFirst = common.batchFirst;
  }

  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}${this.batchFirst ? ', batchFirst=true' : ''}`;
  }

  /** src [S, N, E], tgt [T, N, E] ([N, ·, E] with batchFirst; 2-D unbatched) → [T, N, E]. */
  override forward(src: Tensor, tgt: Tensor, opts: TransformerForward = {}): Tensor {
    const batched = src.ndim === 3;
    const bd = this.batchFirst ? 0 : 1;
    if (batched && src.shape[bd] !== tgt.shape[bd]) {
      throw new Error(`Transformer: the batch number of src ${fmt(src.shape)} and tgt ${fmt(tgt.shape)} must be equal (dim ${bd}${this.batchFirst ? ', batchFirst' : ''})`);
    }
    if (src.shape[src.ndim - 1] !== this.dModel || tgt.shape[tgt.ndim - 1] !== this.dModel) {
      throw new Error(`Transformer: the feature number of src ${fmt(src.shape)} and tgt ${fmt(tgt.shape)} must be equal to dModel ${this.dModel}`);
    }
    return scope(() => {
      const memory = this.encoder.forward(src, { mask: opts.srcMask ?? null, srcKeyPaddingMask: opts.srcKeyPaddingMask ?? null }) as Tensor;
      return this.decoder.forward(tgt, memory, {
        tgtMask: opts.tgtMask ?? null, memoryMask: opts.memoryMask ?? null,
        tgtKeyPaddingMask: opts.tgtKeyPaddingMask ?? null, memoryKeyPaddingMask: opts.memoryKeyPaddingMask ?? null,
      }) as Tensor;
    });
  }
}
