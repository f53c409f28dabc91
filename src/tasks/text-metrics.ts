// Metrics of the text tasks as streaming accumulators (nb.train.Metric): bits per character of
// next-character logits, and exact match, character error rate and chrF of decoded translations.

import * as nb from '../index.js';

/** Bits per character: the summed cross-entropy of logits [N, L, V] against targets [N, L] (negative: padding, not counted), over ln 2. */
export class BitsPerChar implements nb.train.Metric {
  readonly name = 'bitsPerChar';
  readonly higherIsBetter = false;
  private nats = 0;
  private n = 0;
  reset(): void { this.nats = 0; this.n = 0; }
  update(output: nb.Tensor, target: nb.Tensor): void {
    const V = output.shape[output.ndim - 1]!;
    this.nats += nb.scope(() => nb.F.crossEntropy(output.reshape([-1, V]), target.reshape([-1]), { reduction: 'sum' }).item());
    // targets past the end of a stream are crossEntropy's ignoreIndex: not characters of the text
    const t = target.dataSync();
    for (let i = 0; i < t.length; i++) if (t[i]! >= 0) this.n++;
  }
  compute(): number { return this.n ? this.nats / this.n / Math.LN2 : NaN; }
  clone(): BitsPerChar { return new BitsPerChar(); }
  state(): nb.train.JsonValue { return { nats: this.nats, n: this.n }; }
  loadState(s: nb.train.JsonValue): void {
    const o = s as { nats?: unknown; n?: unknown };
    if (typeof o?.nats !== 'number' || typeof o.n !== 'number') throw new Error(`bitsPerChar: bad saved state ${JSON.stringify(s)}`);
    this.nats = o.nats; this.n = o.n;
  }
}

/** Rows of int ids [N, T] → strings (the vocabulary stops at EOS and skips padding). */
export function decodeRows(ids: nb.Tensor, vocab: nb.text.CharVocab): string[] {
  const [N, T] = ids.shape as [number, number];
  const d = ids.dataSync();
  return Array.from({ length: N }, (_, r) => vocab.decode(d.subarray(r * T, (r + 1) * T)));
}

/** A corpus metric of decoded hypotheses (output) against references (target), both id rows. */
class TranslationMetric implements nb.train.Metric {
  private hyps: string[] = [];
  private refs: string[] = [];
  constructor(readonly name: string, readonly higherIsBetter: boolean, private readonly vocab: nb.text.CharVocab, private readonly score: (h: string[], r: string[]) => number) {}
  reset(): void { this.hyps = []; this.refs = []; }
  update(output: nb.Tensor, target: nb.Tensor): void {
    this.hyps.push(...decodeRows(output, this.vocab));
    this.refs.push(...decodeRows(target, this.vocab));
  }
  compute(): number { return this.hyps.length ? this.score(this.hyps, this.refs) : NaN; }
  clone(): TranslationMetric { return new TranslationMetric(this.name, this.higherIsBetter, this.vocab, this.score); }
  state(): nb.train.JsonValue { return { hyps: this.hyps, refs: this.refs }; }
  loadState(s: nb.train.JsonValue): void {
    const o = s as { hyps?: unknown; refs?: unknown };
    if (!Array.isArray(o?.hyps) || !Array.isArray(o.refs)) throw new Error(`${this.name}: bad saved state`);
    this.hyps = o.hyps as string[]; this.refs = o.refs as string[];
  }
}

/** Exact match, character error rate and chrF of decoded translations against the first listed translation. */
export function translationMetrics(vocab: nb.text.CharVocab): nb.train.Metric[] {
  return [
    new TranslationMetric('exactMatch', true, vocab, (h, r) => nb.text.exactMatch(h, r)),
    new TranslationMetric('cer', false, vocab, (h, r) => nb.text.characterErrorRate(h, r)),
    new TranslationMetric('chrF', true, vocab, (h, r) => nb.text.chrF(h, r)),
  ];
}
