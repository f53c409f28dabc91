// The records of the op table, for what is derived from them: the wasm kernels (scripts/gen-kernels.ts),
// the fixture manifest (scripts/op-manifest.ts) and the tests' enrolment (test/helpers/op-table.ts).

import * as ops from './index.js';
import type { ElementwiseKernel, ReduceKernel } from '../backend/backend.js';
import type { UnaryFn, BinaryFn } from './record.js';
import type { ReductionFn } from './broadcast.js';

/** Every record of the table: exported ones, and the ones they use internally (digamma's trigamma). */
export function records(): (UnaryFn | BinaryFn | ReductionFn)[] {
  const out = new Set<UnaryFn | BinaryFn | ReductionFn>();
  const add = (v: unknown): void => {
    const r = v as { kind?: string; uses?: unknown[] };
    if (typeof v !== 'function' || !r.kind || out.has(v as UnaryFn)) return;
    out.add(v as UnaryFn);
    for (const u of r.uses ?? []) add(u);
  };
  for (const v of Object.values(ops)) add(v);
  return [...out];
}

/** The element-wise kernels (unary and binary) and reduce kernels the backends must have. */
export function kernels(): { elementwise: ElementwiseKernel[]; reduce: ReduceKernel[] } {
  const rs = records();
  return {
    elementwise: rs.filter((r): r is UnaryFn | BinaryFn => r.kind !== 'reduction').map((r) => r.kernel),
    reduce: rs.filter((r): r is ReductionFn => r.kind === 'reduction').map((r) => r.kernel),
  };
}
