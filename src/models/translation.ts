// Character-level translation with a Seq2SeqModel: vocabularies, length-bucketed teacher-forcing
// batches, the loss, batched greedy/beam translation, the metrics and the nearest-headword baseline.

import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { crossEntropy } from '../nn/loss.js';
import { reshape, select } from '../ops/shape.js';
import type { Dataset } from '../data/dataset.js';
import { withRng } from '../data/rng.js';
import { randomInt } from '../tensor/random.js';
import { CharVocab } from '../text/vocab.js';
import { beamSearch, greedyDecode } from '../text/decode.js';
import { characterErrorRate, chrF, exactMatch } from '../text/metrics.js';
import { NearestWord } from '../text/nearest.js';
import type { Module } from '../nn/module.js';
import type { Seq2SeqModel } from './seq2seq.js';

/** A source and its reference; alternatives are other accepted answers (the lenient match). */
export interface Pair { src: string; tgt: string; alternatives?: readonly string[] }

export interface TranslationVocabs { src: CharVocab; tgt: CharVocab }

/** Source and target vocabularies of the training pairs (characters seen at least minCount times; the rest → <unk>). */
export function buildTranslationVocabs(pairs: readonly Pair[], minCount = 3): TranslationVocabs {
  const count = (texts: Iterable<string>): string[] => {
    const m = new Map<string, number>();
    for (const t of texts) for (const c of t) m.set(c, (m.get(c) ?? 0) + 1);
    return [...m].filter(([, n]) => n >= minCount).map(([c]) => c);
  };
  const specials = ['pad', 'bos', 'eos', 'unk'] as const;
  return {
    src: new CharVocab(count(pairs.map((p) => p.src)), specials),
    tgt: new CharVocab(count(pairs.map((p) => p.tgt)), specials),
  };
}

/**
 * Teacher-forcing batches, each of similar-length pairs (sorted within pools of 50 batches, so little
 * is padding): item i is batch i as [x [N, 2, L], y [N, L]] — x stacks the source and the decoder's
 * input (BOS + target), y is target + EOS; all padded with 0, which the loss ignores.
 */
export class Seq2SeqBatches implements Dataset<[Tensor, Tensor]> {
  private readonly batches: number[][];
  private readonly src: Int32Array[];
  private readonly tgt: Int32Array[];

  constructor(pairs: readonly Pair[], readonly vocabs: TranslationVocabs, readonly batchSize: number, seed = 0) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`Seq2SeqBatches: batchSize must be an integer ≥ 1, got ${batchSize}`);
    if (!pairs.length) throw new Error('Seq2SeqBatches: no pairs');
    this.src = pairs.map((p) => vocabs.src.encode(p.src));
    this.tgt = pairs.map((p) => vocabs.tgt.encode(p.tgt));
    const order = withRng(seed, () => {
      const o = Array.from({ length: pairs.length }, (_, i) => i);
      for (let i = o.length - 1; i > 0; i--) { const j = randomInt(i + 1); [o[i], o[j]] = [o[j]!, o[i]!]; }
      return o;
    });
    const len = (i: number): number => Math.max(this.src[i]!.length, this.tgt[i]!.length + 1);
    this.batches = [];
    const pool = batchSize * 50;
    for (let p = 0; p < order.length; p += pool) {
      const part = order.slice(p, p + pool).sort((a, b) => len(a) - len(b));
      for (let b = 0; b < part.length; b += batchSize) this.batches.push(part.slice(b, b + batchSize));
    }
  }

  get length(): number {
    return this.batches.length;
  }

  get(i: number): [Tensor, Tensor] {
    const idx = this.batches[i];
    if (!idx) throw new RangeError(`Seq2SeqBatches: batch ${i} is out of range for ${this.batches.length} batches`);
    return encodeBatch(idx.map((j) => this.src[j]!), idx.map((j) => this.tgt[j]!), this.vocabs);
  }
}

/** [x [N, 2, L], y [N, L]] of encoded sources and targets (see Seq2SeqBatches). */
export function encodeBatch(src: readonly Int32Array[], tgt: readonly Int32Array[], vocabs: TranslationVocabs): [Tensor, Tensor] {
  const N = src.length;
  const L = Math.max(1, ...src.map((s) => s.length), ...tgt.map((t) => t.length + 1));
  const x = new Int32Array(N * 2 * L), y = new Int32Array(N * L);
  const bos = vocabs.tgt.special('bos'), eos = vocabs.tgt.special('eos');
  for (let n = 0; n < N; n++) {
    x.set(src[n]!, n * 2 * L);
    x[n * 2 * L + L] = bos;
    x.set(tgt[n]!, n * 2 * L + L + 1);
    y.set(tgt[n]!, n * L);
    y[n * L + tgt[n]!.length] = eos;
  }
  return [tensor(x, { shape: [N, 2, L], dtype: 'int32' }), tensor(y, { shape: [N, L], dtype: 'int32' })];
}

/** fit's forward for a Seq2SeqModel: x [N, 2, L] → logits [N, L, V]. */
export function seq2seqForward(model: Module, x: Tensor): Tensor {
  if (x.ndim !== 3 || x.shape[1] !== 2 || x.dtype !== 'int32') throw new Error(`seq2seqForward: expected int32 [batch, 2, length] (source and decoder input stacked), got ${x.dtype} [${x.shape.join(', ')}]`);
  return (model as Seq2SeqModel).forward(select(x, 1, 0), select(x, 1, 1));
}

/** Mean cross-entropy over target characters, padding (0) ignored. */
export function seq2seqLoss(logits: Tensor, y: Tensor): Tensor {
  const V = logits.shape[logits.ndim - 1]!;
  return crossEntropy(reshape(logits, [-1, V]), reshape(y, [-1]), { ignoreIndex: 0 });
}

export interface TranslateOptions {
  /** 1 = greedy (default 5) */
  beamSize?: number;
  /** longest output in characters (default 60) */
  maxLength?: number;
  /** sources decoded at once (default 128) */
  batchSize?: number;
  /** finished hypotheses are ranked by logP / length^α (default 1) */
  lengthPenalty?: number;
}

/** Decodes a batch of encoded sources [N, L] (padded with 0): the target ids of each, without BOS/EOS. */
export function translateIds(model: Seq2SeqModel, vocabs: TranslationVocabs, src: Tensor, opts: TranslateOptions = {}): number[][] {
  const K = opts.beamSize ?? 5, maxLength = opts.maxLength ?? 60;
  const bos = vocabs.tgt.special('bos'), eos = vocabs.tgt.special('eos');
  const rows = src.shape[0]!;
  return noGrad(() => scope(() => {
    const { model: step, state } = model.decoder(src);
    return K === 1
      ? greedyDecode(step, state, rows, { bos, eos, maxLength })
      : beamSearch(step, state, rows, { bos, eos, maxLength, beamSize: K, lengthPenalty: opts.lengthPenalty ?? 1 }).map((r) => r.tokens);
  }));
}

/**
 * Batches of at most `batchSize` indices whose lengths are equal (in order of length): sources decoded
 * together are then never padded, so a bidirectional encoder's backward pass starts at each word's end.
 */
export function sameLengthBatches(lengths: ArrayLike<number>, batchSize: number): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const out: number[][] = [];
  for (const i of order) {
    const last = out[out.length - 1];
    if (last && last.length < batchSize && lengths[last[0]!] === lengths[i]) last.push(i);
    else out.push([i]);
  }
  return out;
}

/** Translates sources (greedy when beamSize is 1, else beam search), in batches of equal length, in eval mode. */
export function translate(model: Seq2SeqModel, vocabs: TranslationVocabs, sources: readonly string[], opts: TranslateOptions = {}): string[] {
  const B = opts.batchSize ?? 128;
  const wasTraining = model.training;
  model.eval();
  const encoded = sources.map((s) => vocabs.src.encode(s));
  const out: string[] = new Array<string>(sources.length);
  try {
    for (const batch of sameLengthBatches(encoded.map((e) => e.length), B)) {
      const L = Math.max(1, encoded[batch[0]!]!.length);
      const flat = new Int32Array(batch.length * L);
      batch.forEach((i, r) => flat.set(encoded[i]!, r * L));
      const ids = scope(() => translateIds(model, vocabs, tensor(flat, { shape: [batch.length, L], dtype: 'int32' }), opts));
      ids.forEach((t, r) => { out[batch[r]!] = vocabs.tgt.decode(t); });
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

export interface TranslationScores {
  /** the hypothesis equals the first listed translation */
  exactMatch: number;
  /** the hypothesis equals any translation listed for the source */
  anyMatch: number;
  /** character error rate against the first listed translation */
  cer: number;
  chrF: number;
  count: number;
}

export function scoreTranslations(hyps: readonly string[], pairs: readonly Pair[]): TranslationScores {
  const refs = pairs.map((p) => p.tgt);
  return {
    exactMatch: exactMatch(hyps, refs),
    anyMatch: exactMatch(hyps, pairs.map((p) => (p.alternatives?.length ? p.alternatives : [p.tgt]))),
    cer: characterErrorRate(hyps, refs),
    chrF: chrF(hyps, refs),
    count: hyps.length,
  };
}

/**
 * The baseline: answer each source with the translation of the training source nearest to it by
 * edit distance (the first of equals in training order).
 */
export function nearestHeadwordBaseline(train: readonly Pair[], sources: readonly string[]): { hyps: string[]; nearest: string[] } {
  const nw = new NearestWord(train.map((p) => p.src));
  const hyps: string[] = [], nearest: string[] = [];
  for (const s of sources) {
    const r = nw.find(s);
    hyps.push(train[r.index]!.tgt);
    nearest.push(r.word);
  }
  return { hyps, nearest };
}
