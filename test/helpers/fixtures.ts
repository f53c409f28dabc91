// Loads fixtures/ops.json (written by scripts/gen_op_fixtures.py with PyTorch) and turns its
// encoded tensors back into typed arrays and Nabla tensors.

import { readFileSync } from 'node:fs';
import * as nb from '../../src/index.js';

export type FixtureDType = 'float32' | 'float64' | 'int32' | 'bool';
export type Num = number | boolean | 'nan' | 'inf' | '-inf';

export interface FixtureTensor { shape: number[]; dtype: FixtureDType; data: Num[] }
export interface FixtureInput extends FixtureTensor { requires_grad: boolean }

export interface FixtureCase {
  name: string;
  op: string;
  inputs: FixtureInput[];
  kwargs: Record<string, unknown>;
  outputs: FixtureTensor[];
  /** upstream gradient of outputs[0]; backward is of sum(outputs[0] * cotangent) */
  cotangent?: { shape: number[]; data: Num[] };
  /** d/d inputs[i] of that sum, or null where inputs[i] does not require grad */
  grads?: ({ shape: number[]; data: Num[] } | null)[];
  rtol?: number;
  atol?: number;
  why_tolerance?: string;
}

export interface FixtureFile { torch: string; seed: number; ops: string[]; cases: FixtureCase[] }

let cached: FixtureFile | null = null;

export function loadFixtures(): FixtureFile {
  if (!cached) {
    const url = new URL('../../fixtures/ops.json', import.meta.url);
    cached = JSON.parse(readFileSync(url, 'utf8')) as FixtureFile;
  }
  return cached;
}

export function decodeNum(v: Num): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

export function decodeData(data: Num[], dtype: FixtureDType): Float32Array | Float64Array | Int32Array | Uint8Array {
  const vals = data.map(decodeNum);
  switch (dtype) {
    case 'float32': return Float32Array.from(vals);
    case 'float64': return Float64Array.from(vals);
    case 'int32': return Int32Array.from(vals);
    case 'bool': return Uint8Array.from(vals);
  }
}

/** A Nabla tensor holding a fixture tensor; `dtype` overrides the stored one (float64 gradcheck). */
export function toTensor(t: FixtureTensor, opts: { dtype?: FixtureDType; requiresGrad?: boolean } = {}): nb.Tensor {
  const dtype = opts.dtype ?? t.dtype;
  return nb.tensor(decodeData(t.data, dtype), { dtype, shape: t.shape, requiresGrad: opts.requiresGrad ?? false });
}

/** Decodes kwargs values that JSON cannot hold ("inf" → Infinity, "-inf", "nan"). */
export function decodeKwargs(k: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(k)) {
    out[key] = v === 'inf' || v === '-inf' || v === 'nan' ? decodeNum(v) : v;
  }
  return out;
}
