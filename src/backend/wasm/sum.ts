// float32 sums on the wasm backend (kernels/sum.ts): float64 accumulation, split over threads by
// blocks and rows the shape fixes, so the result is accurate and the same for any thread count.

import type { ReduceShape } from '../backend.js';
import { Ctx, WasmStorage } from './context.js';

/** Elements per block when one row is split over threads (256 KiB of float32). */
const BLOCK = 65536;

/** out [outer, inner] = Σ over the middle axis of x [outer, r, inner], for float32 x. */
export function sumF32(ctx: Ctx, x: WasmStorage, s: ReduceShape): WasmStorage {
  const { outer, r, inner } = s;
  const outN = outer * inner;
  const y = ctx.alloc('float32', outN);
  if (outN === 0) return y;
  if (inner > 1) {
    ctx.parallelScratch('sum_cols_f32', outN, 1, outN * r * 2, (a, b) => [x.ptr, y.ptr, r, inner, a, b, 0], 6);
    return y;
  }
  // Rows of one block each: a thread sums whole rows. (The choice depends on the shape alone, never
  // on the thread count, which would change the order of the additions.)
  if (r <= BLOCK) {
    ctx.parallel('sum_rows_f32', [x.ptr, y.ptr, r], outer, outer * r);
    return y;
  }
  // Few long rows: blocks of every row in parallel, then each row's blocks added in order.
  const nb = Math.ceil(r / BLOCK);
  const partial = ctx.alloc('float64', outer * nb);
  try {
    ctx.parallel('sum_blocks_f32', [x.ptr, partial.ptr, r, BLOCK, nb], outer * nb, outer * r);
    ctx.fn('sum_combine_f32')(partial.ptr, y.ptr, nb, 0, outer);
  } finally {
    ctx.heap.release(partial.ptr, partial.bytes);
  }
  return y;
}
