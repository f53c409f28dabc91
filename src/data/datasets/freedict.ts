// The German–English FreeDict dictionary (dictd format) as translation pairs (browser-safe): the
// index, the entries' text, headword → first listed translation, example phrases, a split by headword.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** A dictd index number (offsets and lengths are base64 digits, most significant first). */
export function decodeDictNumber(s: string, where: string): number {
  if (!s) throw new Error(`${where}: empty number`);
  let v = 0;
  for (const c of s) {
    const d = B64.indexOf(c);
    if (d < 0) throw new Error(`${where}: '${s}' is not a dictd base64 number (bad digit '${c}')`);
    v = v * 64 + d;
  }
  return v;
}

export interface IndexEntry { key: string; offset: number; length: number }

/** Parses a .index file (key TAB offset TAB length per line), checking every entry lies inside `dictSize` bytes. */
export function parseDictIndex(text: string, source: string, dictSize: number): IndexEntry[] {
  const out: IndexEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const parts = line.split('\t');
    if (parts.length !== 3) throw new Error(`${source}, line ${i + 1}: expected 'key<TAB>offset<TAB>length', got ${parts.length} fields`);
    const where = `${source}, line ${i + 1}`;
    const offset = decodeDictNumber(parts[1]!, where), length = decodeDictNumber(parts[2]!, where);
    if (offset + length > dictSize) throw new Error(`${where}: entry '${parts[0]}' at ${offset} + ${length} bytes runs past the end of the dictionary (${dictSize} bytes)`);
    out.push({ key: parts[0]!, offset, length });
  }
  if (!out.length) throw new Error(`${source}: the index is empty`);
  return out;
}

export interface DictEntry {
  headword: string;
  /** translations in the order listed, labels ([bot.]) and tags (<n>) removed */
  translations: string[];
  /** example phrases of the entry: German → English */
  examples: { de: string; en: string }[];
}

/** Splits at commas outside parentheses and brackets. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const c of s) {
    if (c === '(' || c === '[' || c === '{' || c === '<') depth++;
    else if ((c === ')' || c === ']' || c === '}' || c === '>') && depth > 0) depth--;
    if (c === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

/** A translation or headword without domain labels, grammar tags and pronunciation. */
function clean(s: string): string {
  return s.replace(/\[[^\]]*\]/g, ' ').replace(/<[^>]*>/g, ' ').replace(/\s\/[^/]*\/(?=\s|$)/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * One entry's text: line 1 "Headword /pronunciation/ <grammar>", line 2 the translations separated
 * by commas, then indented example lines `"German"  - English`, notes and cross-references.
 */
export function parseDictEntry(text: string): DictEntry | null {
  const lines = text.split('\n');
  const head = clean(lines[0] ?? '');
  if (!head) return null;
  const translations = (lines[1] ?? '').trim() ? splitTopLevel(lines[1]!).map(clean).filter(Boolean) : [];
  const examples: DictEntry['examples'] = [];
  for (const l of lines.slice(2)) {
    const m = /^ {6}"(.+)" {2}- (.+)$/.exec(l);
    if (m) examples.push({ de: m[1]!.trim(), en: m[2]!.trim() });
  }
  return { headword: head, translations, examples };
}

export interface TranslationPair {
  /** German */
  src: string;
  /** English: the first listed translation of the headword's first entry, or the example's translation */
  tgt: string;
  /** every translation listed for the headword, over all its entries (for the lenient match) */
  alternatives: string[];
  /** the headword the pair belongs to (splits are by headword) */
  headword: string;
  kind: 'headword' | 'example';
}

export type FreedictSplit = 'train' | 'val' | 'test';

/** FNV-1a hash of the lowercased headword → a split; stable across versions and runs. */
export function splitOfHeadword(headword: string, fractions = { val: 0.01, test: 0.02 }): FreedictSplit {
  let h = 0x811c9dc5;
  for (const c of headword.toLowerCase()) {
    h ^= c.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const u = h / 2 ** 32;
  return u < fractions.test ? 'test' : u < fractions.test + fractions.val ? 'val' : 'train';
}

export interface PairOptions {
  /** longest German or English side kept, in characters (default 40 for headwords, 60 for examples) */
  maxHeadwordLength?: number;
  maxExampleLength?: number;
}

/**
 * Translation pairs from the entries in dictionary order: one per distinct headword (its first
 * entry's first translation), plus each example phrase. Metadata entries (00-database-…) and entries
 * without a translation are left out.
 */
export function buildPairs(entries: readonly DictEntry[], opts: PairOptions = {}): TranslationPair[] {
  const maxH = opts.maxHeadwordLength ?? 40, maxE = opts.maxExampleLength ?? 60;
  const byHead = new Map<string, TranslationPair>();
  const examples: TranslationPair[] = [];
  const seenExample = new Set<string>();
  for (const e of entries) {
    if (e.headword.startsWith('00-database') || e.headword.startsWith('00database')) continue;
    if (e.translations.length) {
      const p = byHead.get(e.headword);
      if (p) {
        for (const t of e.translations) if (!p.alternatives.includes(t)) p.alternatives.push(t);
      } else {
        byHead.set(e.headword, { src: e.headword, tgt: e.translations[0]!, alternatives: [...new Set(e.translations)], headword: e.headword, kind: 'headword' });
      }
    }
    for (const x of e.examples) {
      const k = `${x.de}\t${x.en}`;
      if (seenExample.has(k) || x.de.length > maxE || x.en.length > maxE) continue;
      seenExample.add(k);
      examples.push({ src: x.de, tgt: x.en, alternatives: [x.en], headword: e.headword, kind: 'example' });
    }
  }
  const heads = [...byHead.values()].filter((p) => Array.from(p.src).length <= maxH && Array.from(p.tgt).length <= maxH);
  return [...heads, ...examples];
}
