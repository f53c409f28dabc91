// Character-level German→English translation on the FreeDict dictionary, written with the library
// API: a split by headword (test words are unseen), the nearest-headword baseline, a GRU encoder–
// decoder with additive attention (or a small transformer) that reads each German word beside the
// translation of a similar training headword (nb.text.FuzzyMatcher: neural fuzzy repair), trained
// with fit, greedy and beam search.
// Run: npm run build && node --import tsx examples/freedict-translate.ts [--model gru|transformer] [--epochs 1] [--max-minutes 20]
// (the recipe of `nabla train freedict-deu-eng` with its defaults: one epoch of the headwords, batches of
// 128, Adam 6e-3 with cosine decay, no dropout, a 192-wide decoder, attention 64 wide, fuzzy matches among 16 neighbours)
import * as nb from 'nabla';
import { freedictDeuEng } from 'nabla/node';

const { data, optim, models, train } = nb;
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const kind = (args.get('model') ?? 'gru') as nb.models.Seq2SeqKind;
const epochs = Number(args.get('epochs') ?? 1);
const maxMinutes = Number(args.get('max-minutes') ?? 20);
const trainPairs = Number(args.get('train-pairs') ?? Infinity); // a smaller run: the first N training pairs
const testPairs = Number(args.get('test-pairs') ?? Infinity);
nb.manualSeed(Number(args.get('seed') ?? 0));

// Headwords with their first listed translation, split by headword.
const corpus = freedictDeuEng();
const trainSet = corpus.train.filter((p) => p.kind === 'headword').slice(0, trainPairs);
const test = corpus.test.filter((p) => p.kind === 'headword').slice(0, testPairs);
const val = corpus.val.filter((p) => p.kind === 'headword').slice(0, 1000);
console.log(`FreeDict deu-eng from ${corpus.location}: ${trainSet.length} training pairs, ${test.length} test headwords`);

// The baseline: the translation of the nearest training headword by edit distance.
const trainHeads = trainSet.filter((p) => p.kind === 'headword');
const base = models.nearestHeadwordBaseline(trainHeads, test.map((p) => p.src));
const baseScores = models.scoreTranslations(base.hyps, test);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
console.log(`nearest headword: exact ${pct(baseScores.exactMatch)}, any listed ${pct(baseScores.anyMatch)}, CER ${pct(baseScores.cer)}, chrF ${baseScores.chrF.toFixed(1)}`);

// The model reads "German│translation of a similar training headword"; a training word's match is
// never one of its own forms (test words are unseen), so training sees matches as the test gets them.
const fuzzy = new nb.text.FuzzyMatcher(trainHeads, 16);
const withMatch = (ps: readonly nb.data.TranslationPair[], own: boolean) => ps.map((p) => ({ ...p, src: fuzzy.input(p.src, own ? p.headword : undefined) }));
const trainIn = withMatch(trainSet, true), valIn = withMatch(val, false), testIn = withMatch(test, false);
const fuzzyScores = models.scoreTranslations(test.map((p) => { const i = fuzzy.find(p.src); return i < 0 ? '' : trainHeads[i]!.tgt; }), test);
console.log(`fuzzy match alone: exact ${pct(fuzzyScores.exactMatch)}, CER ${pct(fuzzyScores.cer)}, chrF ${fuzzyScores.chrF.toFixed(1)}`);

// The model, trained with teacher forcing on length-bucketed batches.
const vocabs = models.buildTranslationVocabs(trainIn);
const model = models.createSeq2Seq({ ...models.defaultSeq2SeqConfig(kind, vocabs.src.size, vocabs.tgt.size), hiddenSize: 192, attentionDim: 64, dropout: 0 });
const loader = new data.DataLoader(new models.Seq2SeqBatches(trainIn, vocabs, 128, 1), { batchSize: 1, shuffle: true, seed: 2, collate: (b) => b[0]! });
const valLoader = new data.DataLoader(new models.Seq2SeqBatches(valIn, vocabs, 128, 3), { batchSize: 1, collate: (b) => b[0]! });
const adam = new optim.Adam(model.parameters(), { lr: kind === 'transformer' ? 5e-4 : 6e-3 });
const scheduler = new optim.CosineAnnealingLR(adam, { tMax: epochs * loader.length });
const stop = new AbortController();
const timer = setTimeout(() => stop.abort(), maxMinutes * 60_000);
const t0 = performance.now();
await train.fit(model, {
  train: loader, val: valLoader, loss: models.seq2seqLoss, forward: models.seq2seqForward, optimizer: adam, scheduler, schedulerInterval: 'batch',
  clipGradNorm: 1, epochs, signal: stop.signal, logEvery: 100,
});
clearTimeout(timer);
console.log(`trained for ${((performance.now() - t0) / 60_000).toFixed(1)} min`);

// Translate the unseen test headwords with beam search (and greedy, for comparison).
for (const beamSize of [1, 5]) {
  const hyps = models.translate(model, vocabs, testIn.map((p) => p.src), { beamSize });
  const s = models.scoreTranslations(hyps, test);
  console.log(`${kind} ${beamSize === 1 ? 'greedy' : `beam ${beamSize}`}: exact ${pct(s.exactMatch)}, any listed ${pct(s.anyMatch)}, CER ${pct(s.cer)}, chrF ${s.chrF.toFixed(1)}`);
  if (beamSize > 1) for (let i = 0; i < 10; i++) console.log(`  ${test[i]!.src} → ${hyps[i]}   (dictionary: ${test[i]!.tgt}; nearest headword: ${base.nearest[i]} → ${base.hyps[i]})`);
}
