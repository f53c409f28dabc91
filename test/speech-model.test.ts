// The speech recogniser's parts: output shape and lengths, the packed-target loss equal to ctcLoss,
// the digit error metric on hand-made outputs, and the weights file round trip with its checks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import * as speech from '../src/speech/index.js';
import { save, load, loadSafetensorsFile } from '../src/node.js';
import { collateSpeech } from '../src/data/datasets/spoken-digits.js';

const { SpeechRecognizer, ctcBatchLoss, DigitErrorRate } = speech;

test('SpeechRecognizer: [N, 40, T] → log-probabilities [ceil(T/4), N, 11]', () => {
  nb.manualSeed(1);
  const m = new SpeechRecognizer({ channels: 16, hidden: 16, layers: 1 });
  nb.scope(() => {
    for (const T of [37, 40, 41]) {
      const out = m.forward(nb.randn([3, 40, T]));
      assert.deepEqual(out.shape, [Math.ceil(T / 4), 3, 11]);
      assert.equal(SpeechRecognizer.outputFrames(T), Math.ceil(T / 4));
      const p = out.exp().sum(-1).dataSync();
      for (const v of p) assert.ok(Math.abs(v - 1) < 1e-5, 'each frame is a distribution over the 11 classes');
    }
  });
  assert.deepEqual(Object.keys(m.stateDict()).filter((k) => k.startsWith('rnn.')).sort().slice(0, 2), ['rnn.bias_hh_l0', 'rnn.bias_hh_l0_reverse']);
});

test('ctcBatchLoss is ctcLoss with lengths read from the packed targets', () => {
  const feats = [
    { features: { data: new Float32Array(40 * 30), shape: [40, 30] as [number, number] }, digits: '31' },
    { features: { data: new Float32Array(40 * 21), shape: [40, 21] as [number, number] }, digits: '9' },
  ];
  nb.scope(() => {
    const [x, y] = collateSpeech(feats);
    assert.deepEqual(x.shape, [2, 40, 30]);
    assert.deepEqual(Array.from(y.dataSync()), [30, 2, 4, 2, 0, 0, 0, 0, 0, 21, 1, 10, 0, 0, 0, 0, 0, 0]);
    const lp = nb.logSoftmax(nb.randn([8, 2, 11]), -1);
    const got = ctcBatchLoss(lp, y).item();
    // 30 frames → 8 outputs, 21 → 6
    const want = nb.F.ctcLoss(lp, nb.tensor([4, 2, 10], { dtype: 'int32' }), [8, 6], [2, 1], { zeroInfinity: true }).item();
    assert.ok(Math.abs(got - want) < 1e-6);
  });
});

test('DigitErrorRate: edit distance of greedy transcripts over reference digits', () => {
  // frames' argmax, 4 frames per input frame count of 16: sample 0 hears 3 1 (said 3 1), sample 1 hears 7 7 (said 9)
  const C = 11, T = 4;
  const arg = [[4, 0, 2, 2], [8, 0, 8, 0]];
  const data = new Float32Array(T * 2 * C).fill(-9);
  arg.forEach((row, n) => row.forEach((c, t) => { data[(t * 2 + n) * C + c] = 0; }));
  nb.scope(() => {
    const out = nb.tensor(data, { shape: [T, 2, C] });
    const y = nb.tensor([[16, 2, 4, 2, 0, 0, 0, 0, 0], [16, 1, 10, 0, 0, 0, 0, 0, 0]], { dtype: 'int32' });
    const m = new DigitErrorRate();
    m.update(out, y);
    // sample 0: exact (0 errors of 2); sample 1: "7 7" vs "9": 1 substitution + 1 insertion (2 of 1)
    assert.equal(m.compute(), 2 / 3);
    // a resumed run continues the epoch's counts
    const again = new DigitErrorRate();
    again.loadState(JSON.parse(JSON.stringify(m.state())));
    assert.equal(again.compute(), 2 / 3);
    assert.throws(() => again.loadState({ errors: 'x' }), /digitErrorRate: a saved state must be \{errors, total\} numbers/);
  });
});

test('a weights file rebuilds the recogniser (same transcripts); other files are refused by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-speech-'));
  try {
    nb.manualSeed(2);
    const m = new SpeechRecognizer({ channels: 8, hidden: 8, layers: 1 });
    m.eval();
    const p = join(dir, 'm.safetensors');
    await save(p, m.stateDict(), speech.speechMetadata(m));
    const meta = (await loadSafetensorsFile(p)).metadata;
    const back = speech.speechModelFrom(await load(p), meta, p);
    const sig = Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 7) * 0.3 + Math.sin(i / 3.1) * 0.2);
    const a = speech.transcribe(m, sig), b = speech.transcribe(back, sig);
    assert.deepEqual(a, b);
    assert.equal(a.frames, 101);
    // the metadata is checked before any tensor is read, so an empty state is enough for the refusals
    assert.throws(() => speech.speechModelFrom({}, { ...meta, task: 'kjv' }, p), new RegExp(`${p}: not a spoken-digits model \\(its metadata says task 'kjv'\\)`));
    assert.throws(() => speech.speechModelFrom({}, { ...meta, features: '{}' }, p), /was trained on other features/);
    assert.throws(() => speech.transcribe(m, new Float32Array(100)), /100 samples is shorter than one 256-sample frame/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
