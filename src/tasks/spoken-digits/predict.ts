// `nabla predict CHECKPOINT clip.wav…` for spoken-digits models: each WAV file (any rate, channels
// and sample format wavefile reads) mixed to mono, resampled to 8 kHz and transcribed with prefix
// beam search (best-path decoding beside it).

import { existsSync } from 'node:fs';
import { readWav, speech } from '../../node.js';
import { UsageError } from '../../cli/args.js';
import type { Verb } from '../task.js';
import type { SpeechMeta } from './data.js';

export const predictVerb: Verb<SpeechMeta> = {
  summary: 'the digits spoken in WAV files',
  usage: 'clip.wav… [options]',
  flags: {
    'beam-width': { type: 'int', default: 8, min: 1, help: 'prefix beam search width (1: best path)' },
  },
  run({ model, flags, args, log }) {
    if (args.length < 1) throw new UsageError('predict: give at least one WAV file after the checkpoint');
    for (const f of args) if (!existsSync(f)) throw new UsageError(`predict: no WAV file at ${f}`);
    for (const f of args) {
      let audio;
      try {
        audio = readWav(f, speech.SPEECH_FEATURES.sampleRate);
      } catch (e) {
        throw new UsageError(`predict: ${(e as Error).message}`);
      }
      let t: speech.Transcription;
      try {
        t = speech.transcribe(model as speech.SpeechRecognizer, audio.samples, { beamWidth: flags['beam-width'] as number });
      } catch (e) {
        throw new UsageError(`predict: ${f}: ${(e as Error).message}`);
      }
      log(`${f}: ${t.digits || '(no digits heard)'} · best path ${t.greedy || '—'} · log-probability ${t.logProb.toFixed(2)} · ${t.seconds.toFixed(2)} s of audio`);
    }
    return 0;
  },
};
