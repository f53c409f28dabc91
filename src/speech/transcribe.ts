// Transcribing audio with a trained recogniser, and its weights file: safetensors with the model
// configuration and feature settings in the metadata, so a file alone rebuilds the model.

import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import type { Tensor } from '../tensor/tensor.js';
import { SPEECH_FEATURES, speechFeatures } from '../data/datasets/spoken-digits.js';
import { SpeechRecognizer, type SpeechModelOptions } from './model.js';
import { framesOf, greedyDecode, prefixBeamDecode } from './decode.js';

export const SPEECH_TASK = 'spoken-digits';

export interface Transcription {
  /** the digits heard (prefix beam search) */
  digits: string;
  /** best-path decoding, for comparison */
  greedy: string;
  /** log-probability of the beam result */
  logProb: number;
  /** feature frames and seconds of audio read */
  frames: number;
  seconds: number;
}

/** Transcribes mono samples in [-1, 1] at SPEECH_FEATURES.sampleRate (8 kHz). */
export function transcribe(model: SpeechRecognizer, samples: Float32Array, opts: { beamWidth?: number } = {}): Transcription {
  if (samples.length < SPEECH_FEATURES.nFft) {
    throw new Error(`transcribe: ${samples.length} samples is shorter than one ${SPEECH_FEATURES.nFft}-sample frame at ${SPEECH_FEATURES.sampleRate} Hz`);
  }
  const f = speechFeatures(samples);
  const wasTraining = model.training;
  model.eval();
  try {
    return scope(() => noGrad(() => {
      const out = model.forward(tensor(f.data, { shape: [1, f.shape[0], f.shape[1]] }));
      const fr = framesOf(out.dataSync(), out.shape, 0, out.shape[0]!);
      const beam = prefixBeamDecode(fr, { beamWidth: opts.beamWidth ?? 8 });
      const text = (l: number[]): string => l.map((c) => String(c - 1)).join('');
      return { digits: text(beam.labels), greedy: text(greedyDecode(fr)), logProb: beam.logProb, frames: f.shape[1], seconds: samples.length / SPEECH_FEATURES.sampleRate };
    }));
  } finally {
    model.train(wasTraining);
  }
}

/** safetensors metadata of a recogniser: what task, which model configuration, which features. */
export function speechMetadata(model: SpeechRecognizer, extra: Record<string, string> = {}): Record<string, string> {
  return { task: SPEECH_TASK, model: JSON.stringify(model.config), features: JSON.stringify(SPEECH_FEATURES), ...extra };
}

/** Rebuilds a recogniser from a weights file's tensors and metadata; `where` names the file in errors. */
export function speechModelFrom(state: Record<string, Tensor>, metadata: Record<string, string>, where: string): SpeechRecognizer {
  if (metadata.task !== SPEECH_TASK) {
    throw new Error(`${where}: not a spoken-digits model (its metadata says task '${metadata.task ?? '(none)'}')`);
  }
  if (metadata.features !== JSON.stringify(SPEECH_FEATURES)) {
    throw new Error(`${where}: was trained on other features (${metadata.features}) than this version computes (${JSON.stringify(SPEECH_FEATURES)})`);
  }
  let cfg: SpeechModelOptions;
  try {
    cfg = JSON.parse(metadata.model ?? '') as SpeechModelOptions;
  } catch {
    throw new Error(`${where}: the metadata's model configuration is not JSON: ${metadata.model}`);
  }
  const model = new SpeechRecognizer(cfg);
  model.loadStateDict(state);
  model.eval();
  return model;
}
