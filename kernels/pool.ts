// The common 2×2, stride-2, unpadded max pooling in f32x4: four windows at a time, with the
// same first-maximum / NaN-wins rule as the generic kernel (windows scanned row by row).

// @ts-ignore: decorator
@inline function ld(xb: usize, i: i32): f32 { return load<f32>(xb + (<usize>i << 2)); }

export function maxpool2x2_f32(x: usize, y: usize, idx: usize, h: i32, w: i32, oh: i32, ow: i32, p0: i32, p1: i32): void {
  const one = i32x4.splat(1), wv = i32x4.splat(w), w1v = i32x4.splat(w + 1);
  for (let p = p0; p < p1; p++) {
    const xb = x + (<usize>(p * h * w) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const r0 = xb + (<usize>(2 * oy * w) << 2), r1 = r0 + (<usize>w << 2);
      const ob = (p * oh + oy) * ow;
      const rowIdx = 2 * oy * w;
      let ox = 0;
      for (; ox + 4 <= ow; ox += 4) {
        const a0 = v128.load(r0 + (<usize>(2 * ox) << 2)), a1 = v128.load(r0 + (<usize>(2 * ox) << 2), 16);
        const b0 = v128.load(r1 + (<usize>(2 * ox) << 2)), b1 = v128.load(r1 + (<usize>(2 * ox) << 2), 16);
        const i00 = i32x4.add(i32x4.splat(rowIdx + 2 * ox), i32x4(0, 2, 4, 6));
        // windows row by row; take c where (c > best or c is NaN) and best is not NaN
        let best = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6), bi = i00;
        let c = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        let m = v128.and(v128.or(f32x4.gt(c, best), f32x4.ne(c, c)), f32x4.eq(best, best));
        bi = v128.bitselect(i32x4.add(i00, one), bi, m); best = v128.bitselect(c, best, m);
        c = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
        m = v128.and(v128.or(f32x4.gt(c, best), f32x4.ne(c, c)), f32x4.eq(best, best));
        bi = v128.bitselect(i32x4.add(i00, wv), bi, m); best = v128.bitselect(c, best, m);
        c = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        m = v128.and(v128.or(f32x4.gt(c, best), f32x4.ne(c, c)), f32x4.eq(best, best));
        bi = v128.bitselect(i32x4.add(i00, w1v), bi, m); best = v128.bitselect(c, best, m);
        v128.store(y + (<usize>(ob + ox) << 2), best);
        v128.store(idx + (<usize>(ob + ox) << 2), bi);
      }
      for (; ox < ow; ox++) {
        const i0 = rowIdx + 2 * ox;
        let best = ld(xb, i0); let b = i0;
        let v = ld(xb, i0 + 1);
        if ((v > best || v != v) && best == best) { best = v; b = i0 + 1; }
        v = ld(xb, i0 + w);
        if ((v > best || v != v) && best == best) { best = v; b = i0 + w; }
        v = ld(xb, i0 + w + 1);
        if ((v > best || v != v) && best == best) { best = v; b = i0 + w + 1; }
        store<f32>(y + (<usize>(ob + ox) << 2), best);
        store<i32>(idx + (<usize>(ob + ox) << 2), b);
      }
    }
  }
}
