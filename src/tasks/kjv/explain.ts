// Explanations of the KJV character model (issue 17): which characters of a text the prediction of the
// next character rests on — integrated gradients on the character embedding, from a line of spaces —
// printed by `nabla explain CHECKPOINT "text"`, and coloured test passages in the report.

import * as nb from '../../index.js';
import { UsageError } from '../../cli/args.js';
import type { Verb } from '../task.js';
import { attributionLines, EXPLAIN_FLAGS, inEvalMode } from '../explain.js';
import { charName, checkTextMethod, sumLine, tokenAttributions, type TokenAttribution } from '../token-explain.js';
import { esc } from '../html.js';
import type { KjvMeta } from './index.js';

const SPACES = 'a line of spaces';

/** The language model's next-character logits after the whole input: [N, L] ids → [N, V]. */
class NextCharLogits extends nb.nn.Module {
  constructor(readonly lm: nb.models.CharLanguageModel) { super(); }
  override forward(x: nb.Tensor): nb.Tensor {
    const out = this.lm.forward(x);
    return out.select(1, out.shape[1]! - 1);
  }
}

export interface NextCharExplanation extends TokenAttribution {
  chars: string[];
  probs: Float64Array;
  predicted: number;
  target: number;
}

/** Attributions of the `target` (default: the predicted) next character's logit to each character of `text`. */
export function explainNextChar(lm: nb.models.CharLanguageModel, vocab: nb.text.CharVocab, text: string, target?: number): NextCharExplanation {
  const chars = Array.from(text);
  const ids = vocab.encode(text);
  const wrap = new NextCharLogits(lm);
  wrap.train(lm.training);
  const layer = lm instanceof nb.models.CharGPT ? lm.tokEmbed : (lm as nb.models.CharRNN).embed;
  return nb.scope(() => {
    const x = nb.tensor(ids, { shape: [1, ids.length], dtype: 'int32' });
    const base = nb.tensor(new Int32Array(ids.length).fill(vocab.encode(' ')[0]!), { shape: [1, ids.length], dtype: 'int32' });
    const probs = Float64Array.from(nb.noGrad(() => nb.softmax(wrap.forward(x), 1)).dataSync());
    const predicted = argmax(probs);
    const t = target ?? predicted;
    return { chars, probs, predicted, target: t, ...tokenAttributions(wrap, layer, x, base, t) };
  });
}

const show = (c: string): string => JSON.stringify(c);

/** `nabla explain CHECKPOINT "text"…`: the next character's prediction and the characters it rests on most. */
export const kjvExplainVerb: Verb<KjvMeta> = {
  summary: 'which characters of a text the predicted next character rests on (integrated gradients on the character embedding)',
  usage: '"TEXT"… [--target CHAR] [--top K]',
  flags: EXPLAIN_FLAGS,
  run({ model, ctx, flags, args, log }) {
    if (!args.length) throw new UsageError('explain: give the text whose next character to explain after the checkpoint, e.g. "In the beginning God"');
    checkTextMethod(flags);
    const vocab = new nb.text.CharVocab(ctx.meta.chars);
    const lm = model as nb.models.CharLanguageModel;
    for (const a of args) {
      if (!a.length) throw new UsageError('explain: an empty text was given');
      for (const [i, c] of Array.from(a).entries()) if (!vocab.has(c)) throw new UsageError(`explain: character ${show(c)} at position ${i + 1} never occurs in the KJV text the model was trained on`);
    }
    let target: number | undefined;
    if (flags.target !== undefined) {
      const c = String(flags.target);
      if (Array.from(c).length !== 1 || !vocab.has(c)) throw new UsageError(`explain: --target must be one character of the model's vocabulary, got ${show(c)} (characters: ${ctx.meta.chars.map(show).join(' ')})`);
      target = vocab.encode(c)[0]!;
    }
    const top = flags.top as number;
    for (let text of args) {
      const chars = Array.from(text);
      if (chars.length > lm.contextLength) {
        text = chars.slice(-lm.contextLength).join('');
        log(`(the transformer sees ${lm.contextLength} characters: explaining the last ${lm.contextLength})`);
      }
      const e = explainNextChar(lm, vocab, text, target);
      const name = (id: number): string => show(vocab.token(id));
      const next = [...e.probs.keys()].sort((p, q) => e.probs[q]! - e.probs[p]!).slice(0, 3).map((id) => `${name(id)} ${(100 * e.probs[id]!).toFixed(1)}%`);
      const also = e.target !== e.predicted ? `; explaining ${name(e.target)} (${(100 * e.probs[e.target]!).toFixed(1)}%)` : '';
      log(`${show(text)}: next character ${next.join(', ')}${also}; integrated gradients of the ${name(e.target)} logit (${e.fx.toFixed(4)}; after ${SPACES}: ${e.fb.toFixed(4)}) on the character embedding:`);
      for (const l of attributionLines(e.chars.map((_, i) => charName(e.chars, i)), e.values, Math.min(top, e.chars.length))) log(l);
      log(sumLine(e, e.chars.length, SPACES));
    }
    return 0;
  },
};

function argmax(a: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[b]!) b = i;
  return b;
}

/** The report's section: test passages coloured by what the model's next-character prediction after them rests on. */
export function kjvExplanationsHtml(model: nb.nn.Module, vocab: nb.text.CharVocab, passages: readonly { text: string; next: string }[]): string {
  if (!passages.length) return '';
  const lm = model as nb.models.CharLanguageModel;
  const rows = inEvalMode(model, () => passages.map((p) => {
    const e = explainNextChar(lm, vocab, p.text);
    const pred = vocab.token(e.predicted);
    const verdict = `→ predicted ${esc(show(pred))} (${(100 * e.probs[e.predicted]!).toFixed(1)}%), actually ${esc(show(p.next))}`;
    return `${nb.explain.tokensHtml(e.chars, Array.from(e.values), { characters: true })}<p class="muted" style="margin-top:-8px">${verdict}</p>`;
  }));
  return '<h2>Explanations</h2><p class="muted">What the model\'s prediction of the character after each test passage rests on: integrated gradients '
    + `of the predicted character's logit on the character embedding, from ${SPACES} (red raises it, blue lowers it; hover for the value). `
    + '<code>nabla explain CHECKPOINT "text"</code> prints the characters behind any prediction.</p>' + rows.join('');
}

/** Passages of the test text for the report: `count` windows spread over it, each with the character that follows. */
export function testPassages(test: nb.models.CharWindowDataset, vocab: nb.text.CharVocab, count = 3): { text: string; next: string }[] {
  const L = test.seqLength;
  return Array.from({ length: Math.min(count, test.length) }, (_, k) => {
    const w = Math.floor((k * test.length) / count);
    return { text: vocab.decode(test.ids.subarray(w * L, w * L + L)), next: vocab.token(test.ids[w * L + L]!) };
  });
}
