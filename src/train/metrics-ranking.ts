// Top-k ranking metrics for recommendation: each query scores a list of candidates, one of which
// is the held-out positive; HR@k and NDCG@k, with tied scores broken uniformly at random in expectation.

import { Tensor } from '../tensor/tensor.js';

/** Where the positive lands: `above` candidates score higher, `tied` score the same. */
export interface TargetRank { above: number; tied: number }

/**
 * The rank of each query's positive among its candidates. `scores` is [queries, candidates]
 * (a Tensor, or a flat array with `candidates` given); `target` is the positive's column per query
 * (default 0 for every query).
 */
export function targetRanks(scores: Tensor | ArrayLike<number>, opts: { candidates?: number; target?: ArrayLike<number> } = {}): TargetRank[] {
  let data: ArrayLike<number>, c: number;
  if (scores instanceof Tensor) {
    if (scores.ndim !== 2) throw new Error(`targetRanks: scores must be [queries, candidates], got shape [${scores.shape.join(', ')}]`);
    data = scores.dataSync(); c = scores.shape[1]!;
  } else {
    data = scores; c = opts.candidates ?? 0;
    if (!Number.isInteger(c) || c < 1) throw new Error(`targetRanks: a flat score array needs {candidates: N ≥ 1}, got ${opts.candidates}`);
    if (data.length % c !== 0) throw new Error(`targetRanks: ${data.length} scores are not a whole number of rows of ${c} candidates`);
  }
  const q = data.length / c;
  if (opts.target && opts.target.length !== q) throw new Error(`targetRanks: ${q} queries but ${opts.target.length} targets`);
  const out: TargetRank[] = [];
  for (let i = 0; i < q; i++) {
    const t = opts.target ? opts.target[i]! : 0;
    if (!Number.isInteger(t) || t < 0 || t >= c) throw new Error(`targetRanks: target ${t} of query ${i} is not a column of ${c} candidates`);
    const v = data[i * c + t]!;
    if (Number.isNaN(v)) throw new Error(`targetRanks: the positive's score of query ${i} is NaN`);
    let above = 0, tied = 0;
    for (let j = 0; j < c; j++) {
      if (j === t) continue;
      const s = data[i * c + j]!;
      if (s > v) above++;
      else if (s === v) tied++;
    }
    out.push({ above, tied });
  }
  return out;
}

function checkK(name: string, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${name}: k must be a whole number ≥ 1, got ${k}`);
}

/** Mean over queries of f(position) with position = above + U, U uniform on 0..tied (random tie-breaking). */
function expected(ranks: readonly TargetRank[], f: (pos: number) => number): number {
  if (ranks.length === 0) throw new Error('ranking metrics: no queries');
  let sum = 0;
  for (const { above, tied } of ranks) {
    let s = 0;
    for (let u = 0; u <= tied; u++) s += f(above + u);
    sum += s / (tied + 1);
  }
  return sum / ranks.length;
}

/** Hit rate at k: the fraction of queries whose positive is among the top k. */
export function hitRateAtK(ranks: readonly TargetRank[], k = 10): number {
  checkK('hitRateAtK', k);
  return expected(ranks, (pos) => (pos < k ? 1 : 0));
}

/** NDCG at k with one relevant item: 1 / log2(position + 2) when it is in the top k, else 0. */
export function ndcgAtK(ranks: readonly TargetRank[], k = 10): number {
  checkK('ndcgAtK', k);
  return expected(ranks, (pos) => (pos < k ? 1 / Math.log2(pos + 2) : 0));
}

/**
 * HR@k or NDCG@k as a streaming metric for fit(): outputs are scores [N, candidates], targets the
 * positive's column per row (int [N]). The mean over rows is kept as a running sum.
 */
export class RankingMetric {
  readonly higherIsBetter = true;
  readonly name: string;
  private sum = 0;
  private n = 0;
  constructor(readonly kind: 'hr' | 'ndcg', readonly k = 10) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`RankingMetric: k must be a whole number ≥ 1, got ${k}`);
    this.name = `${kind}${k}`;
  }
  clone(): RankingMetric { return new RankingMetric(this.kind, this.k); }
  reset(): void { this.sum = 0; this.n = 0; }
  update(output: Tensor, target: Tensor): void {
    const ranks = targetRanks(output, { target: target.dataSync() });
    this.sum += (this.kind === 'hr' ? hitRateAtK(ranks, this.k) : ndcgAtK(ranks, this.k)) * ranks.length;
    this.n += ranks.length;
  }
  compute(): number { return this.n ? this.sum / this.n : NaN; }
  state(): { sum: number; n: number } { return { sum: this.sum, n: this.n }; }
  loadState(s: unknown): void {
    const v = s as { sum?: unknown; n?: unknown } | null;
    if (typeof v?.sum !== 'number' || typeof v?.n !== 'number') throw new Error(`${this.name}: the saved state is not {sum, n}`);
    this.sum = v.sum; this.n = v.n;
  }
}
