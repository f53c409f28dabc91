// Per-channel kernels of convolutional networks (src/backend/wasm/channels.ts calls them): batch norm in
// training mode — the batch's statistics and the normalised output in one call, its backward in another —
// and LeakyReLU forward and backward in one pass each. float32 with SIMD.
//
// Batch norm's x is [N, C, inner] contiguous; a call does the channels [start, end), each wholly (its
// N blocks of `inner` values stay in cache between the passes over them). A block's partial sums are
// float32 lanes; the channel's totals float64 (N·inner can reach millions of values).

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 { return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)); }

/** Σ x over one block of `inner` floats. */
// @ts-ignore: decorator
@inline function blockSum(x: usize, inner: i32): f32 {
  let v = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= inner; j += 4) v = f32x4.add(v, v128.load(x + (<usize>j << 2)));
  let s = hsum(v);
  for (; j < inner; j++) s += load<f32>(x + (<usize>j << 2));
  return s;
}

/** Σ (x − m)² over one block of `inner` floats. */
// @ts-ignore: decorator
@inline function blockSq(x: usize, inner: i32, m: f32): f32 {
  const vm = f32x4.splat(m);
  let v = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= inner; j += 4) { const d = f32x4.sub(v128.load(x + (<usize>j << 2)), vm); v = f32x4.add(v, f32x4.mul(d, d)); }
  let s = hsum(v);
  for (; j < inner; j++) { const d = load<f32>(x + (<usize>j << 2)) - m; s += d * d; }
  return s;
}

/**
 * y = x·scale + shift per channel, scale = rstd·w, shift = b − mean·scale (the composite's folding of
 * src/ops/norm-functional.ts), rstd = 1/√(biased var + eps); pw / pb 0 when there is no weight / bias.
 * Writes the channel's mean, biased variance and rstd.
 */
export function batch_norm_f32(px: usize, pw: usize, pb: usize, py: usize, pmean: usize, pvar: usize, prstd: usize,
  N: i32, C: i32, inner: i32, eps: f64, start: i32, end: i32): void {
  const cnt = <f64>N * <f64>inner;
  const plane = <usize>C * <usize>inner << 2, blk = <usize>inner << 2;
  for (let c = start; c < end; c++) {
    const base = px + <usize>c * blk;
    let s: f64 = 0;
    for (let n = 0; n < N; n++) s += <f64>blockSum(base + <usize>n * plane, inner);
    const mean = <f32>(s / cnt);
    let q: f64 = 0;
    for (let n = 0; n < N; n++) q += <f64>blockSq(base + <usize>n * plane, inner, mean);
    const v = <f32>(q / cnt);
    const rstd = <f32>1 / Mathf.sqrt(v + <f32>eps);
    const scale = pw ? rstd * load<f32>(pw + (<usize>c << 2)) : rstd;
    const shift = (pb ? load<f32>(pb + (<usize>c << 2)) : <f32>0) - mean * scale;
    store<f32>(pmean + (<usize>c << 2), mean);
    store<f32>(pvar + (<usize>c << 2), v);
    store<f32>(prstd + (<usize>c << 2), rstd);
    const vs = f32x4.splat(scale), vh = f32x4.splat(shift);
    for (let n = 0; n < N; n++) {
      const o = <usize>n * plane + <usize>c * blk;
      const x = px + o, y = py + o;
      let j = 0;
      for (; j + 4 <= inner; j += 4) { const k = <usize>j << 2; v128.store(y + k, f32x4.add(f32x4.mul(v128.load(x + k), vs), vh)); }
      for (; j < inner; j++) { const k = <usize>j << 2; store<f32>(y + k, load<f32>(x + k) * scale + shift); }
    }
  }
}

/**
 * The backward from g: db = Σ g, dw = Σ g·x̂ (x̂ = (x − mean)·rstd), and, when pdx is not 0,
 * dx = w·rstd·(g − db/n − x̂·dw/n) (w = 1 without a weight), the composite's closed form.
 * pdw / pdb 0: not wanted.
 */
export function batch_norm_bwd_f32(px: usize, pw: usize, pmean: usize, prstd: usize, pg: usize, pdx: usize, pdw: usize, pdb: usize,
  N: i32, C: i32, inner: i32, start: i32, end: i32): void {
  const cnt = <f64>N * <f64>inner;
  const plane = <usize>C * <usize>inner << 2, blk = <usize>inner << 2;
  for (let c = start; c < end; c++) {
    const mean = load<f32>(pmean + (<usize>c << 2)), rstd = load<f32>(prstd + (<usize>c << 2));
    const vm = f32x4.splat(mean);
    let sg: f64 = 0, sgx: f64 = 0;
    for (let n = 0; n < N; n++) {
      const o = <usize>n * plane + <usize>c * blk;
      const x = px + o, g = pg + o;
      let va = f32x4.splat(0), vb = f32x4.splat(0);
      let j = 0;
      for (; j + 4 <= inner; j += 4) {
        const k = <usize>j << 2;
        const gv = v128.load(g + k);
        va = f32x4.add(va, gv);
        vb = f32x4.add(vb, f32x4.mul(gv, f32x4.sub(v128.load(x + k), vm)));
      }
      let a = hsum(va), b = hsum(vb);
      for (; j < inner; j++) { const k = <usize>j << 2; const gv = load<f32>(g + k); a += gv; b += gv * (load<f32>(x + k) - mean); }
      sg += <f64>a; sgx += <f64>b;
    }
    const db = <f32>sg, dw = <f32>(sgx * <f64>rstd);
    if (pdb) store<f32>(pdb + (<usize>c << 2), db);
    if (pdw) store<f32>(pdw + (<usize>c << 2), dw);
    if (!pdx) continue;
    const a = pw ? rstd * load<f32>(pw + (<usize>c << 2)) : rstd;
    const mb = <f32>(<f64>db / cnt), mw = <f32>(<f64>dw / cnt);
    const va = f32x4.splat(a), vmb = f32x4.splat(mb), vmw = f32x4.splat(mw), vr = f32x4.splat(rstd);
    for (let n = 0; n < N; n++) {
      const o = <usize>n * plane + <usize>c * blk;
      const x = px + o, g = pg + o, dx = pdx + o;
      let j = 0;
      for (; j + 4 <= inner; j += 4) {
        const k = <usize>j << 2;
        const xh = f32x4.mul(f32x4.sub(v128.load(x + k), vm), vr);
        v128.store(dx + k, f32x4.mul(f32x4.sub(f32x4.sub(v128.load(g + k), vmb), f32x4.mul(xh, vmw)), va));
      }
      for (; j < inner; j++) {
        const k = <usize>j << 2;
        const xh = (load<f32>(x + k) - mean) * rstd;
        store<f32>(dx + k, ((load<f32>(g + k) - mb) - xh * mw) * a);
      }
    }
  }
}

// ---- LeakyReLU: y = x > 0 ? x : x·slope; its backward g·(x > 0 ? 1 : slope) (PyTorch's, and the composite's where) ----

export function leaky_relu_f32(px: usize, py: usize, slope64: f64, start: i32, end: i32): void {
  const slope = <f32>slope64, vs = f32x4.splat(slope), zero = f32x4.splat(0);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(px + o);
    v128.store(py + o, v128.bitselect(x, f32x4.mul(x, vs), f32x4.gt(x, zero)));
  }
  for (; i < end; i++) { const o = <usize>i << 2; const x = load<f32>(px + o); store<f32>(py + o, x > 0 ? x : x * slope); }
}

export function leaky_relu_bwd_f32(px: usize, pg: usize, po: usize, slope64: f64, start: i32, end: i32): void {
  const slope = <f32>slope64, vs = f32x4.splat(slope), zero = f32x4.splat(0);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(pg + o);
    v128.store(po + o, v128.bitselect(g, f32x4.mul(g, vs), f32x4.gt(v128.load(px + o), zero)));
  }
  for (; i < end; i++) { const o = <usize>i << 2; const g = load<f32>(pg + o); store<f32>(po + o, load<f32>(px + o) > 0 ? g : g * slope); }
}
