// Optimizer and scheduler state dicts as checkpoint parts: tensors become records under
// '<param index>.<name>', everything else stays JSON (with {"$tensor": key} where a tensor was).

import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import type { TensorRecord } from './safetensors.js';
import type { Json } from './checkpoint.js';
import type { Optimizer, OptimizerStateDict, ParamState } from '../optim/optimizer.js';

export function optimizerToCheckpoint(sd: OptimizerStateDict): { tensors: Record<string, TensorRecord>; state: Json } {
  const tensors: Record<string, TensorRecord> = {};
  const state: Record<string, Record<string, Json>> = {};
  for (const [pid, s] of Object.entries(sd.state)) {
    const entry: Record<string, Json> = {};
    for (const [k, v] of Object.entries(s)) {
      if (v instanceof Tensor) {
        const key = `${pid}.${k}`;
        tensors[key] = { dtype: v.dtype, shape: [...v.shape], data: v.dataSync() };
        entry[k] = { $tensor: key };
      } else entry[k] = v;
    }
    state[pid] = entry;
  }
  return { tensors, state: { state, param_groups: sd.param_groups as Json } };
}

export function optimizerFromCheckpoint(part: { tensors: Record<string, TensorRecord>; state: Json }, where: string): OptimizerStateDict {
  const st = part.state as { state?: Record<string, Record<string, Json>>; param_groups?: Record<string, unknown>[] } | null;
  if (!st || typeof st !== 'object' || !st.state || !Array.isArray(st.param_groups)) {
    throw new Error(`${where}: the optimizer state is malformed (expected {state, param_groups})`);
  }
  const state: Record<number, ParamState> = {};
  try {
    fillState(part, st.state, state, where);
  } catch (e) {
    for (const s of Object.values(state)) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    throw e;
  }
  return { state, param_groups: st.param_groups };
}

function fillState(part: { tensors: Record<string, TensorRecord> }, from: Record<string, Record<string, Json>>, state: Record<number, ParamState>, where: string): void {
  for (const [pid, s] of Object.entries(from)) {
    if (!/^\d+$/.test(pid) || s === null || typeof s !== 'object' || Array.isArray(s)) throw new Error(`${where}: the optimizer state of parameter '${pid}' is malformed`);
    const entry: ParamState = {};
    state[Number(pid)] = entry; // before filling it, so a throw midway frees what it made
    for (const [k, v] of Object.entries(s)) {
      if (v && typeof v === 'object' && '$tensor' in (v as object)) {
        const key = (v as { $tensor: string }).$tensor;
        const rec = part.tensors[key];
        if (!rec) throw new Error(`${where}: optimizer tensor '${key}' is missing from the file`);
        try {
          entry[k] = tensor(rec.data, { shape: rec.shape, dtype: rec.dtype });
        } catch (e) {
          throw new Error(`${where}: optimizer tensor '${key}': ${(e as Error).message}`, { cause: e });
        }
      } else if (typeof v === 'number') entry[k] = v;
      else throw new Error(`${where}: optimizer state '${pid}.${k}' is neither a number nor a tensor`);
    }
  }
}

/**
 * Restores an optimizer from a checkpoint part; every error names `where` (the file). The state's
 * tensors are copies the optimizer takes, so the ones read from the file are freed here.
 */
export function loadOptimizerFromCheckpoint(optimizer: Optimizer, part: { tensors: Record<string, TensorRecord>; state: Json }, where: string): void {
  const sd = optimizerFromCheckpoint(part, where);
  try {
    optimizer.loadStateDict(sd, { source: where });
  } finally {
    for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
  }
}
