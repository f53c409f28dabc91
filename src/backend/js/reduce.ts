// Reductions and cumsum over the middle axis of [outer, r, inner]. Float sums accumulate in
// float64 and round once on store; int32 sums and products wrap like C's int32.

import type { ReduceOp, ReduceShape, Storage } from '../backend.js';
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

export function reduce(mem: JsMemory, op: ReduceOp, x: Storage, s: ReduceShape): JsStorage {
  const where = `reduce ${op}`;
  const isArg = op === 'argmax' || op === 'argmin';
  const xs = js(x, where, op === 'sum' || op === 'prod' ? ['float32', 'float64', 'int32'] : ['float32', 'float64', 'int32', 'bool']);
  checkShape(where, xs, s);
  const { outer, r, inner } = s;
  if (r === 0 && op !== 'sum' && op !== 'prod' && outer * inner > 0) {
    throw new RangeError(`${where}: cannot reduce over an empty dimension (it has no ${op === 'max' || op === 'argmax' ? 'maximum' : 'minimum'})`);
  }
  const out = mem.alloc(isArg ? 'int32' : xs.dtype, outer * inner);
  const d = xs.data, o = out.data;
  const int = xs.dtype === 'int32';
  for (let a = 0; a < outer; a++) {
    for (let c = 0; c < inner; c++) {
      const base = a * r * inner + c;
      let acc: number;
      switch (op) {
        case 'sum':
          acc = 0;
          for (let j = 0; j < r; j++) acc = int ? (acc + d[base + j * inner]!) | 0 : acc + d[base + j * inner]!;
          break;
        case 'prod':
          acc = 1;
          for (let j = 0; j < r; j++) acc = int ? Math.imul(acc, d[base + j * inner]!) : acc * d[base + j * inner]!;
          break;
        case 'max':
        case 'min':
        case 'argmax':
        case 'argmin': {
          // The first extreme wins ties; the first NaN wins outright (PyTorch).
          const wantMax = op === 'max' || op === 'argmax';
          let best = d[base]!, bi = 0;
          for (let j = 1; j < r && best === best; j++) {
            const v = d[base + j * inner]!;
            if (v !== v || (wantMax ? v > best : v < best)) { best = v; bi = j; }
          }
          acc = isArg ? bi : best;
          break;
        }
        default:
          throw new TypeError(`reduce: unknown op '${String(op)}'`);
      }
      o[a * inner + c] = acc;
    }
  }
  return out;
}

export function cumsum(mem: JsMemory, x: Storage, s: ReduceShape): JsStorage {
  const xs = js(x, 'cumsum', ['float32', 'float64', 'int32']);
  checkShape('cumsum', xs, s);
  const { outer, r, inner } = s;
  const out = mem.alloc(xs.dtype, xs.size);
  const d = xs.data, o = out.data;
  const int = xs.dtype === 'int32';
  for (let a = 0; a < outer; a++) {
    for (let c = 0; c < inner; c++) {
      const base = a * r * inner + c;
      let acc = 0;
      for (let j = 0; j < r; j++) {
        acc = int ? (acc + d[base + j * inner]!) | 0 : acc + d[base + j * inner]!;
        o[base + j * inner] = acc;
      }
    }
  }
  return out;
}
