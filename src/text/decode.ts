// Decoding token sequences from a model one step at a time: seeded sampling with temperature and
// top-k, greedy decoding and batched beam search, over any model that exposes a StepModel.

import { uniformArray } from '../tensor/random.js';

export interface SampleOptions {
  /** logits are divided by it before the softmax; → 0 approaches greedy (default 1) */
  temperature?: number;
  /** sample among the k most likely tokens only; 0 = all (default 0) */
  topK?: number;
}

export function checkSampleOptions(where: string, o: SampleOptions): void {
  const t = o.temperature ?? 1, k = o.topK ?? 0;
  if (!(t > 0) || !Number.isFinite(t)) throw new RangeError(`${where}: temperature must be a number > 0, got ${o.temperature}`);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`${where}: topK must be an integer ≥ 0 (0 = no limit), got ${o.topK}`);
}

/**
 * Draws one token from a row of logits with nabla's generator (so manualSeed, or withRng around the
 * call, makes it repeatable): softmax(logits / temperature) restricted to the topK largest.
 */
export function sampleLogits(logits: ArrayLike<number>, opts: SampleOptions = {}): number {
  checkSampleOptions('sampleLogits', opts);
  const t = opts.temperature ?? 1;
  const n = logits.length;
  let idx = Array.from({ length: n }, (_, i) => i);
  const k = opts.topK ?? 0;
  if (k > 0 && k < n) idx = idx.sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, k);
  let max = -Infinity;
  for (const i of idx) if (logits[i]! > max) max = logits[i]!;
  const w = idx.map((i) => Math.exp((logits[i]! - max) / t));
  const total = w.reduce((a, b) => a + b, 0);
  let u = uniformArray(1, true)[0]! * total;
  for (let j = 0; j < idx.length; j++) {
    u -= w[j]!;
    if (u < 0) return idx[j]!;
  }
  return idx[idx.length - 1]!;
}

/** The index of the largest value (the first one on ties). */
export function argmaxRow(v: ArrayLike<number>, offset = 0, n = v.length - offset): number {
  let best = 0, bv = -Infinity;
  for (let i = 0; i < n; i++) if (v[offset + i]! > bv) { bv = v[offset + i]!; best = i; }
  return best;
}

/**
 * What greedy and beam search need from a sequence model: for a state of R rows, the log-probabilities
 * of the next token after feeding `tokens` (one per row), and a way to pick rows of a state.
 */
export interface StepModel<S> {
  /** Feeds one token per row; returns log-probabilities as a row-major [R, vocab] array and the new state. */
  step(state: S, tokens: Int32Array): { logProbs: ArrayLike<number>; state: S };
  /** The state made of rows `rows` of `state` (rows may repeat). */
  select(state: S, rows: Int32Array): S;
  readonly vocabSize: number;
}

export interface DecodeOptions {
  bos: number;
  eos: number;
  /** most tokens generated per sequence, the EOS not counted */
  maxLength: number;
}

/** Greedy decoding of R sequences at once: the most likely token each step until EOS or maxLength. */
export function greedyDecode<S>(model: StepModel<S>, state: S, rows: number, opts: DecodeOptions): number[][] {
  const out: number[][] = Array.from({ length: rows }, () => []);
  const done = new Uint8Array(rows);
  let tokens = new Int32Array(rows).fill(opts.bos);
  const V = model.vocabSize;
  for (let t = 0; t < opts.maxLength; t++) {
    const r = model.step(state, tokens);
    state = r.state;
    const next = new Int32Array(rows);
    let live = 0;
    for (let i = 0; i < rows; i++) {
      next[i] = argmaxRow(r.logProbs, i * V, V);
      if (done[i]) continue;
      if (next[i] === opts.eos) done[i] = 1;
      else { out[i]!.push(next[i]!); live++; }
    }
    if (!live) break;
    tokens = next;
  }
  return out;
}

export interface BeamOptions extends DecodeOptions {
  /** hypotheses kept per sequence (default 5) */
  beamSize?: number;
  /** finished hypotheses are ranked by logP / length^α (default 1; 0 = raw log-probability) */
  lengthPenalty?: number;
}

export interface BeamResult {
  tokens: number[];
  /** total log-probability, EOS included */
  logProb: number;
}

/**
 * Beam search over R sequences at once (state rows are sequence-major: row r·K + j is beam j of
 * sequence r after the first step). Returns each sequence's best finished hypothesis; one that
 * never emits EOS within maxLength is finished there.
 */
export function beamSearch<S>(model: StepModel<S>, state: S, rows: number, opts: BeamOptions): BeamResult[] {
  const K = opts.beamSize ?? 5;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`beamSearch: beamSize must be an integer ≥ 1, got ${opts.beamSize}`);
  const alpha = opts.lengthPenalty ?? 1;
  const V = model.vocabSize;
  const rank = (h: BeamResult): number => h.logProb / (alpha ? Math.pow(Math.max(1, h.tokens.length + 1), alpha) : 1);
  // beams[r] = live hypotheses of sequence r; the state holds one row per live hypothesis, in order
  let beams: { tokens: number[]; logProb: number }[][] = Array.from({ length: rows }, () => [{ tokens: [], logProb: 0 }]);
  const finished: BeamResult[][] = Array.from({ length: rows }, () => []);
  let tokens = new Int32Array(rows).fill(opts.bos);
  for (let t = 0; t <= opts.maxLength && beams.some((b) => b.length); t++) {
    const r = model.step(state, tokens);
    const lp = r.logProbs;
    const pick: number[] = [];
    const nextTokens: number[] = [];
    const nextBeams: typeof beams = [];
    let row = 0;
    for (let s = 0; s < rows; s++) {
      const cands: { from: number; tok: number; logProb: number; tokens: number[] }[] = [];
      for (const h of beams[s]!) {
        const base = row * V;
        // the K best continuations of each live hypothesis are enough to find the K best overall
        const order = topIndices(lp, base, V, K + 1);
        for (const v of order) cands.push({ from: row, tok: v, logProb: h.logProb + lp[base + v]!, tokens: h.tokens });
        row++;
      }
      cands.sort((a, b) => b.logProb - a.logProb);
      const keep: { tokens: number[]; logProb: number }[] = [];
      for (const c of cands) {
        if (keep.length >= K) break;
        if (c.tok === opts.eos || t === opts.maxLength) {
          const tok = c.tok === opts.eos ? c.tokens : [...c.tokens, c.tok];
          finished[s]!.push({ tokens: tok, logProb: c.logProb });
          continue;
        }
        keep.push({ tokens: [...c.tokens, c.tok], logProb: c.logProb });
        pick.push(c.from);
        nextTokens.push(c.tok);
      }
      // stop a sequence once its best finished hypothesis beats every live one: exactly so without a
      // length penalty (log-probabilities only fall); with one, once K are finished and the best
      // beats every live one as it stands (a live one may still gain from its length: as Hugging
      // Face's beam search decides). K finished alone is not enough: a hypothesis cut short early
      // (EOS among the K best candidates a few times) would end the search before a longer, better
      // one finishes — 'basophilic viru' beat by nothing but its being done first.
      const best = finished[s]!.length ? Math.max(...finished[s]!.map(rank)) : -Infinity;
      const liveBest = keep.length ? Math.max(...keep.map((h) => rank(h as BeamResult))) : -Infinity;
      if (best >= liveBest && (alpha === 0 || finished[s]!.length >= K)) {
        for (let i = 0; i < keep.length; i++) { pick.pop(); nextTokens.pop(); }
        nextBeams.push([]);
      } else {
        nextBeams.push(keep);
      }
    }
    beams = nextBeams;
    if (!pick.length) break;
    state = model.select(r.state, Int32Array.from(pick));
    tokens = Int32Array.from(nextTokens);
  }
  return finished.map((f) => f.reduce((a, b) => (rank(b) > rank(a) ? b : a), f[0] ?? { tokens: [], logProb: -Infinity }));
}

/** Indices of the k largest values of v[base .. base+n), largest first. */
function topIndices(v: ArrayLike<number>, base: number, n: number, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = v[base + i]!;
    if (idx.length < k) {
      idx.push(i);
      idx.sort((a, b) => v[base + b]! - v[base + a]!);
    } else if (x > v[base + idx[k - 1]!]!) {
      idx[k - 1] = i;
      idx.sort((a, b) => v[base + b]! - v[base + a]!);
    }
  }
  return idx;
}
