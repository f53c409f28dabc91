// The spoken-digits task's data: the espeak-ng clips (built once and cached by nabla/node's
// spokenDigits), one clip per dataset item, batched by length, and what a checkpoint keeps (the
// feature settings, so a model is never fed features it was not trained on).

import * as nb from '../../index.js';
import { spokenDigits, speech } from '../../node.js';
import type { Options, TaskData, TaskIO } from '../task.js';

export interface SpeechMeta {
  [k: string]: nb.train.JsonValue;
  /** SPEECH_FEATURES of the run (sample rate, FFT, window, hop, mel bands). */
  features: { [k: string]: number };
  /** The CTC classes: '<blank>' and the digits. */
  classes: string[];
  /** The voice variants held out for test (never heard in training). */
  testVoices: string[];
}

/** A batch: features [N, 40, T], packed targets [N, 9] (speech.collateSpeech) and the clips' indices in their split. */
export type SpeechTaskBatch = [nb.Tensor, nb.Tensor, nb.Tensor];

export function collate(items: unknown[]): SpeechTaskBatch {
  const clips = items as speech.SpeechItem[];
  const [x, y] = speech.collateSpeech(clips);
  return [x, y, nb.tensor(Int32Array.from(clips, (c) => c.index), { dtype: 'int32', shape: [clips.length] })];
}

/** The splits the task's datasets read, by dataset (the inspector and the batch sampler need them). */
export const splitOf = new WeakMap<object, speech.SpokenDigitsSplit>();

/** The model cannot read features computed differently from those it was trained on. */
export function checkFeatures(meta: SpeechMeta, where: string): void {
  const now = JSON.stringify(speech.SPEECH_FEATURES);
  if (JSON.stringify(meta.features) !== now) {
    throw new Error(`${where}: the model was trained on other features (${JSON.stringify(meta.features)}) than this nabla computes (${now})`);
  }
}

export async function loadData(o: Options, io: TaskIO, saved?: SpeechMeta): Promise<TaskData<SpeechMeta>> {
  if (saved) checkFeatures(saved, 'spoken-digits');
  const d = await spokenDigits({
    clips: { train: o['train-clips'] as number, val: o['val-clips'] as number, test: o['test-clips'] as number },
    ...(o.data !== undefined ? { cacheDir: o.data as string } : {}),
    log: (s) => io.log(s),
  });
  const keep = <T extends object>(ds: T, split: speech.SpokenDigitsSplit): T => (splitOf.set(ds, split), ds);
  const test = keep(new speech.SpeechClips(d.test), d.test);
  const evalOnly = io.purpose === 'eval';
  // Training clips are augmented afresh each time they are read (the generator, in step order);
  // without --augment they are the clean clips as espeak-ng spoke them (the baseline).
  const train = evalOnly ? new nb.data.ArrayDataset<unknown>([]) : keep(new speech.SpeechClips(d.train, o.augment ? { augment: true, clean: o.clean as number } : { fixedNoiseDb: null }), d.train);
  const val = evalOnly ? null : keep(new speech.SpeechClips(d.val), d.val);
  const meta: SpeechMeta = saved ?? { features: { ...speech.SPEECH_FEATURES }, classes: [...speech.DIGIT_CLASSES], testVoices: [...d.test.voices] };
  return {
    train, val, test, collate, meta,
    source: `${d.train.clips.length} train / ${d.val.clips.length} val / ${d.test.clips.length} test clips by ${d.train.voices.length} / ${d.val.voices.length} / ${d.test.voices.length} espeak-ng voices (${d.test.location}); val and test voices never heard in training`,
  };
}
