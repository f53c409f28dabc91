// Scoring a recogniser's outputs on a split: greedy and prefix-beam digit error rates, whole
// sequences right, errors per voice and the transcripts — for evaluateSpeech and the CLI's report.

import type { Tensor } from '../tensor/tensor.js';
import type { SpokenDigitsSplit } from '../data/datasets/spoken-digits.js';
import { SpeechRecognizer, unpackTargets } from './model.js';
import { editDistance, framesOf, greedyDecode, prefixBeamDecode } from './decode.js';

/** One test clip's result. */
export interface Transcript { clip: number; reference: string; greedy: string; beam: string; voice: string; accent: string }

export interface SpeechEvaluation {
  clips: number;
  digits: number;
  /** digit error rates on the split (held-out voices for test) */
  greedyDER: number;
  beamDER: number;
  /** whole sequences right (beam) */
  sequenceAccuracy: number;
  perVoice: Record<string, { digits: number; errors: number }>;
  transcripts: Transcript[];
}

const digitsOf = (labels: number[]): string => labels.map((c) => String(c - 1)).join('');

/** Accumulates batches of outputs [T, N, classes] with their packed targets and clip indices. */
export class SpeechScorer {
  private gErr = 0;
  private bErr = 0;
  private seqOk = 0;
  private readonly r: SpeechEvaluation = { clips: 0, digits: 0, greedyDER: NaN, beamDER: NaN, sequenceAccuracy: NaN, perVoice: {}, transcripts: [] };

  constructor(readonly split: SpokenDigitsSplit, readonly beamWidth = 8) {}

  /** One batch: the model's output, the packed targets y and which clips of the split they are. */
  add(out: Tensor, y: Tensor, clips: ArrayLike<number>): void {
    const data = out.dataSync();
    const { frames, labels } = unpackTargets(y);
    if (clips.length !== frames.length) throw new Error(`SpeechScorer: ${clips.length} clip indices for a batch of ${frames.length}`);
    frames.forEach((t, n) => {
      const f = framesOf(data, out.shape, n, Math.min(SpeechRecognizer.outputFrames(t), out.shape[0]!));
      const g = greedyDecode(f);
      const bm = prefixBeamDecode(f, { beamWidth: this.beamWidth }).labels;
      const ref = labels[n]!;
      const ci = clips[n]!;
      const clip = this.split.clips[ci];
      if (!clip) throw new Error(`SpeechScorer: clip ${ci} is not one of the ${this.split.clips.length} clips of the ${this.split.split} split`);
      const e = editDistance(bm, ref);
      this.gErr += editDistance(g, ref);
      this.bErr += e;
      if (e === 0) this.seqOk++;
      this.r.digits += ref.length;
      this.r.clips++;
      const v = (this.r.perVoice[clip.variant] ??= { digits: 0, errors: 0 });
      v.digits += ref.length;
      v.errors += e;
      this.r.transcripts.push({ clip: ci, reference: clip.digits, greedy: digitsOf(g), beam: digitsOf(bm), voice: clip.variant, accent: clip.accent });
    });
  }

  /** The rates so far, transcripts in clip order. */
  result(): SpeechEvaluation {
    const r = { ...this.r, transcripts: [...this.r.transcripts].sort((a, b) => a.clip - b.clip) };
    r.greedyDER = this.gErr / r.digits;
    r.beamDER = this.bErr / r.digits;
    r.sequenceAccuracy = this.seqOk / r.clips;
    return r;
  }
}
