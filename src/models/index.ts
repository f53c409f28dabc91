// nb.models: model families of the applications — tables, recommenders, forecasters, image folders,
// character language models and character translation models (with their training and decoding helpers).

export { TabularModel, embeddingWidth, type TabularModelOptions } from './tabular.js';
export { MatrixFactorization, NeuralCF, type RecommenderShape } from './recommender.js';
export { LSTMForecaster, TCNForecaster } from './forecast.js';
export { imageCnn } from './image.js';

export {
  CharRNN, CharGPT, createCharLM, defaultCharLMConfig, CHAR_LM_KINDS,
  type CharLMKind, type CharLMConfig, type CharLanguageModel, type LMState,
} from './char-lm.js';
export { CharStreamDataset, StreamBatchSampler, CarriedState, STREAM_PAD, type StreamBatch } from './char-streams.js';
export { CharWindowDataset, lmLoss, evaluateCharLM, generateText, type LMEvalOptions, type GenerateOptions } from './language.js';
export {
  GRUSeq2Seq, TransformerSeq2Seq, createSeq2Seq, defaultSeq2SeqConfig, SEQ2SEQ_KINDS,
  type Seq2SeqKind, type Seq2SeqConfig, type Seq2SeqModel,
} from './seq2seq.js';
export {
  buildTranslationVocabs, Seq2SeqBatches, encodeBatch, sameLengthBatches, seq2seqForward, seq2seqLoss, translate, translateIds, scoreTranslations,
  nearestHeadwordBaseline, type Pair, type TranslationVocabs, type TranslateOptions, type TranslationScores,
} from './translation.js';
