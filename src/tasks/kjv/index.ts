// The KJV task: a character language model of the King James Bible (Debian's bible-kjv), held-out
// books for validation and test — lstm (2 layers), gru, transformer (GPT-style); bits per character
// beside an order-3 character n-gram with add-k smoothing; a report section with sampled text; `generate`.

import * as nb from '../../index.js';
import { kjv } from '../../node.js';
import { UsageError } from '../../cli/args.js';
import type { Baseline, Task, TaskContext, TaskData } from '../task.js';
import { BitsPerChar } from '../text-metrics.js';
import { esc } from '../html.js';
import { generateVerb } from './generate.js';
import { kjvExplainVerb, kjvExplanationsHtml, testPassages } from './explain.js';

export interface KjvMeta {
  [k: string]: nb.train.JsonValue;
  chars: string[];
}

type Ctx = TaskContext<KjvMeta>;
const MODELS = {
  lstm: 'embedding 64 → 2-layer LSTM of 256 → linear (the default)',
  gru: 'embedding 64 → 2-layer GRU of 320 → linear',
  transformer: 'GPT-style: 4 pre-norm causal transformer blocks of width 128, 4 heads, context 128',
};

const vocabOf = (meta: KjvMeta): nb.text.CharVocab => new nb.text.CharVocab(meta.chars);
/** The model evalStep last saw for a run's context: the inspector, which gets no model, samples text from it. */
const lastModel = new WeakMap<object, nb.models.CharLanguageModel>();

/**
 * The order-n character model as a module: log-probabilities [N, L, V] of each row's next characters.
 * Its state is each row's last n − 1 characters, so a stream read in chunks keeps its context too.
 */
class NGramModule extends nb.nn.Module {
  constructor(readonly ngram: nb.text.CharNGram) { super(); }
  override forward(x: nb.Tensor): nb.Tensor { return this.forwardWithState(x, null).logits; }
  forwardWithState(x: nb.Tensor, state: nb.models.LMState): { logits: nb.Tensor; state: nb.models.LMState } {
    const [N, L] = x.shape as [number, number];
    const V = this.ngram.vocabSize, P = this.ngram.order - 1;
    const ids = x.dataSync() as Int32Array;
    const prev = state instanceof nb.Tensor ? (state.dataSync() as Int32Array) : null;
    const out = new Float32Array(N * L * V);
    const tails = new Int32Array(N * P);
    const row = new Int32Array(P + L);
    for (let r = 0; r < N; r++) {
      // the row's text after the previous chunk's last P characters (none at the start of a stream)
      const known = prev ? P : 0;
      if (prev) row.set(prev.subarray(r * P, r * P + P), 0);
      row.set(ids.subarray(r * L, (r + 1) * L), known);
      const text = row.subarray(0, known + L);
      for (let t = 0; t < L; t++) out.set(this.ngram.logProbRow(text, known + t + 1), (r * L + t) * V);
      tails.set(text.subarray(text.length - P), r * P);
    }
    const next = P > 0 && L >= P ? nb.tensor(tails, { shape: [N, P], dtype: 'int32' }) : null;
    return { logits: nb.tensor(out, { shape: [N, L, V] }), state: next };
  }
}

/** Each model's state carried from one batch (chunk) of a pass to the next: one for training, one for evaluation. */
const carried = { train: new WeakMap<object, nb.models.CarriedState>(), eval: new WeakMap<object, nb.models.CarriedState>() };
function carrier(which: 'train' | 'eval', model: object): nb.models.CarriedState {
  let c = carried[which].get(model);
  if (!c) carried[which].set(model, (c = new nb.models.CarriedState()));
  return c;
}
type Stateful = { forwardWithState(x: nb.Tensor, state: nb.models.LMState): { logits: nb.Tensor; state: nb.models.LMState } };

/** One chunk of every stream, continuing each row from the state the previous chunk left. */
function streamStep(which: 'train' | 'eval', model: Stateful, batch: unknown): nb.train.StepResult {
  const [x, y, k] = batch as nb.models.StreamBatch;
  const c = carrier(which, model);
  const r = model.forwardWithState(x, c.take(k));
  c.put(k, r.state);
  return { loss: nb.models.lmLoss(r.logits, y), output: r.logits, target: y };
}

/** The test text as plain windows of the chunk length (the report's explained passages). */
const windowsOf = (d: nb.models.CharStreamDataset): nb.models.CharWindowDataset => new nb.models.CharWindowDataset(d.ids, d.chunk);

/** Streams read side by side when validating and testing (each from zeros at its start). */
export const EVAL_STREAMS = 32;

function loadData(o: nb.train.JsonValue & Record<string, unknown>, io: { log(l: string): void }, saved?: KjvMeta): TaskData<KjvMeta> {
  const corpus = kjv({ file: o.data as string | undefined });
  const meta: KjvMeta = saved ?? { chars: [...nb.text.CharVocab.fromTexts([corpus.train, corpus.val, corpus.test]).chars] };
  const vocab = vocabOf(meta);
  const seq = o['seq-length'] as number;
  const limit = o.limit as number, testLimit = o['test-limit'] as number;
  const train = vocab.encode(corpus.train);
  const trainIds = limit > 0 ? train.subarray(0, limit + 1) : train;
  const val = vocab.encode(corpus.val), test = vocab.encode(corpus.test);
  const testIds = testLimit > 0 ? test.subarray(0, testLimit + 1) : test;
  if (limit > 0) io.log(`kjv: training on the first ${limit} characters of ${train.length - 1}`);
  return {
    train: new nb.models.CharStreamDataset(trainIds, seq, o['batch-size'] as number),
    val: new nb.models.CharStreamDataset(val, seq, EVAL_STREAMS),
    test: new nb.models.CharStreamDataset(testIds, seq, EVAL_STREAMS),
    meta,
    source: `King James Bible (${corpus.location}); test books ${nb.data.KJV_SPLITS.test.join(', ')}; validation books ${nb.data.KJV_SPLITS.val.join(', ')}`,
  };
}

function baselines(data: TaskData<KjvMeta>, ctx: Ctx): Baseline[] {
  const V = ctx.meta.chars.length;
  const trainIds = (data.train as nb.models.CharStreamDataset).ids;
  const ngram = new nb.text.CharNGram(3, V).fit(trainIds);
  if (data.val) ngram.fitK((data.val as nb.models.CharStreamDataset).ids);
  return [{
    name: 'order-3 character n-gram',
    about: `P(c | the two characters before) from training counts with add-k smoothing, k = ${ngram.k} chosen on the validation books; scored on the same streams as the model, each character given every one before it`,
    model: new NGramModule(ngram),
  }];
}

export const kjvTask: Task<KjvMeta> = {
  name: 'kjv',
  summary: 'character language model of the King James Bible (held-out books); `nabla generate` samples text',
  flags: {
    'seq-length': { type: 'int', default: 64, min: 2, help: 'characters per chunk: backpropagation through time is truncated there, the state is carried on (the transformer\'s context, at most 128)' },
    limit: { type: 'int', default: 0, min: 0, help: 'train on only the first N characters (0: all ≈ 3.9 million)' },
    'test-limit': { type: 'int', default: 0, min: 0, help: 'score only the first N characters of the test books (0: all ≈ 240,000)' },
    data: { type: 'string', help: 'a KJV text file (default: the cache, or Debian\'s `bible` program once)' },
    dropout: { type: 'number', default: 0, min: 0, help: 'dropout probability (none by default: one epoch does not overfit)' },
  },
  evalFlags: ['data', 'test-limit'],
  // sized for ≤ 20 minutes on 2 idle cores (see README): one epoch of 32 streams × 64 characters, cosine
  // decay from 6e-3 (4e-3 and 8e-3 did worse on 1.5 M characters, 1e-2 diverged a little) and no weight
  // decay (0.0005 of L2 cost 0.25 bits/char there)
  defaults: { model: 'lstm', epochs: 1, 'batch-size': 32, lr: 0.006, optimizer: 'adam', 'weight-decay': 0, schedule: 'cosine', clip: 1 },
  models: MODELS,
  check(o) {
    if ((o.dropout as number) >= 1) throw new UsageError(`train: --dropout must be below 1, got ${o.dropout}`);
    if (o.model === 'transformer' && (o['seq-length'] as number) > 128) throw new UsageError(`train: --seq-length ${o['seq-length']} is longer than the transformer's context of 128`);
  },
  data: (o, io, meta) => loadData(o as never, io, meta),
  model(name, ctx) {
    const cfg = nb.models.defaultCharLMConfig(name as nb.models.CharLMKind, ctx.meta.chars.length);
    return nb.models.createCharLM({ ...cfg, dropout: ctx.options.dropout as number });
  },
  trainStep: (model, batch) => streamStep('train', model as nb.models.CharLanguageModel, batch),
  evalStep(model, batch, ctx) {
    if (!(model instanceof NGramModule)) lastModel.set(ctx, model as nb.models.CharLanguageModel);
    // the n-gram gives log-probabilities, which are logits too
    return streamStep('eval', model as unknown as Stateful, batch);
  },
  // every split is read as streams in order: batch k is chunk k of every stream
  batchSampler: (split, data) => new nb.models.StreamBatchSampler(data[split] as nb.models.CharStreamDataset),
  metrics: () => [new BitsPerChar()],
  formatMetric: (_name, v) => `${v.toFixed(3)} bits/char`,
  monitor: 'valBitsPerChar',
  baselines,
  inspector(data, ctx, tested) {
    lastModel.delete(ctx);
    return {
      update() {},
      finish() {
        const model = lastModel.get(ctx);
        if (!model) return { lines: [], html: '' };
        const seed = (ctx.options.seed as number | undefined) ?? 0;
        const prompt = 'In the beginning';
        const text = nb.models.generateText(model, vocabOf(ctx.meta), prompt, { tokens: 300, temperature: 0.8, topK: 40, seed });
        const how = `300 characters sampled after "${prompt}" (temperature 0.8, top-k 40, seed ${seed}; the same as nabla generate CHECKPOINT --prompt "${prompt}" --seed ${seed})`;
        const explained = tested ? kjvExplanationsHtml(tested, vocabOf(ctx.meta), testPassages(windowsOf(data.test as nb.models.CharStreamDataset), vocabOf(ctx.meta))) : '';
        return {
          lines: [`${how}:`, prompt + text],
          html: `<h2>Generated text</h2><p>${esc(how)}:</p><pre style="white-space:pre-wrap;max-width:60em"><b>${esc(prompt)}</b>${esc(text)}</pre>${explained}`,
        };
      },
    };
  },
  exampleInput: (data) => (data.test as nb.models.CharStreamDataset).getBatch([0])[0],
  verbs: { generate: generateVerb, explain: kjvExplainVerb },
};
