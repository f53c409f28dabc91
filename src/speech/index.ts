// nabla/speech: the spoken-digits recogniser (model, CTC loss on packed batches, digit error rate),
// CTC decoding, and the data set's browser-safe parts (features, augmentation, batches).

// Importing it starts nothing, as with the main entry: `await ready()` (exported here too) starts the
// default backend; a page must call it before the first op, in Node the first op starts it.
export { ready } from '../backend/default.js';

export { SpeechRecognizer, ctcBatchLoss, decodeBatch, unpackTargets, DigitErrorRate, type SpeechModelOptions } from './model.js';
export { greedyDecode, prefixBeamDecode, editDistance, framesOf, type Frames, type BeamOptions } from './decode.js';
export {
  DIGIT_CLASSES, DIGIT_WORDS, MAX_DIGITS, SPEECH_FEATURES, speechFeatures, clipSignal, addNoise, augment, randomWarp, collateSpeech,
  SpeechBatches, SpeechClips, type SpeechItem, type ClipInfo, type SpeechSplit, type SpokenDigitsSplit, type SpeechBatch, type SpeechDatasetOptions, type NoiseOptions,
} from '../data/datasets/spoken-digits.js';
export { stft, stftPlan, stftFrames, windowFunction, type StftOptions, type Spectrogram, type WindowName } from '../data/audio/stft.js';
export { melFilterBank, melSpectrogram, MelSpectrogram, type MelOptions, type MelSpectrogramOptions } from '../data/audio/mel.js';
export { decodeWav, type WavAudio } from '../data/audio/wav.js';
export { trainSpeechRecognizer, evaluateSpeech, speechLoader, type SpeechTrainOptions } from './train.js';
export { SpeechScorer, type SpeechEvaluation, type Transcript } from './score.js';
export { transcribe, speechMetadata, speechModelFrom, SPEECH_TASK, type Transcription } from './transcribe.js';
export { speechReportSection, speechResultsHtml, type SpeechReportData, type SpeechExample } from './report.js';
