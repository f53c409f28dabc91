// The messages between the page (main.ts) and the training worker (worker.ts).

export type ModelChoice = 'mlp' | 'cnn';
export type OptimizerChoice = 'adamw' | 'adam' | 'sgd';

export interface RunConfig {
  model: ModelChoice;
  optimizer: OptimizerChoice;
  lr: number;
  batchSize: number;
  seed: number;
}

/** What runs the worker's tensors: from the backend's info(), plus whether the worker is isolated. */
export interface BackendFacts {
  backend: string;
  threads: number;
  cores: number;
  simd: boolean;
  relaxedSimd: boolean;
  crossOriginIsolated: boolean;
}

export type ToWorker =
  | { type: 'start'; config: RunConfig }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'predict'; pixels: Float32Array } // 784 values in [0, 1], light on dark
  | { type: 'testImage'; index?: number }
  | { type: 'save' };

/** One training step: its loss, its batch's accuracy, and how long it took in the worker (ms). */
export interface StepPoint { step: number; loss: number; acc: number; ms: number }

export type FromWorker =
  | { type: 'ready'; facts: BackendFacts; classes: string[]; trainSize: number; testSize: number }
  | { type: 'started'; config: RunConfig; parameters: number; summary: string }
  | { type: 'steps'; points: StepPoint[]; epoch: number; msPerStep: number }
  | { type: 'eval'; step: number; accuracy: number; loss: number }
  | { type: 'paused'; step: number }
  | { type: 'prediction'; probs: number[]; saliency: Float32Array; input: Float32Array }
  | { type: 'testImage'; pixels: Float32Array; label: number; index: number }
  | { type: 'saved'; bytes: Uint8Array; fileName: string; step: number; accuracy: number }
  | { type: 'error'; message: string };
