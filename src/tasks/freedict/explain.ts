// Explanations of the FreeDict translation model (issue 17): which German characters a translation
// rests on — integrated gradients of log P(translation | source) on the source's character embedding,
// from a source of unknown characters — printed by `nabla explain CHECKPOINT "Wort"` and shown as
// coloured headwords in the report.

import * as nb from '../../index.js';
import { UsageError } from '../../cli/args.js';
import type { Verb } from '../task.js';
import { attributionLines, EXPLAIN_FLAGS, inEvalMode } from '../explain.js';
import { charName, checkTextMethod, sumLine, tokenAttributions, type TokenAttribution } from '../token-explain.js';
import { esc } from '../html.js';
import { lengthPenalty, runFuzzyMatcher, vocabsOf, type FreedictMeta } from './data.js';

const UNKNOWN = 'an all-<unk> source';

/** log P(y | source) of a fixed translation y under teacher forcing: x [k, 2, L] (k copies of one pair) → [k]. */
class TranslationLogProb extends nb.nn.Module {
  constructor(readonly m: nb.models.Seq2SeqModel, private readonly y: Int32Array) { super(); }
  override forward(x: nb.Tensor): nb.Tensor {
    const k = x.shape[0]!, L = this.y.length;
    const logp = nb.logSoftmax(nb.models.seq2seqForward(this.m, x), 2);
    const ys = new Int32Array(k * L);
    for (let r = 0; r < k; r++) ys.set(this.y, r * L);
    const idx = nb.tensor(ys, { shape: [k, L, 1], dtype: 'int32' });
    const mask = nb.tensor(Float32Array.from(ys, (v) => (v === 0 ? 0 : 1)), { shape: [k, L] });
    return logp.gather(2, idx).reshape([k, L]).mul(mask).sum(1);
  }
}

export interface TranslationExplanation extends TokenAttribution {
  chars: string[];
  translation: string;
}

/**
 * Attributions of log P(translation | source) to each character of the source; the translation is
 * the model's own (beam search) unless one is given.
 */
export function explainTranslation(model: nb.models.Seq2SeqModel, vocabs: nb.models.TranslationVocabs, source: string, opts: { translation?: string; beam: number; maxLength: number; lengthPenalty?: number }): TranslationExplanation {
  const translation = opts.translation ?? nb.models.translate(model, vocabs, [source], { beamSize: opts.beam, maxLength: opts.maxLength, lengthPenalty: opts.lengthPenalty })[0]!;
  const src = vocabs.src.encode(source), tgt = vocabs.tgt.encode(translation);
  return nb.scope(() => {
    const [x, y] = nb.models.encodeBatch([src], [tgt], vocabs);
    const L = x.shape[2]!;
    // the baseline: the same pair with every source character <unk> (padding stays padding, so every
    // point of the path is masked like the input)
    const b = Int32Array.from(x.dataSync() as Int32Array);
    const unk = vocabs.src.special('unk');
    for (let i = 0; i < src.length; i++) b[i] = unk;
    const wrap = new TranslationLogProb(model, y.dataSync() as Int32Array);
    wrap.train(model.training);
    const a = tokenAttributions(wrap, (model as unknown as { srcEmbed: nb.nn.Module }).srcEmbed, x, nb.tensor(b, { shape: [1, 2, L], dtype: 'int32' }));
    return { ...a, values: a.values.slice(0, src.length), chars: Array.from(source), translation };
  });
}

/** `nabla explain CHECKPOINT "Guten Morgen"…`: the translation and the source characters it rests on most. */
export const freedictExplainVerb: Verb<FreedictMeta> = {
  summary: 'which German characters a translation rests on (integrated gradients of its log-probability on the source embedding)',
  usage: '"TEXT"… [--target "english translation"] [--top K]',
  flags: EXPLAIN_FLAGS,
  run({ model, ctx, flags, args, log }) {
    if (!args.length) throw new UsageError('explain: give the German text to explain after the checkpoint, e.g. "Guten Morgen"');
    checkTextMethod(flags);
    const vocabs = vocabsOf(ctx.meta);
    for (const a of args) if (!a.trim()) throw new UsageError('explain: an empty text was given');
    const translation = flags.target === undefined ? undefined : String(flags.target);
    if (translation !== undefined) {
      if (!translation.length) throw new UsageError('explain: --target is empty; give the English translation to explain');
      for (const [i, c] of Array.from(translation).entries()) if (!vocabs.tgt.has(c)) throw new UsageError(`explain: --target character ${JSON.stringify(c)} at position ${i + 1} is not in the model's English characters`);
    }
    // a run with fuzzy matches reads each text beside a similar headword's translation: explained together
    const fuzzy = runFuzzyMatcher(ctx.options);
    for (const text of args) {
      const source = fuzzy?.input(text) ?? text;
      const e = explainTranslation(model as nb.models.Seq2SeqModel, vocabs, source, { translation, beam: ctx.options.beam as number, maxLength: ctx.options['max-length'] as number, lengthPenalty: lengthPenalty(ctx.options) });
      log(`${JSON.stringify(source)} → ${JSON.stringify(e.translation)}${translation === undefined ? '' : ' (given)'}: integrated gradients of log P(translation | source) (${e.fx.toFixed(4)}; from ${UNKNOWN}: ${e.fb.toFixed(4)}) on the source's character embedding:`);
      for (const l of attributionLines(e.chars.map((_, i) => charName(e.chars, i)), e.values, Math.min(flags.top as number, e.chars.length))) log(l);
      log(sumLine(e, e.chars.length, UNKNOWN));
    }
    return 0;
  },
};

/** The report's section: test headwords coloured by what the model's translation of each rests on. */
export function freedictExplanationsHtml(model: nb.nn.Module, meta: FreedictMeta, rows: readonly { src: string; hyp: string }[], opts: { beam: number; maxLength: number; lengthPenalty?: number }): string {
  if (!rows.length) return '';
  const vocabs = vocabsOf(meta);
  const body = inEvalMode(model, () => rows.map((r) => {
    const e = explainTranslation(model as nb.models.Seq2SeqModel, vocabs, r.src, { ...opts, translation: r.hyp });
    return `<tr><td style="text-align:left">${nb.explain.tokensHtml(e.chars, Array.from(e.values), { characters: true })}</td><td style="text-align:left">→ ${esc(r.hyp)}</td></tr>`;
  }).join(''));
  return '<h2>Explanations</h2><p class="muted">Which German characters each translation rests on: integrated gradients of the translation\'s '
    + `log-probability on the source's character embedding, from ${esc(UNKNOWN)} (red raises it, blue lowers it; hover for the value). `
    + '<code>nabla explain CHECKPOINT "Wort"</code> prints them for any text (and <code>--target "translation"</code> for any translation).</p>'
    + `<table>${body}</table>`;
}
