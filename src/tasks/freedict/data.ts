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
  constructor(pairs: readonly nb.models.Pair[], vocabs: nb.models.TranslationVocabs) {
    this.items = pairs.map((p) => ({ src: vocabs.src.encode(p.src), tgt: vocabs.tgt.encode(p.tgt), pair: p }));
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
export function loadFreedict(o: Options, io: TaskIO, saved?: FreedictMeta): TaskData<FreedictMeta> {
  const corpus = freedictDeuEng({ dir: o.data as string | undefined });
  const limit = o.limit as number, testLimit = o['test-limit'] as number;
  const match = matcher(o.match as string | undefined);
  let train: nb.models.Pair[] = corpus.train.filter((p) => (o.examples || p.kind === 'headword') && match(p.src));
  if (limit > 0) train = train.slice(0, limit);
  const heads = (ps: readonly nb.data.TranslationPair[]) => ps.filter((p) => p.kind === 'headword' && match(p.src));
  const test = testLimit > 0 ? heads(corpus.test).slice(0, testLimit) : heads(corpus.test);
  const val = heads(corpus.val).slice(0, o['val-size'] as number);
  let meta = saved;
  if (!meta) {
    const v = nb.models.buildTranslationVocabs(train);
    meta = { src: [...v.src.chars], tgt: [...v.tgt.chars] };
  }
  const vocabs = vocabsOf(meta);
  if (o.match) io.log(`freedict-deu-eng: only German sides matching /${o.match}/: ${train.length} training pairs, ${test.length} test headwords`);
  if (limit > 0) io.log(`freedict-deu-eng: training on the first ${limit} of ${corpus.train.length} pairs`);
  if (!train.length && io.purpose !== 'eval') throw new UsageError(`train: no training pairs${o.match ? ` match --match ${o.match}` : ''}`);
  if (!test.length) throw new UsageError(`${io.purpose === 'eval' ? 'eval' : 'train'}: no test headwords${o.match ? ` match --match ${o.match}` : ''}`);
  return {
    train: new PairDataset(io.purpose === 'eval' ? [] : train, vocabs),
    val: new PairDataset(val, vocabs),
    test: new PairDataset(test, vocabs),
    collate: collatePairs(vocabs),
    meta,
    source: `FreeDict German–English (${corpus.location}, ${corpus.entries} entries): ${train.length} training pairs, test = ${test.length} headwords never seen in training`,
  };
}
