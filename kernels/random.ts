// The seeded generator's uniforms made in the kernel: Philox4x32-10 exactly as src/tensor/random.ts
// computes it (same key, same counters, same words, same conversion to floats), so a tensor drawn
// here holds the numbers the JavaScript generator would have drawn — on every backend the same run.
// (JavaScript has no 32×32→64 multiply: its Philox costs ~20 ms a million floats; here one i64 multiply.)

// The uniform u, or with keep ≥ 0 dropout's mask: scale where u < keep, else 0 (keep and scale
// already rounded to the output's precision, as the composite's float32 tensors hold them).
// @ts-ignore: decorator
@inline function f32of(u: u32, keep: f32, scale: f32): f32 {
  const v = <f32>(u >> 8) * <f32>5.9604644775390625e-8;
  return keep < 0 ? v : v < keep ? scale : 0;
}
// @ts-ignore: decorator
@inline function f64of(u0: u32, u1: u32, keep: f64, scale: f64): f64 {
  const v = (<f64>(u0 >> 5) * 67108864.0 + <f64>(u1 >> 6)) / 9007199254740992.0;
  return keep < 0 ? v : v < keep ? scale : 0;
}

/**
 * Blocks [b0, b1) of n uniforms in [0, 1): float32, 4 a block ((u >> 8)·2^-24), or float64, 2 a
 * block (((u0 >> 5)·2^26 + (u1 >> 6))·2^-53); block b is Philox's block for counter ctr + b under the
 * key (k0, k1). With keep ≥ 0, dropout's mask of them instead (u < keep ? scale : 0).
 */
export function philox_uniform(out: usize, n: i32, f64: i32, k0: u32, k1: u32, ctrLo: u32, ctrHi: u32, keep: f64, scale: f64, b0: i32, b1: i32): void {
  const kf = <f32>keep, sf = <f32>scale;
  const ctr = (<u64>ctrHi << 32) | <u64>ctrLo;
  for (let b = b0; b < b1; b++) {
    const c = ctr + <u64>b;
    let c0 = <u32>c, c1 = <u32>(c >> 32), c2: u32 = 0, c3: u32 = 0, q0 = k0, q1 = k1;
    for (let r = 0; r < 10; r++) {
      const p0 = <u64>0xd2511f53 * <u64>c0, p1 = <u64>0xcd9e8d57 * <u64>c2;
      const n0 = <u32>(p1 >> 32) ^ c1 ^ q0, n2 = <u32>(p0 >> 32) ^ c3 ^ q1;
      c1 = <u32>p1; c3 = <u32>p0; c0 = n0; c2 = n2;
      q0 += 0x9e3779b9; q1 += 0xbb67ae85;
    }
    if (f64) {
      const i = 2 * b, o = out + (<usize>i << 3);
      if (i + 2 <= n) { store<f64>(o, f64of(c0, c1, keep, scale)); store<f64>(o, f64of(c2, c3, keep, scale), 8); }
      else if (i < n) store<f64>(o, f64of(c0, c1, keep, scale));
    } else {
      const i = 4 * b, o = out + (<usize>i << 2);
      if (i + 4 <= n) { store<f32>(o, f32of(c0, kf, sf)); store<f32>(o, f32of(c1, kf, sf), 4); store<f32>(o, f32of(c2, kf, sf), 8); store<f32>(o, f32of(c3, kf, sf), 12); }
      else {
        if (i < n) store<f32>(o, f32of(c0, kf, sf));
        if (i + 1 < n) store<f32>(o, f32of(c1, kf, sf), 4);
        if (i + 2 < n) store<f32>(o, f32of(c2, kf, sf), 8);
      }
    }
  }
}
