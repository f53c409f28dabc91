// What the wasm-vs-js tests share: one js and one wasm backend, seeded random inputs, and same(),
// which runs a primitive on both with the same inputs and compares every output (the conv shapes too).

import { after } from 'node:test';
import assert from 'node:assert/strict';
import { createJsBackend } from '../../src/backend/js/index.js';
import { createWasmBackend } from '../../src/backend/wasm/index.js';
import type { Backend, Conv2dParams, Storage } from '../../src/backend/backend.js';
import { arrayFor, type DType, type TypedArray } from '../../src/tensor/dtype.js';

export const J = createJsBackend();
export const W = await createWasmBackend();
after(() => W.close());

let seed = 12345;
export function rnd(): number { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32; }
export function randArray(dtype: DType, n: number, lo = -3, hi = 3): TypedArray {
  const a = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = lo + (hi - lo) * rnd();
    a[i] = dtype === 'bool' ? (v > (lo + hi) / 2 ? 1 : 0) : dtype === 'int32' ? Math.round(v) : v;
  }
  return a;
}
export const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
export function contiguous(shape: readonly number[]): number[] {
  const st: number[] = []; let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) { st[d] = s; s *= shape[d]!; }
  return st;
}
export function bcastStrides(shape0: readonly number[], out: readonly number[]): number[] {
  const shape = [...Array(out.length - shape0.length).fill(1), ...shape0];
  const c = contiguous(shape);
  return out.map((_, d) => (shape[d] === 1 && out[d] !== 1 ? 0 : c[d]!));
}

/** Primitives compared at least once (the last test checks that every one was). */
export const compared = new Set<string>();

/**
 * Runs f on both backends with the same inputs and compares every output storage (exact: tol 0).
 * Callers run only what the reference defines: an error from either backend fails the test.
 */
export function same(label: string, inputs: [TypedArray, DType][], f: (b: Backend, xs: Storage[]) => Storage | Storage[],
  tol: { rtol?: number; atol?: number } = {}): void {
  const jx = inputs.map(([a, d]) => J.fromArray(a, d));
  const r0 = f(J, jx);
  const expected = (Array.isArray(r0) ? r0 : [r0]).map((s) => J.readSync(s));
  const wx = inputs.map(([a, d]) => W.fromArray(a, d));
  const r = f(W, wx);
  compared.add(label.split(' ')[0]!);
  const outs = Array.isArray(r) ? r : [r];
  const got = outs.map((s) => W.readSync(s));
  for (const s of [...outs, ...wx]) W.free(s);
  const isF32 = inputs.some(([, d]) => d === 'float32');
  const rtol = tol.rtol ?? (isF32 ? 1e-4 : 1e-10), atol = tol.atol ?? (isF32 ? 1e-5 : 1e-12);
  assert.equal(got.length, expected.length, label);
  for (let k = 0; k < got.length; k++) {
    const g = got[k]!, e = expected[k]!;
    assert.equal(g.constructor.name, e.constructor.name, `${label}: output ${k} type`);
    assert.equal(g.length, e.length, `${label}: output ${k} length`);
    for (let i = 0; i < e.length; i++) {
      const a = g[i]!, b = e[i]!;
      if (Number.isNaN(b)) { assert.ok(Number.isNaN(a), `${label}[${i}]: expected NaN, got ${a}`); continue; }
      if (rtol === 0 && atol === 0) { assert.ok(Object.is(a, b), `${label}: output ${k} [${i}]: wasm ${a} vs js ${b} (expected identical)`); continue; }
      if (a === b) continue;
      assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${label}: output ${k} [${i}]: wasm ${a} vs js ${b}`);
    }
  }
}

export function convParams(n: number, cIn: number, h: number, w: number, cOut: number, kh: number, kw: number,
  s: number, pad: number, d: number, groups: number): Conv2dParams {
  const oh = Math.floor((h + 2 * pad - d * (kh - 1) - 1) / s) + 1, ow = Math.floor((w + 2 * pad - d * (kw - 1) - 1) / s) + 1;
  return { n, cIn, h, w, cOut, kh, kw, sh: s, sw: s, ph: pad, pw: pad, dh: d, dw: d, groups, oh, ow };
}
export const CONVS = [
  convParams(2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1), convParams(1, 4, 9, 7, 6, 3, 2, 2, 0, 1, 2),
  convParams(3, 2, 10, 10, 5, 3, 3, 1, 2, 2, 1), convParams(2, 6, 5, 5, 6, 1, 1, 1, 0, 1, 3),
  convParams(4, 1, 12, 12, 8, 5, 5, 1, 0, 1, 1), convParams(1, 1, 1, 9, 2, 1, 3, 1, 1, 1, 1),
  convParams(2, 64, 20, 20, 10, 3, 3, 1, 1, 1, 1), // K = 576 > one 512 block; 400 columns > one 256 block
  // 3×3 stride 1 with ≥ 8 channels each side: Winograd F(2×2, 3×3) — rows of 6 and 9 tiles (leftover
  // tiles past the groups of 4), odd outputs (half tiles), padding 0–2, several blocks per thread
  convParams(3, 16, 13, 13, 12, 3, 3, 1, 0, 1, 1), convParams(2, 9, 30, 17, 10, 3, 3, 1, 2, 1, 1),
  convParams(5, 12, 7, 9, 16, 3, 3, 1, 1, 1, 1), convParams(24, 8, 13, 13, 8, 3, 3, 1, 0, 1, 1),
  convParams(2, 8, 9, 11, 9, 3, 3, 1, 1, 1, 1), // odd cOut: the weight gradient's product rows past a multiple of 4
  // few input channels per group, stride 1: the direct kernels (kernels/conv-direct.ts) — blocks of 4
  // output channels (and 1–3 left over), 8 columns with a tail of 1–7, widths under 4, padding,
  // dilation, groups (depthwise too), batch 1
  convParams(1, 1, 28, 28, 32, 3, 3, 1, 0, 1, 1), convParams(3, 3, 11, 13, 7, 3, 3, 1, 1, 1, 1),
  convParams(2, 3, 9, 17, 6, 5, 5, 1, 2, 1, 1), convParams(2, 1, 5, 3, 5, 3, 3, 1, 1, 1, 1),
  convParams(1, 3, 6, 6, 9, 5, 5, 1, 0, 1, 1), convParams(2, 4, 9, 10, 4, 3, 3, 1, 1, 1, 4),
  convParams(2, 6, 8, 8, 10, 3, 3, 1, 1, 1, 2), convParams(2, 1, 30, 31, 3, 3, 3, 1, 0, 1, 1),
  convParams(2, 2, 12, 11, 4, 3, 3, 1, 2, 2, 1), convParams(2, 3, 7, 9, 4, 3, 1, 1, 1, 1, 1),
  convParams(1, 1, 3, 3, 1, 3, 3, 1, 0, 1, 1), convParams(2, 1, 6, 21, 8, 5, 5, 1, 2, 1, 1),
  // strides (row phases of the copies, strided columns), with padding and dilation
  convParams(2, 3, 15, 16, 8, 3, 3, 2, 1, 1, 1), convParams(1, 1, 11, 9, 5, 5, 5, 2, 2, 1, 1),
  convParams(2, 2, 13, 14, 4, 3, 3, 3, 1, 1, 1), convParams(2, 1, 12, 12, 3, 3, 3, 2, 2, 2, 1),
  convParams(1, 1, 20, 19, 6, 7, 7, 2, 3, 1, 1), convParams(2, 3, 17, 15, 5, 7, 7, 2, 3, 1, 1), // K = 147: an RGB stem
  // the kernel covers the whole input (one output per image): the wasm backend's single GEMM over all
  // images (DCGAN's 1×1 → 7×7 transposed conv and 7×7 → 1 last conv); grouped, the im2col path
  convParams(3, 5, 4, 4, 6, 4, 4, 1, 0, 1, 1), convParams(2, 3, 7, 5, 9, 7, 5, 2, 0, 1, 1),
  convParams(5, 8, 3, 3, 13, 3, 3, 1, 0, 1, 1), convParams(2, 4, 3, 3, 6, 3, 3, 1, 0, 1, 2),
  // stride 2 on the im2col path (more channels than the direct kernels take, 4×4: not Winograd) — the
  // packing's f32x4 even-lane loads, with the row ends and padding around them
  convParams(2, 9, 14, 13, 10, 4, 4, 2, 1, 1, 1), convParams(3, 8, 9, 17, 5, 3, 3, 2, 0, 1, 1),
];
