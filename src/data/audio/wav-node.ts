// Node-only: reads a WAV file from disk and decodes it (mono float, optionally resampled).

import { readFileSync } from 'node:fs';
import { decodeWav, type WavAudio } from './wav.js';

export function readWav(path: string, sampleRate?: number): WavAudio {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`WAV ${path}: cannot read the file: ${(e as Error).message}`);
  }
  return decodeWav(bytes, path, sampleRate);
}
