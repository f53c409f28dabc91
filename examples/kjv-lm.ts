// Character language model on the King James Bible, written with the library API: held-out books,
// the order-3 n-gram baseline, a 2-layer LSTM (or GRU / GPT-style transformer) trained with fit,
// bits per character on the test books and seeded sampling.
// Run: npm run build && node --import tsx examples/kjv-lm.ts [--model lstm|gru|transformer] [--epochs 3] [--max-minutes 20]
import * as nb from 'nabla';
import { kjv } from 'nabla/node';

const { data, optim, models, text, train } = nb;
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const kind = (args.get('model') ?? 'lstm') as nb.models.CharLMKind;
const epochs = Number(args.get('epochs') ?? 3);
const maxMinutes = Number(args.get('max-minutes') ?? 20);
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

// The model and its training: windows of 128 characters, Adam, gradient clipping.
const model = models.createCharLM(models.defaultCharLMConfig(kind, vocab.size));
const seq = Math.min(128, model.contextLength);
const loader = new data.DataLoader(new models.CharWindowDataset(trainIds, seq), { batchSize: 64, shuffle: true, seed: 1 });
const valLoader = new data.DataLoader(new models.CharWindowDataset(valIds, seq), { batchSize: 64 });
const adam = new optim.Adam(model.parameters(), { lr: kind === 'transformer' ? 1e-3 : 2e-3 });
const optimizer = { paramGroups: adam.paramGroups, zeroGrad: () => adam.zeroGrad(), step: () => { optim.clipGradNorm(model.parameters(), 1); adam.step(); } };
const stop = new AbortController();
const timer = setTimeout(() => stop.abort(), maxMinutes * 60_000);
const t0 = performance.now();
await train.fit(model, { train: loader, val: valLoader, loss: models.lmLoss, optimizer, epochs, signal: stop.signal, logEvery: 50 });
clearTimeout(timer);
const minutes = (performance.now() - t0) / 60_000;

const result = models.evaluateCharLM(model, testIds);
console.log(`${kind}: ${result.bitsPerChar.toFixed(3)} bits/char on the test books (n-gram ${baseline.toFixed(3)}) after ${minutes.toFixed(1)} min`);
const sample = models.generateText(model, vocab, 'In the beginning', { tokens: 300, temperature: 0.8, topK: 40, seed: 1 });
console.log(`In the beginning${sample}`);
