// The baseline for character language models: an order-n character n-gram model with add-k
// smoothing, P(c | previous n−1 chars) = (count(context, c) + k) / (count(context) + k·V).

import { bitsPerChar } from './metrics.js';

export class CharNGram {
  /** counts[context] = per-character counts after that context (context ids in base V+1) */
  private readonly counts = new Map<number, Float64Array>();
  private readonly totals = new Map<number, number>();

  /**
   * order: characters per n-gram (3 = trigram: two characters of context); vocabSize: ids are
   * 0..vocabSize−1; k: the count added to every n-gram (tune it with fitK on held-out text).
   */
  constructor(readonly order: number, readonly vocabSize: number, public k = 1) {
    if (!Number.isInteger(order) || order < 1) throw new RangeError(`CharNGram: order must be an integer ≥ 1, got ${order}`);
    if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new RangeError(`CharNGram: vocabSize must be an integer ≥ 1, got ${vocabSize}`);
    if ((vocabSize + 1) ** (order - 1) > Number.MAX_SAFE_INTEGER) throw new RangeError(`CharNGram: order ${order} with ${vocabSize} symbols overflows the context ids`);
    if (!(k > 0)) throw new RangeError(`CharNGram: k must be > 0, got ${k}`);
  }

  /** The context id of the n−1 ids before position i; positions before the start are a boundary symbol. */
  private context(ids: ArrayLike<number>, i: number): number {
    const B = this.vocabSize + 1;
    let c = 0;
    for (let j = i - this.order + 1; j < i; j++) c = c * B + (j >= 0 ? ids[j]! + 1 : 0);
    return c;
  }

  private checkIds(where: string, ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= this.vocabSize) throw new RangeError(`CharNGram.${where}: id ${v} at position ${i} is outside 0..${this.vocabSize - 1}`);
    }
  }

  /** Adds the n-grams of a text (ids); every position from 0 is counted, the first with boundary context. */
  fit(ids: ArrayLike<number>): this {
    this.checkIds('fit', ids);
    for (let i = 0; i < ids.length; i++) {
      const c = this.context(ids, i);
      let row = this.counts.get(c);
      if (!row) this.counts.set(c, (row = new Float64Array(this.vocabSize)));
      row[ids[i]!]!++;
      this.totals.set(c, (this.totals.get(c) ?? 0) + 1);
    }
    return this;
  }

  /** Natural-log probability of ids[i] given the characters before it. */
  logProb(ids: ArrayLike<number>, i: number, k = this.k): number {
    const c = this.context(ids, i);
    const n = this.counts.get(c)?.[ids[i]!] ?? 0;
    const total = this.totals.get(c) ?? 0;
    return Math.log((n + k) / (total + k * this.vocabSize));
  }

  /** Natural-log probabilities of every next character after ids[0 .. i) (an [vocabSize] row). */
  logProbRow(ids: ArrayLike<number>, i: number, k = this.k): Float64Array {
    const c = this.context(ids, i);
    const row = this.counts.get(c);
    const denom = Math.log((this.totals.get(c) ?? 0) + k * this.vocabSize);
    const out = new Float64Array(this.vocabSize);
    for (let v = 0; v < this.vocabSize; v++) out[v] = Math.log((row?.[v] ?? 0) + k) - denom;
    return out;
  }

  /** Bits per character over positions [from, ids.length) of a text, each given everything before it. */
  bitsPerChar(ids: ArrayLike<number>, from = 0, k = this.k): number {
    this.checkIds('bitsPerChar', ids);
    let nats = 0;
    for (let i = from; i < ids.length; i++) nats -= this.logProb(ids, i, k);
    return bitsPerChar(nats, ids.length - from);
  }

  /** Picks k from `candidates` by bits per character on held-out text, sets it, and returns each k's score. */
  fitK(heldOut: ArrayLike<number>, candidates: readonly number[] = [1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]): { k: number; bitsPerChar: number }[] {
    const scores = candidates.map((k) => ({ k, bitsPerChar: this.bitsPerChar(heldOut, 1, k) }));
    this.k = scores.reduce((a, b) => (b.bitsPerChar < a.bitsPerChar ? b : a)).k;
    return scores;
  }
}
