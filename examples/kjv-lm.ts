// Character language model on the King James Bible, written with the library API: held-out books,
// the order-3 n-gram baseline, a 2-layer LSTM (or GRU / GPT-style transformer) trained with fit by
// truncated backpropagation through time (32 streams read side by side, the state carried from one
// chunk of 64 characters to the next), bits per character on the test books and seeded sampling.
// The same recipe as `nabla train kjv` with its defaults.
// Run: npm run build && node --import tsx examples/kjv-lm.ts [--model lstm|gru|transformer] [--epochs 2] [--train-chars N]
import * as nb from 'nabla';
import { kjv } from 'nabla/node';

const { data, optim, models, text, train } = nb;
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const kind = (args.get('model') ?? 'lstm') as nb.models.CharLMKind;
const epochs = Number(args.get('epochs') ?? 2);
const trainChars = Number(args.get('train-chars') ?? Infinity); // a smaller run: the first N training characters
nb.manualSeed(Number(args.get('seed') ?? 0));

// The data: the whole Bible once printed by Debian's `bible` program, then read from the cache.
const corpus = kjv();
const vocab = text.CharVocab.fromTexts([corpus.train, corpus.val, corpus.test]);
const trainIds = vocab.encode(corpus.train).subarray(0, Math.min(corpus.train.length, trainChars));
const valIds = vocab.encode(corpus.val), testIds = vocab.encode(corpus.test);
console.log(`KJV from ${corpus.location}: ${trainIds.length} training characters, ${valIds.length} validation, ${testIds.length} test; ${vocab.size} symbols`);

// The baseline: an order-3 character n-gram with add-k smoothing, k chosen on the validation books.
const ngram = new text.CharNGram(3, vocab.size).fit(trainIds);
ngram.fitK(valIds);
const baseline = ngram.bitsPerChar(testIds, 1);
console.log(`order-3 n-gram (k = ${ngram.k}): ${baseline.toFixed(3)} bits/char on the test books`);

// The model and its training: 32 streams in chunks of 64 characters; batch k is chunk k of every
// stream, so the state each row ends a batch with starts the next (reset where a pass begins).
const model = models.createCharLM({ ...models.defaultCharLMConfig(kind, vocab.size), dropout: 0 });
const streams = (ids: Int32Array, n: number) => {
  const ds = new models.CharStreamDataset(ids, 64, n);
  return new data.DataLoader(ds, { batchSampler: new models.StreamBatchSampler(ds) });
};
const loader = streams(trainIds, 32);
const carried = { train: new models.CarriedState(), eval: new models.CarriedState() };
const step = (which: 'train' | 'eval') => (m: nb.nn.Module, batch: unknown): nb.train.StepResult => {
  const [x, y, k] = batch as nb.models.StreamBatch;
  const r = (m as nb.models.CharLanguageModel).forwardWithState(x, carried[which].take(k));
  carried[which].put(k, r.state);
  return { loss: models.lmLoss(r.logits, y), output: r.logits, target: y };
};
const adam = new optim.Adam(model.parameters(), { lr: kind === 'transformer' ? 1e-3 : 2e-3 });
const scheduler = new optim.CosineAnnealingLR(adam, { tMax: epochs * loader.length });
const t0 = performance.now();
await train.fit(model, {
  train: loader, val: streams(valIds, 32), step: step('train'), evalStep: step('eval'),
  optimizer: adam, scheduler, schedulerInterval: 'batch', clipGradNorm: 1, epochs, logEvery: 100,
});
const minutes = (performance.now() - t0) / 60_000;

// The test books read as 32 streams, each character given everything before it in its stream.
const result = models.evaluateCharLM(model, testIds, { streams: 32, chunk: 64 });
console.log(`${kind}: ${result.bitsPerChar.toFixed(3)} bits/char on the test books (n-gram ${baseline.toFixed(3)}) after ${minutes.toFixed(1)} min of training`);
const sample = models.generateText(model, vocab, 'In the beginning', { tokens: 300, temperature: 0.8, topK: 40, seed: 1 });
console.log(`In the beginning${sample}`);
