// Shared pieces of the layers: making parameters of a dtype, and the input-shape checks whose
// errors name the layer, what it expected and what it got.

import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { zeros } from '../../tensor/create.js';
import { Parameter } from '../module.js';
import { fmt } from '../../tensor/shape.js';

export interface DTypeOption {
  /** parameter dtype: float32 (default) or float64 */
  dtype?: DType;
}

export function floatDType(layer: string, d: DType | undefined): 'float32' | 'float64' {
  const dt = d ?? 'float32';
  if (dt !== 'float32' && dt !== 'float64') throw new TypeError(`${layer}: dtype must be float32 or float64, got ${dt}`);
  return dt;
}

/** A zero-filled parameter, to be filled by an init function. */
export function newParam(shape: readonly number[], dtype: DType): Parameter {
  const z = zeros([...shape], { dtype });
  const p = new Parameter(z);
  z.dispose();
  return p;
}

export function checkInt(layer: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${layer}: ${name} must be an integer ≥ ${min}, got ${String(v)}`);
  }
  return v;
}

export function checkProb(layer: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${layer}: dropout probability must be in [0, 1], got ${String(p)}`);
  return p;
}

/** Throws `${label}: expected input ${want}, got [..]` unless ok. */
export function expectInput(label: string, x: Tensor, ok: boolean, want: string): void {
  if (!ok) throw new Error(`${label}: expected input ${want}, got ${fmt(x.shape)}`);
}

export function expectFloat(label: string, x: Tensor): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${label}: expected a floating-point input, got ${x.dtype}`);
}

/** 'k' or '(kh, kw)' for error labels and reprs. */
export function pairText(v: number | readonly number[]): string {
  return typeof v === 'number' ? String(v) : `(${v.join(', ')})`;
}
