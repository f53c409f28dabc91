// Audio features against references: stft vs torch.stft, mel filter banks vs a numpy transcription of
// torchaudio's melscale_fbanks, the log-mel spectrogram vs torch's spectrogram × that bank
// (fixtures/audio.json, scripts/gen_audio_fixtures.py); WAV reading of files sox writes.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { stft, type StftOptions } from '../src/data/audio/stft.js';
import { melFilterBank, melSpectrogram, MelSpectrogram, type MelOptions, type MelSpectrogramOptions } from '../src/data/audio/mel.js';
import { assertClose } from './helpers/allclose.js';

interface Fx {
  stft: { name: string; signal: number[]; opts: StftOptions; shape: number[]; out: number[] }[];
  melFilterBank: { nFreqs: number; opts: MelOptions; shape: number[]; out: number[] }[];
  logMel: { signal: number[]; opts: MelSpectrogramOptions; shape: number[]; out: number[] };
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/audio.json', import.meta.url), 'utf8')) as Fx;

describe('stft vs torch.stft', () => {
  for (const c of fx.stft) {
    test(c.name, () => {
      const s = stft(Float32Array.from(c.signal), c.opts);
      assert.deepEqual(s.shape, c.shape);
      // float32 output of a float64 transform: relative to the spectrum's scale
      const peak = Math.max(...c.out);
      assertClose(c.name, s.data, c.out, c.shape, { rtol: 1e-5, atol: 1e-6 * peak });
    });
  }
});

describe('melFilterBank vs torchaudio melscale_fbanks (numpy)', () => {
  for (const c of fx.melFilterBank) {
    const o = c.opts;
    test(`${o.nMels} ${o.melScale} mels, ${o.sampleRate} Hz, nFreqs ${c.nFreqs}, norm ${o.norm}`, () => {
      const fb = melFilterBank(c.nFreqs, o);
      assert.deepEqual(fb.shape, c.shape);
      assertClose('filter bank', fb.data, c.out, c.shape, { rtol: 1e-5, atol: 1e-7 * Math.max(...c.out) });
    });
  }
});

test('log-mel spectrogram (the speech features) vs torch.stft and the reference bank', () => {
  const c = fx.logMel;
  const s = melSpectrogram(Float32Array.from(c.signal), c.opts);
  assert.deepEqual(s.shape, c.shape);
  assertClose('log-mel', s.data, c.out, c.shape, { rtol: 1e-4, atol: 1e-4 });
});

test('bad options are errors that name them', () => {
  const x = new Float32Array(1000);
  assert.throws(() => stft(x, { nFft: 400 }), /stft: nFft must be a power of two ≥ 4, got 400/);
  assert.throws(() => stft(x, { nFft: 256, winLength: 300 }), /winLength must be an integer in 1 … nFft \(256\), got 300/);
  assert.throws(() => stft(x, { nFft: 256, hop: 10 } as StftOptions), /unknown option 'hop'/);
  assert.throws(() => stft(new Float32Array(100), { nFft: 256 }), /reflect padding of 128 samples needs a signal longer than 128, got 100/);
  assert.throws(() => stft(x, { nFft: 256, window: 'blackman' as 'hann' }), /unknown window 'blackman'/);
  assert.throws(() => melFilterBank(257, { sampleRate: 16000, nMels: 40, fMax: 9000 }), /fMax ≤ sampleRate\/2 \(8000\).*fMax 9000/);
  assert.throws(() => melSpectrogram(x, { sampleRate: 16000, nFft: 256, nMels: 0 }), /nMels must be a positive integer, got 0/);
});

test('a warped filter bank hears a tone where the unwarped bank hears it warp times higher', () => {
  const tone = (hz: number): Float32Array => Float32Array.from({ length: 4000 }, (_, i) => Math.sin((2 * Math.PI * hz * i) / 8000));
  const loudest = (s: { data: Float32Array; shape: [number, number] }): number => {
    const [m, t] = s.shape, mid = Math.floor(t / 2);
    let best = 0;
    for (let b = 1; b < m; b++) if (s.data[b * t + mid]! > s.data[best * t + mid]!) best = b;
    return best;
  };
  const opts = { sampleRate: 8000, nFft: 256, winLength: 200, hopLength: 80, nMels: 40, fMin: 20, fMax: 4000, log: true };
  const mel = new MelSpectrogram(opts);
  for (const [hz, warp] of [[400, 1.25], [1000, 0.8], [700, 1.4]] as const) {
    assert.equal(loudest(mel.compute(tone(hz), warp)), loudest(mel.compute(tone(hz * warp))), `${hz} Hz warped by ${warp}`);
  }
  assert.throws(() => melFilterBank(129, { sampleRate: 8000, nMels: 10, warp: 0 }), /warp must be > 0, got 0/);
});
