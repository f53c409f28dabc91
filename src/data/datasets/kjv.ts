// The King James Bible as character-level language-model data (browser-safe): the 66 books, parsing
// the `bible` program's output and nabla's one-verse-per-line text, validation, held-out books.

export const KJV_BOOKS: readonly string[] = Object.freeze([
  'Genesis', 'Exodus', 'Leviticus', 'Numbers', 'Deuteronomy', 'Joshua', 'Judges', 'Ruth', '1 Samuel', '2 Samuel',
  '1 Kings', '2 Kings', '1 Chronicles', '2 Chronicles', 'Ezra', 'Nehemiah', 'Esther', 'Job', 'Psalms', 'Proverbs',
  'Ecclesiastes', 'Song of Solomon', 'Isaiah', 'Jeremiah', 'Lamentations', 'Ezekiel', 'Daniel', 'Hosea', 'Joel', 'Amos',
  'Obadiah', 'Jonah', 'Micah', 'Nahum', 'Habakkuk', 'Zephaniah', 'Haggai', 'Zechariah', 'Malachi',
  'Matthew', 'Mark', 'Luke', 'John', 'Acts', 'Romans', '1 Corinthians', '2 Corinthians', 'Galatians', 'Ephesians',
  'Philippians', 'Colossians', '1 Thessalonians', '2 Thessalonians', '1 Timothy', '2 Timothy', 'Titus', 'Philemon',
  'Hebrews', 'James', '1 Peter', '2 Peter', '1 John', '2 John', '3 John', 'Jude', 'Revelation',
]);

/** What a complete KJV has (Debian's bible-kjv-text): checked on every load. */
export const KJV_COUNTS = Object.freeze({ books: 66, chapters: 1189, verses: 31102 });

/**
 * Held-out books, chosen to mix the Old and New Testaments and narrative, prophecy and letters:
 * validation ≈ 93k characters, test ≈ 236k (about 2% and 6% of the text); the rest trains.
 */
export const KJV_SPLITS: Readonly<Record<'val' | 'test', readonly string[]>> = Object.freeze({
  val: Object.freeze(['Ruth', 'Esther', 'Amos', 'Galatians', 'James']),
  test: Object.freeze(['Judges', 'Hosea', 'Mark', 'Ephesians', '1 Peter']),
});

export interface KjvChapter { book: string; chapter: number; verses: string[] }

const HEADER = new RegExp(`^(${KJV_BOOKS.map((b) => b.replace(/ /g, ' ')).join('|')}) (\\d+)$`);

function fail(source: string, line: number, what: string): never {
  throw new Error(`kjv: ${source}, line ${line}: ${what}`);
}

/**
 * Parses chapters from either the output of `bible -l100000 gen1:1-rev22:21` ("Genesis 1", blank,
 * "  1 In the beginning…") or nabla's text ("Genesis 1", "1 In the beginning…"), checking that
 * chapters and verses are numbered 1, 2, 3… in the books' order. `source` names the file in errors.
 */
export function parseKjv(text: string, source: string): KjvChapter[] {
  const chapters: KjvChapter[] = [];
  const lines = text.split('\n');
  let cur: KjvChapter | null = null;
  let bookIdx = -1;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (!raw.trim()) continue;
    const h = HEADER.exec(raw);
    if (h) {
      const book = h[1]!, ch = Number(h[2]);
      const bi = KJV_BOOKS.indexOf(book);
      const expected: number = cur && cur.book === book ? cur.chapter + 1 : 1;
      if (bi < bookIdx || (bi === bookIdx && ch !== expected) || (bi > bookIdx && (bi !== bookIdx + 1 || ch !== 1))) {
        fail(source, i + 1, `'${raw}' is out of order (after ${cur ? `${cur.book} ${cur.chapter}` : 'the start'})`);
      }
      bookIdx = bi;
      cur = { book, chapter: ch, verses: [] };
      chapters.push(cur);
      continue;
    }
    const v = /^ *(\d+) (.+)$/.exec(raw);
    if (!v) fail(source, i + 1, `expected a chapter heading like 'Genesis 1' or a verse like '1 In the beginning…', got ${JSON.stringify(raw.slice(0, 60))}`);
    if (!cur) fail(source, i + 1, 'a verse before the first chapter heading');
    if (Number(v[1]) !== cur.verses.length + 1) fail(source, i + 1, `verse ${v[1]} of ${cur.book} ${cur.chapter} follows verse ${cur.verses.length}`);
    cur.verses.push(v[2]!.trim());
  }
  const books = new Set(chapters.map((c) => c.book)).size;
  const verses = chapters.reduce((n, c) => n + c.verses.length, 0);
  if (books !== KJV_COUNTS.books || chapters.length !== KJV_COUNTS.chapters || verses !== KJV_COUNTS.verses) {
    throw new Error(`kjv: ${source} holds ${books} books, ${chapters.length} chapters and ${verses} verses; a complete KJV has ${KJV_COUNTS.books}, ${KJV_COUNTS.chapters} and ${KJV_COUNTS.verses} (truncated or not the King James text?)`);
  }
  return chapters;
}

/** Chapters as nabla's text: a heading line per chapter, then one line per verse, "N text". */
export function formatKjv(chapters: readonly KjvChapter[]): string {
  let s = '';
  for (const c of chapters) {
    s += `${c.book} ${c.chapter}\n`;
    c.verses.forEach((v, i) => { s += `${i + 1} ${v}\n`; });
  }
  return s;
}

export interface KjvSplitText { train: string; val: string; test: string }

/**
 * The text of each split, books in the Bible's order, each split starting with a newline (a model
 * scores every character after that first one).
 */
export function splitKjv(chapters: readonly KjvChapter[], splits = KJV_SPLITS): KjvSplitText {
  for (const b of [...splits.val, ...splits.test]) if (!KJV_BOOKS.includes(b)) throw new Error(`kjv: no book named '${b}' (books: ${KJV_BOOKS.join(', ')})`);
  const of = (books: readonly string[]): string => '\n' + books.map((b) => formatKjv(chapters.filter((c) => c.book === b))).join('');
  const held = new Set([...splits.val, ...splits.test]);
  return {
    train: '\n' + formatKjv(chapters.filter((c) => !held.has(c.book))),
    val: of(splits.val),
    test: of(splits.test),
  };
}
