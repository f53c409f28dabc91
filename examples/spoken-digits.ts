// Speech recognition of spoken digit sequences, written with nabla's API as a user would: the data set
// (espeak-ng voices, built once and cached), a conv + bidirectional GRU trained with CTC by fit(), the
// digit error rate on voices never heard in training beside a baseline trained without augmentation,
// and a WAV file transcribed from disk.
// Run: node --import tsx examples/spoken-digits.ts [--epochs 4] [--train-clips 6000] [--which both|model|baseline] [--out runs/speech]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spokenDigits, readWav, save, load, loadSafetensorsFile, speech } from 'nabla/node';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '4' },
    'train-clips': { type: 'string' },
    // both (default), or only one of them (e.g. to run the two at once)
    which: { type: 'string', default: 'both' },
    out: { type: 'string', default: 'runs/speech' },
  },
});
const epochs = Number(args.epochs);
if (!['both', 'model', 'baseline'].includes(args.which)) throw new Error(`--which must be both, model or baseline, got '${args.which}'`);
mkdirSync(args.out, { recursive: true });

const data = await spokenDigits();
if (args['train-clips']) data.train.clips = data.train.clips.slice(0, Number(args['train-clips']));
console.log(`train: ${data.train.clips.length} clips by ${data.train.voices.length} voices; test: ${data.test.clips.length} clips by ${data.test.voices.length} other voices (${data.test.voices.join(', ')})`);

async function run(augment: boolean) {
  const t0 = performance.now();
  const { model, history } = await speech.trainSpeechRecognizer(data.train, data.val, { epochs, augment, verbose: 'lines' });
  const minutes = (performance.now() - t0) / 60000;
  const test = speech.evaluateSpeech(model, data.test);
  console.log(`${augment ? 'model' : 'baseline (no augmentation)'}: test digit error rate ${(100 * test.beamDER).toFixed(2)}% (beam), ` +
    `${(100 * test.greedyDER).toFixed(2)}% (greedy), whole sequences right ${(100 * test.sequenceAccuracy).toFixed(1)}%, trained in ${minutes.toFixed(1)} min`);
  return { model, history, test, minutes };
}

const main = await run(args.which !== 'baseline');
const weights = join(args.out, 'spoken-digits.safetensors');
await save(weights, main.model.stateDict(), speech.speechMetadata(main.model));
const baseline = args.which === 'both' ? await run(false) : null;

// A WAV file from disk: a test voice speaks, sox writes it at 44.1 kHz stereo; the model reads it back.
const wav = join(args.out, 'clip.wav');
const voice = data.test.voices[0]!;
const es = spawnSync('espeak-ng', ['-v', `en-us+${voice}`, '--stdout', 'four one nine two'], { maxBuffer: 1 << 26 });
spawnSync('sox', ['-q', '-t', 'wav', '-', '-r', '44100', '-c', '2', wav], { input: es.stdout });
const file = await loadSafetensorsFile(weights);
const reloaded = speech.speechModelFrom(await load(weights), file.metadata, weights);
// The file alone reproduces the test number.
const again = speech.evaluateSpeech(reloaded, data.test);
console.log(`${weights}: reloaded, test digit error rate ${(100 * again.beamDER).toFixed(2)}% (${again.beamDER === main.test.beamDER ? 'the same' : 'DIFFERENT'})`);
const heard = speech.transcribe(reloaded, readWav(wav, speech.SPEECH_FEATURES.sampleRate).samples);
console.log(`${wav} (voice ${voice}, "four one nine two"): heard ${heard.digits}`);

// The report: one self-contained page (no scripts, no network) with the task's section.
const ex = data.test.clips[0]!;
const exFeatures = speech.speechFeatures(speech.clipSignal(data.test, 0));
const section = speech.speechReportSection({
  model: { evaluation: main.test, history: main.history, minutes: main.minutes },
  baseline: baseline && { evaluation: baseline.test, history: baseline.history, minutes: baseline.minutes },
  example: { features: exFeatures, reference: ex.digits, heard: main.test.transcripts.find((t) => t.clip === 0)?.beam ?? '', voice: ex.variant },
  trainVoices: data.train.voices, testVoices: data.test.voices, trainClips: data.train.clips.length,
});
writeFileSync(join(args.out, 'report.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nabla: spoken digits</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px}.big{font-size:30px;font-weight:600}.muted{color:#666}
.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-weight:600}table{border-collapse:collapse}td,th{padding:3px 8px;border:1px solid #e2e2e2}</style>
</head><body>${section}</body></html>`);
console.log(`wrote ${join(args.out, 'report.html')}`);

writeFileSync(join(args.out, 'results.json'), JSON.stringify({
  epochs, trainClips: data.train.clips.length, testVoices: data.test.voices,
  model: { minutes: main.minutes, test: { ...main.test, transcripts: main.test.transcripts.slice(0, 20) }, history: main.history },
  baseline: baseline && { minutes: baseline.minutes, test: { ...baseline.test, transcripts: baseline.test.transcripts.slice(0, 20) }, history: baseline.history },
}, null, 1));
