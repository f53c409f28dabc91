// FreeDict German→English pairs for the task: the split by headword, vocabularies (kept in the
// checkpoint's meta), encoded pairs and the collate that pads them into teacher-forcing batches.

import * as nb from '../../index.js';
import { freedictDeuEng } from '../../node.js';
import type { Options, TaskData, TaskIO } from '../task.js';
import { UsageError } from '../../cli/args.js';

export interface FreedictMeta {
  [k: string]: nb.train.JsonValue;
  src: string[];
  tgt: string[];
}

export const SPECIALS = ['pad', 'bos', 'eos', 'unk'] as const;

/** --match: a regular expression the German side must match (none: every pair). */
function matcher(source: string | undefined): (s: string) => boolean {
  if (!source) return () => true;
  let re: RegExp;
  try { re = new RegExp(source, 'u'); } catch (e) { throw new UsageError(`--match: ${JSON.stringify(source)} is not a regular expression (${(e as Error).message})`); }
  return (s) => re.test(s);
}

export function vocabsOf(meta: FreedictMeta): nb.models.TranslationVocabs {
  return { src: new nb.text.CharVocab(meta.src, SPECIALS), tgt: new nb.text.CharVocab(meta.tgt, SPECIALS) };
}

/** One encoded pair; `pair` keeps the text (and the accepted alternatives) for the report. */
export interface PairItem { src: Int32Array; tgt: Int32Array; pair: nb.models.Pair }

/** A batch: [x [N, 2, L] (source, BOS + target), y [N, L] (target + EOS), the pairs]. */
export type PairBatch = [nb.Tensor, nb.Tensor, nb.models.Pair[]];

export class PairDataset implements nb.data.Dataset<PairItem> {
  private readonly items: PairItem[];
  /** `inputs`: what the model reads for each pair (default its German side; with fuzzy matches, German│match). */
  constructor(pairs: readonly nb.models.Pair[], vocabs: nb.models.TranslationVocabs, inputs?: readonly string[]) {
    this.items = pairs.map((p, i) => ({ src: vocabs.src.encode(inputs ? inputs[i]! : p.src), tgt: vocabs.tgt.encode(p.tgt), pair: p }));
  }
  get length(): number { return this.items.length; }
  get(i: number): PairItem {
    const it = this.items[i];
    if (!it) throw new RangeError(`freedict: pair ${i} is out of range for ${this.items.length} pairs`);
    return it;
  }
  /** The sort key of length-grouped batches: the source's length first, then the target's. */
  lengthKeys(): Float64Array { return Float64Array.from(this.items, (it) => it.src.length * 1000 + it.tgt.length); }
  srcLengths(): Int32Array { return Int32Array.from(this.items, (it) => it.src.length); }
}

/**
 * Validation and test batches: sources of one length each (nothing padded, so the encoder's backward
 * GRU starts at each word's last character, as `translate` decodes), in order of length, every pass alike.
 */
export class SameLengthSampler implements nb.data.BatchSampler {
  readonly length: number;
  readonly numSamples: number;
  private readonly list: number[][];
  constructor(lengths: ArrayLike<number>, batchSize: number) {
    this.list = nb.models.sameLengthBatches(lengths, batchSize);
    this.length = this.list.length;
    this.numSamples = lengths.length;
  }
  batches(): number[][] { return this.list.map((b) => [...b]); }
}

export function collatePairs(vocabs: nb.models.TranslationVocabs): (samples: unknown[]) => PairBatch {
  return (samples) => {
    const items = samples as PairItem[];
    const [x, y] = nb.models.encodeBatch(items.map((s) => s.src), items.map((s) => s.tgt), vocabs);
    return [x, y, items.map((s) => s.pair)];
  };
}

/**
 * The splits: every training pair (headwords and example phrases of training headwords; `limit` > 0
 * keeps the first N), `val-size` validation headwords and the test headwords (`test-limit` > 0: the first N).
 */
/** The training pairs of the options (--examples, --match, --limit). */
function trainingPairs(corpus: ReturnType<typeof freedictDeuEng>, o: Options): nb.data.TranslationPair[] {
  const match = matcher(o.match as string | undefined);
  const train = corpus.train.filter((p) => (o.examples || p.kind === 'headword') && match(p.src));
  const limit = o.limit as number;
  return limit > 0 ? train.slice(0, limit) : train;
}

/** --length-penalty (runs from before it had beam search's default, 1). */
export function lengthPenalty(o: Options): number { return (o['length-penalty'] as number | undefined) ?? 1; }

/** --fuzzy K (0: off; absent in runs from before it: off). */
export function fuzzyK(o: Options): number { return (o.fuzzy as number | undefined) ?? 0; }

function fuzzyOver(train: readonly nb.data.TranslationPair[], k: number): nb.text.FuzzyMatcher {
  const heads = train.filter((p) => p.kind === 'headword');
  if (!heads.length) throw new UsageError('--fuzzy: no training headwords to match against');
  return new nb.text.FuzzyMatcher(heads, k);
}

/** The fuzzy matcher of a run (its training headwords), for translating new text; null when the run has none. */
export function runFuzzyMatcher(o: Options): nb.text.FuzzyMatcher | null {
  const k = fuzzyK(o);
  return k > 0 ? fuzzyOver(trainingPairs(freedictDeuEng({ dir: o.data as string | undefined }), o), k) : null;
}

export function loadFreedict(o: Options, io: TaskIO, saved?: FreedictMeta): TaskData<FreedictMeta> {
  const corpus = freedictDeuEng({ dir: o.data as string | undefined });
  const limit = o.limit as number, testLimit = o['test-limit'] as number;
  const match = matcher(o.match as string | undefined);
  const train: nb.models.Pair[] = trainingPairs(corpus, o);
  const heads = (ps: readonly nb.data.TranslationPair[]) => ps.filter((p) => p.kind === 'headword' && match(p.src));
  const test = testLimit > 0 ? heads(corpus.test).slice(0, testLimit) : heads(corpus.test);
  const val = heads(corpus.val).slice(0, o['val-size'] as number);
  if (!train.length && io.purpose !== 'eval') throw new UsageError(`train: no training pairs${o.match ? ` match --match ${o.match}` : ''}`);
  // with fuzzy matches the model reads "German│translation of a similar training headword"; a
  // training pair's match is never from its own headword, as the test's headwords are unseen
  const k = fuzzyK(o);
  const fuzzy = k > 0 ? fuzzyOver(train as nb.data.TranslationPair[], k) : null;
  const t0 = performance.now();
  const inputs = (ps: readonly nb.models.Pair[], own: boolean): string[] | undefined =>
    fuzzy ? ps.map((p) => fuzzy.input(p.src, own ? (p as nb.data.TranslationPair).headword : undefined)) : undefined;
  const trainIn = io.purpose === 'eval' ? undefined : inputs(train, true);
  const valIn = inputs(val, false), testIn = inputs(test, false);
  if (fuzzy) io.log(`freedict-deu-eng: fuzzy matches (${k} neighbours each side in two orders) of ${(trainIn?.length ?? 0) + val.length + test.length} sources in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  let meta = saved;
  if (!meta) {
    const v = nb.models.buildTranslationVocabs(trainIn ? train.map((p, i) => ({ src: trainIn[i]!, tgt: p.tgt })) : train);
    meta = { src: [...v.src.chars], tgt: [...v.tgt.chars] };
  }
  const vocabs = vocabsOf(meta);
  if (o.match) io.log(`freedict-deu-eng: only German sides matching /${o.match}/: ${train.length} training pairs, ${test.length} test headwords`);
  if (limit > 0) io.log(`freedict-deu-eng: training on the first ${limit} of ${corpus.train.length} pairs`);
  if (!test.length) throw new UsageError(`${io.purpose === 'eval' ? 'eval' : 'train'}: no test headwords${o.match ? ` match --match ${o.match}` : ''}`);
  return {
    train: new PairDataset(io.purpose === 'eval' ? [] : train, vocabs, trainIn),
    val: new PairDataset(val, vocabs, valIn),
    test: new PairDataset(test, vocabs, testIn),
    collate: collatePairs(vocabs),
    meta,
    source: `FreeDict German–English (${corpus.location}, ${corpus.entries} entries): ${train.length} training pairs, test = ${test.length} headwords never seen in training`,
  };
}
