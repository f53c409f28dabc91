// The GRU recurrence's kernels (src/backend/wasm/gru.ts calls them): a time step forward or backward
// per thread — its hidden units' product with W_hh (./recurrent.ts) and cell — and b_hh's gradient.

import { vsigmoid, vtanh } from './vmath';
import { product } from './recurrent';

// Gates in PyTorch's order r, z, n: a row of xp, hw, act, dx or dhb holds [r | z | n], H each.
// A thread owns hidden units [j0, j1) (j0 a multiple of 8, the packed panels' width): the columns
// j0…j1 of each gate in the products and the cell. Each element is computed the same way whatever
// the split, so results do not depend on the thread count.

// @ts-ignore: decorator
@inline function gsig(x: f32): f32 { return <f32>1 / (<f32>1 + Mathf.exp(-x)); }

/**
 * One forward step for units [j0, j1) of N rows, as the composite of src/ops/recurrent.ts computes
 * it: hw = h·W_hhᵀ (pw: W_hh packed by rnn_pack_f32 as B(k, j) = W_hh[j, k], 3 groups) into phw ([N, 3H]);
 * hb = hw + b (b = b_hh [3H], skipped when pb = 0); r = σ(x_r + hb_r), z = σ(x_z + hb_z),
 * n = tanh(x_n + r·hb_n), h' = n + z·(h − n). Writes act = [r z n] ([N, 3H]), hb_n to phn
 * ([N, H]), h' to pho and, when phx ≠ 0, to phx too (the next step's input).
 */
export function gru_step_fwd_f32(ph: usize, pw: usize, pxp: usize, pb: usize, phw: usize, pact: usize, phn: usize,
  pho: usize, phx: usize, N: i32, H: i32, tmp: usize, j0: i32, j1: i32): void {
  const G = 3 * H;
  for (let g = 0; g < 3; g++) product(ph, H, N, H, pw, g, H, j0, j1, phw + (<usize>(g * H) << 2), G, tmp);
  for (let row = 0; row < N; row++) {
    const zo = <usize>(row * G) << 2, so = <usize>(row * H) << 2;
    const x = pxp + zo, w = phw + zo, a = pact + zo;
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const q = <usize>j << 2, zq = <usize>(j + H) << 2, nq = <usize>(j + 2 * H) << 2;
      let wr = v128.load(w + q), wz = v128.load(w + zq), wn = v128.load(w + nq);
      if (pb) {
        wr = f32x4.add(wr, v128.load(pb + q));
        wz = f32x4.add(wz, v128.load(pb + zq));
        wn = f32x4.add(wn, v128.load(pb + nq));
      }
      const r = vsigmoid(f32x4.add(v128.load(x + q), wr));
      const z = vsigmoid(f32x4.add(v128.load(x + zq), wz));
      const n = vtanh(f32x4.add(v128.load(x + nq), f32x4.mul(r, wn)));
      const h2 = f32x4.add(n, f32x4.mul(z, f32x4.sub(v128.load(ph + so + q), n)));
      v128.store(a + q, r); v128.store(a + zq, z); v128.store(a + nq, n);
      v128.store(phn + so + q, wn);
      v128.store(pho + so + q, h2);
      if (phx) v128.store(phx + so + q, h2);
    }
    for (; j < j1; j++) {
      const q = <usize>j << 2, zq = <usize>(j + H) << 2, nq = <usize>(j + 2 * H) << 2;
      let wr = load<f32>(w + q), wz = load<f32>(w + zq), wn = load<f32>(w + nq);
      if (pb) {
        wr = wr + load<f32>(pb + q);
        wz = wz + load<f32>(pb + zq);
        wn = wn + load<f32>(pb + nq);
      }
      const r = gsig(load<f32>(x + q) + wr);
      const z = gsig(load<f32>(x + zq) + wz);
      const n = Mathf.tanh(load<f32>(x + nq) + r * wn);
      const h2 = n + z * (load<f32>(ph + so + q) - n);
      store<f32>(a + q, r); store<f32>(a + zq, z); store<f32>(a + nq, n);
      store<f32>(phn + so + q, wn);
      store<f32>(pho + so + q, h2);
      if (phx) store<f32>(phx + so + q, h2);
    }
  }
}

/**
 * One backward step for units [j0, j1) of N rows. The state's gradient dh = gout + dhr + dhz
 * (gout skipped when pgo = 0): dhr = dhbn·W_hh (pw: W_hh packed as B(k, j) = W_hh[k, j], one
 * group; dhbn the next step's dhb [N, 3H], written to pdhr [N, H]) or, when pdhbn = 0, read from
 * pdhr (gH; 0: none); dhz (pdhz, 0: none) = the next step's dh·z. With a = dh·(1−z)·(1−n²):
 * dx = [a·hb_n·r(1−r), dh·(h−n)·z(1−z), a] to pdx and dhb = [same, same, a·r] (the gradient of
 * hw + b_hh) to pdhb, both [N, 3H]; dh·z to pdho ([N, H]; may be pdhz: each element is read
 * before it is written). pact = 0: no cell, dh itself to pdho (h0's gradient).
 * pact holds the step's [r z n], phn its hb_n, ph the state h the step started from.
 */
export function gru_step_bwd_f32(pdhbn: usize, pw: usize, pact: usize, phn: usize, ph: usize, pgo: usize, pdhr: usize,
  pdhz: usize, pdx: usize, pdhb: usize, pdho: usize, N: i32, H: i32, tmp: usize, j0: i32, j1: i32): void {
  const G = 3 * H;
  if (pdhbn) product(pdhbn, G, N, G, pw, 0, H, j0, j1, pdhr, H, tmp);
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  for (let row = 0; row < N; row++) {
    const zo = <usize>(row * G) << 2, so = <usize>(row * H) << 2;
    const a = pact + zo, dx = pdx + zo, db = pdhb + zo;
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const q = <usize>j << 2, zq = <usize>(j + H) << 2, nq = <usize>(j + 2 * H) << 2;
      let dh = pdhr ? v128.load(pdhr + so + q) : zero;
      if (pdhz) dh = f32x4.add(dh, v128.load(pdhz + so + q));
      if (pgo) dh = f32x4.add(v128.load(pgo + so + q), dh);
      if (!pact) { v128.store(pdho + so + q, dh); continue; }
      const r = v128.load(a + q), z = v128.load(a + zq), n = v128.load(a + nq);
      const dn = f32x4.mul(f32x4.mul(dh, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const dr = f32x4.mul(f32x4.mul(dn, v128.load(phn + so + q)), f32x4.mul(r, f32x4.sub(one, r)));
      const dz = f32x4.mul(f32x4.mul(dh, f32x4.sub(v128.load(ph + so + q), n)), f32x4.mul(z, f32x4.sub(one, z)));
      v128.store(dx + q, dr); v128.store(dx + zq, dz); v128.store(dx + nq, dn);
      v128.store(db + q, dr); v128.store(db + zq, dz); v128.store(db + nq, f32x4.mul(dn, r));
      v128.store(pdho + so + q, f32x4.mul(dh, z));
    }
    for (; j < j1; j++) {
      const q = <usize>j << 2, zq = <usize>(j + H) << 2, nq = <usize>(j + 2 * H) << 2;
      let dh: f32 = pdhr ? load<f32>(pdhr + so + q) : 0;
      if (pdhz) dh = dh + load<f32>(pdhz + so + q);
      if (pgo) dh = load<f32>(pgo + so + q) + dh;
      if (!pact) { store<f32>(pdho + so + q, dh); continue; }
      const r = load<f32>(a + q), z = load<f32>(a + zq), n = load<f32>(a + nq);
      const dn = dh * (<f32>1 - z) * (<f32>1 - n * n);
      const dr = dn * load<f32>(phn + so + q) * (r * (<f32>1 - r));
      const dz = dh * (load<f32>(ph + so + q) - n) * (z * (<f32>1 - z));
      store<f32>(dx + q, dr); store<f32>(dx + zq, dz); store<f32>(dx + nq, dn);
      store<f32>(db + q, dr); store<f32>(db + zq, dz); store<f32>(db + nq, dn * r);
      store<f32>(pdho + so + q, dh * z);
    }
  }
}

/**
 * po[j] = Σ_row p[row·cols + j] for columns [start, end), rows summed in order (b_hh's gradient).
 * Row by row, so each pass reads a contiguous piece of a row; po's range stays in L1.
 */
export function gru_colsum_f32(p: usize, rows: i32, cols: i32, po: usize, start: i32, end: i32): void {
  const stride = <usize>cols << 2;
  const o = po + (<usize>start << 2), n = end - start;
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(o + (<usize>j << 2), f32x4.splat(0));
  for (; j < n; j++) store<f32>(o + (<usize>j << 2), 0);
  let q = p + (<usize>start << 2);
  for (let row = 0; row < rows; row++) {
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const k = <usize>j << 2;
      v128.store(o + k, f32x4.add(v128.load(o + k), v128.load(q + k)));
    }
    for (; j < n; j++) {
      const k = <usize>j << 2;
      store<f32>(o + k, load<f32>(o + k) + load<f32>(q + k));
    }
    q += stride;
  }
}
