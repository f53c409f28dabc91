// Node-only: reads Debian's FreeDict German–English dictionary (/usr/share/dictd/freedict-deu-eng.
// {index,dict.dz}; dictzip is gzip, so zlib reads it), builds the translation pairs once and caches them.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { saveFileAtomicSync } from '../../io/node-files.js';
import { nablaCacheDir } from './fashion-mnist-node.js';
import {
  buildPairs, parseDictEntry, parseDictIndex, splitOfHeadword,
  type DictEntry, type FreedictSplit, type PairOptions, type TranslationPair,
} from './freedict.js';

export const FREEDICT_DIR = '/usr/share/dictd';
const NAME = 'freedict-deu-eng';
const HOW = 'install Debian\'s dict-freedict-deu-eng (apt install dict-freedict-deu-eng), or pass dir';
const CACHE_MAGIC = 'nabla-freedict-pairs v1';

export interface FreedictOptions extends PairOptions {
  /** directory holding freedict-deu-eng.index and .dict.dz (or .dict); default /usr/share/dictd */
  dir?: string;
  /** the cache directory (default ~/.cache/nabla; null: neither read nor write a cache) */
  cacheDir?: string | null;
}

export interface FreedictCorpus {
  train: TranslationPair[];
  val: TranslationPair[];
  test: TranslationPair[];
  /** entries read from the dictionary (or the cache's count) */
  entries: number;
  location: string;
  source: 'dictionary' | 'cache';
}

function read(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${NAME}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Every entry of the dictionary in file order (each distinct offset once). */
export function readFreedictEntries(dir = FREEDICT_DIR): { entries: DictEntry[]; location: string } {
  const indexPath = join(dir, `${NAME}.index`);
  const dz = join(dir, `${NAME}.dict.dz`), plain = join(dir, `${NAME}.dict`);
  const dictPath = existsSync(dz) ? dz : existsSync(plain) ? plain : null;
  if (!existsSync(indexPath) || !dictPath) throw new Error(`${NAME}: no ${NAME}.index and ${NAME}.dict.dz in ${dir}; ${HOW}`);
  const raw = read(dictPath);
  let bytes: Uint8Array;
  try {
    bytes = dictPath === dz ? gunzipSync(raw) : raw;
  } catch (e) {
    throw new Error(`${NAME}: ${dictPath} is not valid dictzip/gzip data (${(e as Error).message})`, { cause: e });
  }
  const index = parseDictIndex(new TextDecoder().decode(read(indexPath)), indexPath, bytes.length);
  const spans = new Map<number, number>();
  for (const e of index) spans.set(e.offset, e.length);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const entries: DictEntry[] = [];
  for (const off of [...spans.keys()].sort((a, b) => a - b)) {
    let text: string;
    try {
      text = dec.decode(bytes.subarray(off, off + spans.get(off)!));
    } catch {
      throw new Error(`${NAME}: ${dictPath}: the entry at byte ${off} is not valid UTF-8`);
    }
    const e = parseDictEntry(text);
    if (e) entries.push(e);
  }
  return { entries, location: dir };
}

function splitPairs(pairs: TranslationPair[], entries: number, location: string, source: FreedictCorpus['source']): FreedictCorpus {
  const out: Record<FreedictSplit, TranslationPair[]> = { train: [], val: [], test: [] };
  for (const p of pairs) out[splitOfHeadword(p.headword)].push(p);
  return { ...out, entries, location, source };
}

const SEP = '\u001f';

function toTsv(pairs: TranslationPair[], entries: number, opts: PairOptions): string {
  const head = `${CACHE_MAGIC}\t${pairs.length}\t${entries}\t${opts.maxHeadwordLength ?? 40}\t${opts.maxExampleLength ?? 60}\n`;
  return head + pairs.map((p) => [p.kind, p.headword, p.src, p.tgt, p.alternatives.join(SEP)].join('\t')).join('\n') + '\n';
}

function fromTsv(text: string, path: string, opts: PairOptions): { pairs: TranslationPair[]; entries: number } | null {
  const lines = text.split('\n');
  const h = lines[0]!.split('\t');
  if (h[0] !== CACHE_MAGIC) throw new Error(`${NAME}: ${path} is not a nabla pair cache (first line '${lines[0]!.slice(0, 40)}'); delete it to rebuild`);
  // a cache built with other length limits is rebuilt, not used
  if (Number(h[3]) !== (opts.maxHeadwordLength ?? 40) || Number(h[4]) !== (opts.maxExampleLength ?? 60)) return null;
  const n = Number(h[1]);
  const pairs: TranslationPair[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i]) continue;
    const f = lines[i]!.split('\t');
    if (f.length !== 5 || (f[0] !== 'headword' && f[0] !== 'example')) throw new Error(`${NAME}: ${path}, line ${i + 1}: malformed (expected 5 fields: kind, headword, src, tgt, alternatives); delete it to rebuild`);
    pairs.push({ kind: f[0] as TranslationPair['kind'], headword: f[1]!, src: f[2]!, tgt: f[3]!, alternatives: f[4]!.split(SEP) });
  }
  if (pairs.length !== n) throw new Error(`${NAME}: ${path} holds ${pairs.length} pairs but its header says ${n} (truncated?); delete it to rebuild`);
  return { pairs, entries: Number(h[2]) };
}

/**
 * German→English pairs split by headword (≈ 97% train, 1% validation, 2% test). The first call reads
 * the 100 MB dictionary and caches the pairs (≈ 20 MB); later calls read the cache.
 */
export function freedictDeuEng(opts: FreedictOptions = {}): FreedictCorpus {
  const cache = opts.cacheDir === undefined ? nablaCacheDir() : opts.cacheDir;
  const dir = opts.dir ?? FREEDICT_DIR;
  // the cache belongs to the default dictionary; an explicit dir is read directly
  const cached = cache && opts.dir === undefined ? join(cache, NAME, 'pairs.tsv') : null;
  if (cached && existsSync(cached)) {
    const c = fromTsv(new TextDecoder().decode(read(cached)), cached, opts);
    if (c) return splitPairs(c.pairs, c.entries, cached, 'cache');
  }
  const { entries, location } = readFreedictEntries(dir);
  const pairs = buildPairs(entries, opts);
  if (cached) {
    mkdirSync(dirname(cached), { recursive: true });
    saveFileAtomicSync(cached, new TextEncoder().encode(toTsv(pairs, entries.length, opts)));
  }
  return splitPairs(pairs, entries.length, location, 'dictionary');
}
