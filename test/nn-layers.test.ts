// Every non-recurrent layer against PyTorch (fixtures/layers.json): stateDict keys, outputs, input
// and parameter gradients, running statistics — in float32 and float64 — with PyTorch's weights
// loaded through loadStateDict; then default init statistics, dropout, and input-shape errors.

import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { assertClose, assertShape, TOL, type Tol } from './helpers/allclose.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { gradcheck, gradgradcheck, pseudoRandom } from './helpers/gradcheck.js';

interface FxTensor { shape: number[]; dtype: 'float64' | 'int32'; data: Num[] }
interface Spec { type: string; args?: unknown[]; opts?: Record<string, unknown>; children?: Spec[] }
interface LayerCase {
  name: string; spec: Spec; mode: 'train' | 'eval'; keys: string[]; state: Record<string, FxTensor>;
  inputs: FxTensor[]; out: FxTensor; cotangent: FxTensor; grad_input: FxTensor | null;
  grads: Record<string, FxTensor>; state_after: Record<string, FxTensor>; indices?: FxTensor;
  tol?: Tol;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/layers.json', import.meta.url), 'utf8')) as { torch: string; cases: LayerCase[] };

type Ctor = new (...args: any[]) => nn.Module; // eslint-disable-line @typescript-eslint/no-explicit-any
const LAYERS: Record<string, Ctor> = {
  Linear: nn.Linear, Conv1d: nn.Conv1d, Conv2d: nn.Conv2d, ConvTranspose2d: nn.ConvTranspose2d,
  MaxPool1d: nn.MaxPool1d, MaxPool2d: nn.MaxPool2d, AvgPool1d: nn.AvgPool1d, AvgPool2d: nn.AvgPool2d,
  AdaptiveAvgPool2d: nn.AdaptiveAvgPool2d, BatchNorm1d: nn.BatchNorm1d, BatchNorm2d: nn.BatchNorm2d,
  LayerNorm: nn.LayerNorm, GroupNorm: nn.GroupNorm, Embedding: nn.Embedding, Dropout: nn.Dropout, Dropout2d: nn.Dropout2d,
  ReLU: nn.ReLU, LeakyReLU: nn.LeakyReLU, ELU: nn.ELU, GELU: nn.GELU, SiLU: nn.SiLU, Sigmoid: nn.Sigmoid, Tanh: nn.Tanh,
  Softplus: nn.Softplus, Softmax: nn.Softmax, LogSoftmax: nn.LogSoftmax, Flatten: nn.Flatten, Unflatten: nn.Unflatten, Identity: nn.Identity,
};
/** Layers with parameters or buffers take a dtype option; the others have no options or positional ones. */
const HAS_DTYPE = new Set(['Linear', 'Conv1d', 'Conv2d', 'ConvTranspose2d', 'BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'GroupNorm', 'Embedding']);
/** Layers whose options object PyTorch spells as keywords (Nabla: the options object). */
const OPTS_LAST = new Set([...HAS_DTYPE, 'MaxPool1d', 'MaxPool2d', 'AvgPool1d', 'AvgPool2d', 'GELU', 'Softplus']);

function build(spec: Spec, dtype: 'float32' | 'float64'): nn.Module {
  if (spec.type === 'Sequential') return new nn.Sequential(...spec.children!.map((c) => build(c, dtype)));
  const C = LAYERS[spec.type];
  assert.ok(C, `no layer class for ${spec.type}`);
  const args = [...(spec.args ?? [])];
  if (OPTS_LAST.has(spec.type)) {
    const opts = { ...(spec.opts ?? {}) };
    if (HAS_DTYPE.has(spec.type)) opts.dtype = dtype;
    args.push(opts);
  }
  return new C(...args);
}

function toT(t: FxTensor, dtype: 'float32' | 'float64', requiresGrad = false): nb.Tensor {
  if (t.dtype === 'int32') return nb.tensor(decodeData(t.data, 'int32'), { dtype: 'int32', shape: t.shape });
  return nb.tensor(decodeData(t.data, dtype), { dtype, shape: t.shape, requiresGrad });
}

function check(what: string, got: nb.Tensor | null | undefined, want: FxTensor, tol: Tol): void {
  assert.ok(got, `${what}: missing`);
  assertShape(what, got.shape, want.shape);
  const exact = want.dtype === 'int32';
  assertClose(what, got.dataSync(), decodeData(want.data, exact ? 'int32' : 'float64'), want.shape, exact ? null : tol);
}

const TOLS: Record<'float32' | 'float64', Tol> = { float32: TOL.float32, float64: { rtol: 1e-9, atol: 1e-11 } };

const backends = await testBackends();
after(closeBackends);
// The fixture rows pick their backend; every other test runs on the reference backend.
beforeEach(() => nb.setBackend('js'));

for (const backend of backends) {
  for (const dtype of ['float32', 'float64'] as const) {
    describe(`layers vs PyTorch ${fx.torch} on ${backend} (${dtype})`, () => {
      for (const c of fx.cases) {
        test(c.name, () => {
          nb.setBackend(backend);
          const before = nb.memory();
          const m = build(c.spec, dtype);
          try {
            nb.scope(() => runCase(c, m, dtype));
          } finally {
            // the module's own tensors go too, so anything left over leaked from a forward/backward
            for (const t of Object.values(m.stateDict())) t.dispose();
          }
          const after = nb.memory();
          assert.equal(after.tensors, before.tensors, `${c.name}: ${after.tensors - before.tensors} tensors left alive`);
          assert.equal(after.backends[backend]!.storages, before.backends[backend]!.storages, `${c.name}: ${backend} storages leaked`);
        });
      }
    });
  }
}

function runCase(c: LayerCase, m: nn.Module, dtype: 'float32' | 'float64'): void {
  const tol = c.tol ?? TOLS[dtype];
  assert.deepEqual(Object.keys(m.stateDict()), c.keys, `${c.name}: stateDict keys differ from PyTorch's`);
  const sd: Record<string, nb.Tensor> = {};
  for (const [k, v] of Object.entries(c.state)) sd[k] = toT(v, dtype);
  m.loadStateDict(sd);
  if (c.mode === 'eval') m.eval();
  else m.train();
  let out: unknown, x: nb.Tensor | null = null;
  for (const inp of c.inputs) {
    x = toT(inp, dtype, inp.dtype !== 'int32');
    out = m.forward(x);
  }
  let y: nb.Tensor;
  if (c.indices) {
    const r = out as { values: nb.Tensor; indices: nb.Tensor };
    check(`${c.name} indices`, r.indices, c.indices, tol);
    y = r.values;
  } else y = out as nb.Tensor;
  assert.equal(y.dtype, dtype, `${c.name}: output dtype`);
  check(`${c.name} output`, y, c.out, tol);
  y.mul(toT(c.cotangent, dtype)).sum().backward();
  if (c.grad_input) check(`${c.name} input grad`, x!.grad, c.grad_input, tol);
  const params = new Map(m.namedParameters());
  assert.deepEqual([...params.keys()].sort(), Object.keys(c.grads).sort(), `${c.name}: parameter names`);
  for (const [k, g] of Object.entries(c.grads)) check(`${c.name} grad of ${k}`, params.get(k)!.grad, g, tol);
  const after = m.stateDict();
  for (const [k, v] of Object.entries(c.state_after)) check(`${c.name} ${k} after`, after[k], v, tol);
}

/** Sample mean and standard deviation. */
function stats(a: ArrayLike<number>): { min: number; max: number; mean: number; std: number } {
  let min = Infinity, max = -Infinity, s = 0, s2 = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    min = Math.min(min, v);
    max = Math.max(max, v);
    s += v;
    s2 += v * v;
  }
  const mean = s / a.length;
  return { min, max, mean, std: Math.sqrt(s2 / a.length - mean * mean) };
}

/**
 * Checks samples of U(−b, b): all inside, the extremes within 1% of ±b (for n ≥ 10⁴ the chance of
 * missing the top 1% is (0.995)^n < 1e-21), the std within 3% of b/√3 (its relative standard
 * error is about 0.9/√n < 1% here) and the mean within 5 standard errors of 0.
 */
function assertUniform(what: string, a: ArrayLike<number>, b: number): void {
  const s = stats(a);
  assert.ok(s.min >= -b && s.max <= b, `${what}: values [${s.min}, ${s.max}] leave [−${b}, ${b}]`);
  assert.ok(s.max > 0.99 * b && s.min < -0.99 * b, `${what}: extremes ${s.min}, ${s.max} do not reach ±${b}`);
  assert.ok(Math.abs(s.std / (b / Math.sqrt(3)) - 1) < 0.03, `${what}: std ${s.std}, expected ${b / Math.sqrt(3)}`);
  assert.ok(Math.abs(s.mean) < (5 * b) / Math.sqrt(3 * a.length), `${what}: mean ${s.mean}, expected 0`);
}

/** N(0, σ²) samples: std within 3%, mean within 5 standard errors (σ/√n). */
function assertNormal(what: string, a: ArrayLike<number>, sigma: number, mu = 0): void {
  const s = stats(a);
  assert.ok(Math.abs(s.std / sigma - 1) < 0.03, `${what}: std ${s.std}, expected ${sigma}`);
  assert.ok(Math.abs(s.mean - mu) < (5 * sigma) / Math.sqrt(a.length), `${what}: mean ${s.mean}, expected ${mu}`);
}

describe('default initialisation matches PyTorch', () => {
  // Linear and conv: kaiming_uniform_(a=√5) ⇒ gain √(2/(1+5)) = 1/√3, bound = gain·√(3/fanIn) = 1/√fanIn;
  // the bias is U(−1/√fanIn, 1/√fanIn). fanIn = weight.size(1)·∏kernel (for ConvTranspose2d,
  // size(1) is outChannels/groups, as PyTorch computes it from the weight).
  const cases: [string, () => nn.Module & { weight: nn.Parameter; bias: nn.Parameter | null }, number][] = [
    ['Linear(400, 300)', () => new nn.Linear(400, 300), 400],
    ['Conv1d(64, 128, 5)', () => new nn.Conv1d(64, 128, 5), 64 * 5],
    ['Conv2d(32, 64, 3)', () => new nn.Conv2d(32, 64, 3), 32 * 9],
    ['Conv2d(32, 64, 3, groups 4)', () => new nn.Conv2d(32, 64, 3, { groups: 4 }), 8 * 9],
    ['ConvTranspose2d(64, 32, 3)', () => new nn.ConvTranspose2d(64, 32, 3), 32 * 9],
  ];
  for (const [name, make, fanIn] of cases) {
    test(name, () => {
      nb.manualSeed(7);
      const m = make();
      assertUniform(`${name} weight`, m.weight.dataSync(), 1 / Math.sqrt(fanIn));
      // the bias has few elements: only the bounds are checked
      const b = stats(m.bias!.dataSync());
      assert.ok(b.min >= -1 / Math.sqrt(fanIn) && b.max <= 1 / Math.sqrt(fanIn), `${name} bias out of bounds`);
      assert.ok(b.std > 0, `${name} bias is constant`);
    });
  }
  test('a bias of 20000 elements is U(−1/√fanIn, 1/√fanIn)', () => {
    const m = new nn.Linear(16, 20000);
    assertUniform('Linear(16, 20000) bias', m.bias!.dataSync(), 1 / 4);
  });
  test('Embedding: N(0, 1), the padding row zero', () => {
    const m = new nn.Embedding(1000, 32, { paddingIdx: 3 });
    const w = m.weight.dataSync();
    assert.deepEqual([...w.slice(3 * 32, 4 * 32)], new Array(32).fill(0));
    assertNormal('Embedding weight', [...w.slice(0, 3 * 32), ...w.slice(4 * 32)], 1);
  });
  test('norm layers: weight 1, bias 0, running mean 0, var 1, count 0 (int32)', () => {
    for (const m of [new nn.BatchNorm2d(3), new nn.BatchNorm1d(3), new nn.LayerNorm([3]), new nn.GroupNorm(1, 3)]) {
      const sd = m.stateDict();
      assert.deepEqual([...sd.weight!.dataSync()], [1, 1, 1], `${m.constructor.name} weight`);
      assert.deepEqual([...sd.bias!.dataSync()], [0, 0, 0], `${m.constructor.name} bias`);
      if (m instanceof nn.BatchNorm2d || m instanceof nn.BatchNorm1d) {
        assert.deepEqual([...sd.running_mean!.dataSync()], [0, 0, 0]);
        assert.deepEqual([...sd.running_var!.dataSync()], [1, 1, 1]);
        assert.equal(sd.num_batches_tracked!.dtype, 'int32');
        assert.deepEqual(sd.num_batches_tracked!.shape, []);
        assert.equal(sd.num_batches_tracked!.item(), 0);
      }
    }
  });
  test('the same seed gives the same weights', () => {
    nb.manualSeed(11);
    const a = new nn.Conv2d(3, 8, 3).weight.dataSync();
    nb.manualSeed(11);
    const b = new nn.Conv2d(3, 8, 3).weight.dataSync();
    assert.deepEqual(a, b);
  });
  test('float64 layers have float64 parameters and buffers', () => {
    const m = new nn.Sequential(new nn.Linear(3, 4, { dtype: 'float64' }), new nn.BatchNorm1d(4, { dtype: 'float64' }));
    for (const [k, t] of Object.entries(m.stateDict())) assert.equal(t.dtype, k.endsWith('num_batches_tracked') ? 'int32' : 'float64', k);
  });
});

describe('nn.init', () => {
  test('calculateGain (PyTorch: 1, 5/3, √2, √(2/(1+slope²)), 3/4)', () => {
    const I = nn.init;
    assert.equal(I.calculateGain('linear'), 1);
    assert.equal(I.calculateGain('conv2d'), 1);
    assert.equal(I.calculateGain('sigmoid'), 1);
    assert.equal(I.calculateGain('tanh'), 5 / 3);
    assert.equal(I.calculateGain('relu'), Math.SQRT2);
    assert.equal(I.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(I.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    assert.equal(I.calculateGain('selu'), 0.75);
    assert.throws(() => I.calculateGain('swish' as never), /calculateGain: unsupported nonlinearity 'swish'/);
  });
  test('fan in/out: size(1)·receptive, size(0)·receptive; refused below 2-D', () => {
    assert.deepEqual(nn.init.calculateFanInAndFanOut(nb.zeros([8, 3, 5, 5])), [75, 200]);
    assert.deepEqual(nn.init.calculateFanInAndFanOut(nb.zeros([10, 4])), [4, 10]);
    assert.throws(() => nn.init.xavierUniform_(nb.zeros([5])), /xavierUniform_: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions \(got shape \[5\]\)/);
  });
  const W = (): nb.Tensor => nb.zeros([200, 300]);
  // fanIn 300, fanOut 200
  test('xavierUniform_: U(±gain·√(6/(in+out)))', () => assertUniform('xavierUniform_', nn.init.xavierUniform_(W(), 2).dataSync(), 2 * Math.sqrt(6 / 500)));
  test('xavierNormal_: std gain·√(2/(in+out))', () => assertNormal('xavierNormal_', nn.init.xavierNormal_(W(), 0.5).dataSync(), 0.5 * Math.sqrt(2 / 500)));
  test('kaimingUniform_ default (leaky_relu a=0 ⇒ gain √2, fanIn): U(±√(6/fanIn))', () =>
    assertUniform('kaimingUniform_', nn.init.kaimingUniform_(W()).dataSync(), Math.sqrt(6 / 300)));
  test('kaimingUniform_ a=√5: U(±1/√fanIn)', () =>
    assertUniform('kaimingUniform_ a=√5', nn.init.kaimingUniform_(W(), { a: Math.sqrt(5) }).dataSync(), 1 / Math.sqrt(300)));
  test('kaimingNormal_ fanOut relu: std √2/√fanOut', () =>
    assertNormal('kaimingNormal_', nn.init.kaimingNormal_(W(), { mode: 'fanOut', nonlinearity: 'relu' }).dataSync(), Math.SQRT2 / Math.sqrt(200)));
  test('kaimingNormal_ on a conv weight: fanIn = cIn·k²', () =>
    assertNormal('kaimingNormal_ conv', nn.init.kaimingNormal_(nb.zeros([64, 16, 3, 3]), { nonlinearity: 'relu' }).dataSync(), Math.SQRT2 / Math.sqrt(16 * 9)));
  test("kaiming mode 'fan_in'/'fan_out' (PyTorch's spelling) is accepted; others refused", () => {
    assertNormal('kaimingNormal_ fan_out', nn.init.kaimingNormal_(W(), { mode: 'fan_out', nonlinearity: 'linear' }).dataSync(), 1 / Math.sqrt(200));
    assert.throws(() => nn.init.kaimingNormal_(W(), { mode: 'fanAvg' as never }), /kaimingNormal_: mode must be 'fanIn' or 'fanOut', got 'fanAvg'/);
  });
  test('normal_, uniform_, constant_, zeros_, ones_, eye_', () => {
    assertNormal('normal_', nn.init.normal_(W(), 3, 0.5).dataSync(), 0.5, 3);
    const u = stats(nn.init.uniform_(W(), 2, 5).dataSync());
    assert.ok(u.min >= 2 && u.max < 5 && u.min < 2.01 && u.max > 4.99, `uniform_ range [${u.min}, ${u.max}]`);
    assert.deepEqual([...nn.init.constant_(nb.zeros([2, 2]), 0.25).dataSync()], [0.25, 0.25, 0.25, 0.25]);
    assert.deepEqual([...nn.init.ones_(nb.zeros([3])).dataSync()], [1, 1, 1]);
    assert.deepEqual([...nn.init.zeros_(nb.ones([3])).dataSync()], [0, 0, 0]);
    assert.deepEqual(nn.init.eye_(nb.zeros([2, 3])).toArray(), [[1, 0, 0], [0, 1, 0]]);
  });
  test('init runs in place on a Parameter, records no graph, keeps the object', () => {
    const lin = new nn.Linear(4, 3);
    const w = lin.weight;
    nn.init.xavierUniform_(lin.weight);
    assert.equal(lin.weight, w);
    assert.equal(w.requiresGrad, true);
    assert.equal(w.gradFn ?? null, null);
  });
  for (const [rows, cols] of [[6, 4], [4, 6], [5, 5]] as const) {
    test(`orthogonal_ ${rows}×${cols}: W·Wᵀ = gain²·I (rows ≤ cols) or Wᵀ·W = gain²·I`, () => {
      const w = nn.init.orthogonal_(nb.zeros([rows, cols], { dtype: 'float64' }), 2);
      const g = rows <= cols ? w.matmul(w.t()) : w.t().matmul(w);
      const n = Math.min(rows, cols);
      const eye = new Float64Array(n * n);
      for (let i = 0; i < n; i++) eye[i * n + i] = 4;
      assertClose('orthogonal', g.dataSync(), eye, [n, n], { rtol: 0, atol: 1e-12 });
    });
  }
  test('orthogonal_ of a conv weight flattens trailing dims', () => {
    const w = nn.init.orthogonal_(nb.zeros([4, 2, 3, 3]));
    const f = w.reshape([4, 18]);
    const eye = new Float32Array(16);
    for (let i = 0; i < 4; i++) eye[i * 4 + i] = 1;
    assertClose('orthogonal conv', f.matmul(f.t()).dataSync(), eye, [4, 4], { rtol: 0, atol: 1e-5 });
  });
});

describe('dropout', () => {
  test('Dropout(p): zeros ≈ p, survivors scaled by 1/(1−p), identity in eval', () => {
    nb.manualSeed(3);
    const d = new nn.Dropout(0.3);
    const x = nb.ones([200, 100]);
    const y = d.forward(x).dataSync();
    let zeros = 0;
    for (const v of y) {
      if (v === 0) zeros++;
      else assert.ok(Math.abs(v - 1 / 0.7) < 1e-6, `kept value ${v}, expected 1/0.7`);
    }
    // zeros ~ Binomial(20000, 0.3): sd = √(20000·0.3·0.7) ≈ 65; allow 5 sd
    assert.ok(Math.abs(zeros - 6000) < 5 * 65, `${zeros} zeros, expected ≈ 6000`);
    d.eval();
    assert.deepEqual(d.forward(x).dataSync(), x.dataSync());
  });
  test('Dropout: the same seed gives the same mask; p = 0 and p = 1', () => {
    const x = nb.ones([50]);
    nb.manualSeed(5);
    const a = new nn.Dropout().forward(x).dataSync();
    nb.manualSeed(5);
    const b = new nn.Dropout({ p: 0.5 }).forward(x).dataSync();
    assert.deepEqual(a, b);
    assert.deepEqual([...new nn.Dropout(0).forward(x).dataSync()], new Array(50).fill(1));
    assert.deepEqual([...new nn.Dropout(1).forward(x).dataSync()], new Array(50).fill(0));
    assert.throws(() => new nn.Dropout(1.5), /Dropout: dropout probability must be in \[0, 1\], got 1.5/);
  });
  test('Dropout2d zeroes whole channels (one draw per sample and channel)', () => {
    nb.manualSeed(9);
    const d = new nn.Dropout2d(0.5);
    const [N, C, H, W] = [40, 25, 3, 4];
    const y = d.forward(nb.ones([N, C, H, W])).dataSync();
    let dropped = 0;
    for (let p = 0; p < N * C; p++) {
      const plane = y.slice(p * H * W, (p + 1) * H * W);
      const v = plane[0]!;
      assert.ok(v === 0 || Math.abs(v - 2) < 1e-6, `channel value ${v}`);
      assert.ok(plane.every((e) => e === v), `channel ${p} is not uniform`);
      if (v === 0) dropped++;
    }
    // Binomial(1000, 0.5): sd ≈ 15.8
    assert.ok(Math.abs(dropped - 500) < 80, `${dropped} of 1000 channels dropped`);
    d.eval();
    assert.deepEqual([...d.forward(nb.ones([1, 2, 2, 2])).dataSync()], new Array(8).fill(1));
  });
  test('gradient flows only through kept elements, scaled', () => {
    nb.manualSeed(1);
    const x = nb.ones([1000], { requiresGrad: true });
    const y = new nn.Dropout(0.25).forward(x);
    y.sum().backward();
    const yv = y.dataSync(), g = x.grad!.dataSync();
    for (let i = 0; i < 1000; i++) assert.equal(g[i], yv[i] === 0 ? 0 : Math.fround(1 / 0.75));
  });
});

describe('train() and eval() change batch norm as in PyTorch', () => {
  test('BatchNorm2d: train normalises with batch statistics and moves the running ones; eval uses them', () => {
    const bn = new nn.BatchNorm2d(2);
    const x = nb.randn([4, 2, 3, 3]).mul(3).add(5);
    const y = bn.forward(x);
    // batch statistics: each channel of y has mean 0 and (biased) variance 1/(1+eps/var) ≈ 1
    const m = y.mean([0, 2, 3]).dataSync();
    for (const v of m) assert.ok(Math.abs(v) < 1e-5);
    assert.equal(bn.getBuffer('num_batches_tracked')!.item(), 1);
    bn.eval();
    const before = bn.getBuffer('running_mean')!.dataSync();
    const z = bn.forward(x);
    assert.deepEqual(bn.getBuffer('running_mean')!.dataSync(), before, 'eval must not move the running mean');
    assert.equal(bn.getBuffer('num_batches_tracked')!.item(), 1);
    assert.ok(Math.abs(z.mean().item()) > 1, 'eval output uses the running statistics, not the batch ones');
  });
  test('a single value per channel is refused in training, accepted in eval', () => {
    const bn = new nn.BatchNorm1d(3);
    assert.throws(() => bn.forward(nb.zeros([1, 3])), /BatchNorm1d\(3\): expected more than 1 value per channel when training, got input \[1, 3\]/);
    bn.eval();
    assert.deepEqual(bn.forward(nb.zeros([1, 3])).shape, [1, 3]);
  });
  test('running statistics survive stateDict → loadStateDict', () => {
    const a = new nn.BatchNorm1d(2);
    a.forward(nb.tensor([[1, 2], [3, 7], [5, 0]], { dtype: 'float32' }));
    const b = new nn.BatchNorm1d(2);
    b.loadStateDict(a.stateDict());
    assert.deepEqual(b.getBuffer('running_mean')!.dataSync(), a.getBuffer('running_mean')!.dataSync());
    assert.equal(b.getBuffer('num_batches_tracked')!.item(), 1);
  });
});

describe('bad input names the layer, what it expected and what it got', () => {
  const rows: [string, () => unknown, string][] = [
    ['Conv2d on a flat batch', () => new nn.Conv2d(1, 32, 3).forward(nb.zeros([64, 784])), 'Conv2d(1→32): expected input [N, 1, H, W], got [64, 784]'],
    ['Conv2d wrong channels', () => new nn.Conv2d(3, 8, 3).forward(nb.zeros([2, 1, 8, 8])), 'Conv2d(3→8): expected input [N, 3, H, W], got [2, 1, 8, 8]'],
    ['Conv1d', () => new nn.Conv1d(4, 8, 3).forward(nb.zeros([2, 3, 10])), 'Conv1d(4→8): expected input [N, 4, L], got [2, 3, 10]'],
    ['ConvTranspose2d', () => new nn.ConvTranspose2d(4, 2, 3).forward(nb.zeros([2, 8, 8, 8])), 'ConvTranspose2d(4→2): expected input [N, 4, H, W], got [2, 8, 8, 8]'],
    ['Linear', () => new nn.Linear(784, 10).forward(nb.zeros([64, 28, 28])), 'Linear(784→10): expected input [..., 784], got [64, 28, 28]'],
    ['BatchNorm2d', () => new nn.BatchNorm2d(16).forward(nb.zeros([8, 16])), 'BatchNorm2d(16): expected input [N, 16, H, W], got [8, 16]'],
    ['BatchNorm1d', () => new nn.BatchNorm1d(16).forward(nb.zeros([8, 10])), 'BatchNorm1d(16): expected input [N, 16] or [N, 16, L], got [8, 10]'],
    ['LayerNorm', () => new nn.LayerNorm([3, 5]).forward(nb.zeros([2, 5, 3])), 'LayerNorm([3, 5]): expected input [*, 3, 5], got [2, 5, 3]'],
    ['GroupNorm', () => new nn.GroupNorm(2, 4).forward(nb.zeros([2, 6, 3])), 'GroupNorm(2, 4): expected input [N, 4, *], got [2, 6, 3]'],
    ['MaxPool2d', () => new nn.MaxPool2d(2).forward(nb.zeros([64, 784])), 'MaxPool2d(2): expected input [N, C, H, W] or [C, H, W], got [64, 784]'],
    ['AvgPool1d', () => new nn.AvgPool1d(2).forward(nb.zeros([4])), 'AvgPool1d(2): expected input [N, C, L] or [C, L], got [4]'],
    ['AdaptiveAvgPool2d', () => new nn.AdaptiveAvgPool2d(1).forward(nb.zeros([2, 3])), 'AdaptiveAvgPool2d(1): expected input [N, C, H, W] or [C, H, W], got [2, 3]'],
    ['Flatten', () => new nn.Flatten().forward(nb.zeros([64])), 'Flatten(1, -1): expected input with at least 2 dims, got [64]'],
    ['Unflatten', () => new nn.Unflatten(1, [2, 3]).forward(nb.zeros([4, 7])), 'Unflatten(1, [2, 3]): dim 1 of the input has size 7, which does not split into [2, 3] (input [4, 7])'],
    ['Embedding float indices', () => new nn.Embedding(10, 3).forward(nb.zeros([2])), 'Embedding(10, 3): expected int32 indices, got float32 (shape [2])'],
    ['Embedding index out of range', () => new nn.Embedding(10, 3).forward(nb.tensor([1, 12])), 'Embedding(10, 3): embedding: index 12 is out of range for an embedding of 10 rows'],
    ['Dropout2d', () => new nn.Dropout2d().forward(nb.zeros([3, 4])), 'Dropout2d(p=0.5): expected input [N, C, H, W] or [N, C, L], got [3, 4]'],
    ['Linear on int input', () => new nn.Linear(2, 2).forward(nb.tensor([[1, 2]])), 'Linear(2→2): expected a floating-point input, got int32'],
    ['GroupNorm groups', () => new nn.GroupNorm(3, 4), 'GroupNorm: numChannels 4 must be divisible by numGroups 3'],
    ['Conv2d groups', () => new nn.Conv2d(4, 6, 3, { groups: 4 }), 'Conv2d: outChannels 6 must be divisible by groups 4'],
    ['Conv2d same + stride', () => new nn.Conv2d(1, 1, 3, { padding: 'same', stride: 2 }), "Conv2d: padding='same' is not supported for strided convolutions"],
    ['Linear sizes', () => new nn.Linear(-1, 3), 'Linear: inFeatures must be an integer ≥ 0, got -1'],
    ['BatchNorm momentum', () => new nn.BatchNorm2d(3, { momentum: 2 }), 'BatchNorm2d: momentum must be in [0, 1] or null, got 2'],
    ['Embedding paddingIdx', () => new nn.Embedding(5, 2, { paddingIdx: 5 }), 'Embedding: paddingIdx must be within [-5, 4], got 5'],
    ['ConvTranspose2d outputSize', () => new nn.ConvTranspose2d(1, 1, 3, { stride: 2 }).forward(nb.zeros([1, 1, 4, 4]), [20, 20]),
      'ConvTranspose2d(1→1): requested output size [20, 20] is not reachable from input [1, 1, 4, 4]: the spatial size must be between [9, 9] and [10, 10]'],
  ];
  for (const [name, fn, msg] of rows) {
    test(name, () => assert.throws(fn, (e: Error) => {
      assert.equal(e.message, msg);
      return true;
    }));
  }
});

describe('layer behaviour beyond the fixtures', () => {
  test('ConvTranspose2d(outputSize) picks the outputPadding (PyTorch: 4×4, stride 2, k 3 → 9 or 10)', () => {
    const m = new nn.ConvTranspose2d(1, 2, 3, { stride: 2 });
    assert.deepEqual(m.forward(nb.zeros([1, 1, 4, 4])).shape, [1, 2, 9, 9]);
    assert.deepEqual(m.forward(nb.zeros([1, 1, 4, 4]), [10, 9]).shape, [1, 2, 10, 9]);
  });
  test('Embedding paddingIdx row gets no gradient', () => {
    const e = new nn.Embedding(4, 2, { paddingIdx: 1 });
    e.forward(nb.tensor([1, 1, 2])).sum().backward();
    assert.deepEqual(e.weight.grad!.toArray(), [[0, 0], [0, 0], [1, 1], [0, 0]]);
  });
  test('LayerNorm {bias: false} (PyTorch ≥ 2.1) has only a weight', () => {
    assert.deepEqual(Object.keys(new nn.LayerNorm(4, { bias: false }).stateDict()), ['weight']);
  });
  test('Embedding.fromPretrained copies the table and freezes it unless asked', () => {
    const w = nb.tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float32' });
    const e = nn.Embedding.fromPretrained(w);
    assert.deepEqual(e.forward(nb.tensor([2, 0])).toArray(), [[5, 6], [1, 2]]);
    assert.equal(e.weight.requiresGrad, false);
    assert.equal(nn.Embedding.fromPretrained(w, { freeze: false }).weight.requiresGrad, true);
    w.dispose();
    assert.deepEqual(e.weight.toArray(), [[1, 2], [3, 4], [5, 6]], 'a copy, not a view of the source');
  });
  test('Identity returns the input values and passes the gradient', () => {
    const x = nb.tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    const y = new nn.Identity(54, { unused: true }).forward(x);
    assert.deepEqual(y.toArray(), [1, 2, 3]);
    y.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [1, 1, 1]);
  });
  test('Softmax without dim takes PyTorch’s legacy implicit dim (1 for 2-D, 0 for 3-D)', () => {
    const x = nb.tensor([[1, 2], [3, 5]], { dtype: 'float32' });
    assertClose('softmax implicit', new nn.Softmax().forward(x).dataSync(), nb.softmax(x, 1).dataSync(), [2, 2], TOL.float32);
    const x3 = nb.randn([2, 3, 4]);
    assertClose('softmax implicit 3-D', new nn.Softmax().forward(x3).dataSync(), nb.softmax(x3, 0).dataSync(), [2, 3, 4], TOL.float32);
  });
  test('layers run inside scope without leaking, parameters survive', () => {
    const m = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU(), new nn.Flatten(), new nn.Linear(2 * 4 * 4, 3), new nn.LayerNorm(3));
    const x = nb.randn([2, 1, 6, 6]);
    const before = nb.memory().tensors;
    for (let i = 0; i < 3; i++) {
      nb.scope(() => {
        (m.forward(x) as nb.Tensor).sum().backward();
        m.zeroGrad();
      });
    }
    assert.equal(nb.memory().tensors, before);
  });
});

describe('composite layers: float64 gradcheck, first and second order (gradients of gradients)', () => {
  const W = (shape: number[], seed: number): nb.Tensor => nb.tensor(pseudoRandom(shape.reduce((a, b) => a * b, 1), seed), { dtype: 'float64', shape });
  const rows: [string, () => nn.Module, number[]][] = [
    ['BatchNorm2d train', () => new nn.BatchNorm2d(2, { dtype: 'float64' }), [3, 2, 2, 2]],
    ['BatchNorm1d eval', () => new nn.BatchNorm1d(3, { dtype: 'float64' }).eval(), [4, 3]],
    ['LayerNorm([2, 3])', () => new nn.LayerNorm([2, 3], { dtype: 'float64' }), [2, 2, 3]],
    ['GroupNorm(2, 4)', () => new nn.GroupNorm(2, 4, { dtype: 'float64' }), [2, 4, 3]],
    ['Conv2d → GELU', () => new nn.Sequential(new nn.Conv2d(2, 2, 3, { padding: 1, dtype: 'float64' }), new nn.GELU()), [1, 2, 3, 3]],
  ];
  for (const [name, make, shape] of rows) {
    test(name, () => {
      nb.setBackend('js');
      const m = make();
      // non-trivial affine parameters, so they enter the derivatives
      for (const [i, p] of m.parameters().entries()) nb.noGrad(() => p._assign(W([...p.shape], 40 + i).add(0.5)));
      const cot = W(shape, 99);
      const f = (x: nb.Tensor): nb.Tensor => (m.forward(x) as nb.Tensor).mul(cot).sum();
      const x = W(shape, 3);
      gradcheck(name, f, [x]);
      gradgradcheck(name, f, [x]);
    });
  }
});
