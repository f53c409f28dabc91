// Nearest word by edit distance among many (the translation baseline: answer with the translation
// of the closest training headword). A trie of the words is walked with one Levenshtein row per
// depth, and a branch is cut where no word below can beat the best so far: its distance is at least
// the row's cells plus what the rest of the query and of the words' lengths must differ by (each node
// knows its words' shortest and longest lengths), and a tie only counts for an earlier word (each
// node knows its earliest). The child that continues the query is walked first (a close word early
// cuts more), and rows are computed only within the best distance of the diagonal (Ukkonen's band).

export interface NearestResult {
  /** index of the word in the list given to the constructor (the first of equals) */
  index: number;
  word: string;
  distance: number;
}

/** A Levenshtein cell known to exceed the best distance so far (kept small enough to add to). */
const FAR = 0x3fffffff;

export class NearestWord {
  // the trie as parallel arrays: code point, first child, next sibling, word index (−1 none)
  private ch = new Int32Array(1024);
  private child = new Int32Array(1024).fill(-1);
  private sibling = new Int32Array(1024).fill(-1);
  private wordAt = new Int32Array(1024).fill(-1);
  private nodes = 1;
  // per node, over the words at and below it: shortest and longest length (code points), earliest index
  private minLen = new Int32Array(0);
  private maxLen = new Int32Array(0);
  private minIdx = new Int32Array(0);
  readonly words: readonly string[];

  constructor(words: readonly string[]) {
    if (!words.length) throw new Error('NearestWord: the word list is empty');
    this.words = words;
    words.forEach((w, i) => this.insert(w, i));
    this.minLen = new Int32Array(this.nodes);
    this.maxLen = new Int32Array(this.nodes);
    this.minIdx = new Int32Array(this.nodes);
    this.bound(0, 0);
  }

  /** Fills the subtree bounds of node (at depth) and below. */
  private bound(node: number, depth: number): void {
    const w = this.wordAt[node]!;
    let lo = w >= 0 ? depth : 0x7fffffff, hi = w >= 0 ? depth : -1, idx = w >= 0 ? w : 0x7fffffff;
    for (let k = this.child[node]!; k >= 0; k = this.sibling[k]!) {
      this.bound(k, depth + 1);
      lo = Math.min(lo, this.minLen[k]!);
      hi = Math.max(hi, this.maxLen[k]!);
      idx = Math.min(idx, this.minIdx[k]!);
    }
    this.minLen[node] = lo;
    this.maxLen[node] = hi;
    this.minIdx[node] = idx;
  }

  private grow(): void {
    const n = this.ch.length * 2;
    const g = (a: Int32Array<ArrayBuffer>, fill: number): Int32Array<ArrayBuffer> => { const b = new Int32Array(n).fill(fill); b.set(a); return b; };
    this.ch = g(this.ch, 0);
    this.child = g(this.child, -1);
    this.sibling = g(this.sibling, -1);
    this.wordAt = g(this.wordAt, -1);
  }

  private insert(word: string, index: number): void {
    let node = 0;
    for (const c of word) {
      const code = c.codePointAt(0)!;
      let k = this.child[node]!;
      while (k >= 0 && this.ch[k] !== code) k = this.sibling[k]!;
      if (k < 0) {
        if (this.nodes === this.ch.length) this.grow();
        k = this.nodes++;
        this.ch[k] = code;
        this.sibling[k] = this.child[node]!;
        this.child[node] = k;
      }
      node = k;
    }
    if (this.wordAt[node]! < 0) this.wordAt[node] = index;
  }

  /** The word at the smallest Levenshtein distance from `query` (ties: the earliest in the list). */
  find(query: string): NearestResult {
    const q = Array.from(query, (c) => c.codePointAt(0)!);
    const m = q.length;
    const rows: Int32Array[] = [Int32Array.from({ length: m + 1 }, (_, j) => j)];
    let best = Infinity, bestIdx = -1;
    const consider = (row: Int32Array, node: number): void => {
      const w = this.wordAt[node]!;
      if (w >= 0) {
        const d = row[m]!;
        if (d < best || (d === best && w < bestIdx)) { best = d; bestIdx = w; }
      }
    };
    consider(rows[0]!, 0);
    const visit = (k: number, depth: number): void => {
      const prev = rows[depth]!;
      const row = (rows[depth + 1] ??= new Int32Array(m + 1));
      const code = this.ch[k]!;
      row[0] = depth + 1;
      let min = row[0];
      // Ukkonen's band: a cell farther than `best` from the diagonal is more than `best`, and so is
      // any cell computed from one (FAR stands for them); a cell within `best` is exact, which is
      // all the comparisons with `best` below need
      const jlo = best === Infinity ? 1 : Math.max(1, depth + 1 - best), jhi = best === Infinity ? m : Math.min(m, depth + 1 + best);
      if (jlo > 1) row[jlo - 1] = FAR;
      for (let j = jlo; j <= jhi; j++) {
        const v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (q[j - 1] === code ? 0 : 1));
        row[j] = v;
        if (v < min) min = v;
      }
      for (let j = jhi + 1; j <= m; j++) row[j] = FAR;
      // every word below is at least this far: an alignment passes this row at some query
      // position j, and what is left of the query (m − j) and of the word (its length − depth − 1,
      // within the subtree's lengths) differ at least by their lengths' difference
      const lo = this.minLen[k]! - depth - 1, hi = this.maxLen[k]! - depth - 1;
      let bound = min;
      if (bound < best || (bound === best && this.minIdx[k]! < bestIdx)) {
        bound = row[0] + (m < lo ? lo - m : m > hi ? m - hi : 0);
        for (let j = jlo; j <= jhi && bound > min; j++) {
          const left = m - j;
          const v = row[j]! + (left < lo ? lo - left : left > hi ? left - hi : 0);
          if (v < bound) bound = v;
        }
      }
      if (bound > best || (bound === best && this.minIdx[k]! > bestIdx)) return;
      consider(row, k);
      walk(k, depth + 1);
    };
    const walk = (node: number, depth: number): void => {
      // the child that continues the query goes first: a close word found early cuts more branches
      const next = depth < m ? q[depth]! : -1;
      let first = -1;
      for (let k = this.child[node]!; k >= 0; k = this.sibling[k]!) if (this.ch[k] === next) { first = k; break; }
      if (first >= 0) visit(first, depth);
      for (let k = this.child[node]!; k >= 0; k = this.sibling[k]!) if (k !== first) visit(k, depth);
    };
    walk(0, 0);
    return { index: bestIdx, word: this.words[bestIdx]!, distance: best };
  }
}
