// Character sequence-to-sequence models for translation: a bidirectional-GRU encoder with a GRU
// decoder and additive (Bahdanau) attention, and a small transformer encoder–decoder. Both train with
// teacher forcing and decode one step at a time through the StepModel interface (greedy, beam search).

import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { Module } from '../nn/module.js';
import { Embedding } from '../nn/layers/embedding.js';
import { Linear } from '../nn/layers/linear.js';
import { Dropout } from '../nn/layers/dropout.js';
import { GRU } from '../nn/rnn.js';
import { Transformer, TransformerDecoder, TransformerDecoderLayer, type DecoderLayerCache } from '../nn/transformer.js';
import { add, mul, div, tanh, eq, maskedFill, logicalNot } from '../ops/elementwise.js';
import { cast } from '../ops/layout.js';
import { sum } from '../ops/reduce.js';
import { cat, narrow, select, unsqueeze, squeeze, reshape } from '../ops/shape.js';
import { indexSelect } from '../ops/indexing.js';
import { matmul } from '../ops/linalg.js';
import { softmax, logSoftmax } from '../ops/activation.js';
import { fmt } from '../tensor/shape.js';
import type { StepModel } from '../text/decode.js';

export type Seq2SeqKind = 'gru' | 'transformer';
export const SEQ2SEQ_KINDS: readonly Seq2SeqKind[] = ['gru', 'transformer'];

export interface Seq2SeqConfig {
  kind: Seq2SeqKind;
  srcVocab: number;
  tgtVocab: number;
  /** character embedding width (the transformer's model width) */
  embedDim: number;
  /** GRU: decoder hidden size (the encoder has half per direction); transformer: feed-forward width */
  hiddenSize: number;
  /** GRU: attention width; transformer: encoder and decoder layers each */
  attentionDim?: number;
  numLayers?: number;
  heads?: number;
  dropout: number;
  /** transformer: longest source or target (positions) */
  maxLength?: number;
  /** the padding id of both vocabularies (0) */
  pad: number;
}

export function defaultSeq2SeqConfig(kind: Seq2SeqKind, srcVocab: number, tgtVocab: number): Seq2SeqConfig {
  return kind === 'gru'
    ? { kind, srcVocab, tgtVocab, embedDim: 64, hiddenSize: 256, attentionDim: 128, dropout: 0.1, pad: 0 }
    : { kind, srcVocab, tgtVocab, embedDim: 128, hiddenSize: 512, numLayers: 3, heads: 4, dropout: 0.1, maxLength: 64, pad: 0 };
}

/** What training and decoding need of a translation model. */
export interface Seq2SeqModel extends Module {
  readonly config: Seq2SeqConfig;
  /**
   * Teacher forcing: src [N, S] and the decoder's input tgtIn [N, T] (BOS + target, padded with
   * `pad`) → logits [N, T, tgtVocab] for the next character at each position.
   */
  forward(src: Tensor, tgtIn: Tensor): Tensor;
  /** A decoding state for a batch of sources, and the step function over it. */
  decoder(src: Tensor): { model: StepModel<unknown>; state: unknown };
  /** Attention of each output position over the source, [T, S], for a source and a decoded target (BOS excluded). */
  attentionMap(src: Int32Array, tgt: Int32Array, bos: number): number[][];
}

function checkIds(label: string, what: string, x: Tensor): void {
  if (x.ndim !== 2 || x.dtype !== 'int32') throw new Error(`${label}: expected ${what} as int32 ids [batch, length], got ${x.dtype} ${fmt(x.shape)}`);
}

interface GruState { h: Tensor; enc: Tensor; keys: Tensor; padMask: Tensor }

/** Bidirectional GRU encoder, GRU decoder, additive attention over the encoder's outputs. */
export class GRUSeq2Seq extends Module implements Seq2SeqModel {
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly encoder: GRU;
  readonly bridge: Linear;
  readonly decoderRnn: GRU;
  readonly attnKey: Linear;
  readonly attnQuery: Linear;
  readonly attnV: Linear;
  readonly combine: Linear;
  readonly out: Linear;
  readonly drop: Dropout;

  constructor(readonly config: Seq2SeqConfig) {
    super();
    const c = config, H = c.hiddenSize, A = c.attentionDim ?? 128;
    if (H % 2) throw new RangeError(`GRUSeq2Seq: hiddenSize must be even (half per encoder direction), got ${H}`);
    this.srcEmbed = new Embedding(c.srcVocab, c.embedDim, { paddingIdx: c.pad });
    this.tgtEmbed = new Embedding(c.tgtVocab, c.embedDim, { paddingIdx: c.pad });
    this.encoder = new GRU(c.embedDim, H / 2, { bidirectional: true, batchFirst: true });
    this.bridge = new Linear(H, H);
    this.decoderRnn = new GRU(c.embedDim, H, { batchFirst: true });
    this.attnKey = new Linear(H, A, { bias: false });
    this.attnQuery = new Linear(H, A);
    this.attnV = new Linear(A, 1, { bias: false });
    this.combine = new Linear(2 * H, H);
    this.out = new Linear(H, c.tgtVocab);
    this.drop = new Dropout(c.dropout);
  }

  /** Encoder outputs [N, S, H], attention keys [N, S, A], padding mask [N, S] and the decoder's first state [1, N, H]. */
  private encode(src: Tensor): GruState {
    const padMask = eq(src, this.config.pad);
    const [enc0] = this.encoder.forward(this.drop.forward(this.srcEmbed.forward(src)));
    const keep = cast(unsqueeze(logicalNot(padMask), 2), enc0.dtype);
    const enc = mul(enc0, keep);
    // the masked mean of the encoder's outputs starts the decoder
    const mean = div(sum(enc, 1), sum(keep, 1));
    const h = unsqueeze(tanh(this.bridge.forward(mean)), 0);
    return { h, enc, keys: this.attnKey.forward(enc), padMask };
  }

  /** Attention of decoder outputs dec [N, T, H] over the encoder: weights [N, T, S] and the output logits [N, T, V]. */
  private attend(dec: Tensor, s: GruState): { logits: Tensor; weights: Tensor } {
    // scores[n, t, s] = vᵀ·tanh(W_q dec[n, t] + W_k enc[n, s]) for every t at once, through one
    // [N, T, S, A] broadcast. (A standalone repro of this form read tensors back wrong on trees before
    // 53b3494: that was the signed read-back above 2 GiB, not this math nor a kernel write —
    // docs/notes/memory.md.)
    const qs = this.attnQuery.forward(dec); // [N, T, A]
    const hidden = tanh(add(unsqueeze(s.keys, 1), unsqueeze(qs, 2))); // [N, T, S, A]
    const scores = squeeze(this.attnV.forward(hidden), 3); // [N, T, S]
    const weights = softmax(maskedFill(scores, unsqueeze(s.padMask, 1), -Infinity), -1);
    const ctx = matmul(weights, s.enc); // [N, T, H]
    const h = tanh(this.combine.forward(cat([dec, ctx], 2)));
    return { logits: this.out.forward(this.drop.forward(h)), weights };
  }

  override forward(src: Tensor, tgtIn: Tensor): Tensor {
    checkIds('GRUSeq2Seq', 'src', src);
    checkIds('GRUSeq2Seq', 'tgtIn', tgtIn);
    return scope(() => {
      const s = this.encode(src);
      const [dec] = this.decoderRnn.forward(this.drop.forward(this.tgtEmbed.forward(tgtIn)), s.h);
      return this.attend(dec, s).logits;
    });
  }

  decoder(src: Tensor): { model: StepModel<unknown>; state: unknown } {
    checkIds('GRUSeq2Seq', 'src', src);
    const state = this.encode(src);
    const model: StepModel<GruState> = {
      vocabSize: this.config.tgtVocab,
      step: (st, tokens) => {
        const x = tensor(tokens, { shape: [tokens.length, 1], dtype: 'int32' });
        const [dec, h] = this.decoderRnn.forward(this.tgtEmbed.forward(x), st.h);
        const { logits } = this.attend(dec, st);
        return { logProbs: logSoftmax(reshape(logits, [tokens.length, -1]), -1).dataSync(), state: { ...st, h } };
      },
      select: (st, rows) => {
        const idx = tensor(rows, { dtype: 'int32' });
        return { h: indexSelect(st.h, 1, idx), enc: indexSelect(st.enc, 0, idx), keys: indexSelect(st.keys, 0, idx), padMask: indexSelect(st.padMask, 0, idx) };
      },
    };
    return { model: model as StepModel<unknown>, state };
  }

  attentionMap(src: Int32Array, tgt: Int32Array, bos: number): number[][] {
    return scope(() => {
      const s = this.encode(tensor(src, { shape: [1, src.length], dtype: 'int32' }));
      const tin = Int32Array.from([bos, ...tgt]);
      const [dec] = this.decoderRnn.forward(this.tgtEmbed.forward(tensor(tin, { shape: [1, tin.length], dtype: 'int32' })), s.h);
      return select(this.attend(dec, s).weights, 0, 0).toArray() as number[][];
    });
  }
}

/** Decoding state: the encoded sources, the tokens so far, and each decoder layer's keys and values of them (and of the memory). */
interface TfState { memory: Tensor; srcPad: Tensor; prefix: Int32Array[]; cache: DecoderLayerCache[] }

/** nn.Transformer (pre-norm) between character embeddings with learned positions and a linear read-out. */
export class TransformerSeq2Seq extends Module implements Seq2SeqModel {
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly posEmbed: Embedding;
  readonly transformer: Transformer;
  readonly out: Linear;
  readonly drop: Dropout;
  readonly maxLength: number;

  constructor(readonly config: Seq2SeqConfig) {
    super();
    const c = config, d = c.embedDim;
    this.maxLength = c.maxLength ?? 64;
    this.srcEmbed = new Embedding(c.srcVocab, d, { paddingIdx: c.pad });
    this.tgtEmbed = new Embedding(c.tgtVocab, d, { paddingIdx: c.pad });
    this.posEmbed = new Embedding(this.maxLength, d);
    this.transformer = new Transformer({
      dModel: d, nhead: c.heads ?? 4, numEncoderLayers: c.numLayers ?? 3, numDecoderLayers: c.numLayers ?? 3,
      dimFeedforward: c.hiddenSize, dropout: c.dropout, batchFirst: true, normFirst: true, activation: 'gelu',
    });
    this.out = new Linear(d, c.tgtVocab);
    this.drop = new Dropout(c.dropout);
  }

  /** Embeddings of x [N, L] at positions offset … offset + L − 1. */
  private embed(e: Embedding, x: Tensor, offset = 0): Tensor {
    const L = x.shape[1]!;
    if (offset + L > this.maxLength) throw new Error(`TransformerSeq2Seq: a sequence of ${offset + L} characters is longer than maxLength ${this.maxLength}`);
    const pos = tensor(Int32Array.from({ length: L }, (_, i) => offset + i), { shape: [1, L], dtype: 'int32' });
    return this.drop.forward(add(mul(e.forward(x), Math.sqrt(this.config.embedDim)), this.posEmbed.forward(pos)));
  }

  private encode(src: Tensor): { memory: Tensor; srcPad: Tensor } {
    const srcPad = eq(src, this.config.pad);
    const enc = this.transformer.encoder.forward(this.embed(this.srcEmbed, src), { srcKeyPaddingMask: srcPad }) as Tensor;
    return { memory: enc, srcPad };
  }

  private decode(tgtIn: Tensor, memory: Tensor, srcPad: Tensor): Tensor {
    const T = tgtIn.shape[1]!;
    const dec = this.transformer.decoder.forward(this.embed(this.tgtEmbed, tgtIn), memory, {
      tgtMask: Transformer.generateSquareSubsequentMask(T), tgtKeyPaddingMask: eq(tgtIn, this.config.pad), memoryKeyPaddingMask: srcPad,
    }) as Tensor;
    return this.out.forward(dec);
  }

  override forward(src: Tensor, tgtIn: Tensor): Tensor {
    checkIds('TransformerSeq2Seq', 'src', src);
    checkIds('TransformerSeq2Seq', 'tgtIn', tgtIn);
    return scope(() => {
      const { memory, srcPad } = this.encode(src);
      return this.decode(tgtIn, memory, srcPad);
    });
  }

  decoder(src: Tensor): { model: StepModel<unknown>; state: unknown } {
    checkIds('TransformerSeq2Seq', 'src', src);
    const { memory, srcPad } = this.encode(src);
    const R = src.shape[0]!;
    const decoder = this.transformer.decoder as TransformerDecoder;
    const state: TfState = { memory, srcPad, prefix: Array.from({ length: R }, () => new Int32Array(0)), cache: decoder.makeCache() };
    const model: StepModel<TfState> = {
      vocabSize: this.config.tgtVocab,
      step: (st, tokens) => {
        // one position per step: each layer's KV cache holds the keys and values of the prefix (and of the
        // memory, projected on the first step), so the decoder reads only the new token
        const R = st.prefix.length, T = st.prefix[0]!.length + 1;
        const prefix = st.prefix.map((p, i) => { const q = new Int32Array(T); q.set(p); q[T - 1] = tokens[i]!; return q; });
        const flat = new Int32Array(R * T);
        prefix.forEach((p, i) => flat.set(p, i * T));
        const logProbs = scope(() => {
          const ids = tensor(flat, { shape: [R, T], dtype: 'int32' });
          const x = this.embed(this.tgtEmbed, narrow(ids, 1, T - 1, 1), T - 1);
          const dec = decoder.forward(x, st.memory, { tgtKeyPaddingMask: eq(ids, this.config.pad), memoryKeyPaddingMask: st.srcPad, cache: st.cache });
          return logSoftmax(reshape(this.out.forward(dec), [R, -1]), -1).dataSync();
        });
        return { logProbs, state: { ...st, prefix } };
      },
      select: (st, rows) => {
        const idx = tensor(rows, { dtype: 'int32' });
        const cache = st.cache.map((c) => ({ self: c.self.select(rows), memory: c.memory.select(rows) }));
        for (const c of st.cache) { c.self.dispose(); c.memory.dispose(); }
        return { memory: indexSelect(st.memory, 0, idx), srcPad: indexSelect(st.srcPad, 0, idx), prefix: [...rows].map((r) => st.prefix[r]!), cache };
      },
    };
    return { model: model as StepModel<unknown>, state };
  }

  attentionMap(src: Int32Array, tgt: Int32Array, bos: number): number[][] {
    const layers = [...(this.transformer.decoder as TransformerDecoder).layers] as TransformerDecoderLayer[];
    const last = layers[layers.length - 1]!;
    last.keepAttentionWeights = true;
    try {
      return scope(() => {
        const { memory, srcPad } = this.encode(tensor(src, { shape: [1, src.length], dtype: 'int32' }));
        const tin = Int32Array.from([bos, ...tgt]);
        this.decode(tensor(tin, { shape: [1, tin.length], dtype: 'int32' }), memory, srcPad);
        return select(last.lastAttentionWeights!, 0, 0).toArray() as number[][];
      });
    } finally {
      last.keepAttentionWeights = false;
    }
  }
}

export function createSeq2Seq(config: Seq2SeqConfig): Seq2SeqModel {
  const c = config;
  if (!SEQ2SEQ_KINDS.includes(c.kind)) throw new Error(`createSeq2Seq: kind must be one of ${SEQ2SEQ_KINDS.join(', ')}, got '${String(c.kind)}'`);
  for (const k of ['srcVocab', 'tgtVocab', 'embedDim', 'hiddenSize'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new RangeError(`createSeq2Seq: ${k} must be an integer ≥ 1, got ${c[k]}`);
  }
  return c.kind === 'gru' ? new GRUSeq2Seq(c) : new TransformerSeq2Seq(c);
}
