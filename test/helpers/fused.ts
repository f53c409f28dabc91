// What the fused-path tests share: counting a fused kernel's calls (so a comparison cannot pass by
// never taking the kernel) and comparing two tensors within float32 tolerance.

import assert from 'node:assert/strict';
import type * as nb from '../../src/index.js';
import { getBackend, type FusedKernels } from '../../src/backend/backend.js';
import { assertClose, TOL } from './allclose.js';

/** The calls of conv2dBiasAct / linearBiasAct with the ReLU folded in (their fifth argument). */
export const withRelu = (...a: unknown[]) => a[4] === true;

/** Runs f, counting the calls of a backend's fused kernel k that pass `when` (its arguments). */
export function calls(backend: string, k: keyof FusedKernels, f: () => void, when: (...a: unknown[]) => boolean = () => true): number {
  const fz = getBackend(backend).fused as unknown as Record<string, (...a: unknown[]) => unknown>;
  const orig = fz[k]!;
  let n = 0;
  fz[k] = (...a: unknown[]) => { if (when(...a)) n++; return orig(...a); };
  try { f(); } finally { fz[k] = orig; }
  return n;
}

export function close(what: string, got: nb.Tensor | null, want: nb.Tensor | null, tol = TOL.float32): void {
  assert.ok(got && want, `${what}: missing (got ${got ? 'a tensor' : 'null'}, want ${want ? 'a tensor' : 'null'})`);
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assertClose(what, got.dataSync(), want.dataSync(), want.shape, tol);
}
