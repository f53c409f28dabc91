// Character language models: an embedding, an LSTM or GRU stack (or a GPT-style causal transformer)
// and a linear read-out to next-character logits. Built from a plain config that checkpoints store.

import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { Module } from '../nn/module.js';
import { Embedding } from '../nn/layers/embedding.js';
import { Linear } from '../nn/layers/linear.js';
import { LayerNorm } from '../nn/layers/norm.js';
import { Dropout } from '../nn/layers/dropout.js';
import { LSTM, GRU } from '../nn/rnn.js';
import { TransformerEncoder, TransformerEncoderLayer, generateSquareSubsequentMask } from '../nn/attention.js';
import { add } from '../ops/elementwise.js';
import { normal_ } from '../nn/init.js';
import { fmt } from '../tensor/shape.js';

export type CharLMKind = 'lstm' | 'gru' | 'transformer';
export const CHAR_LM_KINDS: readonly CharLMKind[] = ['lstm', 'gru', 'transformer'];

export interface CharLMConfig {
  kind: CharLMKind;
  vocabSize: number;
  /** character embedding width (the transformer's model width) */
  embedDim: number;
  /** recurrent hidden size (the transformer's feed-forward width) */
  hiddenSize: number;
  numLayers: number;
  dropout: number;
  /** transformer only: attention heads and the longest context */
  heads?: number;
  contextLength?: number;
}

/** The defaults of each kind: sized for ≈ 20 minutes of training on 2 cores. */
export function defaultCharLMConfig(kind: CharLMKind, vocabSize: number): CharLMConfig {
  switch (kind) {
    case 'lstm': return { kind, vocabSize, embedDim: 64, hiddenSize: 256, numLayers: 2, dropout: 0.1 };
    case 'gru': return { kind, vocabSize, embedDim: 64, hiddenSize: 320, numLayers: 2, dropout: 0.1 };
    case 'transformer': return { kind, vocabSize, embedDim: 128, hiddenSize: 512, numLayers: 4, dropout: 0.1, heads: 4, contextLength: 128 };
  }
}

/** A recurrent state carried between chunks of a stream (null: start from zeros). */
export type LMState = Tensor | [Tensor, Tensor] | null;

/** What the language-model task needs of a model. */
export interface CharLanguageModel extends Module {
  readonly config: CharLMConfig;
  /** the longest input the model can see at once; Infinity for recurrent models */
  readonly contextLength: number;
  /** inputs [N, L] int32 → next-character logits [N, L, V] */
  forward(x: Tensor): Tensor;
  /** like forward, continuing from a state (recurrent models) and returning the state after the input */
  forwardWithState(x: Tensor, state: LMState): { logits: Tensor; state: LMState };
}

function checkInput(label: string, x: Tensor, vocab: number): void {
  if (x.ndim !== 2) throw new Error(`${label}: expected character ids [batch, length], got ${fmt(x.shape)}`);
  if (x.dtype !== 'int32') throw new TypeError(`${label}: expected int32 character ids, got ${x.dtype}`);
  void vocab;
}

/** Embedding → LSTM/GRU (batch first) → dropout → Linear. */
export class CharRNN extends Module implements CharLanguageModel {
  readonly contextLength = Infinity;
  readonly embed: Embedding;
  readonly rnn: LSTM | GRU;
  readonly drop: Dropout;
  readonly head: Linear;

  constructor(readonly config: CharLMConfig) {
    super();
    const c = config;
    this.embed = new Embedding(c.vocabSize, c.embedDim);
    const opts = { numLayers: c.numLayers, dropout: c.numLayers > 1 ? c.dropout : 0, batchFirst: true };
    this.rnn = c.kind === 'lstm' ? new LSTM(c.embedDim, c.hiddenSize, opts) : new GRU(c.embedDim, c.hiddenSize, opts);
    this.drop = new Dropout(c.dropout);
    this.head = new Linear(c.hiddenSize, c.vocabSize);
  }

  override forward(x: Tensor): Tensor {
    return this.forwardWithState(x, null).logits;
  }

  forwardWithState(x: Tensor, state: LMState): { logits: Tensor; state: LMState } {
    checkInput(`CharRNN(${this.config.kind})`, x, this.config.vocabSize);
    return scope(() => {
      const e = this.embed.forward(x);
      let out: Tensor, next: LMState;
      if (this.rnn instanceof LSTM) [out, next] = this.rnn.forward(e, state as [Tensor, Tensor] | null);
      else [out, next] = this.rnn.forward(e, state as Tensor | null);
      return { logits: this.head.forward(this.drop.forward(out)), state: next };
    });
  }
}

/** GPT-style: token + learned position embeddings → pre-norm causal transformer blocks → LayerNorm → Linear. */
export class CharGPT extends Module implements CharLanguageModel {
  readonly contextLength: number;
  readonly tokEmbed: Embedding;
  readonly posEmbed: Embedding;
  readonly drop: Dropout;
  readonly blocks: TransformerEncoder;
  readonly norm: LayerNorm;
  readonly head: Linear;

  constructor(readonly config: CharLMConfig) {
    super();
    const c = config;
    const heads = c.heads ?? 4;
    this.contextLength = c.contextLength ?? 128;
    this.tokEmbed = new Embedding(c.vocabSize, c.embedDim);
    this.posEmbed = new Embedding(this.contextLength, c.embedDim);
    // GPT-2's small init for embeddings: N(0, 0.02) instead of Embedding's N(0, 1)
    for (const e of [this.tokEmbed, this.posEmbed]) normal_(e.weight, 0, 0.02);
    this.drop = new Dropout(c.dropout);
    const layer = new TransformerEncoderLayer(c.embedDim, heads, {
      dimFeedforward: c.hiddenSize, dropout: c.dropout, activation: 'gelu', normFirst: true, batchFirst: true,
    });
    this.blocks = new TransformerEncoder(layer, c.numLayers);
    this.norm = new LayerNorm(c.embedDim);
    this.head = new Linear(c.embedDim, c.vocabSize);
  }

  override forward(x: Tensor): Tensor {
    checkInput('CharGPT', x, this.config.vocabSize);
    const L = x.shape[1]!;
    if (L > this.contextLength) throw new Error(`CharGPT: input of ${L} characters is longer than the context of ${this.contextLength}`);
    return scope(() => {
      const pos = tensor(Int32Array.from({ length: L }, (_, i) => i), { shape: [1, L], dtype: 'int32' });
      const h = this.drop.forward(add(this.tokEmbed.forward(x), this.posEmbed.forward(pos)));
      const y = this.blocks.forward(h, { mask: generateSquareSubsequentMask(L) });
      return this.head.forward(this.norm.forward(y));
    });
  }

  /** The transformer has no state: the caller keeps (up to contextLength) previous characters instead. */
  forwardWithState(x: Tensor, _state: LMState): { logits: Tensor; state: LMState } {
    return { logits: this.forward(x), state: null };
  }
}

export function createCharLM(config: CharLMConfig): CharLanguageModel {
  const c = config;
  if (!CHAR_LM_KINDS.includes(c.kind)) throw new Error(`createCharLM: kind must be one of ${CHAR_LM_KINDS.join(', ')}, got '${String(c.kind)}'`);
  for (const k of ['vocabSize', 'embedDim', 'hiddenSize', 'numLayers'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new RangeError(`createCharLM: ${k} must be an integer ≥ 1, got ${c[k]}`);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`createCharLM: dropout must be in [0, 1), got ${c.dropout}`);
  return c.kind === 'transformer' ? new CharGPT(c) : new CharRNN(c);
}
