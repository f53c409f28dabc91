// CTC decoding — greedy (best path) and prefix beam search — and the edit distance that digit and
// character error rates are made of.

function lse(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** One sample's log-probabilities: frame t, class c at data[offset + t·stride + c]. */
export interface Frames {
  data: ArrayLike<number>;
  /** frames to read */
  length: number;
  classes: number;
  /** where frame 0 starts and the distance between frames (default 0 and `classes`) */
  offset?: number;
  stride?: number;
}

/** log-probs [T, N, C] (time-major, CTC's layout) → sample n's frames, its first `length` of T. */
export function framesOf(data: ArrayLike<number>, shape: readonly number[], n: number, length: number): Frames {
  if (shape.length !== 3) throw new Error(`ctc decode: expected log-probabilities [T, N, C], got [${shape.join(', ')}]`);
  const [T, N, C] = shape as [number, number, number];
  if (n < 0 || n >= N) throw new RangeError(`ctc decode: sample ${n} is out of range for a batch of ${N}`);
  if (!Number.isInteger(length) || length < 0 || length > T) throw new RangeError(`ctc decode: length ${length} of sample ${n} must be in 0 … ${T}`);
  return { data, length, classes: C, offset: n * C, stride: N * C };
}

/** Best path: the most likely class per frame, repeats merged, blanks dropped. */
export function greedyDecode(f: Frames, blank = 0): number[] {
  const { data, length, classes: C } = f;
  const off = f.offset ?? 0, st = f.stride ?? C;
  const out: number[] = [];
  let prev = -1;
  for (let t = 0; t < length; t++) {
    const o = off + t * st;
    let best = 0, bv = data[o]!;
    for (let c = 1; c < C; c++) if (data[o + c]! > bv) { bv = data[o + c]!; best = c; }
    if (best !== prev && best !== blank) out.push(best);
    prev = best;
  }
  return out;
}

export interface BeamOptions {
  /** prefixes kept after each frame (default 8) */
  beamWidth?: number;
  blank?: number;
  /** classes below this log-probability in a frame are not tried (default −Infinity: all) */
  pruneLogProb?: number;
}

/**
 * Prefix beam search (Hannun et al. 2014, without a language model): keeps the `beamWidth` label
 * prefixes of highest probability, each with its probability of ending in a blank and in a label,
 * summed over all alignments. With a beam wider than the number of prefixes it is exact.
 */
export function prefixBeamDecode(f: Frames, opts: BeamOptions = {}): { labels: number[]; logProb: number } {
  const width = opts.beamWidth ?? 8;
  const blank = opts.blank ?? 0;
  const prune = opts.pruneLogProb ?? -Infinity;
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`prefixBeamDecode: beamWidth must be a positive integer, got ${width}`);
  const { data, length, classes: C } = f;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) throw new RangeError(`prefixBeamDecode: blank must be in 0 … ${C - 1}, got ${blank}`);
  const off = f.offset ?? 0, st = f.stride ?? C;
  interface Beam { labels: number[]; pb: number; pnb: number }
  let beams = new Map<string, Beam>([['', { labels: [], pb: 0, pnb: -Infinity }]]);
  for (let t = 0; t < length; t++) {
    const o = off + t * st;
    const next = new Map<string, Beam>();
    const at = (labels: number[]): Beam => {
      const k = labels.join(',');
      let b = next.get(k);
      if (!b) next.set(k, (b = { labels, pb: -Infinity, pnb: -Infinity }));
      return b;
    };
    for (const beam of beams.values()) {
      const total = lse(beam.pb, beam.pnb);
      const last = beam.labels.length ? beam.labels[beam.labels.length - 1]! : -1;
      for (let c = 0; c < C; c++) {
        const p = data[o + c]!;
        if (p < prune && c !== blank) continue;
        if (c === blank) {
          const b = at(beam.labels);
          b.pb = lse(b.pb, total + p);
        } else if (c === last) {
          // the same label again: extends the prefix only after a blank; otherwise it merges
          const ext = at([...beam.labels, c]);
          ext.pnb = lse(ext.pnb, beam.pb + p);
          const same = at(beam.labels);
          same.pnb = lse(same.pnb, beam.pnb + p);
        } else {
          const ext = at([...beam.labels, c]);
          ext.pnb = lse(ext.pnb, total + p);
        }
      }
    }
    beams = new Map([...next.entries()].sort((a, b) => lse(b[1].pb, b[1].pnb) - lse(a[1].pb, a[1].pnb)).slice(0, width));
  }
  let best: Beam | null = null;
  for (const b of beams.values()) if (!best || lse(b.pb, b.pnb) > lse(best.pb, best.pnb)) best = b;
  return { labels: best!.labels, logProb: lse(best!.pb, best!.pnb) };
}

/** Levenshtein distance: the fewest substitutions, insertions and deletions turning a into b. */
export function editDistance<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
