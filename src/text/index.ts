// nb.text: character vocabularies, decoding (sampling, greedy, beam search), text metrics and the
// baselines that the language and translation tasks are compared with.

export { CharVocab, type Special, type VocabJSON } from './vocab.js';
export { editDistance, characterErrorRate, exactMatch, chrF, bitsPerChar, type ChrFOptions } from './metrics.js';
export { CharNGram } from './ngram.js';
export { NearestWord, type NearestResult } from './nearest.js';
export { FuzzyMatcher, FUZZY_SEP, type FuzzyEntry } from './fuzzy.js';
export {
  sampleLogits, argmaxRow, greedyDecode, beamSearch,
  type SampleOptions, type StepModel, type DecodeOptions, type BeamOptions, type BeamResult,
} from './decode.js';
