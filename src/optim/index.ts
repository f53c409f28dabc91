// nb.optim: optimizers, learning-rate schedulers, gradient clipping and L2 regularisation.

export { Optimizer, type ParamGroup, type ParamGroupInput, type Params, type ParamState, type OptimizerStateDict } from './optimizer.js';
export { SGD, sgdUpdate, type SGDOptions } from './sgd.js';
export { Adam, AdamW, adamUpdate, type AdamOptions } from './adam.js';
export { SparseAdam, type SparseAdamOptions } from './sparse-adam.js';
export { RMSprop, rmspropUpdate, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, adagradUpdate, type AdagradOptions } from './adagrad.js';
export { Adadelta, adadeltaUpdate, type AdadeltaOptions } from './adadelta.js';
export { Adamax, adamaxUpdate, type AdamaxOptions } from './adamax.js';
export { NAdam, nadamUpdate, type NAdamOptions } from './nadam.js';
export { RAdam, radamUpdate, type RAdamOptions } from './radam.js';
export { LBFGS, type LBFGSOptions } from './lbfgs.js';
export { LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, SequentialLR } from './lr-scheduler.js';
export { OneCycleLR, type OneCycleOptions } from './one-cycle.js';
export { LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR, type LrLambda } from './factor-schedulers.js';
export { CyclicLR, type CyclicLROptions, type CyclicMode } from './cyclic-lr.js';
export { CosineAnnealingWarmRestarts } from './warm-restarts.js';
export { ChainedScheduler } from './chained.js';
export { ReduceLROnPlateau, type PlateauOptions } from './plateau.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export { l2Penalty } from './regularization.js';
