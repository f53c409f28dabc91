// Reductions and scans over the middle axis of [outer, r, inner], from the op's record: a fold
// (step from init) or a selection (the first element that wins), in float64 for floats (rounded
// once on store) and with the int32 step for int32.

import type { ReduceKernel, ReduceShape, Storage } from '../backend.js';
import type { DType } from '../../tensor/dtype.js';
import { js, type JsMemory, type JsStorage } from './storage.js';

function checkShape(where: string, x: JsStorage, s: ReduceShape): void {
  const { outer, r, inner } = s;
  for (const v of [outer, r, inner]) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${where}: bad shape [${outer}, ${r}, ${inner}]`);
  }
  if (outer * r * inner !== x.size) {
    throw new RangeError(`${where}: shape [${outer}, ${r}, ${inner}] has ${outer * r * inner} elements but the input has ${x.size}`);
  }
}

type Step = (acc: number, v: number) => number;

/** The record's formula for a dtype (int32: its int rule, the float formula where that is exact). */
function formula(op: ReduceKernel, f: Step | undefined, dtype: DType, where: string): Step {
  if (!f) throw new TypeError(`${where}: the record has no ${op.wins ? 'wins' : 'step'} formula`);
  if (dtype === 'float32' || dtype === 'float64') return f;
  const rule = dtype === 'int32' ? op.int : undefined;
  if (rule === undefined) throw new TypeError(`${where}: dtype ${dtype} is not supported (the op layer casts bool to int32 first)`);
  return rule === 'exact' ? f : rule;
}

export function reduce(mem: JsMemory, op: ReduceKernel, x: Storage, s: ReduceShape): JsStorage {
  const where = `reduce ${op.name}`;
  const xs = js(x, where);
  checkShape(where, xs, s);
  const { outer, r, inner } = s;
  const select = op.wins !== undefined;
  const f = formula(op, select ? op.wins : op.step, xs.dtype, where);
  if (select && r === 0 && outer * inner > 0) throw new RangeError(`${where}: cannot reduce over an empty dimension`);
  const out = mem.alloc(op.index ? 'int32' : xs.dtype, outer * inner);
  const d = xs.data, o = out.data;
  for (let a = 0; a < outer; a++) {
    for (let c = 0; c < inner; c++) {
      const base = a * r * inner + c;
      if (select) {
        let best = d[base]!, bi = 0;
        for (let j = 1; j < r; j++) {
          const v = d[base + j * inner]!;
          if (f(best, v) !== 0) { best = v; bi = j; }
        }
        o[a * inner + c] = op.index ? bi : best;
      } else {
        let acc = op.init ?? 0;
        for (let j = 0; j < r; j++) acc = f(acc, d[base + j * inner]!);
        o[a * inner + c] = acc;
      }
    }
  }
  return out;
}

export function scan(mem: JsMemory, op: ReduceKernel, x: Storage, s: ReduceShape): JsStorage {
  const where = `scan ${op.name}`;
  const xs = js(x, where);
  checkShape(where, xs, s);
  const f = formula(op, op.step, xs.dtype, where);
  const { outer, r, inner } = s;
  const out = mem.alloc(xs.dtype, xs.size);
  const d = xs.data, o = out.data;
  for (let a = 0; a < outer; a++) {
    for (let c = 0; c < inner; c++) {
      const base = a * r * inner + c;
      let acc = op.init ?? 0;
      for (let j = 0; j < r; j++) {
        acc = f(acc, d[base + j * inner]!);
        o[base + j * inner] = acc;
      }
    }
  }
  return out;
}
