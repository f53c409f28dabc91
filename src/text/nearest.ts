// Nearest word by edit distance among many (the translation baseline: answer with the translation
// of the closest training headword). A trie of the words is walked with one Levenshtein row per
// depth, and branches whose row minimum exceeds the best distance so far are cut.

export interface NearestResult {
  /** index of the word in the list given to the constructor (the first of equals) */
  index: number;
  word: string;
  distance: number;
}

export class NearestWord {
  // the trie as parallel arrays: code point, first child, next sibling, word index (−1 none)
  private ch = new Int32Array(1024);
  private child = new Int32Array(1024).fill(-1);
  private sibling = new Int32Array(1024).fill(-1);
  private wordAt = new Int32Array(1024).fill(-1);
  private nodes = 1;
  readonly words: readonly string[];

  constructor(words: readonly string[]) {
    if (!words.length) throw new Error('NearestWord: the word list is empty');
    this.words = words;
    words.forEach((w, i) => this.insert(w, i));
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
    const walk = (node: number, depth: number): void => {
      const prev = rows[depth]!;
      const row = (rows[depth + 1] ??= new Int32Array(m + 1));
      for (let k = this.child[node]!; k >= 0; k = this.sibling[k]!) {
        const code = this.ch[k]!;
        row[0] = depth + 1;
        let min = row[0];
        for (let j = 1; j <= m; j++) {
          const v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (q[j - 1] === code ? 0 : 1));
          row[j] = v;
          if (v < min) min = v;
        }
        // the distance of every word below is at least this row's minimum
        if (min > best) continue;
        consider(row, k);
        walk(k, depth + 1);
      }
    };
    walk(0, 0);
    return { index: bestIdx, word: this.words[bestIdx]!, distance: best };
  }
}
