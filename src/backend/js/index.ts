// The js reference backend: every primitive as a plain loop — the executable spec the fast
// backends are tested against. createJsBackend() builds one; jsBackend is a shared instance.

import type { Backend } from '../backend.js';
import { checkDType, type DType, type TypedArray } from '../../tensor/dtype.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './conv.js';
import { binary, unary, where } from './elementwise.js';
import { gather, indexAdd, indexSelect, scatterAdd } from './indexing.js';
import { copyStrided, writeStrided } from './layout.js';
import { matmul } from './linalg.js';
import {
  adaptiveAvgPool2d, adaptiveAvgPool2dBackward, avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward,
} from './pool.js';
import { reduce, scan } from './reduce.js';
import { ALL, convert, convertArray, js, JsMemory, JsStorage } from './storage.js';

export { JsStorage };

function isTypedArray(a: unknown): a is TypedArray {
  return a instanceof Float32Array || a instanceof Float64Array || a instanceof Int32Array || a instanceof Uint8Array;
}

export function createJsBackend(): Backend {
  const mem = new JsMemory();
  return {
    name: 'js',
    stats: () => ({ storages: mem.storages, bytes: mem.bytes }),
    info: () => ({ name: 'js', threads: 1 }),

    fromArray(data, dtype) {
      checkDType(dtype, 'fromArray');
      if (!isTypedArray(data)) throw new TypeError('fromArray: expected a Float32Array, Float64Array, Int32Array or Uint8Array');
      return mem.adopt(convertArray(data, dtype)); // always a copy: the caller keeps its array
    },
    fill(dtype: DType, size: number, value: number) {
      checkDType(dtype, 'fill');
      const out = mem.alloc(dtype, size);
      out.data.fill(convert(value, dtype));
      return out;
    },
    readSync: (s) => js(s, 'readSync', ALL).data.slice(),
    read: async (s) => js(s, 'read', ALL).data.slice(),
    free(s) {
      // A second free of the same storage is a no-op, so disposing twice is harmless.
      if (s instanceof JsStorage && s.freed) return;
      js(s, 'free').release();
    },
    cast(x, dtype) {
      checkDType(dtype, 'cast');
      return mem.adopt(convertArray(js(x, 'cast', ALL).data, dtype));
    },

    copyStrided: (x, shape, strides, offset) => copyStrided(mem, x, shape, strides, offset),
    writeStrided,

    unary: (op, x) => unary(mem, op, x),
    binary: (op, a, b, outShape, aStrides, bStrides) => binary(mem, op, a, b, outShape, aStrides, bStrides),
    where: (c, a, b, outShape, cs, as, bs) => where(mem, c, a, b, outShape, cs, as, bs),

    reduce: (op, x, s) => reduce(mem, op, x, s),
    scan: (op, x, s) => scan(mem, op, x, s),

    matmul: (a, b, p) => matmul(mem, a, b, p),
    conv2d: (x, w, p) => conv2d(mem, x, w, p),
    conv2dBackwardInput: (gy, w, p) => conv2dBackwardInput(mem, gy, w, p),
    conv2dBackwardWeight: (x, gy, p) => conv2dBackwardWeight(mem, x, gy, p),
    maxPool2d: (x, p) => maxPool2d(mem, x, p),
    maxPool2dBackward: (gy, idx, p) => maxPool2dBackward(mem, gy, idx, p),
    avgPool2d: (x, p) => avgPool2d(mem, x, p),
    avgPool2dBackward: (gy, p) => avgPool2dBackward(mem, gy, p),
    adaptiveAvgPool2d: (x, p) => adaptiveAvgPool2d(mem, x, p),
    adaptiveAvgPool2dBackward: (gy, p) => adaptiveAvgPool2dBackward(mem, gy, p),

    gather: (x, idx, outer, r, inner, k) => gather(mem, x, idx, outer, r, inner, k),
    scatterAdd: (x, idx, src, outer, r, inner, k) => scatterAdd(mem, x, idx, src, outer, r, inner, k),
    indexSelect: (x, idx, outer, r, inner) => indexSelect(mem, x, idx, outer, r, inner),
    indexAdd: (x, idx, src, outer, r, inner) => indexAdd(mem, x, idx, src, outer, r, inner),
  };
}

/** A shared instance; registering it is the caller's job (registerBackend(jsBackend)). */
export const jsBackend: Backend = createJsBackend();
