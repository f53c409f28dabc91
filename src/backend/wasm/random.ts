// Backend.fused.uniform: the seeded generator's next uniforms (or dropout's mask of them) made by the Philox kernel
// (kernels/random.ts), the same numbers as src/tensor/random.ts's uniformArray, blocks split over threads.

import type { FusedKernels, Storage } from '../backend.js';
import type { RngState } from '../../tensor/random.js';
import { blocksFor } from '../../tensor/random.js';
import type { Ctx } from './context.js';

export function randomKernels(ctx: Ctx): Pick<FusedKernels, 'uniform'> {
  const uniform = (n: number, dtype: 'float32' | 'float64', at: RngState, mask?: { keep: number; scale: number }): Storage => {
    const out = ctx.alloc(dtype, n);
    if (n === 0) return out;
    const f64 = dtype === 'float64';
    const blocks = blocksFor(n, f64);
    const ctrHi = Math.floor(at.counter / 4294967296);
    // ~20 ns a block (ten rounds of two 32×32→64 multiplies)
    ctx.parallel('philox_uniform', [out.ptr, n, f64 ? 1 : 0, at.seedLo, at.seedHi, at.counter - ctrHi * 4294967296, ctrHi, mask ? mask.keep : -1, mask ? mask.scale : 0], blocks, blocks * 20);
    return out;
  };
  return { uniform };
}
