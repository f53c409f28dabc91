// The common 2×2, stride-2, unpadded max pooling in f32x4: four windows at a time, with the
// same first-maximum / NaN-wins rule as the generic kernel (windows scanned row by row); its
// backward in one pass that writes every input gradient once (no zero fill, then scatter).

// @ts-ignore: decorator
@inline function ld(xb: usize, i: i32): f32 { return load<f32>(xb + (<usize>i << 2)); }

/** idx = 0: the values only (inference): maxpool2x2_values_f32. */
export function maxpool2x2_f32(x: usize, y: usize, idx: usize, h: i32, w: i32, oh: i32, ow: i32, p0: i32, p1: i32): void {
  if (idx == 0) { maxpool2x2_values_f32(x, y, h, w, oh, ow, p0, p1); return; }
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
        if (idx != 0) v128.store(idx + (<usize>(ob + ox) << 2), bi);
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
        if (idx != 0) store<i32>(idx + (<usize>(ob + ox) << 2), b);
      }
    }
  }
}

/**
 * gx of maxpool2x2_f32 for planes [p0, p1): each input element gets gy of its window when it is the
 * window's argmax, else 0 (windows do not overlap); rows and columns past the windows get 0.
 */
export function maxpool2x2_bwd_f32(gy: usize, idx: usize, gx: usize, h: i32, w: i32, oh: i32, ow: i32, p0: i32, p1: i32): void {
  const zero = f32x4.splat(0), lanes = i32x4(0, 1, 2, 3), four = i32x4.splat(4);
  for (let p = p0; p < p1; p++) {
    const gb = gx + (<usize>(p * h * w) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const r0 = gb + (<usize>(2 * oy * w) << 2), r1 = r0 + (<usize>w << 2);
      const ob = (p * oh + oy) * ow;
      const rowIdx = 2 * oy * w;
      let ox = 0;
      for (; ox + 4 <= ow; ox += 4) {
        const g = v128.load(gy + (<usize>(ob + ox) << 2)), ix = v128.load(idx + (<usize>(ob + ox) << 2));
        // lanes of input columns 2ox … 2ox+7 belong to windows ox + (lane >> 1)
        const gA = v128.shuffle<f32>(g, g, 0, 0, 1, 1), gB = v128.shuffle<f32>(g, g, 2, 2, 3, 3);
        const iA = v128.shuffle<i32>(ix, ix, 0, 0, 1, 1), iB = v128.shuffle<i32>(ix, ix, 2, 2, 3, 3);
        const c0 = i32x4.add(i32x4.splat(rowIdx + 2 * ox), lanes), c1 = i32x4.add(c0, four);
        const wv = i32x4.splat(w);
        const o = <usize>(2 * ox) << 2;
        v128.store(r0 + o, v128.bitselect(gA, zero, i32x4.eq(iA, c0)));
        v128.store(r0 + o, v128.bitselect(gB, zero, i32x4.eq(iB, c1)), 16);
        v128.store(r1 + o, v128.bitselect(gA, zero, i32x4.eq(iA, i32x4.add(c0, wv))));
        v128.store(r1 + o, v128.bitselect(gB, zero, i32x4.eq(iB, i32x4.add(c1, wv))), 16);
      }
      for (; ox < ow; ox++) {
        const g = load<f32>(gy + (<usize>(ob + ox) << 2)), i = load<i32>(idx + (<usize>(ob + ox) << 2));
        const c = rowIdx + 2 * ox, o = <usize>(2 * ox) << 2;
        store<f32>(r0 + o, i == c ? g : 0);
        store<f32>(r0 + o + 4, i == c + 1 ? g : 0);
        store<f32>(r1 + o, i == c + w ? g : 0);
        store<f32>(r1 + o + 4, i == c + w + 1 ? g : 0);
      }
      for (let x = 2 * ow; x < w; x++) { store<f32>(r0 + (<usize>x << 2), 0); store<f32>(r1 + (<usize>x << 2), 0); }
    }
    if (2 * oh < h) memory.fill(gb + (<usize>(2 * oh * w) << 2), 0, <usize>((h - 2 * oh) * w) << 2);
  }
}

/**
 * The values alone: a pmax chain in scan order (pmax keeps the earlier value on ties, ±0 included,
 * as the first-maximum rule does), then any window holding a NaN gets a NaN (NaN wins).
 */
export function maxpool2x2_values_f32(x: usize, y: usize, h: i32, w: i32, oh: i32, ow: i32, p0: i32, p1: i32): void {
  for (let p = p0; p < p1; p++) {
    const xb = x + (<usize>(p * h * w) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const r0 = xb + (<usize>(2 * oy * w) << 2), r1 = r0 + (<usize>w << 2);
      const ob = y + (<usize>((p * oh + oy) * ow) << 2);
      let ox = 0;
      for (; ox + 4 <= ow; ox += 4) {
        const o = <usize>(2 * ox) << 2;
        const a0 = v128.load(r0 + o), a1 = v128.load(r0 + o, 16), b0 = v128.load(r1 + o), b1 = v128.load(r1 + o, 16);
        const a = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6), b = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        const c = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6), d = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        let m = f32x4.pmax(f32x4.pmax(f32x4.pmax(a, b), c), d);
        const nan = v128.or(v128.or(f32x4.ne(a, a), f32x4.ne(b, b)), v128.or(f32x4.ne(c, c), f32x4.ne(d, d)));
        if (v128.any_true(nan)) m = v128.bitselect(f32x4.add(f32x4.add(a, b), f32x4.add(c, d)), m, nan);
        v128.store(ob + (<usize>ox << 2), m);
      }
      for (; ox < ow; ox++) {
        const o = <usize>(2 * ox) << 2;
        let best = load<f32>(r0 + o);
        let v = load<f32>(r0 + o + 4);
        if ((v > best || v != v) && best == best) best = v;
        v = load<f32>(r1 + o);
        if ((v > best || v != v) && best == best) best = v;
        v = load<f32>(r1 + o + 4);
        if ((v > best || v != v) && best == best) best = v;
        store<f32>(ob + (<usize>ox << 2), best);
      }
    }
  }
}
