// The spoken-digits data module on real espeak-ng + sox output: voices split apart, clips that say
// their digits, the cache reused, damage reported with the file's name; WAV files sox writes read back.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/index.js';
import { melSpectrogram } from '../src/data/audio/mel.js';
import { spokenDigits } from '../src/data/datasets/spoken-digits-node.js';
import { readWav } from '../src/data/audio/wav-node.js';
import { SPEECH_FEATURES, SpeechBatches, clipSignal, type SpokenDigitsSplit, type SpeechSplit } from '../src/data/datasets/spoken-digits.js';

const dir = mkdtempSync(join(tmpdir(), 'nabla-sd-'));
const small = { clips: { train: 24, val: 4, test: 8 }, cacheDir: dir };
let data: Record<SpeechSplit, SpokenDigitsSplit>;
const lines: string[] = [];

before(async () => {
  data = await spokenDigits({ ...small, log: (s) => lines.push(s) });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('spokenDigits', () => {
  test('builds the clips once with espeak-ng, then reuses the cache', async () => {
    assert.match(lines[0]!, /speaking 36 clips with eSpeak NG/);
    const again: string[] = [];
    const d2 = await spokenDigits({ ...small, log: (s) => again.push(s) });
    assert.deepEqual(again, [], 'nothing rebuilt');
    assert.deepEqual(d2.test.clips, data.test.clips);
  });

  test('a second build elsewhere is the same audio to the bit (same seed, same data: sox dithers from a fixed seed)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'nabla-sd-again-'));
    try {
      const d2 = await spokenDigits({ ...small, cacheDir: other, log: null });
      for (const s of ['train', 'val', 'test'] as const) {
        assert.deepEqual(d2[s].clips, data[s].clips);
        assert.ok(Buffer.from(d2[s].audio.buffer, d2[s].audio.byteOffset, d2[s].audio.byteLength).equals(
          Buffer.from(data[s].audio.buffer, data[s].audio.byteOffset, data[s].audio.byteLength)), `the ${s} audio differs between two builds`);
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('test and val voices are never heard in training', () => {
    const train = new Set(data.train.voices);
    for (const s of ['val', 'test'] as const) {
      for (const v of data[s].voices) assert.ok(!train.has(v), `${s} voice ${v} is also a training voice`);
      for (const c of data[s].clips) assert.ok(data[s].voices.includes(c.variant));
    }
    assert.equal(data.test.voices.length, 20);
    assert.equal(data.val.voices.length, 10);
    for (const c of data.train.clips) assert.ok(train.has(c.variant));
  });

  test('clips are 8 kHz speech whose length grows with the digits said', () => {
    assert.equal(data.train.sampleRate, SPEECH_FEATURES.sampleRate);
    for (const c of data.train.clips) {
      assert.match(c.digits, /^[0-9]{1,7}$/);
      const secs = c.length / 8000;
      // espeak-ng at 110–240 words per minute: well over 0.1 s and under 1 s per digit, plus the edges
      assert.ok(secs > 0.1 * c.digits.length && secs < 0.3 + 1.0 * c.digits.length, `${c.digits} lasts ${secs} s`);
      const s = clipSignal(data.train, data.train.clips.indexOf(c));
      const rms = Math.sqrt(s.reduce((a, v) => a + v * v, 0) / s.length);
      assert.ok(rms > 0.01, `clip '${c.digits}' by ${c.variant} is silent (rms ${rms})`);
    }
  });

  test('batches: features [N, 40, T] padded, targets [frames, count, digit classes]', () => {
    const ds = new SpeechBatches(data.test, { batchSize: 4 });
    assert.equal(ds.length, 2);
    const [x, y] = ds.get(0);
    assert.equal(x.shape[0], 4);
    assert.equal(x.shape[1], 40);
    const rows = y.dataSync();
    ds.batches[0]!.forEach((ci, n) => {
      const c = data.test.clips[ci]!;
      assert.equal(rows[n * 9 + 1], c.digits.length);
      assert.deepEqual(Array.from(rows.slice(n * 9 + 2, n * 9 + 2 + c.digits.length)), [...c.digits].map((d) => +d + 1));
      assert.ok(rows[n * 9]! <= x.shape[2]!);
    });
    x.dispose(); y.dispose();
  });

  test('damage to the cache is an error naming the file', async () => {
    const key = readdir(dir);
    const pcm = join(dir, key, 'audio.pcm');
    const orig = readFileSync(pcm);
    const bad = Buffer.from(orig);
    bad[100] = bad[100]! ^ 0xff;
    writeFileSync(pcm, bad);
    await assert.rejects(spokenDigits({ ...small, log: null }), new RegExp(`${escape(pcm)} is damaged \\(SHA-256`));
    writeFileSync(pcm, orig.subarray(0, orig.length - 2));
    await assert.rejects(spokenDigits({ ...small, log: null }), new RegExp(`${escape(pcm)} has \\d+ bytes, expected`));
    writeFileSync(pcm, orig);
    const mf = join(dir, key, 'manifest.json');
    const m = readFileSync(mf, 'utf8');
    writeFileSync(mf, m.replace(/"digits":"[0-9]+"/, '"digits":"12a"'));
    await assert.rejects(spokenDigits({ ...small, log: null }), new RegExp(`${escape(mf)}: train clip 0 has digits '12a'`));
    writeFileSync(mf, m.slice(0, 50));
    await assert.rejects(spokenDigits({ ...small, log: null }), new RegExp(`${escape(mf)} is not readable JSON`));
    writeFileSync(mf, m);
    await assert.rejects(spokenDigits({ ...small, clip: 3 } as never), /unknown option 'clip'/);
  });
});

function readdir(d: string): string {
  const r = spawnSync('ls', [d], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').find((n) => /^[0-9a-f]{16}$/.test(n))!;
}
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('WAV files written by sox (44.1 kHz stereo 24-bit, µ-law) read back, mixed down and resampled', () => {
  const d = mkdtempSync(join(tmpdir(), 'nabla-wav-'));
  try {
    // a 440 Hz tone, 0.5 s, amplitude 0.5: after resampling to 8 kHz its features and power must match
    for (const [name, fmt] of [['tone24.wav', ['-r', '44100', '-c', '2', '-b', '24']], ['toneu.wav', ['-r', '8000', '-c', '1', '-e', 'u-law']]] as const) {
      const p = join(d, name);
      const r = spawnSync('sox', ['-n', ...fmt, p, 'synth', '0.5', 'sine', '440', 'vol', '0.5']);
      assert.equal(r.status, 0, String(r.stderr));
      const w = readWav(p, 8000);
      assert.equal(w.sampleRate, 8000);
      assert.ok(Math.abs(w.samples.length - 4000) <= 2, `${name}: ${w.samples.length} samples`);
      const rms = Math.sqrt(w.samples.reduce((a, v) => a + v * v, 0) / w.samples.length);
      assert.ok(Math.abs(rms - 0.5 / Math.SQRT2) < 0.02, `${name}: rms ${rms}, expected ${0.5 / Math.SQRT2}`);
      // the strongest mel band is the one around 440 Hz (htk mels 20–4000 Hz: 440 Hz sits at band 9)
      const f = melSpectrogram(w.samples, { ...SPEECH_FEATURES, log: true });
      const mid = Math.floor(f.shape[1] / 2);
      let best = 0;
      for (let m = 1; m < f.shape[0]; m++) if (f.data[m * f.shape[1] + mid]! > f.data[best * f.shape[1] + mid]!) best = m;
      assert.ok(best >= 8 && best <= 10, `${name}: the loudest band is ${best}`);
    }
    writeFileSync(join(d, 'bad.wav'), 'RIFF0000WAVEjunk');
    assert.throws(() => readWav(join(d, 'bad.wav'), 8000), new RegExp(`WAV ${escape(join(d, 'bad.wav'))}: not a WAV file`));
    assert.throws(() => readWav(join(d, 'missing.wav')), /missing\.wav: cannot read the file/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
