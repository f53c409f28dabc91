// Fuzzy matches from a translation memory, as neural fuzzy repair (Bulte & Tezcan, ACL 2019) gives
// the closest entry to a translation model: the source is read as "source│translation of a similar
// entry", so the model learns when to copy that translation, how to edit it (Aalbestand → eel stock
// gives Aalbestände → eel stocks) and when to translate on its own. The similar entry is the nearest
// by edit distance among the k entries on each side of the source in alphabetical order and the k on
// each side in order of their endings (German compounds share their last word): 4k candidates, so a
// match costs ~0.1 ms on FreeDict's 360,000 headwords, where `NearestWord`'s exact search takes
// ~25 ms. A training pair's own entry (its `headword`, every form of it) can be skipped, so that
// training sees matches as unseen test words get them.

/** Between the German source and the match's translation in the model's input. */
export const FUZZY_SEP = '│';

/** An entry of the memory; `headword` groups the forms of one word (a training pair skips its own). */
export interface FuzzyEntry { src: string; tgt: string; headword?: string }

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const reversed = (s: string): string => Array.from(s).reverse().join('');

export class FuzzyMatcher {
  /** entry indices in order of the German text, and of the reversed German text */
  private readonly byStart: Int32Array;
  private readonly byEnd: Int32Array;
  private readonly ends: string[];
  private readonly codes: Int32Array[];
  private prev = new Int32Array(64);
  private cur = new Int32Array(64);

  constructor(readonly entries: readonly FuzzyEntry[], readonly k = 16) {
    if (!entries.length) throw new Error('FuzzyMatcher: no entries to match against');
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`FuzzyMatcher: k must be an integer ≥ 1, got ${k}`);
    this.ends = entries.map((e) => reversed(e.src));
    this.codes = entries.map((e) => Int32Array.from(e.src, (c) => c.codePointAt(0)!));
    const order = (key: (i: number) => string): Int32Array => {
      const idx = Array.from({ length: entries.length }, (_, i) => i);
      idx.sort((a, b) => cmp(key(a), key(b)) || a - b);
      return Int32Array.from(idx);
    };
    this.byStart = order((i) => entries[i]!.src);
    this.byEnd = order((i) => this.ends[i]!);
  }

  /**
   * Levenshtein distance of q to entry w, or max + 1 when it exceeds max. `editDistance` computes the
   * same; this one reads pre-encoded code points into rows it keeps, because it runs ~24 M times when
   * FreeDict's training set is matched (34 s here, 53 s through editDistance's per-call arrays).
   */
  private distance(q: Int32Array, w: number, max: number): number {
    const y = this.codes[w]!, m = q.length, n = y.length;
    if (Math.abs(m - n) > max) return max + 1;
    if (this.prev.length <= n) { this.prev = new Int32Array(2 * n + 2); this.cur = new Int32Array(2 * n + 2); }
    let prev = this.prev, cur = this.cur;
    for (let j = 0; j <= n; j++) prev[j] = j;
    for (let i = 1; i <= m; i++) {
      cur[0] = i;
      let rowMin = i;
      const c = q[i - 1];
      for (let j = 1; j <= n; j++) {
        const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (c === y[j - 1] ? 0 : 1));
        cur[j] = v;
        if (v < rowMin) rowMin = v;
      }
      if (rowMin > max) return max + 1;
      const t = prev; prev = cur; cur = t;
    }
    return prev[n]!;
  }

  /** First position in `order` whose key is ≥ q. */
  private static lowerBound(order: Int32Array, key: (i: number) => string, q: string): number {
    let lo = 0, hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(order[mid]!) < q) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /**
   * The entry matched to `src`: the nearest by edit distance (ties: the earliest entry) among the k
   * neighbours on each side in both orders, skipping entries of headword `exclude`.
   */
  find(src: string, exclude?: string): number {
    const q = Int32Array.from(src, (c) => c.codePointAt(0)!);
    let best = Infinity, bestIdx = -1;
    const scan = (order: Int32Array, at: number): void => {
      const visit = (p: number): boolean => {
        const w = order[p]!;
        if (exclude !== undefined && this.entries[w]!.headword === exclude) return false;
        const d = this.distance(q, w, best === Infinity ? 0x3fffffff : best);
        if (d < best || (d === best && w < bestIdx)) { best = d; bestIdx = w; }
        return true;
      };
      for (let p = at - 1, taken = 0; p >= 0 && taken < this.k; p--) if (visit(p)) taken++;
      for (let p = at, taken = 0; p < order.length && taken < this.k; p++) if (visit(p)) taken++;
    };
    scan(this.byStart, FuzzyMatcher.lowerBound(this.byStart, (i) => this.entries[i]!.src, src));
    scan(this.byEnd, FuzzyMatcher.lowerBound(this.byEnd, (i) => this.ends[i]!, reversed(src)));
    return bestIdx;
  }

  /** The model's input for `src`: the German text, FUZZY_SEP, the matched entry's translation. */
  input(src: string, exclude?: string): string {
    const i = this.find(src, exclude);
    return i < 0 ? `${src}${FUZZY_SEP}` : `${src}${FUZZY_SEP}${this.entries[i]!.tgt}`;
  }
}
