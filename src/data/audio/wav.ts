// WAV decoding through the wavefile package: any PCM / float / µ-law / A-law file to mono float
// samples in [-1, 1], resampled (windowed sinc with a low-pass filter) to the rate a model wants.

// wavefile's Node entry is CommonJS (the class sits on the default export) and its bundler entry is
// ESM (a named export): a namespace import finds the class in both.
import * as wavefileNs from 'wavefile';

type WaveFileClass = typeof import('wavefile').WaveFile;
const ns = wavefileNs as unknown as { WaveFile?: WaveFileClass; default?: { WaveFile: WaveFileClass } };
const WaveFile: WaveFileClass = ns.WaveFile ?? ns.default!.WaveFile;
type WaveFile = InstanceType<typeof WaveFile>;

export interface WavAudio {
  samples: Float32Array;
  sampleRate: number;
  /** the file's own rate, channels and bit depth (before mixing down and resampling) */
  source: { sampleRate: number; channels: number; bitDepth: string };
}

/** Decodes WAV bytes; `where` names the file in errors; channels are averaged; `sampleRate` resamples. */
export function decodeWav(bytes: Uint8Array, where: string, sampleRate?: number): WavAudio {
  let wav: WaveFile;
  try {
    wav = new WaveFile(bytes);
  } catch (e) {
    throw new Error(`WAV ${where}: not a WAV file wavefile can read (${(e as Error).message})`);
  }
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; audioFormat: number };
  const bitDepth = wav.bitDepth as string;
  const channels = fmt.numChannels;
  if (!(channels >= 1)) throw new Error(`WAV ${where}: the fmt chunk gives ${channels} channels`);
  const src = fmt.sampleRate;
  if (!(src > 0)) throw new Error(`WAV ${where}: the fmt chunk gives a sample rate of ${src}`);
  if (sampleRate !== undefined && !(Number.isInteger(sampleRate) && sampleRate > 0)) {
    throw new RangeError(`WAV ${where}: the sample rate to resample to must be a positive integer, got ${sampleRate}`);
  }
  try {
    if (bitDepth === '8m') wav.fromMuLaw();
    else if (bitDepth === '8a') wav.fromALaw();
    else if (bitDepth === '4') wav.fromIMAADPCM();
    if (wav.bitDepth !== '32f') wav.toBitDepth('32f');
    if (sampleRate !== undefined && sampleRate !== src) wav.toSampleRate(sampleRate, { method: 'sinc' });
  } catch (e) {
    throw new Error(`WAV ${where}: cannot convert ${bitDepth}-bit audio (${(e as Error).message})`);
  }
  const raw = wav.getSamples(false, Float32Array) as unknown as Float32Array | Float32Array[];
  const chans = channels === 1 ? [raw as Float32Array] : (raw as Float32Array[]);
  const n = chans[0]!.length;
  if (n === 0) throw new Error(`WAV ${where}: the data chunk holds no samples`);
  const samples = new Float32Array(n);
  for (const ch of chans) for (let i = 0; i < n; i++) samples[i] += ch[i]! / chans.length;
  return { samples, sampleRate: sampleRate ?? src, source: { sampleRate: src, channels, bitDepth } };
}
