// Batched float32/int32 transpose, y[b] (c×r) = x[b]ᵀ (x[b] is r×c, contiguous), in 4×4 f32x4
// blocks inside 64×64 tiles: the strided side of a layout copy, at memory speed.

// @ts-ignore: decorator
@inline function block4(x: usize, y: usize, c: i32, r: i32, i: i32, j: i32): void {
  const s = x + (<usize>(i * c + j) << 2), cs = <usize>c << 2;
  const r0 = v128.load(s), r1 = v128.load(s + cs), r2 = v128.load(s + 2 * cs), r3 = v128.load(s + 3 * cs);
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  const d = y + (<usize>(j * r + i) << 2), rs = <usize>r << 2;
  v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(d + rs, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(d + 2 * rs, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(d + 3 * rs, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/** Batches [b0, b1), rows [i0, i1) of each x[b]. */
export function transpose_32(x: usize, y: usize, r: i32, c: i32, b0: i32, b1: i32, i0: i32, i1: i32): void {
  const T = 64;
  for (let b = b0; b < b1; b++) {
    const xb = x + (<usize>b * <usize>r * <usize>c << 2), yb = y + (<usize>b * <usize>r * <usize>c << 2);
    for (let ib = i0; ib < i1; ib += T) {
      const ie = ib + T < i1 ? ib + T : i1;
      for (let jb = 0; jb < c; jb += T) {
        const je = jb + T < c ? jb + T : c;
        let i = ib;
        for (; i + 4 <= ie; i += 4) {
          let j = jb;
          for (; j + 4 <= je; j += 4) block4(xb, yb, c, r, i, j);
          for (; j < je; j++) for (let t = 0; t < 4; t++) store<u32>(yb + (<usize>(j * r + i + t) << 2), load<u32>(xb + (<usize>((i + t) * c + j) << 2)));
        }
        for (; i < ie; i++) for (let j = jb; j < je; j++) store<u32>(yb + (<usize>(j * r + i) << 2), load<u32>(xb + (<usize>(i * c + j) << 2)));
      }
    }
  }
}

/**
 * Strided gather of rows [r0, r1) of a view with up to three outer dims (d0 × d1 × d2 rows, element
 * strides s0, s1, s2) and a contiguous inner dim of `len` elements of 2^z bytes, into the contiguous
 * output po. The row offsets are computed here, not from a table; rows are copied in 16-byte vectors.
 */
export function copy_nd(px: usize, po: usize, r0: i32, r1: i32, len: i32, z: i32, d1: i32, d2: i32, s0: i32, s1: i32, s2: i32): void {
  const bytes = <usize>len << z;
  let i2 = r0 % d2, t = r0 / d2;
  let i1 = t % d1, i0 = t / d1;
  let o = po + <usize>r0 * bytes;
  for (let r = r0; r < r1; r++) {
    const x = px + (<usize>(i0 * s0 + i1 * s1 + i2 * s2) << z);
    let j: usize = 0;
    for (; j + 16 <= bytes; j += 16) v128.store(o + j, v128.load(x + j));
    for (; j < bytes; j++) store<u8>(o + j, load<u8>(x + j));
    o += bytes;
    if (++i2 == d2) { i2 = 0; if (++i1 == d1) { i1 = 0; i0++; } }
  }
}
