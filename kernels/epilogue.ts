// The epilogue of convolutions and linear layers: y = act(acc + bias) on float32 outputs, with the
// bias per channel (conv: fused into every conv kernel's output writes) or per column
// (linear: bias_act_rows_f32 after the GEMM). act is ReLU or nothing; ReLU is x < 0 ? 0 : x, as the
// unary relu kernel (NaN and -0 pass through).

/**
 * Applies the epilogue in place to `len` floats at p, all of one channel: adds b when hasBias, then
 * ReLU when relu. The same float operations as a separate bias add and relu pass.
 */
// @ts-ignore: decorator
@inline export function epilogueRow(p: usize, len: i32, b: f32, hasBias: bool, relu: bool): void {
  if (!hasBias && !relu) return;
  const bv = f32x4.splat(b), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const q = p + (<usize>i << 2);
    let v = v128.load(q);
    if (hasBias) v = f32x4.add(v, bv);
    if (relu) v = f32x4.pmax(v, zero);
    v128.store(q, v);
  }
  for (; i < len; i++) {
    const q = p + (<usize>i << 2);
    let v = load<f32>(q);
    if (hasBias) v += b;
    if (relu) v = v < 0 ? 0 : v;
    store<f32>(q, v);
  }
}

/** Bias value of channel c (0 when bias is the null pointer). */
// @ts-ignore: decorator
@inline export function biasOf(bias: usize, c: i32): f32 { return bias != 0 ? load<f32>(bias + (<usize>c << 2)) : 0; }

/** y[r, j] = relu?(y[r, j] + bias[j]) in place for rows [r0, r1) of y [rows, n] (bias: 0 for none). */
export function bias_act_rows_f32(y: usize, bias: usize, relu: i32, n: i32, r0: i32, r1: i32): void {
  const zero = f32x4.splat(0);
  for (let r = r0; r < r1; r++) {
    const p = y + (<usize>r * <usize>n << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const q = p + (<usize>j << 2);
      let v = v128.load(q);
      if (bias != 0) v = f32x4.add(v, v128.load(bias + (<usize>j << 2)));
      if (relu != 0) v = f32x4.pmax(v, zero);
      v128.store(q, v);
    }
    for (; j < n; j++) {
      const q = p + (<usize>j << 2);
      let v = load<f32>(q);
      if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
      if (relu != 0) v = v < 0 ? 0 : v;
      store<f32>(q, v);
    }
  }
}
