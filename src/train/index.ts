// nabla's training API: fit/evaluate, callbacks (EarlyStopping, ModelCheckpoint, JsonlLogger),
// metrics (functions and streaming accumulators) and the progress display.

export { fit, evaluate, type FitOptions, type EvaluateOptions, type Batch, type Batches, type LossFn, type SchedulerLike } from './fit.js';
export {
  EarlyStopping, ModelCheckpoint, JsonlLogger, LambdaCallback, resolveMode,
  type Callback, type TrainContext, type History, type Logs, type OptimizerLike, type SaveFn, type Mode,
  type EarlyStoppingOptions, type ModelCheckpointOptions, type JsonlLoggerOptions,
} from './callbacks.js';
export {
  accuracy, topKAccuracy, confusionMatrix, precisionRecallF1, classReport, predictedClasses, mae, rmse,
  Accuracy, TopKAccuracy, ConfusionMatrix, ClassMetric, MeanAbsoluteError, RootMeanSquaredError, createMetric,
  type Metric, type MetricName, type ClassReport, type Predictions, type Targets,
} from './metrics.js';
export { Progress, formatDuration, formatNumber, type ProgressStream, type ProgressOptions, type ProgressMode } from './progress.js';
export { rocAuc, rocCurve, calibrationCurve, brierScore, RocAuc, type CalibrationBin } from './metrics-binary.js';
export { targetRanks, hitRateAtK, ndcgAtK, RankingMetric, type TargetRank } from './metrics-ranking.js';
