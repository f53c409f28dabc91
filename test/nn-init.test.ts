// nn.init, the whole set, against PyTorch (fixtures/init.json): the deterministic ones exactly
// (calculateGain, fans, eye_, dirac_, constant_), the random ones statistically — bounds, and mean
// and variance within 5 standard errors of the target PyTorch's code computes (the generators
// differ, the distributions must not) — plus orthogonality, determinism, keyword forms and errors.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { assertClose } from './helpers/allclose.js';

const { nn } = nb;
const I = nn.init;

interface Target { init: 'kaiming' | 'xavier'; shape: number[]; mode?: string; nonlinearity?: string; a?: number | null; gain?: number; std: number; bound: number }
interface Fx {
  gains: { nonlinearity: string; param: number | null; gain: number }[];
  fans: { shape: number[]; fanIn: number; fanOut: number }[];
  targets: Target[];
  exact: { init: 'eye_' | 'dirac_'; shape: number[]; groups: number | null; values: number[] }[];
  truncNormal: { mean: number; std: number; a: number; b: number; truncMean: number; truncVar: number }[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/init.json', import.meta.url), 'utf8')) as Fx;

function moments(x: ArrayLike<number>): { mean: number; variance: number; min: number; max: number; n: number } {
  let s = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    s += x[i]!;
    min = Math.min(min, x[i]!);
    max = Math.max(max, x[i]!);
  }
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i]! - mean) ** 2;
  return { mean, variance: v / (x.length - 1), min, max, n: x.length };
}

/**
 * Mean and variance within 5 standard errors of (mean, variance): the sample mean's error is
 * σ/√n, the sample variance's √((μ4 − σ⁴)/n) with the distribution's fourth central moment μ4.
 */
function assertMoments(what: string, x: ArrayLike<number>, mean: number, variance: number, mu4: number): void {
  const m = moments(x);
  const seMean = Math.sqrt(variance / m.n), seVar = Math.sqrt((mu4 - variance ** 2) / m.n);
  assert.ok(Math.abs(m.mean - mean) <= 5 * seMean, `${what}: mean ${m.mean}, expected ${mean} ± ${5 * seMean}`);
  assert.ok(Math.abs(m.variance - variance) <= 5 * seVar, `${what}: variance ${m.variance}, expected ${variance} ± ${5 * seVar}`);
}
/** U(−b, b): variance b²/3, μ4 = b⁴/5. */
function assertUniform(what: string, x: ArrayLike<number>, b: number, lo = -b): void {
  const m = moments(x);
  const w = b - lo;
  assert.ok(m.min >= lo && m.max <= b, `${what}: values in [${m.min}, ${m.max}], outside [${lo}, ${b}]`);
  // 60 000 draws come within 0.1% of each end
  assert.ok(m.min < lo + 1e-3 * w && m.max > b - 1e-3 * w, `${what}: values in [${m.min}, ${m.max}] do not reach the ends of [${lo}, ${b}]`);
  assertMoments(what, x, (lo + b) / 2, (w * w) / 12, w ** 4 / 80);
}
/** N(mean, std²): μ4 = 3σ⁴. */
function assertNormal(what: string, x: ArrayLike<number>, std: number, mean = 0): void {
  assertMoments(what, x, mean, std * std, 3 * std ** 4);
}

describe('deterministic initialisers, exactly as PyTorch', () => {
  test('calculateGain for every nonlinearity (PyTorch\'s spelling and camelCase)', () => {
    for (const g of fx.gains) {
      assert.equal(I.calculateGain(g.nonlinearity as never, g.param ?? undefined), g.gain, `${g.nonlinearity}(${g.param})`);
      const camel = g.nonlinearity.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      assert.equal(I.calculateGain(camel as never, g.param ?? undefined), g.gain, `${camel}(${g.param})`);
    }
  });
  test('fan in / fan out', () => {
    for (const f of fx.fans) assert.deepEqual(I.calculateFanInAndFanOut(nb.zeros(f.shape)), [f.fanIn, f.fanOut], `shape [${f.shape}]`);
  });
  for (const e of fx.exact) {
    test(`${e.init} [${e.shape}]${e.groups ? ` groups=${e.groups}` : ''}`, () => nb.scope(() => {
      for (const dtype of ['float32', 'float64'] as const) {
        const t = nb.full(e.shape, 7, { dtype });
        const out = e.init === 'eye_' ? I.eye_(t) : I.dirac_(t, e.groups ?? 1);
        assert.equal(out, t);
        assert.deepEqual([...t.dataSync()], e.values);
      }
    }));
  }
  test('dirac_ is the identity of a convolution', () => nb.scope(() => {
    const w = I.dirac_(nb.zeros([4, 4, 3, 3]));
    const x = nb.randn([2, 4, 5, 5]);
    assertClose('conv2d(x, dirac)', nb.F.conv2d(x, w, null, { padding: 1 }).dataSync(), x.dataSync(), x.shape, { rtol: 0, atol: 0 });
  }));
  test('constant_, zeros_, ones_ (and on float64, int32)', () => nb.scope(() => {
    assert.deepEqual([...I.constant_(nb.zeros([2, 2], { dtype: 'float64' }), -0.3).dataSync()], [-0.3, -0.3, -0.3, -0.3]);
    assert.deepEqual([...I.zeros_(nb.ones([3], { dtype: 'int32' })).dataSync()], [0, 0, 0]);
    assert.deepEqual([...I.ones_(nb.zeros([2])).dataSync()], [1, 1]);
  }));
});

describe('kaiming and xavier: every mode and nonlinearity, the std PyTorch computes', () => {
  for (const t of fx.targets) {
    const label = t.init === 'kaiming' ? `kaiming [${t.shape}] ${t.mode} ${t.nonlinearity}${t.a !== null && t.a !== undefined ? ` a=${t.a.toFixed(3)}` : ''}` : `xavier [${t.shape}] gain=${t.gain!.toFixed(3)}`;
    test(label, () => nb.scope(() => {
      nb.manualSeed(42);
      const w = nb.zeros(t.shape, { dtype: 'float64' });
      if (t.init === 'kaiming') {
        const opts = { mode: t.mode as 'fan_in', nonlinearity: t.nonlinearity as nb.nn.init.Nonlinearity, a: t.a ?? 0 };
        assertUniform(`${label} uniform`, I.kaimingUniform_(w, opts).dataSync(), t.bound);
        assertNormal(`${label} normal`, I.kaimingNormal_(w, opts).dataSync(), t.std);
        // camelCase mode names are the same
        const camelMode = t.mode === 'fan_in' ? 'fanIn' : 'fanOut';
        assertNormal(`${label} normal (${camelMode})`, I.kaimingNormal_(w, { ...opts, mode: camelMode }).dataSync(), t.std);
      } else {
        assertUniform(`${label} uniform`, I.xavierUniform_(w, t.gain).dataSync(), t.bound);
        assertNormal(`${label} normal`, I.xavierNormal_(w, { gain: t.gain }).dataSync(), t.std);
      }
    }));
  }
});

describe('uniform_, normal_, truncNormal_, sparse_, orthogonal_', () => {
  const W = (dtype: 'float32' | 'float64' = 'float64'): nb.Tensor => nb.zeros([200, 300], { dtype });
  test('uniform_ and normal_, positional and as PyTorch\'s keywords', () => nb.scope(() => {
    assertUniform('uniform_(2, 5)', I.uniform_(W(), 2, 5).dataSync(), 5, 2);
    assertUniform('uniform_({b: 3})', I.uniform_(W(), { b: 3 }).dataSync(), 3, 0);
    assertNormal('normal_(3, 0.5)', I.normal_(W('float32'), 3, 0.5).dataSync(), 0.5, 3);
    assertNormal('normal_({std: 0.02})', I.normal_(W(), { std: 0.02 }).dataSync(), 0.02, 0);
  }));
  for (const c of fx.truncNormal) {
    test(`truncNormal_ mean=${c.mean} std=${c.std} [${c.a}, ${c.b}]: SciPy's truncated-normal moments`, () => nb.scope(() => {
      nb.manualSeed(3);
      for (const dtype of ['float64', 'float32'] as const) {
        const x = I.truncNormal_(W(dtype), { mean: c.mean, std: c.std, a: c.a, b: c.b }).dataSync();
        const m = moments(x);
        assert.ok(m.min >= c.a && m.max <= c.b, `${dtype}: values in [${m.min}, ${m.max}], outside [${c.a}, ${c.b}]`);
        // μ4 of a truncated normal is below 3σ⁴ of the untruncated one; 3·var² is a safe bound for the error
        assertMoments(`truncNormal_ ${dtype}`, x, c.truncMean, c.truncVar, 3 * c.truncVar ** 2);
      }
    }));
  }
  test('truncNormal_ positional form and PyTorch\'s defaults (a = −2, b = 2, absolute)', () => nb.scope(() => {
    const x = I.truncNormal_(W(), 0, 1).dataSync();
    const m = moments(x);
    assert.ok(m.min >= -2 && m.max <= 2);
    const d = fx.truncNormal.find((c) => c.mean === 0 && c.std === 1 && c.a === -2)!;
    assertMoments('truncNormal_(0, 1)', x, d.truncMean, d.truncVar, 3 * d.truncVar ** 2);
  }));
  test('sparse_: ⌈sparsity·rows⌉ zeros in every column, N(0, std²) elsewhere', () => nb.scope(() => {
    for (const [rows, cols, sparsity] of [[100, 40, 0.1], [7, 5, 0.5], [10, 3, 0]] as const) {
      const w = I.sparse_(nb.zeros([rows, cols], { dtype: 'float64' }), sparsity, { std: 0.5 });
      const v = w.dataSync();
      const zeros = Math.ceil(sparsity * rows);
      const nonzero: number[] = [];
      for (let c = 0; c < cols; c++) {
        let z = 0;
        for (let r = 0; r < rows; r++) {
          if (v[r * cols + c] === 0) z++;
          else nonzero.push(v[r * cols + c]!);
        }
        assert.equal(z, zeros, `[${rows}, ${cols}] sparsity ${sparsity}: column ${c} has ${z} zeros`);
      }
      if (rows * cols >= 4000) assertNormal('sparse_ nonzeros', nonzero, 0.5);
    }
    // the zeros are at different rows in different columns
    const w = I.sparse_(nb.zeros([50, 20]), 0.2).dataSync();
    const firstZero = (c: number): number => Array.from({ length: 50 }, (_, r) => w[r * 20 + c]).findIndex((x) => x === 0);
    assert.ok(new Set(Array.from({ length: 20 }, (_, c) => firstZero(c))).size > 1);
  }));
  for (const shape of [[6, 4], [4, 6], [5, 5], [8, 2, 3], [3, 4, 2, 2]] as const) {
    test(`orthogonal_ [${shape}]: the rows (or columns) of the flattened matrix are orthonormal × gain`, () => nb.scope(() => {
      const w = I.orthogonal_(nb.zeros([...shape], { dtype: 'float64' }), { gain: 1.5 });
      const rows = shape[0], cols = w.numel() / rows;
      const m = w.reshape([rows, cols]);
      const g = rows <= cols ? m.matmul(m.t()) : m.t().matmul(m);
      const n = Math.min(rows, cols);
      const eye = new Float64Array(n * n);
      for (let i = 0; i < n; i++) eye[i * n + i] = 2.25;
      assertClose('orthogonal_', g.dataSync(), eye, [n, n], { rtol: 0, atol: 1e-12 });
    }));
  }
  test('the same seed gives the same values', () => nb.scope(() => {
    for (const f of [(t: nb.Tensor) => I.truncNormal_(t, { std: 0.02 }), (t: nb.Tensor) => I.sparse_(t, 0.3), (t: nb.Tensor) => I.orthogonal_(t),
      (t: nb.Tensor) => I.kaimingUniform_(t, { a: Math.sqrt(5) })]) {
      nb.manualSeed(9);
      const a = [...f(nb.zeros([6, 5])).dataSync()];
      nb.manualSeed(9);
      assert.deepEqual([...f(nb.zeros([6, 5])).dataSync()], a);
    }
  }));
  test('in place on a Parameter: same object, no graph, gradient still required', () => {
    const p = new nn.Parameter(nb.zeros([4, 3]));
    for (const f of [(t: nb.Tensor) => I.truncNormal_(t), (t: nb.Tensor) => I.sparse_(t, 0.5), (t: nb.Tensor) => I.uniform_(t, { a: -1 })]) {
      assert.equal(f(p), p);
      assert.equal(p.requiresGrad, true);
      assert.equal(p.gradFn ?? null, null);
    }
    p.dispose();
  });
});

describe('nn.init errors say what was wrong', () => {
  const table: [string, () => unknown, RegExp][] = [
    ['dirac_ 2-d', () => I.dirac_(nb.zeros([3, 3])), /dirac_: only tensors with 3, 4 or 5 dimensions \(convolution weights\) are supported, got shape \[3, 3\]/],
    ['dirac_ groups', () => I.dirac_(nb.zeros([5, 2, 3]), 2), /dirac_: dim 0 \(5\) must be divisible by groups \(2\)/],
    ['sparse_ 3-d', () => I.sparse_(nb.zeros([2, 3, 4]), 0.1), /sparse_: only 2-d tensors are supported, got shape \[2, 3, 4\]/],
    ['sparse_ sparsity', () => I.sparse_(nb.zeros([2, 3]), 1.5), /sparse_: sparsity must be a fraction in \[0, 1\], got 1.5/],
    ['truncNormal_ bounds', () => I.truncNormal_(nb.zeros([3]), { a: 1, b: -1 }), /truncNormal_: need a < b, got a=1, b=-1/],
    ['truncNormal_ far tail', () => I.truncNormal_(nb.zeros([1000]), { mean: 0, std: 1, a: 12, b: 13 }), /truncNormal_: \[12, 13\] is too far in the tail of N\(0, 1²\)/],
    ['truncNormal_ snake_case', () => I.truncNormal_(nb.zeros([3]), { std_dev: 1 } as never), /truncNormal_: unknown option 'std_dev' \(options: mean, std, a, b\)/],
    ['normal_ option', () => I.normal_(nb.zeros([3]), { sd: 1 } as never), /normal_: unknown option 'sd' \(options: mean, std\)/],
    ['kaiming snake_case', () => I.kaimingNormal_(nb.zeros([3, 3]), { non_linearity: 'relu' } as never), /kaimingNormal_: unknown option 'non_linearity'/],
    ['uniform_ not a number', () => I.uniform_(nb.zeros([3]), { a: '0' as never }), /uniform_: a must be a number, got 0/],
    ['int tensor', () => I.truncNormal_(nb.zeros([3], { dtype: 'int32' })), /truncNormal_: needs a floating-point tensor, got int32/],
  ];
  for (const [what, fn, re] of table) test(what, () => nb.scope(() => { assert.throws(fn, re); }));
});
