// The wasm backend's convolution paths against the js reference backend: the fused epilogue
// (bias and ReLU in the kernel's writes) on every path, im2col where the direct kernels would run,
// the direct kernels' handling of infinities and bands of rows, Winograd blocks and F(4×4).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Conv2dParams, Storage } from '../src/backend/backend.js';
import { winogradBlockBytes, winogradF4 } from '../src/backend/wasm/winograd.js';
import { directBandBytes, directFits, directWeightFits } from '../src/backend/wasm/direct.js';
import { fewPositions, patchRows } from '../src/backend/wasm/conv.js';
import { winogradFits, winogradWeightFits } from '../src/backend/wasm/winograd.js';
import * as ops from '../src/ops/index.js';
import { W, randArray, contiguous, compared, same, convParams, CONVS } from './helpers/compare.js';

// The conv epilogue: fused.conv2dBiasAct = conv2d, then + bias[c], then ReLU (the composite on js:
// conv2d, a broadcast add of bias as [cOut, 1, 1], relu) — every conv path (direct, im2col, Winograd).
test('fused conv2dBiasAct equals conv2d + bias + ReLU on every float32 conv path', () => {
  const fused = W.fused!.conv2dBiasAct!;
  const composite = (B: Backend, x: Storage, w: Storage, b: Storage | null, p: Conv2dParams, relu: boolean): Storage => {
    let y = B.conv2d(x, w, p);
    const shape = [p.n, p.cOut, p.oh, p.ow];
    if (b) y = B.binary(ops.add.kernel, y, b, shape, contiguous(shape), [0, 1, 0, 0]);
    return relu ? B.unary(ops.relu.kernel, y) : y;
  };
  for (const p of CONVS) {
    const x = randArray('float32', p.n * p.cIn * p.h * p.w), w = randArray('float32', p.cOut * (p.cIn / p.groups) * p.kh * p.kw);
    const bias = randArray('float32', p.cOut);
    for (const [withBias, relu] of [[true, true], [true, false], [false, true]] as const) {
      same(`conv2dBiasAct bias=${withBias} relu=${relu} ${JSON.stringify(p)}`, [[x, 'float32'], [w, 'float32'], [bias, 'float32']],
        (B, [a, c, b]) => B === W ? fused(a!, c!, withBias ? b! : null, p, relu) : composite(B, a!, c!, withBias ? b! : null, p, relu), { atol: 1e-4 });
    }
  }
  assert.ok(compared.has('conv2dBiasAct'), 'the js composite ran (the comparison is not vacuous)');
});

test('conv2d on the im2col path for the shapes the direct kernels take (NABLA_DIRECT=0)', () => {
  const direct = CONVS.filter((c) => directFits(c) || directWeightFits(c));
  assert.ok(direct.length >= 10, 'the table has shapes for the direct kernels');
  const saved = process.env.NABLA_DIRECT;
  process.env.NABLA_DIRECT = '0';
  try {
    for (const p of direct) {
      const x = randArray('float32', p.n * p.cIn * p.h * p.w), w = randArray('float32', p.cOut * (p.cIn / p.groups) * p.kh * p.kw);
      const gy = randArray('float32', p.n * p.cOut * p.oh * p.ow), bias = randArray('float32', p.cOut);
      const tol = { atol: 1e-4 };
      same(`conv2d float32 ${JSON.stringify(p)}`, [[x, 'float32'], [w, 'float32']], (b, [a, c]) => b.conv2d(a!, c!, p), tol);
      same('conv2dBackwardWeight float32', [[x, 'float32'], [gy, 'float32']], (b, [a, c]) => b.conv2dBackwardWeight(a!, c!, p), tol);
      same('conv2dBiasAct float32', [[x, 'float32'], [w, 'float32'], [bias, 'float32']],
        (B, [a, c, b]) => B === W ? W.fused!.conv2dBiasAct!(a!, c!, b!, p, true) : B.unary(ops.relu.kernel, B.binary(ops.add.kernel, B.conv2d(a!, c!, p), b!,
          [p.n, p.cOut, p.oh, p.ow], contiguous([p.n, p.cOut, p.oh, p.ow]), [0, 1, 0, 0])), tol);
    }
  } finally { if (saved === undefined) delete process.env.NABLA_DIRECT; else process.env.NABLA_DIRECT = saved; }
});

// Convs with few output positions per image run as one GEMM over the batch's patch rows
// (kernels/conv-rows.ts): DCGAN's 4×4 stride-2 convs, padding and dilation (windows partly outside
// the plane: the scalar path beside the 4-wide vector rows), and the images in several chunks.
test('conv2d, its input and weight gradients on the patch-rows path (few positions per image, chunks of images)', () => {
  const shapes = [
    convParams(3, 16, 14, 14, 24, 4, 4, 2, 1, 1, 1), // DCGAN's discriminator conv (to 7×7)
    convParams(4, 8, 9, 9, 7, 4, 4, 1, 2, 2, 1), // dilation 2: no vector rows
    convParams(5, 9, 7, 10, 5, 3, 4, 1, 1, 1, 1), // kw 4 at the plane’s edges
    convParams(2, 10, 6, 6, 9, 2, 2, 2, 0, 1, 1),
  ];
  const saved = patchRows.floats;
  try {
    for (const floats of [2 ** 23, 1000, 1]) {
      patchRows.floats = floats; // one chunk; a few images per chunk; one image per chunk
      for (const p of shapes) {
        assert.ok(fewPositions(p) && !directFits(p) && !winogradFits(p, false) && !winogradFits(p, true) && !directWeightFits(p) && !winogradWeightFits(p),
          `${JSON.stringify(p)} runs on the patch-rows path`);
        const x = randArray('float32', p.n * p.cIn * p.h * p.w), w = randArray('float32', p.cOut * p.cIn * p.kh * p.kw);
        const gy = randArray('float32', p.n * p.cOut * p.oh * p.ow), bias = randArray('float32', p.cOut);
        const tol = { atol: 1e-4 };
        const tag = `${JSON.stringify(p)} chunk ${floats}`;
        same(`conv2d ${tag}`, [[x, 'float32'], [w, 'float32']], (b, [a, c]) => b.conv2d(a!, c!, p), tol);
        same(`conv2dBackwardInput ${tag}`, [[gy, 'float32'], [w, 'float32']], (b, [a, c]) => b.conv2dBackwardInput(a!, c!, p), tol);
        same(`conv2dBackwardWeight ${tag}`, [[x, 'float32'], [gy, 'float32']], (b, [a, c]) => b.conv2dBackwardWeight(a!, c!, p), tol);
        same(`conv2dBiasAct ${tag}`, [[x, 'float32'], [w, 'float32'], [bias, 'float32']],
          (B, [a, c, b]) => B === W ? W.fused!.conv2dBiasAct!(a!, c!, b!, p, true) : B.unary(ops.relu.kernel, B.binary(ops.add.kernel, B.conv2d(a!, c!, p), b!,
            [p.n, p.cOut, p.oh, p.ow], contiguous([p.n, p.cOut, p.oh, p.ow]), [0, 1, 0, 0])), tol);
      }
    }
  } finally { patchRows.floats = saved; }
});

// The direct kernels multiply whole vectors, past the plane's end too: an infinity in x must reach
// only the outputs and weight taps whose windows hold it (0 · inf would put NaN elsewhere).
test('direct conv2d: an infinite input reaches only the windows that hold it', () => {
  for (const p of [convParams(2, 1, 7, 7, 5, 3, 3, 1, 0, 1, 1), convParams(1, 2, 5, 6, 4, 3, 3, 1, 1, 1, 1)]) {
    assert.ok(directFits(p) && directWeightFits(p), 'the shape runs direct');
    const x = randArray('float32', p.n * p.cIn * p.h * p.w), w = randArray('float32', p.cOut * p.cIn * 9);
    const gy = randArray('float32', p.n * p.cOut * p.oh * p.ow);
    x[x.length - 1] = Infinity; x[p.w - 1] = -Infinity; x[p.h * p.w] = Infinity;
    same(`conv2d inf ${JSON.stringify(p)}`, [[x, 'float32'], [w, 'float32']], (b, [a, c]) => b.conv2d(a!, c!, p), { atol: 1e-4 });
    same('conv2dBackwardWeight inf', [[x, 'float32'], [gy, 'float32']], (b, [a, c]) => b.conv2dBackwardWeight(a!, c!, p), { atol: 1e-4 });
  }
});

test('direct conv2d in bands of rows (the shifted input copies of a big plane kept small)', async () => {
  const saved = { ...directBandBytes };
  directBandBytes.max = 4096; // a few rows per band, a shorter last band
  try {
    for (const p of [convParams(2, 3, 20, 19, 5, 3, 3, 1, 1, 1, 1), convParams(3, 1, 23, 13, 8, 5, 5, 1, 2, 1, 1), convParams(2, 2, 17, 11, 6, 3, 3, 1, 2, 2, 1),
      convParams(2, 1, 31, 17, 5, 5, 5, 2, 2, 1, 1)]) {
      assert.ok(directFits(p) && directWeightFits(p), 'the shape runs direct');
      const x = randArray('float32', p.n * p.cIn * p.h * p.w), w = randArray('float32', p.cOut * (p.cIn / p.groups) * p.kh * p.kw);
      const gy = randArray('float32', p.n * p.cOut * p.oh * p.ow), bias = randArray('float32', p.cOut);
      const tol = { atol: 1e-4 };
      same(`conv2d float32 bands ${JSON.stringify(p)}`, [[x, 'float32'], [w, 'float32']], (b, [a, c]) => b.conv2d(a!, c!, p), tol);
      same('conv2dBackwardWeight float32 bands', [[x, 'float32'], [gy, 'float32']], (b, [a, c]) => b.conv2dBackwardWeight(a!, c!, p), tol);
      same('conv2dBiasAct float32 bands', [[x, 'float32'], [w, 'float32'], [bias, 'float32']],
        (B, [a, c, b]) => B === W ? W.fused!.conv2dBiasAct!(a!, c!, b!, p, true) : B.unary(ops.relu.kernel, B.binary(ops.add.kernel, B.conv2d(a!, c!, p), b!,
          [p.n, p.cOut, p.oh, p.ow], contiguous([p.n, p.cOut, p.oh, p.ow]), [0, 1, 0, 0])), tol);
    }
    // and the same bits with 1 and 2 threads (enough work for 2; 5 bands of 9 rows)
    directBandBytes.max = 16384;
    const p = convParams(16, 3, 40, 39, 8, 3, 3, 1, 1, 1, 1);
    assert.ok(directFits(p) && directWeightFits(p), 'the shape runs direct');
    const x = W.fromArray(randArray('float32', 16 * 3 * 1560), 'float32'), w = W.fromArray(randArray('float32', 8 * 27), 'float32');
    const gy = W.fromArray(randArray('float32', 16 * 8 * 1560), 'float32');
    const run = () => [W.conv2d(x, w, p), W.conv2dBackwardWeight(x, gy, p)].map((s) => { const r = W.readSync(s); W.free(s); return r; });
    const threads = W.numThreads();
    await W.setNumThreads(1);
    const one = run();
    await W.setNumThreads(Math.max(2, threads));
    const many = run();
    await W.setNumThreads(threads);
    one.forEach((r, i) => assert.deepEqual(many[i], r, `banded result ${i} differs between 1 and 2 threads`));
    for (const s of [x, w, gy]) W.free(s);
  } finally { Object.assign(directBandBytes, saved); }
});

test('Winograd conv2d in many small blocks: rows per block, sums over tiles across blocks', () => {
  const saved = { ...winogradBlockBytes };
  winogradBlockBytes.conv = 1; winogradBlockBytes.weight = 1; // one row of tiles per block
  try {
    for (const p of [convParams(3, 16, 13, 13, 12, 3, 3, 1, 0, 1, 1), convParams(2, 8, 11, 9, 8, 3, 3, 1, 1, 1, 1)]) {
      const x = randArray('float32', p.n * p.cIn * p.h * p.w), w = randArray('float32', p.cOut * p.cIn * 9);
      const gy = randArray('float32', p.n * p.cOut * p.oh * p.ow);
      const tol = { atol: 1e-4 };
      same(`conv2d float32 ${JSON.stringify(p)}`, [[x, 'float32'], [w, 'float32']], (b, [a, c]) => b.conv2d(a!, c!, p), tol);
      same('conv2dBackwardInput float32', [[gy, 'float32'], [w, 'float32']], (b, [a, c]) => b.conv2dBackwardInput(a!, c!, p), tol);
      same('conv2dBackwardWeight float32', [[x, 'float32'], [gy, 'float32']], (b, [a, c]) => b.conv2dBackwardWeight(a!, c!, p), tol);
    }
  } finally { Object.assign(winogradBlockBytes, saved); }
});

// The opt-in forward by Winograd F(4×4, 3×3) (kernels/winograd4.ts): its float32 error is ~20× that
// of F(2×2) (measured 3.4e-4 on 16 channels of values in ±3), so it gets atol 2e-3 and ≤ 16 channels.
// Outputs 5–30 wide and high (edge tiles of 1, 2, 3 and 4 columns/rows; rows of ≥ 4 tiles, so full
// groups and leftovers), padding 0–2, one tile row per block, the fused epilogue, and 1 vs N threads.
test('Winograd F(4×4) forward (opt-in): edge tiles, padding, blocks, epilogue, threads', async () => {
  const saved = { ...winogradBlockBytes }, savedF4 = winogradF4.forward;
  winogradF4.forward = true;
  const fused = W.fused!.conv2dBiasAct!;
  const tol = { atol: 2e-3 };
  try {
    const shapes = [convParams(2, 16, 13, 13, 12, 3, 3, 1, 0, 1, 1), convParams(1, 9, 30, 17, 10, 3, 3, 1, 2, 1, 1),
      convParams(3, 12, 7, 9, 16, 3, 3, 1, 1, 1, 1), convParams(2, 8, 18, 20, 8, 3, 3, 1, 0, 1, 1),
      convParams(1, 8, 34, 11, 9, 3, 3, 1, 1, 1, 1)];
    for (const blocks of [saved.conv, 1]) {
      winogradBlockBytes.conv = blocks;
      for (const p of shapes) {
        const x = randArray('float32', p.n * p.cIn * p.h * p.w), w = randArray('float32', p.cOut * p.cIn * 9);
        const bias = randArray('float32', p.cOut);
        same(`F(4×4) conv2d blocks=${blocks} ${JSON.stringify(p)}`, [[x, 'float32'], [w, 'float32']], (b, [a, c]) => b.conv2d(a!, c!, p), tol);
        same(`F(4×4) conv2dBiasAct ${JSON.stringify(p)}`, [[x, 'float32'], [w, 'float32'], [bias, 'float32']], (B, [a, c, b]) => {
          if (B === W) return fused(a!, c!, b!, p, true);
          const shape = [p.n, p.cOut, p.oh, p.ow];
          return B.unary(ops.relu.kernel, B.binary(ops.add.kernel, B.conv2d(a!, c!, p), b!, shape, contiguous(shape), [0, 1, 0, 0]));
        }, tol);
      }
    }
    winogradBlockBytes.conv = saved.conv;
    const p = convParams(6, 16, 22, 22, 16, 3, 3, 1, 1, 1, 1);
    const x = W.fromArray(randArray('float32', p.n * p.cIn * p.h * p.w), 'float32'), w = W.fromArray(randArray('float32', p.cOut * p.cIn * 9), 'float32');
    const threads = W.numThreads();
    const run = () => { const y = W.conv2d(x, w, p); const r = W.readSync(y); W.free(y); return r; };
    await W.setNumThreads(1);
    const one = run();
    await W.setNumThreads(Math.max(2, threads));
    assert.deepEqual(run(), one, 'F(4×4) forward differs between 1 and N threads');
    await W.setNumThreads(threads);
    W.free(x); W.free(w);
  } finally { Object.assign(winogradBlockBytes, saved); winogradF4.forward = savedF4; }
});
