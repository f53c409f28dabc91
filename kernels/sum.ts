// Accurate float32 sums: every element is widened to float64 and added there, rounded once on
// store (what the js backend does, and closer than PyTorch's cascade sum). Blocks and rows are
// fixed by the shape, never by the thread count, so 1 and N threads give the same bits.

/** Σ x[0..n) of float32 at p, in float64: four f64x2 accumulators, combined in a fixed order. */
// @ts-ignore: decorator
@inline function sumF64(p: usize, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const q = p + (<usize>j << 2);
    const v = v128.load(q), w = v128.load(q, 16);
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)));
    a2 = f64x2.add(a2, f64x2.promote_low_f32x4(w));
    a3 = f64x2.add(a3, f64x2.promote_low_f32x4(i32x4.shuffle(w, w, 2, 3, 2, 3)));
  }
  const s = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  let acc = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; j < n; j++) acc += <f64>load<f32>(p + (<usize>j << 2));
  return acc;
}

/** Rows [start, end) of x [outer, r]: out[o] = Σ_j x[o, j]. */
export function sum_rows_f32(px: usize, po: usize, r: i32, start: i32, end: i32): void {
  for (let o = start; o < end; o++) store<f32>(po + (<usize>o << 2), <f32>sumF64(px + ((<usize>o * <usize>r) << 2), r));
}

/**
 * Units [start, end) of rows of x [outer, r] cut into nb blocks of `block` elements each:
 * partial[u] (float64) = Σ of block u % nb of row u / nb. sum_combine_f32 adds them up.
 */
export function sum_blocks_f32(px: usize, pp: usize, r: i32, block: i32, nb: i32, start: i32, end: i32): void {
  for (let u = start; u < end; u++) {
    const o = u / nb, k = u - o * nb;
    const j0 = k * block;
    const len = r - j0 < block ? r - j0 : block;
    store<f64>(pp + (<usize>u << 3), sumF64(px + ((<usize>o * <usize>r + <usize>j0) << 2), len));
  }
}

/** out[o] = Σ_k partial[o·nb + k] for rows [start, end), added in block order. */
export function sum_combine_f32(pp: usize, po: usize, nb: i32, start: i32, end: i32): void {
  for (let o = start; o < end; o++) {
    const base = pp + ((<usize>o * <usize>nb) << 3);
    let acc: f64 = 0;
    for (let k = 0; k < nb; k++) acc += load<f64>(base + (<usize>k << 3));
    store<f32>(po + (<usize>o << 2), <f32>acc);
  }
}

/** Columns per pass of sum_cols_f32: its float64 accumulators (32 KiB) stay in L1. */
const COLS: i32 = 4096;

/**
 * Outputs [start, end) of x [outer, r, inner] summed over the middle axis: out[o, c] = Σ_j x[o, j, c],
 * with a float64 accumulator per column in `scratch` (COLS · 8 bytes).
 */
export function sum_cols_f32(px: usize, po: usize, r: i32, inner: i32, start: i32, end: i32, scratch: usize): void {
  let i = start;
  while (i < end) {
    const o = i / inner, c0 = i - o * inner;
    let len = inner - c0 < end - i ? inner - c0 : end - i;
    if (len > COLS) len = COLS;
    memory.fill(scratch, 0, <usize>len << 3);
    const base = px + ((<usize>o * <usize>r * <usize>inner + <usize>c0) << 2);
    for (let j = 0; j < r; j++) {
      const src = base + ((<usize>j * <usize>inner) << 2);
      let c = 0;
      for (; c + 4 <= len; c += 4) {
        const v = v128.load(src + (<usize>c << 2));
        const acc = scratch + (<usize>c << 3);
        v128.store(acc, f64x2.add(v128.load(acc), f64x2.promote_low_f32x4(v)));
        v128.store(acc, f64x2.add(v128.load(acc, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3))), 16);
      }
      for (; c < len; c++) {
        const acc = scratch + (<usize>c << 3);
        store<f64>(acc, load<f64>(acc) + <f64>load<f32>(src + (<usize>c << 2)));
      }
    }
    const dst = po + (<usize>i << 2);
    for (let c = 0; c < len; c++) store<f32>(dst + (<usize>c << 2), <f32>load<f64>(scratch + (<usize>c << 3)));
    i += len;
  }
}
