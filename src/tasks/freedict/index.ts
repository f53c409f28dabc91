// The FreeDict task: character-level German→English translation of dictionary headwords (and the
// entries' example phrases), split by headword — gru (encoder–decoder with additive attention) or a
// small transformer; exact match, CER and chrF of beam-search output beside the nearest training
// headword by edit distance; a report section with translations and attention maps; `translate`.

import * as nb from '../../index.js';
import type { Baseline, Task, TaskContext, TaskData } from '../task.js';
import { translationMetrics } from '../text-metrics.js';
import { esc, pct, table } from '../html.js';
import { loadFreedict, vocabsOf, type FreedictMeta, type PairBatch } from './data.js';
import { attentionSvg } from './attention-svg.js';
import { translateVerb } from './translate.js';
import { freedictExplainVerb, freedictExplanationsHtml } from './explain.js';

type Ctx = TaskContext<FreedictMeta>;

const MODELS = {
  gru: 'bidirectional GRU encoder (2 × 128), GRU decoder (256) with additive attention (the default)',
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
    const [N, L] = src.shape as [number, number];
    const d = src.dataSync();
    const outs = Array.from({ length: N }, (_, r) => this.vocabs.tgt.encode(this.pairs[this.nearest.find(this.vocabs.src.decode(d.subarray(r * L, (r + 1) * L))).index]!.tgt, { eos: true }));
    return idRows(outs);
  }
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
  if (model instanceof NearestHeadword) return { output: model.forward(src), target: y };
  const m = model as nb.models.Seq2SeqModel;
  const vocabs = vocabsOf(ctx.meta);
  const loss = nb.models.seq2seqLoss(nb.models.seq2seqForward(m, x), y);
  const hyps = nb.models.translateIds(m, vocabs, src, { beamSize: ctx.options.beam as number, maxLength: ctx.options['max-length'] as number });
  const eos = vocabs.tgt.special('eos');
  const keep = wanted.get(ctx);
  if (keep) {
    const tgt = vocabs.tgt;
    for (let r = 0; r < ids.length && keep.maps.length < keep.count; r++) {
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
    examples: { type: 'boolean', default: true, help: 'also train on the entries\' example phrases (--no-examples: headwords only)' },
    limit: { type: 'int', default: 0, min: 0, help: 'train on only the first N pairs (0: all ≈ 393,000)' },
    'test-limit': { type: 'int', default: 0, min: 0, help: 'test on only the first N test headwords (0: all ≈ 7,400)' },
    'val-size': { type: 'int', default: 500, min: 0, help: 'validation headwords decoded after each epoch' },
    data: { type: 'string', help: 'directory holding freedict-deu-eng.index and .dict.dz (default /usr/share/dictd)' },
    dropout: { type: 'number', default: 0.1, min: 0, help: 'dropout probability' },
  },
  evalFlags: ['data', 'test-limit', 'beam'],
  defaults: { model: 'gru', epochs: 2, 'batch-size': 64, lr: 0.002, optimizer: 'adam', schedule: 'constant', clip: 1 },
  models: MODELS,
  data: (o, io, meta) => loadFreedict(o, io, meta),
  model(name, ctx) {
    const cfg = nb.models.defaultSeq2SeqConfig(name as nb.models.Seq2SeqKind, vocabsOf(ctx.meta).src.size, vocabsOf(ctx.meta).tgt.size);
    return nb.models.createSeq2Seq({ ...cfg, dropout: ctx.options.dropout as number });
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
  monitor: 'valCer',
  baselines(data: TaskData<FreedictMeta>, ctx) {
    const train = data.train as unknown as { length: number; get(i: number): { pair: nb.models.Pair } };
    const heads: nb.models.Pair[] = [];
    for (let i = 0; i < train.length; i++) {
      const p = train.get(i).pair as nb.data.TranslationPair;
      if (p.kind !== 'example') heads.push(p);
    }
    if (!heads.length) return [];
    const b: Baseline = {
      name: 'nearest training headword',
      about: 'answers with the first listed translation of the training headword nearest by Levenshtein distance (the first of equals)',
      model: new NearestHeadword(heads, vocabsOf(ctx.meta)),
    };
    return [b];
  },
  inspector(_data, ctx, tested) {
    const keep = { maps: [] as { src: string; out: string[]; weights: number[][] }[], count: 3 };
    wanted.set(ctx, keep);
    const tgt = vocabsOf(ctx.meta).tgt;
    const rows: { src: string; hyp: string; ref: string; alts: readonly string[] }[] = [];
    return {
      update(output, _target, batch) {
        if (!output) return;
        const pairs = (batch as PairBatch)[2];
        const [N, T] = output.shape as [number, number];
        const d = output.dataSync();
        for (let r = 0; r < N; r++) {
          const p = pairs[r]!;
          rows.push({ src: p.src, hyp: tgt.decode(d.subarray(r * T, (r + 1) * T)), ref: p.tgt, alts: p.alternatives ?? [p.tgt] });
        }
      },
      finish() {
        wanted.delete(ctx);
        const any = rows.filter((r) => r.alts.includes(r.hyp)).length / Math.max(1, rows.length);
        const shown = rows.slice(0, 20);
        const lines = [`matches any listed translation: ${pct(any)} of ${rows.length}`, ...shown.slice(0, 10).map((r) => `${r.src} → ${r.hyp}   (dictionary: ${r.ref})`)];
        const html = `<h2>Translations</h2><p>The hypothesis equals any translation the dictionary lists for the headword in ${pct(any)} of ${rows.length} test headwords (exact match counts only the first listed one).</p>`
          + table(['German (unseen headword)', 'model', 'dictionary (first listed)'], shown.map((r) => [esc(r.src), r.hyp === r.ref ? `<b>${esc(r.hyp)}</b>` : esc(r.hyp), esc(r.ref)]))
          + (keep.maps.length ? `<h2>Attention</h2><p>Where the decoder looked in the source while writing each character (rows: output characters; columns: source characters; darker is more weight)${ctx.options.model === 'transformer' ? ' — the last decoder layer\'s attention to the encoder, averaged over heads' : ''}.</p>` + keep.maps.map((m) => attentionSvg(m.src, m.out, m.weights)).join('') : '')
          + (tested ? freedictExplanationsHtml(tested, ctx.meta, shown.slice(0, 5), { beam: ctx.options.beam as number, maxLength: ctx.options['max-length'] as number }) : '');
        return { lines, html };
      },
    };
  },
  verbs: { translate: translateVerb, explain: freedictExplainVerb },
};
