// Text metrics: Levenshtein edit distance, character error rate, exact match, chrF (sacreBLEU's
// definition: character 1..6-grams without whitespace, β = 2) and bits per character.

/** The characters of a string as code points (so 'ä' or an emoji counts once). */
function chars(s: string): string[] {
  return Array.from(s);
}

/**
 * Levenshtein distance (insertions, deletions, substitutions, each cost 1) between two strings,
 * over code points. `max` stops early: any distance above it is returned as max + 1.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  const x = chars(a), y = chars(b);
  if (Math.abs(x.length - y.length) > max) return max + 1;
  let prev = new Int32Array(y.length + 1), cur = new Int32Array(y.length + 1);
  for (let j = 0; j <= y.length; j++) prev[j] = j;
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const xi = x[i - 1];
    for (let j = 1; j <= y.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (xi === y[j - 1] ? 0 : 1));
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[y.length]!;
}

function checkPairs(name: string, hyps: readonly string[], refs: readonly string[]): void {
  if (hyps.length !== refs.length) throw new Error(`${name}: ${hyps.length} hypotheses but ${refs.length} references`);
}

/**
 * Character error rate over a corpus: total edit distance / total reference characters
 * (like jiwer's cer). 0 is perfect; it can exceed 1 when hypotheses are longer than references.
 */
export function characterErrorRate(hyps: readonly string[], refs: readonly string[]): number {
  checkPairs('characterErrorRate', hyps, refs);
  let edits = 0, n = 0;
  for (let i = 0; i < hyps.length; i++) {
    edits += editDistance(hyps[i]!, refs[i]!);
    n += chars(refs[i]!).length;
  }
  if (n === 0) throw new Error('characterErrorRate: the references hold no characters');
  return edits / n;
}

/** The fraction of hypotheses equal to their reference (or to any of its accepted forms). */
export function exactMatch(hyps: readonly string[], refs: readonly (string | readonly string[])[]): number {
  if (hyps.length !== refs.length) throw new Error(`exactMatch: ${hyps.length} hypotheses but ${refs.length} references`);
  if (hyps.length === 0) throw new Error('exactMatch: no hypotheses');
  let hit = 0;
  for (let i = 0; i < hyps.length; i++) {
    const r = refs[i]!;
    if (typeof r === 'string' ? hyps[i] === r : r.includes(hyps[i]!)) hit++;
  }
  return hit / hyps.length;
}

export interface ChrFOptions {
  /** character n-gram orders 1..charOrder (default 6) */
  charOrder?: number;
  /** recall counts β times as much as precision (default 2) */
  beta?: number;
  /** keep whitespace inside n-grams (default false, as sacreBLEU) */
  whitespace?: boolean;
}

function ngramCounts(s: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= s.length; i++) {
    const g = s.slice(i, i + n).join('');
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/**
 * Corpus chrF on a 0–100 scale, as sacreBLEU computes it by default: per order n the matched,
 * hypothesis and reference n-gram counts are summed over the corpus; precision and recall are
 * averaged over the orders both sides have, then F_β = (1 + β²)·P·R / (β²·P + R).
 */
export function chrF(hyps: readonly string[], refs: readonly string[], opts: ChrFOptions = {}): number {
  checkPairs('chrF', hyps, refs);
  const order = opts.charOrder ?? 6, beta = opts.beta ?? 2;
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`chrF: charOrder must be an integer ≥ 1, got ${order}`);
  const stats = new Float64Array(order * 3);
  const prep = (s: string): string[] => chars(opts.whitespace ? s : s.replace(/\s+/gu, ''));
  for (let i = 0; i < hyps.length; i++) {
    const h = prep(hyps[i]!), r = prep(refs[i]!);
    for (let n = 1; n <= order; n++) {
      const hc = ngramCounts(h, n), rc = ngramCounts(r, n);
      let common = 0;
      for (const [g, c] of hc) common += Math.min(c, rc.get(g) ?? 0);
      stats[3 * (n - 1)] += Math.max(0, h.length - n + 1);
      stats[3 * (n - 1) + 1] += Math.max(0, r.length - n + 1);
      stats[3 * (n - 1) + 2] += common;
    }
  }
  let p = 0, r = 0, eff = 0;
  for (let i = 0; i < order; i++) {
    const nh = stats[3 * i]!, nr = stats[3 * i + 1]!, nm = stats[3 * i + 2]!;
    if (nh > 0 && nr > 0) {
      p += nm / nh;
      r += nm / nr;
      eff++;
    }
  }
  if (eff === 0) return 0;
  p /= eff;
  r /= eff;
  if (p + r === 0) return 0;
  const b2 = beta * beta;
  return (100 * (1 + b2) * p * r) / (b2 * p + r);
}

/** Bits per character from a summed negative log-likelihood in nats over `count` characters. */
export function bitsPerChar(natsSum: number, count: number): number {
  if (!(count > 0)) throw new RangeError(`bitsPerChar: count must be > 0, got ${count}`);
  return natsSum / count / Math.LN2;
}
