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
const xy = (batch: unknown): [nb.Tensor, nb.Tensor] => batch as [nb.Tensor, nb.Tensor];

/** The order-n character model as a module: log-probabilities [N, L, V] of each window's next characters. */
class NGramModule extends nb.nn.Module {
  constructor(readonly ngram: nb.text.CharNGram) { super(); }
  override forward(x: nb.Tensor): nb.Tensor {
    const [N, L] = x.shape as [number, number];
    const V = this.ngram.vocabSize;
    const ids = x.dataSync() as Int32Array;
    const out = new Float32Array(N * L * V);
    for (let r = 0; r < N; r++) {
      const row = ids.subarray(r * L, (r + 1) * L);
      for (let t = 0; t < L; t++) out.set(this.ngram.logProbRow(row, t + 1), (r * L + t) * V);
    }
    return nb.tensor(out, { shape: [N, L, V] });
  }
}

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
    train: new nb.models.CharWindowDataset(trainIds, seq),
    val: new nb.models.CharWindowDataset(val, seq),
    test: new nb.models.CharWindowDataset(testIds, seq),
    meta,
    source: `King James Bible (${corpus.location}); test books ${nb.data.KJV_SPLITS.test.join(', ')}; validation books ${nb.data.KJV_SPLITS.val.join(', ')}`,
  };
}

function baselines(data: TaskData<KjvMeta>, ctx: Ctx): Baseline[] {
  const V = ctx.meta.chars.length;
  const trainIds = (data.train as nb.models.CharWindowDataset).ids;
  const ngram = new nb.text.CharNGram(3, V).fit(trainIds);
  if (data.val) ngram.fitK((data.val as nb.models.CharWindowDataset).ids);
  return [{
    name: 'order-3 character n-gram',
    about: `P(c | the two characters before) from training counts with add-k smoothing, k = ${ngram.k} chosen on the validation books; scored on the same windows as the model`,
    model: new NGramModule(ngram),
  }];
}

export const kjvTask: Task<KjvMeta> = {
  name: 'kjv',
  summary: 'character language model of the King James Bible (held-out books); `nabla generate` samples text',
  flags: {
    'seq-length': { type: 'int', default: 128, min: 2, help: 'characters per training and test window (the transformer\'s context at most)' },
    limit: { type: 'int', default: 0, min: 0, help: 'train on only the first N characters (0: all ≈ 3.9 million)' },
    'test-limit': { type: 'int', default: 0, min: 0, help: 'score only the first N characters of the test books (0: all ≈ 240,000)' },
    data: { type: 'string', help: 'a KJV text file (default: the cache, or Debian\'s `bible` program once)' },
    dropout: { type: 'number', default: 0.1, min: 0, help: 'dropout probability' },
  },
  evalFlags: ['data', 'test-limit'],
  defaults: { model: 'lstm', epochs: 3, 'batch-size': 64, lr: 0.002, optimizer: 'adam', schedule: 'constant', clip: 1 },
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
  trainStep(model, batch) {
    const [x, y] = xy(batch);
    const output = model.forward(x) as nb.Tensor;
    return { loss: nb.models.lmLoss(output, y), output, target: y };
  },
  evalStep(model, batch, ctx) {
    const [x, y] = xy(batch);
    if (!(model instanceof NGramModule)) lastModel.set(ctx, model as nb.models.CharLanguageModel);
    const output = model.forward(x) as nb.Tensor;
    // the n-gram gives log-probabilities, which are logits too
    return { loss: nb.models.lmLoss(output, y), output, target: y };
  },
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
        const explained = tested ? kjvExplanationsHtml(tested, vocabOf(ctx.meta), testPassages(data.test as nb.models.CharWindowDataset, vocabOf(ctx.meta))) : '';
        return {
          lines: [`${how}:`, prompt + text],
          html: `<h2>Generated text</h2><p>${esc(how)}:</p><pre style="white-space:pre-wrap;max-width:60em"><b>${esc(prompt)}</b>${esc(text)}</pre>${explained}`,
        };
      },
    };
  },
  exampleInput: (data) => (data.test as nb.models.CharWindowDataset).getBatch([0])[0],
  verbs: { generate: generateVerb, explain: kjvExplainVerb },
};
