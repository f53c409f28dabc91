// dtypes, their typed-array storage, and PyTorch's type-promotion rules.

export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** The typed array that holds each dtype (bool is one byte per element, 0 or 1). */
export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
    case 'bool': return new Uint8Array(size);
  }
}

export function bytesPer(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

const rank: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Promotion of two tensor dtypes (PyTorch: bool < int < float, wider float wins). */
export function promoteTypes(a: DType, b: DType): DType {
  return rank[a] >= rank[b] ? a : b;
}

/**
 * Promotion of a tensor dtype with a JS number, which PyTorch treats as a "weak" scalar:
 * it never widens a float tensor, an integral value keeps an int tensor int, and a
 * fractional value turns an int/bool tensor into the default float dtype.
 */
export function promoteWithScalar(t: DType, s: number | boolean): DType {
  if (typeof s === 'boolean') return t;
  if (isFloat(t)) return t;
  if (Number.isInteger(s)) return t === 'bool' ? 'int32' : t;
  return 'float32';
}

export function checkDType(d: unknown, where: string): DType {
  if (typeof d === 'string' && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new TypeError(`${where}: unknown dtype ${JSON.stringify(d)} (expected one of ${DTYPES.join(', ')})`);
}
