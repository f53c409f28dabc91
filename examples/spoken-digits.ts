// Speech recognition of spoken digit sequences, written with nabla's API as a user would: the data set
// (espeak-ng voices, built once and cached), a conv + bidirectional GRU trained with CTC by fit(), the
// digit error rate on voices never heard in training beside a baseline trained without augmentation,
// and a WAV file transcribed from disk.
// Run: node --import tsx examples/spoken-digits.ts [--epochs 10] [--train-clips 6000] [--no-baseline] [--out runs/speech]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as nb from 'nabla';
import { spokenDigits, readWav, save, load, loadSafetensorsFile } from 'nabla/node';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    'train-clips': { type: 'string' },
    'no-baseline': { type: 'boolean', default: false },
    out: { type: 'string', default: 'runs/speech' },
  },
});
const epochs = Number(args.epochs);
mkdirSync(args.out, { recursive: true });

const data = await spokenDigits();
if (args['train-clips']) data.train.clips = data.train.clips.slice(0, Number(args['train-clips']));
console.log(`train: ${data.train.clips.length} clips by ${data.train.voices.length} voices; test: ${data.test.clips.length} clips by ${data.test.voices.length} other voices (${data.test.voices.join(', ')})`);

async function run(augment: boolean) {
  const t0 = performance.now();
  const { model, history } = await nb.speech.trainSpeechRecognizer(data.train, data.val, { epochs, augment, verbose: 'lines' });
  const minutes = (performance.now() - t0) / 60000;
  const test = nb.speech.evaluateSpeech(model, data.test);
  console.log(`${augment ? 'model' : 'baseline (no augmentation)'}: test digit error rate ${(100 * test.beamDER).toFixed(2)}% (beam), ` +
    `${(100 * test.greedyDER).toFixed(2)}% (greedy), whole sequences right ${(100 * test.sequenceAccuracy).toFixed(1)}%, trained in ${minutes.toFixed(1)} min`);
  return { model, history, test, minutes };
}

const main = await run(true);
const weights = join(args.out, 'spoken-digits.safetensors');
await save(weights, main.model.stateDict(), nb.speech.speechMetadata(main.model));
const baseline = args['no-baseline'] ? null : await run(false);

// A WAV file from disk: a test voice speaks, sox writes it at 44.1 kHz stereo; the model reads it back.
const wav = join(args.out, 'clip.wav');
const voice = data.test.voices[0]!;
const es = spawnSync('espeak-ng', ['-v', `en-us+${voice}`, '--stdout', 'four one nine two'], { maxBuffer: 1 << 26 });
spawnSync('sox', ['-q', '-t', 'wav', '-', '-r', '44100', '-c', '2', wav], { input: es.stdout });
const file = await loadSafetensorsFile(weights);
const reloaded = nb.speech.speechModelFrom(await load(weights), file.metadata, weights);
const heard = nb.speech.transcribe(reloaded, readWav(wav, nb.speech.SPEECH_FEATURES.sampleRate).samples);
console.log(`${wav} (voice ${voice}, "four one nine two"): heard ${heard.digits}`);

writeFileSync(join(args.out, 'results.json'), JSON.stringify({
  epochs, trainClips: data.train.clips.length, testVoices: data.test.voices,
  model: { minutes: main.minutes, test: { ...main.test, transcripts: main.test.transcripts.slice(0, 20) }, history: main.history },
  baseline: baseline && { minutes: baseline.minutes, test: { ...baseline.test, transcripts: baseline.test.transcripts.slice(0, 20) }, history: baseline.history },
}, null, 1));
