// Transforms: the math of each (flip, padded crop, normalize, affine vs torch's grid_sample,
// erasing's area bounds), tensors in → tensors out, arrays in → arrays out, seeded repeatability.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { transforms as T, type ArraySample } from '../src/data/index.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/** An H×W image whose pixel (i, j) holds i·W + j + 1 (every value distinct and non-zero). */
const numbered = (h: number, w: number, c = 1): ArraySample => ({
  data: Float32Array.from(range(c * h * w), (k) => k + 1),
  shape: c === 1 ? [h, w] : [c, h, w],
});
const rows = (x: ArraySample): number[][] => {
  const [h, w] = x.shape.slice(-2) as [number, number];
  return range(h).map((i) => Array.from(x.data.subarray(i * w, i * w + w)));
};

test('horizontal flip reverses columns; vertical flip reverses rows; p decides how often', () => {
  const x = { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] };
  assert.deepEqual(rows(T.randomHorizontalFlip(1)(x)), [[3, 2, 1], [6, 5, 4]]);
  assert.deepEqual(rows(T.randomVerticalFlip(1)(x)), [[4, 5, 6], [1, 2, 3]]);
  assert.equal(T.randomHorizontalFlip(0)(x), x);
  const t = nb.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  const ft = T.randomHorizontalFlip(1)(t);
  assert.ok(ft instanceof nb.Tensor);
  assert.deepEqual(ft.toArray(), [[[2, 1], [4, 3]], [[6, 5], [8, 7]]]);
  // 400 draws at p = 0.5: the count of flips is Binomial(400, 0.5), mean 200, sd 10.
  nb.manualSeed(1);
  let flips = 0;
  const f = T.randomHorizontalFlip(0.5);
  for (let k = 0; k < 400; k++) if (f(x).data[0] === 3) flips++;
  assert.ok(flips > 150 && flips < 250, `flips ${flips}`);
  assert.throws(() => T.randomHorizontalFlip(2), /p must be in \[0, 1\]/);
});

test('random crop with padding 4 gives a window of the zero-padded image at an offset in [0, 8]', () => {
  nb.manualSeed(3);
  const img = numbered(28, 28, 2);
  const crop = T.randomCrop(28, { padding: 4 });
  const offsets = new Set<string>();
  for (let k = 0; k < 200; k++) {
    const out = crop(img);
    assert.deepEqual(out.shape, [2, 28, 28]);
    // Find the offset from any non-zero pixel of channel 0: value v sits at (⌊(v−1)/28⌋, (v−1) mod 28).
    const idx = out.data.findIndex((v) => v !== 0);
    const v = out.data[idx]! - 1;
    const top = Math.floor(v / 28) - Math.floor(idx / 28) + 4, left = (v % 28) - (idx % 28) + 4;
    assert.ok(top >= 0 && top <= 8 && left >= 0 && left <= 8, `offset ${top}, ${left}`);
    offsets.add(`${top},${left}`);
    // Every pixel of both channels is the padded image at that offset.
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < 28; i++) {
        for (let j = 0; j < 28; j++) {
          const sy = top + i - 4, sx = left + j - 4;
          const want = sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? c * 784 + sy * 28 + sx + 1 : 0;
          if (out.data[c * 784 + i * 28 + j] !== want) assert.fail(`pixel ${c},${i},${j} at offset ${top},${left}`);
        }
      }
    }
  }
  assert.ok(offsets.size > 40, `only ${offsets.size} of 81 offsets seen in 200 crops`);
  // A crop as large as the padded image is the padded image itself: a known window.
  const full = T.randomCrop(5, { padding: 1, fill: -1 })(numbered(3, 3));
  assert.deepEqual(rows(full), [
    [-1, -1, -1, -1, -1],
    [-1, 1, 2, 3, -1],
    [-1, 4, 5, 6, -1],
    [-1, 7, 8, 9, -1],
    [-1, -1, -1, -1, -1],
  ]);
  // Padding [left/right, top/bottom] = [0, 1] on a 2×2 image cropped to 4×2: rows of zeros above and below.
  assert.deepEqual(rows(T.randomCrop([4, 2], { padding: [0, 1] })(numbered(2, 2))), [[0, 0], [1, 2], [3, 4], [0, 0]]);
  assert.throws(() => T.randomCrop(40, { padding: 4 })(img), /crop \[40, 40\] is larger than the padded image \[36, 36\]/);
});

test('normalize: (x − mean) / std per channel', () => {
  // Constant 0.5 with mean 0.5, std 0.25 → 0; constant 1 → (1 − 0.5) / 0.25 = 2.
  const half = { data: new Float32Array(9).fill(0.5), shape: [3, 3] };
  assert.ok(T.normalize(0.5, 0.25)(half).data.every((v) => v === 0));
  assert.ok(T.normalize(0.5, 0.25)({ data: new Float32Array(4).fill(1), shape: [1, 2, 2] }).data.every((v) => v === 2));
  // Two channels [1, 2 | 3, 4] with mean [1, 2], std [0.5, 4]: (1−1)/.5=0, (2−1)/.5=2, (3−2)/4=0.25, (4−2)/4=0.5.
  const t = T.normalize([1, 2], [0.5, 4])(nb.tensor([[[1, 2]], [[3, 4]]], { dtype: 'float32' }));
  assert.deepEqual(t.toArray(), [[[0, 2]], [[0.25, 0.5]]]);
  assert.throws(() => T.normalize([1, 2, 3], [1, 1, 1])(t), /3 mean values for an image with 2 channels/);
  assert.throws(() => T.normalize(0, 0), /std must be finite and non-zero/);
});

test('toTensor / toFloat: uint8 0..255 → float 0..1; compose runs in order', () => {
  // 51 / 255 = 0.2
  const t = T.toTensor({ shape: [1, 1, 3] })(new Uint8Array([0, 255, 51]));
  assert.deepEqual(t.shape, [1, 1, 3]);
  const v = t.dataSync();
  assert.deepEqual([v[0], v[1]], [0, 1]);
  assert.ok(Math.abs(v[2]! - 0.2) < 1e-7);
  const pipeline = T.compose([T.toFloat({ shape: [2, 2] }), T.normalize(0.5, 0.5), T.randomHorizontalFlip(1)]);
  // [0, 255, 255, 0] / 255 → [0, 1, 1, 0] → (x − .5)/.5 → [−1, 1, 1, −1] → flipped rows → [1, −1, −1, 1]
  const out = pipeline<Uint8Array, ArraySample>(new Uint8Array([0, 255, 255, 0]));
  assert.deepEqual(Array.from(out.data), [1, -1, -1, 1]);
  assert.throws(() => T.toTensor({ shape: [2, 2] })(new Uint8Array(3)), /shape \[2, 2\] holds 4 elements but the array has 3/);
  assert.throws(() => T.normalize(0, 1)(nb.tensor([1, 2], { dtype: 'int32' })), /float image.*toTensor/);
});

test('random affine: 0°, no shift, scale 1 is the identity; 90° is rot90; shifts move whole columns', () => {
  const img = numbered(6, 6, 2);
  for (const interpolation of ['nearest', 'bilinear'] as const) {
    const id = T.randomAffine({ degrees: 0, translate: [0, 0], scale: [1, 1], interpolation })(img);
    assert.deepEqual(Array.from(id.data), Array.from(img.data), interpolation);
  }
  // Counter-clockwise by 90° (numpy's rot90): out[i][j] = in[j][W−1−i].
  const r = T.randomAffine({ degrees: [90, 90] })(numbered(4, 4));
  const src = rows(numbered(4, 4));
  assert.deepEqual(rows(r), range(4).map((i) => range(4).map((j) => src[j]![3 - i]!)));
  // translate [0.25, 0] on width 8: a whole-pixel shift t ∈ [−2, 2] right, zeros where nothing comes from.
  nb.manualSeed(11);
  const seen = new Set<number>();
  for (let k = 0; k < 60; k++) {
    const out = rows(T.randomAffine({ degrees: 0, translate: [0.25, 0] })(numbered(3, 8)));
    const t = range(5).map((q) => q - 2).find((s) => out.every((row, i) => row.every((v, j) => v === (j - s >= 0 && j - s < 8 ? i * 8 + (j - s) + 1 : 0))));
    assert.ok(t !== undefined, `not a whole-column shift: ${JSON.stringify(out)}`);
    seen.add(t);
  }
  assert.deepEqual([...seen].sort(), [-1, -2, 0, 1, 2]);
  assert.throws(() => T.randomAffine({ degrees: -5 }), /degrees must be a non-negative number/);
  assert.throws(() => T.randomAffine({ degrees: 5, scale: [0, 1] }), /scale must be/);
});

test('affine warps match torchvision F.affine (inverse map + grid_sample, zero fill) from PyTorch', () => {
  const fx = JSON.parse(readFileSync(new URL('../fixtures/transforms.json', import.meta.url), 'utf8')) as {
    cases: { shape: number[]; angle: number; translate: [number, number]; scale: number; mode: 'nearest' | 'bilinear'; input: number[]; output: number[] }[];
  };
  assert.ok(fx.cases.length >= 5);
  for (const c of fx.cases) {
    const out = T.affineImage({ data: Float32Array.from(c.input), shape: c.shape }, { angle: c.angle, translate: c.translate, scale: c.scale, interpolation: c.mode });
    const worst = c.output.reduce((m, v, k) => Math.max(m, Math.abs(v - out.data[k]!)), 0);
    assert.ok(worst < 1e-5, `${c.mode} ${c.angle}° ${JSON.stringify(c.translate)} ×${c.scale} on ${JSON.stringify(c.shape)}: max error ${worst}`);
  }
});

test('random erasing: one rectangle of the fill, its area within the bounds the rounding allows', () => {
  nb.manualSeed(5);
  // ratio [1, 1] → a square of side round(√(400·s)), s ∈ [0.1, 0.2] → side ∈ [round(√40), round(√80)] = [6, 9].
  const sq = T.randomErasing({ p: 1, scale: [0.1, 0.2], ratio: [1, 1] });
  for (let k = 0; k < 50; k++) {
    const out = sq({ data: new Float32Array(400).fill(1), shape: [20, 20] });
    const zeros = range(400).filter((q) => out.data[q] === 0);
    const ys = zeros.map((q) => Math.floor(q / 20)), xs = zeros.map((q) => q % 20);
    const h = Math.max(...ys) - Math.min(...ys) + 1, w = Math.max(...xs) - Math.min(...xs) + 1;
    assert.equal(h, w);
    assert.equal(zeros.length, h * w, 'the erased pixels form a rectangle');
    assert.ok(h >= 6 && h <= 9, `side ${h}`);
  }
  // General ratio: h = round(√(A·r)), w = round(√(A/r)) differ from the exact sides by ≤ ½ each, so
  // h·w ≥ (√(Ar) − ½)(√(A/r) − ½) = A − ½(√(Ar) + √(A/r)) + ¼; on 32×32 with A ≤ 0.33·1024 and r ∈ [0.3, 3.3]
  // the slack is below ½(√(338·3.3) + √(338/3.3)) + ¼ ≈ 21.9 pixels.
  const er = T.randomErasing({ p: 1, value: [-1, -2] });
  for (let k = 0; k < 100; k++) {
    const out = er({ data: new Float32Array(2 * 1024).fill(1), shape: [2, 32, 32] });
    const n0 = out.data.subarray(0, 1024).filter((v) => v === -1).length;
    const n1 = out.data.subarray(1024).filter((v) => v === -2).length;
    assert.equal(n0, n1, 'both channels erased in the same place');
    if (n0 === 0) continue; // ten tries failed to fit a rectangle: unchanged, as torchvision
    assert.ok(n0 >= 0.02 * 1024 - 22 && n0 <= 0.33 * 1024 + 22, `erased ${n0} of 1024`);
  }
  const x = { data: new Float32Array(16).fill(1), shape: [4, 4] };
  assert.equal(T.randomErasing({ p: 0 })(x), x);
  const noisy = T.randomErasing({ p: 1, scale: [0.5, 0.5], ratio: [1, 1], value: 'random' })({ data: new Float32Array(64).fill(1), shape: [8, 8] });
  assert.ok(new Set(noisy.data).size > 5, 'random fill is noise');
});

test('the same seed gives the same augmentation; tensors in give tensors out', () => {
  const aug = T.compose([T.randomCrop(6, { padding: 2 }), T.randomHorizontalFlip(), T.randomAffine({ degrees: 15, interpolation: 'bilinear' }), T.randomErasing()]);
  const img = numbered(6, 6, 1);
  nb.manualSeed(42);
  const a = range(5).map(() => Array.from(aug<ArraySample>(img).data));
  nb.manualSeed(42);
  const b = range(5).map(() => Array.from(aug<ArraySample>(img).data));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], a[1]);
  const t = nb.tensor(Float32Array.from(img.data), { shape: [1, 6, 6] });
  nb.manualSeed(42);
  const tt = aug<nb.Tensor>(t);
  assert.ok(tt instanceof nb.Tensor);
  assert.deepEqual(Array.from(tt.dataSync()), a[0]);
});
