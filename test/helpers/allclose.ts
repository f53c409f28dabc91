// Element-wise comparison with rtol/atol (|got - want| <= atol + rtol*|want|, NaN equals NaN,
// infinities must match exactly) whose failure message names the case and the worst element.

import assert from 'node:assert/strict';

export interface Tol { rtol: number; atol: number }

export const TOL: Record<'float32' | 'float64', Tol> = {
  float32: { rtol: 1e-4, atol: 1e-5 },
  // references are written with 15 significant digits
  float64: { rtol: 1e-7, atol: 1e-9 },
};

export type NumArray = ArrayLike<number>;

/** The first element that is out of tolerance, or null. */
export function firstMismatch(got: NumArray, want: NumArray, tol: Tol): { i: number; got: number; want: number } | null {
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w)) {
      if (!Number.isNaN(g)) return { i, got: g, want: w };
      continue;
    }
    if (!Number.isFinite(w)) {
      if (g !== w) return { i, got: g, want: w };
      continue;
    }
    if (!(Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w))) return { i, got: g, want: w };
  }
  return null;
}

function fmtIndex(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]!);
    i = Math.floor(i / shape[d]!);
  }
  return `[${idx.join(', ')}]`;
}

function preview(a: NumArray): string {
  const n = Math.min(a.length, 8);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(String(a[i]));
  return `[${parts.join(', ')}${a.length > n ? `, … (${a.length})` : ''}]`;
}

/** Asserts got ≈ want (exact when tol is null: ints and bools); `what` names the case and the tensor. */
export function assertClose(what: string, got: NumArray, want: NumArray, shape: readonly number[], tol: Tol | null): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} elements, expected ${want.length}`);
  const m = firstMismatch(got, want, tol ?? { rtol: 0, atol: 0 });
  if (m) {
    const t = tol ? ` (rtol ${tol.rtol}, atol ${tol.atol})` : ' (exact)';
    assert.fail(
      `${what}: element ${fmtIndex(m.i, shape)} is ${m.got}, expected ${m.want}${t}\n` +
        `  got      ${preview(got)}\n  expected ${preview(want)}`,
    );
  }
}

export function assertShape(what: string, got: readonly number[], want: readonly number[]): void {
  assert.deepEqual([...got], [...want], `${what}: shape [${got.join(', ')}], expected [${want.join(', ')}]`);
}
