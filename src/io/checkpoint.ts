// Training checkpoints as one safetensors file (browser-safe, on plain tensor records): the model's
// state dict under its own keys (so PyTorch can load the file directly), optimizer tensors under a
// reserved prefix, and epoch / step / RNG state / config / optimizer settings as JSON in __metadata__.

import { decodeSafetensors, encodeSafetensors, type TensorRecord } from './safetensors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface CheckpointData {
  /** The model's stateDict(), keys exactly as PyTorch names them. */
  model: Record<string, TensorRecord>;
  /** Optimizer state: tensors (e.g. Adam's moments by parameter) and the JSON rest (hyper-parameters, step). */
  optimizer?: { tensors: Record<string, TensorRecord>; state: Json };
  epoch?: number;
  step?: number;
  /** The RNG state (whatever the random module's getState returns, as JSON). */
  rng?: Json;
  /** The training configuration (CLI flags, model name …). */
  config?: Json;
  /** Free-form string metadata (kept as is). */
  extra?: Record<string, string>;
}

export const CHECKPOINT_FORMAT = 'nabla-checkpoint-1';
export const OPTIMIZER_PREFIX = '__optimizer__.';
const KEYS = { format: 'nabla.format', epoch: 'nabla.epoch', step: 'nabla.step', rng: 'nabla.rng', config: 'nabla.config', optimizer: 'nabla.optimizer' } as const;

/** Encodes a checkpoint. A model key may not start with the optimizer prefix. */
export function encodeCheckpoint(data: CheckpointData): Uint8Array {
  const tensors: Record<string, TensorRecord> = {};
  const put = (k: string, v: TensorRecord) => Object.defineProperty(tensors, k, { value: v, enumerable: true });
  for (const [k, v] of Object.entries(data.model)) {
    if (k.startsWith(OPTIMIZER_PREFIX)) throw new Error(`encodeCheckpoint: model key ${JSON.stringify(k)} uses the reserved prefix ${OPTIMIZER_PREFIX}`);
    put(k, v);
  }
  const metadata: Record<string, string> = { format: 'pt', ...(data.extra ?? {}) };
  metadata[KEYS.format] = CHECKPOINT_FORMAT;
  if (data.optimizer) {
    for (const [k, v] of Object.entries(data.optimizer.tensors)) put(OPTIMIZER_PREFIX + k, v);
    metadata[KEYS.optimizer] = toJson(data.optimizer.state, 'optimizer state');
  }
  for (const key of ['epoch', 'step'] as const) {
    const v = data[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`encodeCheckpoint: ${key} must be a non-negative integer, got ${v}`);
    metadata[KEYS[key]] = String(v);
  }
  if (data.rng !== undefined) metadata[KEYS.rng] = toJson(data.rng, 'rng');
  if (data.config !== undefined) metadata[KEYS.config] = toJson(data.config, 'config');
  return encodeSafetensors(tensors, metadata);
}

function toJson(v: Json, what: string): string {
  const s = JSON.stringify(v);
  if (s === undefined) throw new Error(`encodeCheckpoint: ${what} is not JSON-serialisable`);
  return s;
}

/**
 * Decodes a checkpoint written by encodeCheckpoint. A plain safetensors file of weights (e.g. from
 * PyTorch) also decodes, as a checkpoint with only `model`.
 */
export function decodeCheckpoint(bytes: Uint8Array, name?: string): CheckpointData {
  const where = name ? `checkpoint ${name}` : 'checkpoint';
  const { tensors, metadata } = decodeSafetensors(bytes, name);
  const model: Record<string, TensorRecord> = {};
  const optTensors: Record<string, TensorRecord> = {};
  for (const [k, v] of Object.entries(tensors)) {
    if (k.startsWith(OPTIMIZER_PREFIX)) Object.defineProperty(optTensors, k.slice(OPTIMIZER_PREFIX.length), { value: v, enumerable: true });
    else Object.defineProperty(model, k, { value: v, enumerable: true });
  }
  const fmt = metadata[KEYS.format];
  if (fmt !== undefined && fmt !== CHECKPOINT_FORMAT) {
    throw new Error(`${where}: format ${JSON.stringify(fmt)} is not ${CHECKPOINT_FORMAT} (written by a newer nabla?)`);
  }
  const out: CheckpointData = { model };
  const parse = (key: string, what: string): Json | undefined => {
    const s = metadata[key];
    if (s === undefined) return undefined;
    try {
      return JSON.parse(s) as Json;
    } catch {
      throw new Error(`${where}: ${what} in __metadata__ (${key}) is not valid JSON`);
    }
  };
  const int = (key: string, what: 'epoch' | 'step') => {
    const s = metadata[key];
    if (s === undefined) return;
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new Error(`${where}: ${what} ${JSON.stringify(s)} is not a non-negative integer`);
    out[what] = Number(s);
  };
  int(KEYS.epoch, 'epoch');
  int(KEYS.step, 'step');
  const optState = parse(KEYS.optimizer, 'optimizer state');
  if (optState !== undefined || Object.keys(optTensors).length > 0) out.optimizer = { tensors: optTensors, state: optState ?? null };
  const rng = parse(KEYS.rng, 'rng');
  if (rng !== undefined) out.rng = rng;
  const config = parse(KEYS.config, 'config');
  if (config !== undefined) out.config = config;
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (!k.startsWith('nabla.')) extra[k] = v;
  out.extra = extra;
  return out;
}
