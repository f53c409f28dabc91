// nabla's training API: fit/evaluate (with step functions and exact resume), callbacks (EarlyStopping,
// ModelCheckpoint, JsonlLogger), metrics (functions and streaming accumulators), the progress display,
// and training checkpoints (weights + optimizer + FitState).

export {
  fit, evaluate, type FitOptions, type EvaluateOptions, type Batch, type Batches, type LossFn, type SchedulerLike,
  type StepFn, type StepResult,
} from './fit.js';
export { type FitState, type JsonValue } from './fit-state.js';
export { trainingCheckpoint, restoreTraining, type TrainingCheckpointParts, type StatefulOptimizer } from './checkpoint.js';
export { eventLoopTurn } from './yield.js';
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
