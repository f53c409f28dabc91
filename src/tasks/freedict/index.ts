// The FreeDict task: character-level German→English translation of dictionary headwords (and the
// entries' example phrases), split by headword — gru (encoder–decoder with additive attention) or a
// small transformer; exact match, CER and chrF of beam-search output beside the nearest training
// headword by edit distance; a report section with translations and attention maps; `translate`.

import * as nb from '../../index.js';
import type { Baseline, Task, TaskContext, TaskData } from '../task.js';
import { translationMetrics } from '../text-metrics.js';
import { esc, pct, table } from '../html.js';
import { loadFreedict, vocabsOf, fuzzyK, lengthPenalty, SameLengthSampler, type PairDataset, type FreedictMeta, type PairBatch } from './data.js';
import { attentionSvg } from './attention-svg.js';
import { translateVerb } from './translate.js';
import { freedictExplainVerb, freedictExplanationsHtml } from './explain.js';

type Ctx = TaskContext<FreedictMeta>;

const MODELS = {
  gru: 'bidirectional GRU encoder (2 × 96), GRU decoder (192; --hidden) with additive attention (64 wide; --attention) (the default)',
  transformer: 'nn.Transformer: 3 + 3 pre-norm layers of width 128, 4 heads, feed-forward 512',
};

/** The baseline as a module: the (encoded) translation of the training headword nearest by edit distance. */
class NearestHeadword extends nb.nn.Module {
  private readonly nearest: nb.text.NearestWord;
  constructor(private readonly pairs: readonly nb.models.Pair[], private readonly vocabs: nb.models.TranslationVocabs) {
    super();
    this.nearest = new nb.text.NearestWord(pairs.map((p) => p.src));
  }
  /** sources [N, L] → the chosen translations' ids [N, T] (EOS-terminated, 0-padded). */
  override forward(src: nb.Tensor): nb.Tensor {
    return idRows(germanOf(src, this.vocabs).map((g) => this.vocabs.tgt.encode(this.pairs[this.nearest.find(g).index]!.tgt, { eos: true })));
  }
}

/** The second baseline of runs with fuzzy matches: the match itself (the translation the model reads beside the German). */
class FuzzyMatchOnly extends nb.nn.Module {
  constructor(private readonly fuzzy: nb.text.FuzzyMatcher, private readonly vocabs: nb.models.TranslationVocabs) { super(); }
  override forward(src: nb.Tensor): nb.Tensor {
    return idRows(germanOf(src, this.vocabs).map((g) => {
      const i = this.fuzzy.find(g);
      return this.vocabs.tgt.encode(i < 0 ? '' : this.fuzzy.entries[i]!.tgt, { eos: true });
    }));
  }
}

/** The German text of each row of encoded sources [N, L] (the part before a fuzzy match). */
function germanOf(src: nb.Tensor, vocabs: nb.models.TranslationVocabs): string[] {
  const [N, L] = src.shape as [number, number];
  const d = src.dataSync();
  return Array.from({ length: N }, (_, r) => vocabs.src.decode(d.subarray(r * L, (r + 1) * L)).split(nb.text.FUZZY_SEP)[0]!);
}

function idRows(rows: readonly ArrayLike<number>[]): nb.Tensor {
  const T = Math.max(1, ...rows.map((r) => r.length));
  const flat = new Int32Array(rows.length * T);
  rows.forEach((r, i) => flat.set(r, i * T));
  return nb.tensor(flat, { shape: [rows.length, T], dtype: 'int32' });
}

/** Per run context: what the test inspector asked evalStep to keep (attention maps need the model, which the inspector does not get). */
const wanted = new WeakMap<object, { maps: { src: string; out: string[]; weights: number[][] }[]; count: number }>();

function srcRows(x: nb.Tensor): { src: nb.Tensor; ids: Int32Array[] } {
  const [N, , L] = x.shape as [number, number, number];
  const d = x.dataSync() as Int32Array;
  const ids: Int32Array[] = [];
  const flat = new Int32Array(N * L);
  for (let n = 0; n < N; n++) {
    const row = d.subarray(2 * n * L, 2 * n * L + L);
    flat.set(row, n * L);
    let len = row.indexOf(0);
    if (len < 0) len = L;
    ids.push(row.slice(0, len));
  }
  return { src: nb.tensor(flat, { shape: [N, L], dtype: 'int32' }), ids };
}

function evalStep(model: nb.nn.Module, batch: unknown, ctx: Ctx): nb.train.StepResult {
  const [x, y] = batch as PairBatch;
  const { src, ids } = srcRows(x);
  if (model instanceof NearestHeadword || model instanceof FuzzyMatchOnly) return { output: model.forward(src), target: y };
  const m = model as nb.models.Seq2SeqModel;
  const vocabs = vocabsOf(ctx.meta);
  const loss = nb.models.seq2seqLoss(nb.models.seq2seqForward(m, x), y);
  const hyps = nb.models.translateIds(m, vocabs, src, { beamSize: ctx.options.beam as number, maxLength: ctx.options['max-length'] as number, lengthPenalty: lengthPenalty(ctx.options) });
  const eos = vocabs.tgt.special('eos');
  const keep = wanted.get(ctx);
  if (keep) {
    const tgt = vocabs.tgt;
    // batches come in order of source length: draw the maps from words of 8 to 14 characters
    for (let r = 0; r < ids.length && keep.maps.length < keep.count; r++) {
      const german = vocabs.src.decode(ids[r]!).split(nb.text.FUZZY_SEP)[0]!.length;
      if (german < 8 || german > 14) continue;
      const out = Int32Array.from(hyps[r]!);
      keep.maps.push({
        src: vocabs.src.decode(ids[r]!), out: [...Array.from(out, (t) => tgt.token(t)), '</s>'],
        weights: m.attentionMap(ids[r]!, out, tgt.special('bos')),
      });
    }
  }
  return { loss, output: idRows(hyps.map((h) => [...h, eos])), target: y };
}

export const freedictTask: Task<FreedictMeta> = {
  name: 'freedict-deu-eng',
  summary: 'translate German dictionary headwords into English, character by character (FreeDict); `nabla translate`',
  flags: {
    beam: { type: 'int', default: 5, min: 1, help: 'beam width for validation and test (1: greedy)' },
    'max-length': { type: 'int', default: 60, min: 1, help: 'longest translation decoded, in characters' },
    'length-penalty': { type: 'number', default: 0.5, min: 0, help: 'beam search ranks finished translations by log P / length^this (0.5: the lowest validation CER of 0, 0.5 and 1)' },
    examples: { type: 'boolean', default: false, help: 'also train on the entries\' example phrases (off by default: the test is headwords, and the phrases are long)' },
    fuzzy: { type: 'int', default: 16, min: 0, help: 'read each German source beside the translation of a similar training headword (neural fuzzy repair): the nearest by edit distance among the N next to it alphabetically and by ending (0: the German alone)' },
    limit: { type: 'int', default: 0, min: 0, help: 'train on only the first N pairs (0: all ≈ 393,000)' },
    'test-limit': { type: 'int', default: 0, min: 0, help: 'test on only the first N test headwords (0: all ≈ 7,400)' },
    'val-size': { type: 'int', default: 500, min: 0, help: 'validation headwords decoded after each epoch' },
    data: { type: 'string', help: 'directory holding freedict-deu-eng.index and .dict.dz (default /usr/share/dictd)' },
    match: { type: 'string', help: 'only pairs whose German side matches this regular expression (training, validation and test), e.g. \'(tion|ität|ismus)$\'' },
    dropout: { type: 'number', default: 0, min: 0, help: 'dropout probability (none by default: one epoch does not overfit)' },
    attention: { type: 'int', default: 64, min: 1, help: 'gru: width of the additive attention (its [batch, target, source, width] tanh is most of a step)' },
    hidden: { type: 'int', default: 0, min: 0, help: 'gru: the decoder\'s state, the encoder has half per direction; transformer: the feed-forward width (0: gru 192, transformer 512)' },
  },
  evalFlags: ['data', 'test-limit', 'beam', 'length-penalty', 'match'],
// sized for ≤ 20 minutes on 2 idle cores (see README): one epoch over every pair, cosine decay
  defaults: { model: 'gru', epochs: 1, 'batch-size': 128, lr: 0.006, optimizer: 'adam', 'weight-decay': 0, schedule: 'cosine', clip: 1 },
  models: MODELS,
  data: (o, io, meta) => loadFreedict(o, io, meta),
  model(name, ctx) {
    const cfg = nb.models.defaultSeq2SeqConfig(name as nb.models.Seq2SeqKind, vocabsOf(ctx.meta).src.size, vocabsOf(ctx.meta).tgt.size);
    // runs from before --attention had the models' default width (128)
    const attention = (ctx.options.attention as number | undefined) ?? cfg.attentionDim;
    // runs from before --hidden had the models' default (gru 256); 0 is today's default, sized for
    // 20 minutes (gru 256 reached about the same validation CER in 23% more time)
    const h = ctx.options.hidden as number | undefined;
    const hidden = h === undefined ? cfg.hiddenSize : h === 0 ? (name === 'gru' ? 192 : cfg.hiddenSize) : h;
    return nb.models.createSeq2Seq({ ...cfg, attentionDim: attention, hiddenSize: hidden, dropout: ctx.options.dropout as number });
  },
  trainStep(model, batch) {
    const [x, y] = batch as PairBatch;
    const output = nb.models.seq2seqForward(model, x);
    return { loss: nb.models.seq2seqLoss(output, y), size: y.shape[0] };
  },
  evalStep: (model, batch, ctx) => evalStep(model, batch, ctx),
  metrics: (ctx) => translationMetrics(vocabsOf(ctx.meta).tgt),
  // training steps are teacher-forced, so the decoding metrics exist for validation and test only
  formatMetric: (name, v) => (Number.isNaN(v) ? '—' : name.toLowerCase().endsWith('chrf') ? v.toFixed(1) : pct(v)),
  evalBatchSize: 128,
  // pairs of similar length share a batch: little padding for the encoder and decoder to read (the
  // bidirectional encoder's backward GRU reads a padded source's padding before its last character)
  batchSampler: (split, data, batchSize) => {
    const ds = data[split] as PairDataset;
    if (!ds.length) return null;
    return split === 'train' ? new nb.data.BucketBatchSampler(ds.lengthKeys(), { batchSize, shuffle: true }) : new SameLengthSampler(ds.srcLengths(), batchSize);
  },
  monitor: 'valCer',
  baselines(data: TaskData<FreedictMeta>, ctx) {
    const train = data.train as unknown as { length: number; get(i: number): { pair: nb.models.Pair } };
    const heads: nb.models.Pair[] = [];
    for (let i = 0; i < train.length; i++) {
      const p = train.get(i).pair as nb.data.TranslationPair;
      if (p.kind !== 'example') heads.push(p);
    }
    if (!heads.length) return [];
    const b: Baseline[] = [{
      name: 'nearest training headword',
      about: 'answers with the first listed translation of the training headword nearest by Levenshtein distance (the first of equals)',
      model: new NearestHeadword(heads, vocabsOf(ctx.meta)),
    }];
    const k = fuzzyK(ctx.options);
    if (k > 0) {
      b.push({
        name: 'fuzzy match',
        about: `answers with the translation the model reads beside the German: the nearest training headword by Levenshtein distance among the ${k} on each side in alphabetical order and in order of endings`,
        model: new FuzzyMatchOnly(new nb.text.FuzzyMatcher(heads as nb.data.TranslationPair[], k), vocabsOf(ctx.meta)),
      });
    }
    return b;
  },
  inspector(_data, ctx, tested) {
    const keep = { maps: [] as { src: string; out: string[]; weights: number[][] }[], count: 3 };
    wanted.set(ctx, keep);
    const tgt = vocabsOf(ctx.meta).tgt;
    const rows: { src: string; input: string; hyp: string; ref: string; alts: readonly string[] }[] = [];
    const srcVocab = vocabsOf(ctx.meta).src;
    return {
      update(output, _target, batch) {
        if (!output) return;
        const [x, , pairs] = batch as PairBatch;
        const { ids } = srcRows(x);
        const [N, T] = output.shape as [number, number];
        const d = output.dataSync();
        for (let r = 0; r < N; r++) {
          const p = pairs[r]!;
          rows.push({ src: p.src, input: srcVocab.decode(ids[r]!), hyp: tgt.decode(d.subarray(r * T, (r + 1) * T)), ref: p.tgt, alts: p.alternatives ?? [p.tgt] });
        }
      },
      finish() {
        wanted.delete(ctx);
        const any = rows.filter((r) => r.alts.includes(r.hyp)).length / Math.max(1, rows.length);
        // rows come in order of source length: show 20 spread evenly over them
        const shown = rows.length <= 20 ? rows : Array.from({ length: 20 }, (_, i) => rows[Math.floor(((i + 0.5) * rows.length) / 20)]!);
        const lines = [`matches any listed translation: ${pct(any)} of ${rows.length}`, ...shown.slice(0, 10).map((r) => `${r.src} → ${r.hyp}   (dictionary: ${r.ref}${r.input !== r.src ? `; fuzzy match read: ${r.input.slice(r.src.length + 1)}` : ''})`)];
        const fuzzy = fuzzyK(ctx.options) > 0;
        const html = `<h2>Translations</h2><p>The hypothesis equals any translation the dictionary lists for the headword in ${pct(any)} of ${rows.length} test headwords (exact match counts only the first listed one).${fuzzy ? ' The model reads each German headword beside the translation of a similar training headword (the fuzzy match, shown).' : ''}</p>`
          + table(['German (unseen headword)', ...(fuzzy ? ['fuzzy match read'] : []), 'model', 'dictionary (first listed)'], shown.map((r) => [esc(r.src), ...(fuzzy ? [esc(r.input.slice(r.src.length + 1))] : []), r.hyp === r.ref ? `<b>${esc(r.hyp)}</b>` : esc(r.hyp), esc(r.ref)]))
          + (keep.maps.length ? `<h2>Attention</h2><p>Where the decoder looked in the source while writing each character (rows: output characters; columns: source characters; darker is more weight)${ctx.options.model === 'transformer' ? ' — the last decoder layer\'s attention to the encoder, averaged over heads' : ''}.</p>` + keep.maps.map((m) => attentionSvg(m.src, m.out, m.weights)).join('') : '')
          + (tested ? freedictExplanationsHtml(tested, ctx.meta, shown.slice(0, 5).map((r) => ({ src: r.input, hyp: r.hyp })), { beam: ctx.options.beam as number, maxLength: ctx.options['max-length'] as number, lengthPenalty: lengthPenalty(ctx.options) }) : '');
        return { lines, html };
      },
    };
  },
  verbs: { translate: translateVerb, explain: freedictExplainVerb },
};
