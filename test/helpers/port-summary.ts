// Summaries of big tensors for the ports' tests, the same as scripts/ports/*_ref.py write them:
// numel, sum, sum of |x|, sum of squares, the dot product with sin(probeStep·i + 0.5), max |x| and
// 8 elements at fixed positions, in float64; how far apart two of them are; and a model cast to float64.

import assert from 'node:assert/strict';
import * as nb from '../../src/index.js';

type Tensor = nb.Tensor;
export interface Summary { numel: number; sum: number; l1: number; l2sq: number; probe: number; maxabs: number; at: number[]; values: number[] }

/** The same float64 summary as the reference script's summary(). */
export function summarize(t: Tensor, probeStep: number): Summary {
  const x = t.dataSync();
  const n = x.length;
  let sum = 0, l1 = 0, l2sq = 0, probe = 0, maxabs = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    sum += v; l1 += Math.abs(v); l2sq += v * v; probe += v * Math.sin(i * probeStep + 0.5);
    maxabs = Math.max(maxabs, Math.abs(v));
  }
  const at = [...new Set(Array.from({ length: 8 }, (_, j) => Number((BigInt(j) * 2654435761n) % BigInt(n))))].sort((a, b) => a - b);
  return { numel: n, sum, l1, l2sq, probe, maxabs, at, values: at.map((i) => x[i]!) };
}

/**
 * The largest difference between two summaries as a fraction of the tensor's scale: sums and the
 * probe product against the sum of |x|, the sum of squares against twice itself, the largest element
 * and each sampled element against the largest — a relative-ish error on the tensor's scale.
 * PORTS_DEBUG=1 prints every part off by more than 5e-5.
 */
export function compareSummary(where: string, got: Summary, want: Summary): number {
  assert.equal(got.numel, want.numel, `${where}: numel`);
  assert.deepEqual(got.at, want.at, `${where}: sampled positions`);
  const scale = want.l1 + 1e-30, big = want.maxabs + 1e-30;
  let worst = 0;
  const check = (what: string, g: number, w: number, unit: number) => {
    const r = Math.abs(g - w) / unit;
    if (r > worst) worst = r;
    if (process.env.PORTS_DEBUG && r > 5e-5) console.error(`${where} ${what}: ${g} vs ${w} (${r.toExponential(2)})`);
  };
  check('sum', got.sum, want.sum, scale);
  check('probe product', got.probe, want.probe, scale);
  check('sum of |x|', got.l1, want.l1, scale);
  check('sum of squares', got.l2sq, want.l2sq, 2 * want.l2sq + 1e-30);
  check('max |x|', got.maxabs, want.maxabs, big);
  got.values.forEach((g, k) => check(`element ${got.at[k]}`, g, want.values[k]!, big));
  return worst;
}

/** The largest error of each kind, as a fraction of the scale compareSummary measures it against. */
export class Worst {
  readonly of = new Map<string, { ratio: number; where: string }>();
  track(kind: string, where: string, ratio: number): void {
    if (ratio >= (this.of.get(kind)?.ratio ?? -1)) this.of.set(kind, { ratio, where });
  }
  report(): string {
    return [...this.of].map(([k, v]) => `${k}: ${v.ratio.toExponential(2)} at ${v.where}`).join('\n');
  }
  assertWithin(tol: Record<string, number>): void {
    for (const [k, v] of this.of) assert.ok(v.ratio <= tol[k]!, `${k}: off by ${v.ratio.toExponential(2)} of its scale at ${v.where} (tolerance ${tol[k]})`);
  }
}

/** PyTorch's model.double(): every parameter and floating buffer cast to float64 (Nabla's modules have no dtype cast). */
export function toFloat64(model: nb.nn.Module): void {
  nb.noGrad(() => {
    for (const m of model.modules()) {
      const fields = m as unknown as Record<string, unknown>;
      for (const [k, p] of [...m.ownParameters()]) fields[k] = new nb.nn.Parameter(p.detach().to('float64'));
      for (const [k, b] of [...m.ownBuffers()]) if (b.dtype === 'float32') fields[k] = b.to('float64');
    }
  });
}
