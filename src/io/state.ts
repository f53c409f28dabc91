// Optimizer and scheduler state dicts as checkpoint parts: tensors become records under
// '<param index>.<name>', everything else stays JSON (with {"$tensor": key} where a tensor was).

import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import type { TensorRecord } from './safetensors.js';
import type { Json } from './checkpoint.js';
import type { OptimizerStateDict, ParamState } from '../optim/optimizer.js';

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
  for (const [pid, s] of Object.entries(st.state)) {
    const entry: ParamState = {};
    for (const [k, v] of Object.entries(s)) {
      if (v && typeof v === 'object' && '$tensor' in (v as object)) {
        const key = (v as { $tensor: string }).$tensor;
        const rec = part.tensors[key];
        if (!rec) throw new Error(`${where}: optimizer tensor '${key}' is missing from the file`);
        entry[k] = tensor(rec.data, { shape: rec.shape, dtype: rec.dtype });
      } else if (typeof v === 'number') entry[k] = v;
      else throw new Error(`${where}: optimizer state '${pid}.${k}' is neither a number nor a tensor`);
    }
    state[Number(pid)] = entry;
  }
  return { state, param_groups: st.param_groups };
}
