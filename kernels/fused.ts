// Fused fast paths of composites (src/backend/wasm/fused.ts calls them): the SGD and Adam updates
// of one parameter, and one LSTM time step forward/backward (its product with W_hh and the cell).

import { vexp, vrowmax, vsigmoid, vtanh } from './vmath';
import { product } from './recurrent';

/** NaN-propagating maximum (Adam's amsgrad state, the softmax row maximum). */
// @ts-ignore: decorator
@inline function fmaxp<T>(x: T, y: T): T { return x != x ? x : y != y ? y : x > y ? x : y; }

// ---- optimizer updates (element-wise over [start, end)) ----
// The same float32 operations, in the same order, as the composites in src/optim (no fused
// multiply-add), so the fused update gives the composite's bits.

/** SGD flags: 1 maximize, 2 weight decay, 4 momentum, 8 first step (no buffer yet), 16 nesterov, 32 dampening ≠ 0. */
export function sgd_step_f32(pp: usize, pg: usize, pb: usize, pop: usize, pob: usize, start: i32, end: i32,
  lr64: f64, mu64: f64, damp64: f64, wd64: f64, flags: i32): void {
  const lr = <f32>lr64, mu = <f32>mu64, damp = <f32>damp64, wd = <f32>wd64;
  const maximize = (flags & 1) != 0, decay = (flags & 2) != 0, momentum = (flags & 4) != 0;
  const first = (flags & 8) != 0, nesterov = (flags & 16) != 0, dampen = (flags & 32) != 0;
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(mu), vdamp = f32x4.splat(damp), vwd = f32x4.splat(wd);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(pp + o);
    let d = v128.load(pg + o);
    if (maximize) d = f32x4.neg(d);
    if (decay) d = f32x4.add(d, f32x4.mul(p, vwd));
    if (momentum) {
      let b: v128;
      if (first) b = d;
      else b = f32x4.add(f32x4.mul(v128.load(pb + o), vmu), dampen ? f32x4.mul(d, vdamp) : d);
      v128.store(pob + o, b);
      d = nesterov ? f32x4.add(d, f32x4.mul(b, vmu)) : b;
    }
    v128.store(pop + o, f32x4.sub(p, f32x4.mul(d, vlr)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(pp + o);
    let d = load<f32>(pg + o);
    if (maximize) d = -d;
    if (decay) d = d + p * wd;
    if (momentum) {
      let b: f32;
      if (first) b = d;
      else b = load<f32>(pb + o) * mu + (dampen ? d * damp : d);
      store<f32>(pob + o, b);
      d = nesterov ? d + b * mu : b;
    }
    store<f32>(pop + o, p - d * lr);
  }
}

/**
 * Adam flags: 1 maximize, 2 L2 weight decay (g + wd·p), 4 decoupled decay (p·pscale), 8 amsgrad.
 * m' = m·b1 + g·(1−b1); v' = v·b2 + g²·(1−b2); p' = p − m'/(√max(v̂, v')/sbc2 + eps)·stepSize.
 */
export function adam_step_f32(pp: usize, pg: usize, pm: usize, pv: usize, pvm: usize,
  pop: usize, pom: usize, pov: usize, povm: usize, start: i32, end: i32,
  b1_: f64, omb1_: f64, b2_: f64, omb2_: f64, step_: f64, sbc2_: f64, eps_: f64, wd_: f64, pscale_: f64, flags: i32): void {
  const b1 = <f32>b1_, omb1 = <f32>omb1_, b2 = <f32>b2_, omb2 = <f32>omb2_;
  const stepSize = <f32>step_, sbc2 = <f32>sbc2_, eps = <f32>eps_, wd = <f32>wd_, pscale = <f32>pscale_;
  const maximize = (flags & 1) != 0, l2 = (flags & 2) != 0, decoupled = (flags & 4) != 0, ams = (flags & 8) != 0;
  const vb1 = f32x4.splat(b1), vomb1 = f32x4.splat(omb1), vb2 = f32x4.splat(b2), vomb2 = f32x4.splat(omb2);
  const vstep = f32x4.splat(stepSize), vsbc2 = f32x4.splat(sbc2), veps = f32x4.splat(eps);
  const vwd = f32x4.splat(wd), vps = f32x4.splat(pscale);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    let p = v128.load(pp + o);
    let g = v128.load(pg + o);
    if (maximize) g = f32x4.neg(g);
    if (l2) g = f32x4.add(g, f32x4.mul(p, vwd));
    if (decoupled) p = f32x4.mul(p, vps);
    const m = f32x4.add(f32x4.mul(v128.load(pm + o), vb1), f32x4.mul(g, vomb1));
    const v = f32x4.add(f32x4.mul(v128.load(pv + o), vb2), f32x4.mul(f32x4.mul(g, g), vomb2));
    v128.store(pom + o, m);
    v128.store(pov + o, v);
    let vm = v;
    if (ams) { vm = f32x4.max(v128.load(pvm + o), v); v128.store(povm + o, vm); }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vm), vsbc2), veps);
    v128.store(pop + o, f32x4.sub(p, f32x4.mul(f32x4.div(m, denom), vstep)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    let p = load<f32>(pp + o);
    let g = load<f32>(pg + o);
    if (maximize) g = -g;
    if (l2) g = g + p * wd;
    if (decoupled) p = p * pscale;
    const m = load<f32>(pm + o) * b1 + g * omb1;
    const v = load<f32>(pv + o) * b2 + (g * g) * omb2;
    store<f32>(pom + o, m);
    store<f32>(pov + o, v);
    let vm = v;
    if (ams) { vm = fmaxp<f32>(load<f32>(pvm + o), v); store<f32>(povm + o, vm); }
    const denom = Mathf.sqrt(vm) / sbc2 + eps;
    store<f32>(pop + o, p - (m / denom) * stepSize);
  }
}

// ---- LSTM steps (gates in PyTorch's order i, f, g, o) ----
// One call per thread and step: the step's product with W_hh (kernels/recurrent.ts, W_hh packed once
// per sequence) and the cell, for the thread's hidden units [j0, j1) (j0 a multiple of 8) of all N
// rows. Each element is computed the same way whatever the split.

// @ts-ignore: decorator
@inline function ssig(x: f32): f32 { return <f32>1 / (<f32>1 + Mathf.exp(-x)); }

/**
 * One step: hw = h·W_hhᵀ (pw: W_hh packed by rnn_pack_f32 as B(k, j) = W_hh[j, k], 4 groups) into
 * phw ([N, 4H]); z = xp + hw; i, f, o = σ(z_i, z_f, z_o), g = tanh(z_g); c' = f·c + i·g;
 * h' = o·tanh(c'). Writes act = [i f g o] ([N, 4H]), tc = tanh(c'), c' to pcn, h' to pho and,
 * when phx ≠ 0, to phx too (the next step's input). All rows contiguous.
 */
export function lstm_step_fwd_f32(ph: usize, pw: usize, pxp: usize, pc: usize, phw: usize, pact: usize, ptc: usize,
  pcn: usize, pho: usize, phx: usize, N: i32, H: i32, tmp: usize, j0: i32, j1: i32): void {
  const G = 4 * H;
  for (let g = 0; g < 4; g++) product(ph, H, N, H, pw, g, H, j0, j1, phw + (<usize>(g * H) << 2), G, tmp);
  for (let r = 0; r < N; r++) {
    const zo = <usize>(r * G) << 2, so = <usize>(r * H) << 2;
    const x = pxp + zo, w = phw + zo, a = pact + zo;
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const q = <usize>j << 2;
      const hq = <usize>(j + H) << 2, gq = <usize>(j + 2 * H) << 2, oq = <usize>(j + 3 * H) << 2;
      const ig = vsigmoid(f32x4.add(v128.load(x + q), v128.load(w + q)));
      const fg = vsigmoid(f32x4.add(v128.load(x + hq), v128.load(w + hq)));
      const gz = f32x4.add(v128.load(x + gq), v128.load(w + gq));
      const gg = vtanh(gz);
      const og = vsigmoid(f32x4.add(v128.load(x + oq), v128.load(w + oq)));
      const c2 = f32x4.add(f32x4.mul(fg, v128.load(pc + so + q)), f32x4.mul(ig, gg));
      const tc = vtanh(c2);
      const h2 = f32x4.mul(og, tc);
      v128.store(a + q, ig); v128.store(a + hq, fg); v128.store(a + gq, gg); v128.store(a + oq, og);
      v128.store(ptc + so + q, tc);
      v128.store(pcn + so + q, c2);
      v128.store(pho + so + q, h2);
      if (phx) v128.store(phx + so + q, h2);
    }
    for (; j < j1; j++) {
      const q = <usize>j << 2;
      const hq = <usize>(j + H) << 2, gq = <usize>(j + 2 * H) << 2, oq = <usize>(j + 3 * H) << 2;
      const ig = ssig(load<f32>(x + q) + load<f32>(w + q));
      const fg = ssig(load<f32>(x + hq) + load<f32>(w + hq));
      const gg = Mathf.tanh(load<f32>(x + gq) + load<f32>(w + gq));
      const og = ssig(load<f32>(x + oq) + load<f32>(w + oq));
      const c2 = fg * load<f32>(pc + so + q) + ig * gg;
      const tc = Mathf.tanh(c2);
      const h2 = og * tc;
      store<f32>(a + q, ig); store<f32>(a + hq, fg); store<f32>(a + gq, gg); store<f32>(a + oq, og);
      store<f32>(ptc + so + q, tc);
      store<f32>(pcn + so + q, c2);
      store<f32>(pho + so + q, h2);
      if (phx) store<f32>(phx + so + q, h2);
    }
  }
}

/**
 * The step's backward: dh = gout (if pgo ≠ 0) + dhr, with dhr = dzn·W_hh (pw: W_hh packed as
 * B(k, j) = W_hh[k, j], one group; dzn the next step's dz [N, 4H], written to pdhr) or, when
 * pdzn = 0, read from pdhr (gH; 0: none); dc = dcr (pdcr, 0: none) + dh·o·(1 − tanh²c');
 * dz = [dc·g·i(1−i), dc·c·f(1−f), dc·i·(1−g²), dh·tanh c'·o(1−o)] to pdz ([N, 4H]); dc·f to pdcp
 * (may be pdcr: each element is read before it is written). pact = 0: the product alone (h0's
 * gradient in pdhr). pc is the step's input cell state c, ptc tanh(c'), pact the activated gates.
 */
export function lstm_step_bwd_f32(pdzn: usize, pw: usize, pact: usize, ptc: usize, pc: usize, pgo: usize, pdhr: usize,
  pdcr: usize, pdz: usize, pdcp: usize, N: i32, H: i32, tmp: usize, j0: i32, j1: i32): void {
  const G = 4 * H;
  if (pdzn) product(pdzn, G, N, G, pw, 0, H, j0, j1, pdhr, H, tmp);
  if (!pact) return;
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  for (let r = 0; r < N; r++) {
    const zo = <usize>(r * G) << 2, so = <usize>(r * H) << 2;
    const a = pact + zo, dz = pdz + zo;
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const q = <usize>j << 2;
      const hq = <usize>(j + H) << 2, gq = <usize>(j + 2 * H) << 2, oq = <usize>(j + 3 * H) << 2;
      const ig = v128.load(a + q), fg = v128.load(a + hq), gg = v128.load(a + gq), og = v128.load(a + oq);
      const tc = v128.load(ptc + so + q);
      let dh = pdhr ? v128.load(pdhr + so + q) : zero;
      if (pgo) dh = f32x4.add(v128.load(pgo + so + q), dh);
      const dcr = pdcr ? v128.load(pdcr + so + q) : zero;
      const dc = f32x4.add(dcr, f32x4.mul(f32x4.mul(dh, og), f32x4.sub(one, f32x4.mul(tc, tc))));
      v128.store(dz + q, f32x4.mul(f32x4.mul(dc, gg), f32x4.mul(ig, f32x4.sub(one, ig))));
      v128.store(dz + hq, f32x4.mul(f32x4.mul(dc, v128.load(pc + so + q)), f32x4.mul(fg, f32x4.sub(one, fg))));
      v128.store(dz + gq, f32x4.mul(f32x4.mul(dc, ig), f32x4.sub(one, f32x4.mul(gg, gg))));
      v128.store(dz + oq, f32x4.mul(f32x4.mul(dh, tc), f32x4.mul(og, f32x4.sub(one, og))));
      v128.store(pdcp + so + q, f32x4.mul(dc, fg));
    }
    for (; j < j1; j++) {
      const q = <usize>j << 2;
      const hq = <usize>(j + H) << 2, gq = <usize>(j + 2 * H) << 2, oq = <usize>(j + 3 * H) << 2;
      const ig = load<f32>(a + q), fg = load<f32>(a + hq), gg = load<f32>(a + gq), og = load<f32>(a + oq);
      const tc = load<f32>(ptc + so + q);
      let dh: f32 = pdhr ? load<f32>(pdhr + so + q) : 0;
      if (pgo) dh = load<f32>(pgo + so + q) + dh;
      const dcr: f32 = pdcr ? load<f32>(pdcr + so + q) : 0;
      const dc = dcr + dh * og * (<f32>1 - tc * tc);
      store<f32>(dz + q, dc * gg * (ig * (<f32>1 - ig)));
      store<f32>(dz + hq, dc * load<f32>(pc + so + q) * (fg * (<f32>1 - fg)));
      store<f32>(dz + gq, dc * ig * (<f32>1 - gg * gg));
      store<f32>(dz + oq, dh * tc * (og * (<f32>1 - og)));
      store<f32>(pdcp + so + q, dc * fg);
    }
  }
}

// ---- softmax cross-entropy (rows [start, end) of logits [M, C], int32 classes) ----


/**
 * loss_r = −((x_r,t − m) − log Σ_j exp(x_rj − m)) with m the row's max (0 when ±inf, as logSoftmax
 * does); 0 where t = ignore. Also writes lse_r = m + log Σ for the backward.
 */
export function xent_fwd_f32(px: usize, pt: usize, ploss: usize, plse: usize, C: i32, ignore: i32, start: i32, end: i32): void {
  for (let r = start; r < end; r++) {
    const row = px + (<usize>(r * C) << 2);
    let m = vrowmax(row, C);
    if (Mathf.abs(m) == Infinity) m = 0;
    const vmm = f32x4.splat(m);
    let vs = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= C; j += 4) vs = f32x4.add(vs, vexp(f32x4.sub(v128.load(row + (<usize>j << 2)), vmm)));
    let s = (f32x4.extract_lane(vs, 0) + f32x4.extract_lane(vs, 1)) + (f32x4.extract_lane(vs, 2) + f32x4.extract_lane(vs, 3));
    for (; j < C; j++) s += Mathf.exp(load<f32>(row + (<usize>j << 2)) - m);
    const lg = Mathf.log(s);
    const t = load<i32>(pt + (<usize>r << 2));
    store<f32>(ploss + (<usize>r << 2), t == ignore ? <f32>0 : -((load<f32>(row + (<usize>t << 2)) - m) - lg));
    store<f32>(plse + (<usize>r << 2), m + lg);
  }
}

/** dx_rj = g_r·scale·(exp(x_rj − lse_r) − [j = t_r]); 0 on ignored rows. g_r at pg + r·gStride. */
export function xent_bwd_f32(px: usize, pt: usize, plse: usize, pg: usize, gStride: i32, scale64: f64, pdx: usize,
  C: i32, ignore: i32, start: i32, end: i32): void {
  const scale = <f32>scale64;
  for (let r = start; r < end; r++) {
    const row = px + (<usize>(r * C) << 2), out = pdx + (<usize>(r * C) << 2);
    const t = load<i32>(pt + (<usize>r << 2));
    let j = 0;
    if (t == ignore) {
      for (; j + 4 <= C; j += 4) v128.store(out + (<usize>j << 2), f32x4.splat(0));
      for (; j < C; j++) store<f32>(out + (<usize>j << 2), 0);
      continue;
    }
    const g = load<f32>(pg + (<usize>(r * gStride) << 2)) * scale;
    const lse = load<f32>(plse + (<usize>r << 2));
    const vg = f32x4.splat(g), vl = f32x4.splat(lse);
    for (; j + 4 <= C; j += 4) v128.store(out + (<usize>j << 2), f32x4.mul(vg, vexp(f32x4.sub(v128.load(row + (<usize>j << 2)), vl))));
    for (; j < C; j++) store<f32>(out + (<usize>j << 2), g * Mathf.exp(load<f32>(row + (<usize>j << 2)) - lse));
    const q = out + (<usize>t << 2);
    store<f32>(q, load<f32>(q) - g);
  }
}

// ---- ReLU's backward: g where x > 0, else 0 (NaN x gives 0), as where(gt(x, 0), g, 0) ----

export function relu_bwd_f32(px: usize, pg: usize, po: usize, start: i32, end: i32): void {
  const zero = f32x4.splat(0);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(po + o, v128.and(v128.load(pg + o), f32x4.gt(v128.load(px + o), zero)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(po + o, load<f32>(px + o) > 0 ? load<f32>(pg + o) : <f32>0);
  }
}
