// The wasm backend against the js reference backend, primitive by primitive, on random inputs: every
// op record on every dtype it takes (float64 results identical, bit for bit — both run the formulas
// of src/ops/scalar.ts; float32 within rtol 1e-4 / atol 1e-5 where an f32x4 form approximates, GEMM
// scaled by √k — fused multiply-add rounds differently), plus thread-count determinism, the
// allocator and error messages. The conv kernels' own paths are in wasm-conv.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ElementwiseKernel, Pool2dParams } from '../src/backend/backend.js';
import { arrayFor, type DType, type TypedArray } from '../src/tensor/dtype.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { J, W, rnd, randArray, prod, bcastStrides, compared, same, convParams, CONVS } from './helpers/compare.js';
import { records } from '../src/ops/registry.js';
import * as ops from '../src/ops/index.js';
import type { Domain } from '../src/ops/spec.js';

test('memory: fromArray / readSync / read round-trip and conversion, every dtype', async () => {
  const vals = [0, 1, -1.5, 2.75, 1e10, -1e10, NaN, 255, 3];
  for (const src of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    const data = arrayFor(src, vals.length);
    vals.forEach((v, i) => { data[i] = src === 'bool' ? (v ? 1 : 0) : v; });
    for (const dt of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
      same(`fromArray ${src}→${dt}`, [], (b) => b.fromArray(data, dt));
    }
  }
  const s = W.fromArray(new Float32Array([1, 2, 3]), 'float32');
  assert.deepEqual(Array.from(await W.read(s)), [1, 2, 3]);
  W.free(s);
});

test('memory: fill and cast between every pair of dtypes', () => {
  for (const dt of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    for (const v of [0, 1, -2.5, 7]) same(`fill ${dt} ${v}`, [], (b) => b.fill(dt, 37, v));
  }
  const vals = new Float64Array([0, 1, -1.5, 2.75, 1e10, -1e10, NaN, -0.5, 0.5, 3e9, -2147483648]);
  for (const from of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    for (const to of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
      same(`cast ${from}→${to}`, [[vals, from]], (b, [x]) => b.cast(x!, to));
    }
  }
});

test('memory: the allocator reuses freed blocks, grows, and reports live storages', () => {
  const before = W.stats();
  const a = W.fill('float32', 1000, 1);
  W.free(a);
  const b = W.fill('float32', 1000, 2);
  assert.equal((b as unknown as { ptr: number }).ptr, (a as unknown as { ptr: number }).ptr, 'a freed block of the same class is reused');
  assert.equal(W.stats().storages, before.storages + 1);
  // 64 MiB: beyond the initial heap, so the memory grows while the workers hold it
  const big = W.fill('float32', 16 * 2 ** 20, 3);
  const r = W.readSync(big);
  assert.equal(r[r.length - 1], 3);
  assert.ok((W.info().heapBytes as number) >= 64 * 2 ** 20);
  const sum = W.reduce(ops.sum.kernel, big, { outer: 1, r: 16 * 2 ** 20, inner: 1 });
  assert.equal(W.readSync(sum)[0], 3 * 16 * 2 ** 20); // exact: every partial sum is an integer < 2^24·… in f32 lanes
  for (const s of [b, big, sum]) W.free(s);
  assert.deepEqual(W.stats(), before);
  W.free(b); // a second free is a no-op
  assert.throws(() => W.unary(ops.neg.kernel, b), /used after it was freed/);
});

test('layout: blocked transposes (4×4 blocks, 64×64 tiles, ragged edges, batches, threads)', () => {
  for (const [b, r, c] of [[1, 131, 70], [3, 67, 9], [1, 600, 700]]) {
    const x = randArray('float32', b * r * c);
    // out [b, c, r] reads x [b, r, c] at strides [r·c, 1, c]
    same(`copyStrided transpose ${b}×${r}×${c}`, [[x, 'float32']], (k, [s]) => k.copyStrided(s!, [b, c, r], [r * c, 1, c], 0));
    same(`copyStrided transpose int32 ${b}×${r}×${c}`, [[randArray('int32', b * r * c), 'int32']], (k, [s]) => k.copyStrided(s!, [b, c, r], [r * c, 1, c], 0));
  }
});

test('layout: copyStrided (transpose, negative and zero strides, offset) and writeStrided', () => {
  const x = randArray('float32', 60);
  const cases: [number[], number[], number][] = [
    [[3, 4, 5], [20, 5, 1], 0], [[5, 4, 3], [1, 5, 20], 0], [[4, 5], [5, -1], 4],
    [[2, 3, 10], [0, 20, 1], 0], [[2, 2], [30, 1], 7], [[0, 3], [3, 1], 0], [[], [], 5],
    [[6, 10], [1, 6], 0], [[5, 12], [1, 5], 0], [[2, 5, 6], [30, 1, 5], 0], [[9, 6], [1, 9], 3], // transposes
    [[2, 1, 7], [7, 99, 1], 13], [[40], [1], 20], // one contiguous run at an offset (a size-1 dim's stride aside; to the last element)
  ];
  for (const dt of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    for (const [shape, strides, off] of cases) {
      same(`copyStrided ${dt} ${shape} ${strides}`, [[x, dt]], (b, [s]) => b.copyStrided(s!, shape, strides, off));
    }
    same(`writeStrided ${dt}`, [[x, dt], [randArray(dt, 12), dt]], (b, [d, s]) => {
      const fresh = b.copyStrided(d!, [60], [1], 0);
      b.writeStrided(fresh, s!, [3, 4], [1, 5], 2);
      return fresh;
    });
  }
});

test('layout: copyStrided of contiguous rows under up to three outer dims (attention head split and merge)', () => {
  const x = randArray('float32', 2 ** 18);
  const cases: [number[], number[], number][] = [
    [[32, 8, 64, 16], [8192, 16, 128, 1], 0], // [B,T,C] viewed as [B,H,T,hd]: the head split (large enough for threads)
    [[32, 64, 8, 16], [8192, 16, 1024, 1], 0], // [B,H,T,hd] viewed as [B,T,H,hd]: the merge
    [[5, 7, 3], [700, 9, 1], 11], [[6, 9, 5, 2], [2000, 3, 300, 1], 1], // rows of 12 and 8 bytes, an offset
    [[3, 1, 4, 6], [100, 0, 20, 1], 0], // a broadcast (zero-stride) dim
  ];
  for (const dt of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    for (const [shape, strides, off] of cases) {
      same(`copyStrided ${dt} ${shape} ${strides}`, [[dt === 'float64' ? x.subarray(0, 2 ** 17) : x, dt]], (b, [s]) =>
        dt === 'float64' && shape[0] === 32 ? b.copyStrided(s!, [16, ...shape.slice(1)], strides, off) : b.copyStrided(s!, shape, strides, off));
    }
  }
});

/** Inputs in an op's domain: half random, half a few edge values (0, -0, ±2.5, NaN, ±inf) for floats. */
function inDomain(dt: DType, n: number, domain: Domain): TypedArray {
  const [lo, hi] = { any: [-4, 4], positive: [0.05, 4], unit: [-0.95, 0.95], probability: [0.05, 0.95], above1: [1.05, 5], nonzero: [0.5, 4] }[domain];
  const x = randArray(dt, n, lo!, hi!);
  if (domain === 'nonzero') for (let i = 0; i < n; i++) if (rnd() < 0.5) x[i] = -x[i]!;
  if (dt === 'float32' || dt === 'float64') {
    const edge = domain === 'any' ? [0, -0, 2.5, -2.5, NaN, Infinity, -Infinity] : [NaN];
    edge.forEach((v, i) => { x[i * 7] = v; });
  }
  return x;
}
const domainOf = (r: { def: { test?: { domain?: Domain | readonly Domain[] } } }, i: number): Domain => {
  const d = r.def.test?.domain ?? 'any';
  return typeof d === 'string' ? d : d[i] ?? 'any';
};
/** The dtypes an element-wise record has a kernel for. */
const dtypesOf = (k: ElementwiseKernel): DType[] => ['float32', 'float64', ...(k.int ? ['int32' as const] : []), ...(k.bool ? ['bool' as const] : [])];
/** float64 (and float32 without an f32x4 form) must be identical; an f32x4 form approximates. */
const tolOf = (k: ElementwiseKernel, dt: DType) => (dt === 'float32' && k.simd ? {} : { rtol: 0, atol: 0 });

const elementwise = records().filter((r) => r.kind === 'unary' || r.kind === 'binary');
test('element-wise: every unary record on every dtype it takes (SIMD body and scalar tail)', () => {
  for (const r of elementwise.filter((e) => e.kind === 'unary')) {
    for (const dt of dtypesOf(r.kernel)) {
      const x = inDomain(dt, 1031, domainOf(r, 0));
      same(`${r.kernel.name} ${dt}`, [[x, dt]], (b, [s]) => b.unary(r.kernel, s!), tolOf(r.kernel, dt));
    }
  }
});

const BCAST: [number[], number[], number[]][] = [
  [[7, 33], [7, 33], [7, 33]],          // same shape
  [[7, 33], [1], [7, 33]],              // tensor ⊕ scalar
  [[1], [5, 9], [5, 9]],                // scalar ⊕ tensor
  [[7, 33], [1, 33], [7, 33]],          // row broadcast
  [[7, 1], [7, 33], [7, 33]],           // column broadcast
  [[2, 1, 5, 3], [4, 1, 3], [2, 4, 5, 3]], // general
  [[40, 30], [1, 30], [40, 30]],        // more rows than the parameter block holds
  [[0, 3], [1, 3], [0, 3]],             // empty
];
test('element-wise: every binary record with broadcasting on every dtype it takes', () => {
  for (const r of elementwise.filter((e) => e.kind === 'binary')) {
    for (const dt of dtypesOf(r.kernel)) {
      for (const [sa, sb, so] of BCAST) {
        const a = inDomain(dt, prod(sa), domainOf(r, 0)), b = inDomain(dt, prod(sb), domainOf(r, 1));
        if (dt === 'int32' && (r.def as { intDivisor?: boolean }).intDivisor) b.forEach((v, i) => { if (v === 0) b[i] = 1; });
        same(`${r.kernel.name} ${dt} ${sa}⊕${sb}`, [[a, dt], [b, dt]], (k, [x, y]) =>
          k.binary(r.kernel, x!, y!, so, bcastStrides(sa, so), bcastStrides(sb, so)), tolOf(r.kernel, dt));
      }
    }
  }
});

test('element-wise: one-row binaries (contiguous or one-element operands, size-1 dims) split across threads', () => {
  // past twice the parallel threshold (200,000 ns at 1 ns an element), so that two threads share each;
  // odd, so that the parts' ends are not multiples of 4
  const n = 600_001;
  const cases: [number[], number[], number[]][] = [[[n], [n], [n]], [[1, n], [1], [1, n]], [[1], [n, 1], [n, 1]], [[3, 1, 200_001], [3, 1, 200_001], [3, 1, 200_001]]];
  const runs = elementwise.filter((e) => e.kind === 'binary' && ['add', 'mul', 'lt'].includes(e.kernel.name))
    .flatMap((r) => (r.kernel.name === 'add' ? ['float32', 'float64'] : ['float32']).map((dt) => [r, dt as DType] as const));
  assert.equal(runs.length, 4);
  for (const [r, dt] of runs) {
    for (const [sa, sb, so] of cases) {
      // values of its own (not the shared generator's: the tests after this one keep their inputs)
      let seed = 99;
      const vals = (m: number) => arrayFor(dt, m).map(() => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 31 - 1; });
      same(`${r.kernel.name} ${dt} ${sa}⊕${sb}`, [[vals(prod(sa)), dt], [vals(prod(sb)), dt]], (k, [x, y]) =>
        k.binary(r.kernel, x!, y!, so, bcastStrides(sa, so), bcastStrides(sb, so)), tolOf(r.kernel, dt));
    }
  }
});

test('element-wise: where with broadcasting', () => {
  for (const dt of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    for (const [sa, sb, so] of BCAST) {
      same(`where ${dt} ${sa} ${sb}`, [[randArray('bool', prod(sa)), 'bool'], [randArray(dt, prod(sb)), dt], [randArray(dt, 1), dt]],
        (k, [c, a, b]) => k.where(c!, a!, b!, so, bcastStrides(sa, so), bcastStrides(sb, so), so.map(() => 0)));
    }
  }
});

const REDUCE = records().flatMap((r) => (r.kind === 'reduction' ? [r.kernel] : []));
test('reductions and scans: every reduce record over [outer, r, inner], with NaN', () => {
  const shapes = [[1, 1000, 1], [7, 37, 1], [3, 5, 17], [1, 3, 40], [4, 1, 6], [2, 0, 3]];
  for (const dt of ['float32', 'float64', 'int32'] as DType[]) {
    for (const [outer, r, inner] of shapes) {
      const x = randArray(dt, outer! * r! * inner!, dt === 'int32' ? -3 : 0.5, 1.5);
      for (const op of REDUCE) {
        if (r === 0 && op.wins) continue;
        // float64 identical; float32 sums in SIMD lanes where js sums in float64
        const tol = dt === 'float32' ? { rtol: 1e-4 } : { rtol: 0, atol: 0 };
        same(`reduce ${op.name} ${dt} [${outer},${r},${inner}]`, [[x, dt]], (b, [s]) => b.reduce(op, s!, { outer: outer!, r: r!, inner: inner! }), tol);
        if (!op.wins) same(`scan ${op.name} ${dt} [${outer},${r},${inner}]`, [[x, dt]], (b, [s]) => b.scan(op, s!, { outer: outer!, r: r!, inner: inner! }), tol);
      }
    }
  }
  const withNaN = new Float32Array([1, 5, NaN, 2, 9, 0, -1, 3]);
  for (const op of REDUCE) same(`reduce ${op.name} NaN`, [[withNaN, 'float32']], (b, [s]) => b.reduce(op, s!, { outer: 2, r: 4, inner: 1 }));
});

test('matmul: every transpose variant, batch strides, edge sizes, every dtype', () => {
  const sizes = [[1, 1, 1], [5, 7, 3], [17, 9, 33], [64, 64, 64], [3, 0, 4], [130, 600, 21], [6, 96, 260]]; // the last: x·Wᵀ as (W·xᵀ)ᵀ
  for (const dt of ['float32', 'float64', 'int32'] as DType[]) {
    for (const [m, k, n] of sizes) {
      for (const transA of [false, true]) for (const transB of [false, true]) {
        for (const [batch, aBS, bBS] of [[1, m! * k!, k! * n!], [3, m! * k!, 0]]) {
          if (dt !== 'float32' && m! * k! * n! > 20000) continue;
          const a = randArray(dt, batch! * m! * k!), b = randArray(dt, Math.max(1, bBS! * batch!) + k! * n!);
          const p = { batch: batch!, m: m!, k: k!, n: n!, transA, transB, aBatchStride: aBS!, bBatchStride: bBS! };
          same(`matmul ${dt} ${m}×${k}×${n} tA=${transA} tB=${transB} batch=${batch}`, [[a, dt], [b, dt]],
            (B, [x, y]) => B.matmul(x!, y!, p), { atol: dt === 'float32' ? 1e-5 * Math.sqrt(k!) * 9 : undefined });
        }
      }
    }
  }
});

test('conv2d forward, backward-input and backward-weight (stride, padding, dilation, groups)', () => {
  for (const dt of ['float32', 'float64'] as DType[]) {
    for (const p of CONVS) {
      if (dt === 'float64' && p.cIn > 8) continue;
      const x = randArray(dt, p.n * p.cIn * p.h * p.w), w = randArray(dt, p.cOut * (p.cIn / p.groups) * p.kh * p.kw);
      const gy = randArray(dt, p.n * p.cOut * p.oh * p.ow);
      const tol = { atol: dt === 'float32' ? 1e-4 : undefined };
      same(`conv2d ${dt} ${JSON.stringify(p)}`, [[x, dt], [w, dt]], (b, [a, c]) => b.conv2d(a!, c!, p), tol);
      same(`conv2dBackwardInput ${dt}`, [[gy, dt], [w, dt]], (b, [a, c]) => b.conv2dBackwardInput(a!, c!, p), tol);
      same(`conv2dBackwardWeight ${dt}`, [[x, dt], [gy, dt]], (b, [a, c]) => b.conv2dBackwardWeight(a!, c!, p), tol);
    }
  }
});

test('pooling: max (values, indices, backward), average (padding, countIncludePad, divisor), adaptive', () => {
  const pools: Pool2dParams[] = [
    { n: 2, c: 3, h: 8, w: 8, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, dh: 1, dw: 1, oh: 4, ow: 4, countIncludePad: true, divisorOverride: 0 },
    { n: 1, c: 2, h: 7, w: 9, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, oh: 4, ow: 5, countIncludePad: false, divisorOverride: 0 },
    { n: 1, c: 2, h: 7, w: 9, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, oh: 4, ow: 5, countIncludePad: true, divisorOverride: 0 },
    { n: 1, c: 1, h: 6, w: 6, kh: 2, kw: 3, sh: 1, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, oh: 7, ow: 3, countIncludePad: true, divisorOverride: 5 },
  ];
  // the 2×2/2 f32x4 path: odd sizes leave scalar tails; NaN and ties exercise the index rule
  pools.push({ n: 2, c: 3, h: 11, w: 19, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, dh: 1, dw: 1, oh: 5, ow: 9, countIncludePad: true, divisorOverride: 0 });
  const tie = new Float32Array(2 * 3 * 11 * 19).map((_, i) => (i % 7 === 0 ? NaN : i % 3));
  const p22 = pools[pools.length - 1]!;
  same('maxPool2d 2×2 ties and NaN', [[tie, 'float32']], (b, [a]) => b.maxPool2d(a!, p22));
  // the one-pass 2×2 backward puts each gradient at the window's chosen index (ties, NaN) and zeroes the rest
  const gy22 = randArray('float32', p22.n * p22.c * p22.oh * p22.ow);
  same('maxPool2dBackward 2×2 ties and NaN', [[tie, 'float32'], [gy22, 'float32']], (b, [a, g]) => { const [y, i] = b.maxPool2d(a!, p22); b.free(y); return b.maxPool2dBackward(g!, i, p22); });
  // ±0 ties keep the first in scan order, as PyTorch's (val > max || isnan(val)) scan does: -0 here
  const z = new Float32Array(2 * 2 * 8 * 8).map((_, i) => ((i >> 3) % 2 === 1 ? -1 : i % 2 === 0 ? -0 : 0)); // rows: [-0, +0, …], [-1, -1, …]
  const pz = { ...p22, n: 2, c: 2, h: 8, w: 8, oh: 4, ow: 4 };
  for (const [what, got] of [['with indices', W.maxPool2d(W.fromArray(z, 'float32'), pz)[0]], ['values only', W.fused!.maxPool2dValues!(W.fromArray(z, 'float32'), pz)]] as const) {
    const v = W.readSync(got) as Float32Array;
    assert.ok(v.every((e) => Object.is(e, -0)), `maxPool2d 2×2 ${what}: windows [-0, +0, -1, -1] give -0, got ${v.slice(0, 4).join(', ')}`);
  }
  // values without indices (inference) = maxPool2d's values, on the 2×2 path and the generic one
  for (const p of [p22, pools[1]!]) {
    const x = p === p22 ? tie : randArray('float32', p.n * p.c * p.h * p.w);
    same('maxPool2dValues', [[x, 'float32']], (b, [a]) => b === W ? W.fused!.maxPool2dValues!(a!, p) : b.maxPool2d(a!, p)[0]);
  }
  for (const dt of ['float32', 'float64'] as DType[]) {
    for (const p of pools) {
      const x = randArray(dt, p.n * p.c * p.h * p.w), gy = randArray(dt, p.n * p.c * p.oh * p.ow);
      same(`maxPool2d ${dt}`, [[x, dt]], (b, [a]) => b.maxPool2d(a!, p));
      same(`maxPool2dBackward ${dt}`, [[x, dt], [gy, dt]], (b, [a, g]) => { const [y, i] = b.maxPool2d(a!, p); b.free(y); return b.maxPool2dBackward(g!, i, p); });
      same(`avgPool2d ${dt}`, [[x, dt]], (b, [a]) => b.avgPool2d(a!, p));
      same(`avgPool2dBackward ${dt}`, [[gy, dt]], (b, [g]) => b.avgPool2dBackward(g!, p));
    }
    for (const [h, w, oh, ow] of [[7, 9, 3, 4], [8, 8, 1, 1], [5, 5, 5, 5], [3, 4, 6, 7]]) {
      const p = { n: 2, c: 3, h: h!, w: w!, oh: oh!, ow: ow! };
      same(`adaptiveAvgPool2d ${dt} ${h}×${w}→${oh}×${ow}`, [[randArray(dt, 6 * h! * w!), dt]], (b, [a]) => b.adaptiveAvgPool2d(a!, p));
      same(`adaptiveAvgPool2dBackward ${dt}`, [[randArray(dt, 6 * oh! * ow!), dt]], (b, [a]) => b.adaptiveAvgPool2dBackward(a!, p));
    }
  }
});

test('indexing: gather, scatterAdd, indexSelect, indexAdd', () => {
  const [outer, r, inner, k] = [3, 5, 4, 6];
  const idx = Int32Array.from({ length: outer * k * inner }, () => Math.floor(rnd() * r));
  const idx1 = Int32Array.from({ length: k }, () => Math.floor(rnd() * r));
  for (const dt of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    const x = randArray(dt, outer * r * inner), src = randArray(dt, outer * k * inner);
    same(`gather ${dt}`, [[x, dt], [idx, 'int32']], (b, [a, i]) => b.gather(a!, i!, outer, r, inner, k));
    same(`indexSelect ${dt}`, [[x, dt], [idx1, 'int32']], (b, [a, i]) => b.indexSelect(a!, i!, outer, r, inner));
    if (dt === 'bool') continue; // adding is not defined for bool
    same(`scatterAdd ${dt}`, [[x, dt], [idx, 'int32'], [src, dt]], (b, [a, i, s]) => b.scatterAdd(a!, i!, s!, outer, r, inner, k));
    same(`indexAdd ${dt}`, [[x, dt], [idx1, 'int32'], [src, dt]], (b, [a, i, s]) => b.indexAdd(a!, i!, s!, outer, r, inner));
  }
});

test('threads: results with 1 and N threads are identical, bit for bit', async () => {
  const n = 200, k = 300;
  const a = W.fromArray(randArray('float32', n * k), 'float32'), b = W.fromArray(randArray('float32', k * n), 'float32');
  const x = W.fromArray(randArray('float32', 2 ** 20), 'float32');
  const p = convParams(8, 8, 16, 16, 16, 3, 3, 1, 1, 1, 1);
  const cx = W.fromArray(randArray('float32', 8 * 8 * 256), 'float32'), cw = W.fromArray(randArray('float32', 16 * 8 * 9), 'float32');
  const cg = W.fromArray(randArray('float32', 8 * 16 * 256), 'float32');
  const p1 = convParams(16, 1, 28, 28, 32, 3, 3, 1, 0, 1, 1); // kg = 9: the direct kernels
  const c1x = W.fromArray(randArray('float32', 16 * 784), 'float32'), c1g = W.fromArray(randArray('float32', 16 * 32 * 676), 'float32');
  // the CNN's conv2 on 24 images: 144 tile rows, more than one block of the Winograd weight gradient
  const p2 = convParams(24, 32, 13, 13, 64, 3, 3, 1, 0, 1, 1);
  const c2x = W.fromArray(randArray('float32', 24 * 32 * 169), 'float32'), c2g = W.fromArray(randArray('float32', 24 * 64 * 121), 'float32');
  const c1w = W.fromArray(randArray('float32', 32 * 9), 'float32'), c1b = W.fromArray(randArray('float32', 32), 'float32');
  const p3 = convParams(5, 6, 13, 11, 14, 5, 5, 1, 2, 1, 2); // groups of 3 channels, 5×5 padded: direct, ragged blocks
  const c3x = W.fromArray(randArray('float32', 5 * 6 * 143), 'float32'), c3g = W.fromArray(randArray('float32', 5 * 14 * 143), 'float32');
  const c3w = W.fromArray(randArray('float32', 14 * 3 * 25), 'float32');
  const run = () => [
    W.matmul(a, b, { batch: 1, m: n, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }),
    W.matmul(a, b, { batch: 1, m: n, k, n: 64, transA: true, transB: true, aBatchStride: 0, bBatchStride: 0 }),
    W.matmul(a, b, { batch: 1, m: n, k, n: 64, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0 }), // A packed, rows split
    W.matmul(a, b, { batch: 1, m: 64, k, n, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0 }), // A packed, columns split
    W.reduce(ops.sum.kernel, x, { outer: 1024, r: 1024, inner: 1 }), W.reduce(ops.sum.kernel, x, { outer: 4, r: 256, inner: 1024 }),
    W.unary(ops.tanh.kernel, x), W.conv2d(cx, cw, p), W.conv2dBackwardInput(cg, cw, p), W.conv2dBackwardWeight(cx, cg, p),
    W.conv2d(cx, cw, { ...p, n: 1 }), // one image: split over output columns
    W.conv2dBackwardWeight(c1x, c1g, p1), W.conv2dBackwardWeight(c2x, c2g, p2),
    W.conv2d(c1x, c1w, p1), W.fused!.conv2dBiasAct!(c1x, c1w, c1b, p1, true),
    W.conv2d(c3x, c3w, p3), W.conv2dBackwardWeight(c3x, c3g, p3),
  ].map((s) => { const r = W.readSync(s); W.free(s); return r; });
  const threads = W.numThreads();
  await W.setNumThreads(1);
  const one = run();
  await W.setNumThreads(Math.max(2, threads));
  assert.ok(W.numThreads() >= 2, 'the pool runs at least 2 threads after setNumThreads(2)');
  const many = run();
  one.forEach((r, i) => assert.deepEqual(many[i], r, `result ${i} differs between 1 and ${W.numThreads()} threads`));
  await W.setNumThreads(threads);
  for (const s of [a, b, x, cx, cw, cg, c1x, c1g, c2x, c2g, c1w, c1b, c3x, c3g, c3w]) W.free(s);
});

// Dispatches alternate between parts claimed from the shared table (elementwise, column-split GEMM,
// convolutions by images) and parts fixed to threads (row-split GEMM), many times on 3 threads
// (more than this machine may have cores, so workers start late): every repeat gives the same bits.
test('threads: shared-table and fixed dispatches interleaved 300 times give identical results', async () => {
  const threads = W.numThreads();
  await W.setNumThreads(3);
  const x = W.fromArray(randArray('float32', 300_000), 'float32');
  const a = W.fromArray(randArray('float32', 1024 * 512), 'float32'), b = W.fromArray(randArray('float32', 512 * 256), 'float32');
  const p = convParams(12, 16, 16, 16, 16, 5, 5, 1, 2, 1, 2); // 5×5, split by images
  const cx = W.fromArray(randArray('float32', 12 * 16 * 256), 'float32'), cw = W.fromArray(randArray('float32', 16 * 8 * 25), 'float32');
  const once = () => [
    W.unary(ops.exp.kernel, x),
    W.matmul(a, b, { batch: 1, m: 256, k: 512, n: 256, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }), // columns: shared
    W.matmul(a, b, { batch: 1, m: 1024, k: 512, n: 24, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }), // rows: fixed
    W.conv2d(cx, cw, p),
  ].map((st) => { const r = W.readSync(st); W.free(st); return r; });
  const first = once();
  for (let i = 0; i < 300; i++) {
    const r = once();
    r.forEach((v, j) => assert.deepEqual(v, first[j], `repeat ${i}: result ${j} changed`));
  }
  await W.setNumThreads(threads);
  for (const st of [x, a, b, cx, cw]) W.free(st);
});

test('info reports threads and SIMD features; bad thread counts are refused', async () => {
  const info = W.info();
  assert.equal(info.simd, true);
  assert.equal(typeof info.relaxedSimd, 'boolean');
  assert.ok((info.threads as number) >= 1);
  await assert.rejects(W.setNumThreads(0), /setNumThreads: expected a positive integer/);
});

test('plain-SIMD build (no relaxed FMA) agrees with the reference too', async () => {
  process.env.NABLA_RELAXED_SIMD = '0';
  const P = await createWasmBackend({ threads: 2 });
  delete process.env.NABLA_RELAXED_SIMD;
  try {
    assert.equal(P.info().relaxedSimd, false);
    const [m, k, n] = [37, 70, 29];
    const a = randArray('float32', m * k), b = randArray('float32', k * n);
    const p = { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const e = J.readSync(J.matmul(J.fromArray(a, 'float32'), J.fromArray(b, 'float32'), p));
    const g = P.readSync(P.matmul(P.fromArray(a, 'float32'), P.fromArray(b, 'float32'), p));
    for (let i = 0; i < e.length; i++) assert.ok(Math.abs(g[i]! - e[i]!) <= 1e-4 * (1 + Math.abs(e[i]!)), `[${i}] ${g[i]} vs ${e[i]}`);
  } finally { P.close(); }
});

test('every primitive of Kernels was compared against the js backend', () => {
  // the js backend implements every primitive (a missing one is a compile error): all its kernels
  const all = Object.keys(J).filter((k) => !['name', 'stats', 'info', 'readSync', 'read', 'free'].includes(k));
  const seen = new Set([...compared].map((l) => ({ unary: 'unary', reduce: 'reduce', scan: 'scan' } as Record<string, string>)[l] ?? l));
  for (const r of elementwise) if (compared.has(r.kernel.name)) seen.add(r.kind);
  assert.deepEqual(all.filter((p) => !seen.has(p)), []);
  // and every element-wise record on every dtype it takes
  assert.deepEqual(elementwise.filter((r) => !compared.has(r.kernel.name)).map((r) => r.kernel.name), []);
});
