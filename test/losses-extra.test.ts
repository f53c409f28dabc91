// The margin, embedding and likelihood losses against PyTorch (fixtures/losses-extra.json): every
// loss × reduction × option, values and gradients in float32 and float64 on every backend, a float64
// finite-difference gradcheck of each case, the nn modules, and the error messages.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { gradcheck } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const { F, nn } = nb;

interface FxTensor { shape: number[]; dtype: 'float64' | 'int32'; data: Num[] }
interface LossCase {
  name: string; fn: string; args: FxTensor[]; kwargs: Record<string, unknown>; options: Record<string, FxTensor>;
  out: FxTensor; cotangent: FxTensor; grads: (FxTensor | null)[]; gradcheck: boolean;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/losses-extra.json', import.meta.url), 'utf8')) as { cases: LossCase[] };

type LossFn = (args: nb.Tensor[], opts: Record<string, unknown>) => nb.Tensor;
/** PyTorch's functional name → ours, called through nb.F as a user would. */
const FNS: Record<string, LossFn> = {
  margin_ranking_loss: ([a, b, y], o) => F.marginRankingLoss(a!, b!, y!, o),
  hinge_embedding_loss: ([x, y], o) => F.hingeEmbeddingLoss(x!, y!, o),
  triplet_margin_loss: ([a, p, n], o) => F.tripletMarginLoss(a!, p!, n!, o),
  multi_margin_loss: ([x, t], o) => F.multiMarginLoss(x!, t!, o as nb.F.MultiMarginOptions),
  multilabel_soft_margin_loss: ([x, y], o) => F.multiLabelSoftMarginLoss(x!, y!, o),
  poisson_nll_loss: ([x, y], o) => F.poissonNllLoss(x!, y!, o),
  gaussian_nll_loss: ([x, y, v], o) => F.gaussianNllLoss(x!, y!, v!, o),
};

const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function toT(t: FxTensor, dtype: 'float32' | 'float64', requiresGrad = false): nb.Tensor {
  if (t.dtype === 'int32') return nb.tensor(decodeData(t.data, 'int32'), { dtype: 'int32', shape: t.shape });
  return nb.tensor(decodeData(t.data, dtype), { dtype, shape: t.shape, requiresGrad });
}

function options(c: LossCase, dtype: 'float32' | 'float64'): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.kwargs)) o[camel(k)] = v === 'inf' ? Infinity : v;
  for (const [k, v] of Object.entries(c.options)) o[camel(k)] = toT(v, dtype);
  return o;
}

const TOLS = { float32: TOL.float32, float64: { rtol: 1e-10, atol: 1e-12 } };

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) for (const dtype of ['float32', 'float64'] as const) {
  describe(`margin and likelihood losses vs PyTorch (${dtype}) on ${backend}`, () => {
    for (const c of fx.cases) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => {
          const args = c.args.map((a, i) => toT(a, dtype, c.grads[i] !== null));
          const out = FNS[c.fn]!(args, options(c, dtype));
          assertShape(`${c.name} value`, out.shape, c.out.shape);
          assert.equal(out.dtype, dtype);
          assertClose(`${c.name} value`, out.dataSync(), decodeData(c.out.data, 'float64'), c.out.shape, TOLS[dtype]);
          out.mul(toT(c.cotangent, dtype)).sum().backward();
          c.grads.forEach((g, i) => {
            if (!g) return;
            const got = args[i]!.grad;
            assert.ok(got, `${c.name}: no gradient for argument ${i}`);
            assertShape(`${c.name} grad ${i}`, got.shape, g.shape);
            assertClose(`${c.name} grad of argument ${i}`, got.dataSync(), decodeData(g.data, 'float64'), g.shape, TOLS[dtype]);
          });
        });
      });
    }
  });
}

// The backward rules are compositions of ops whose kernels every backend shares a test for, and the
// gradients are compared with PyTorch's on every backend above; the finite-difference check of the
// rules themselves runs once, on the reference backend.
describe('margin and likelihood losses: float64 gradcheck (central differences) on js', () => {
  for (const c of fx.cases.filter((k) => k.gradcheck)) {
    test(c.name, () => {
      nb.setBackend('js');
      const which = c.grads.map((g, i) => (g ? i : -1)).filter((i) => i >= 0);
      const fixed = c.args.map((a) => nb.keep(toT(a, 'float64')));
      const opts = options(c, 'float64');
      const cot = nb.keep(toT(c.cotangent, 'float64'));
      const f = (...xs: nb.Tensor[]): nb.Tensor => {
        const args = fixed.map((a, i) => (which.includes(i) ? xs[which.indexOf(i)]! : a));
        return FNS[c.fn]!(args, opts).mul(cot).sum();
      };
      try {
        gradcheck(c.name, f, which.map((i) => fixed[i]!), { maxElems: 24 });
      } finally {
        for (const t of [...fixed, cot]) t.dispose();
        for (const v of Object.values(opts)) if (v instanceof nb.Tensor) v.dispose();
      }
    });
  }
});

test('the fixture file covers every loss, every reduction and the options', () => {
  const fns = new Set(fx.cases.map((c) => c.fn));
  assert.deepEqual([...fns].sort(), Object.keys(FNS).sort());
  for (const fn of fns) {
    const reds = new Set(fx.cases.filter((c) => c.fn === fn).map((c) => c.kwargs.reduction));
    for (const r of ['mean', 'sum', 'none']) assert.ok(reds.has(r), `${fn}: no case with reduction '${r}'`);
  }
  const names = fx.cases.map((c) => c.name).join(' ');
  for (const opt of ['margin=', 'swap', 'p=1', 'p=inf', 'eps=', 'weight', 'weight[N,C]', 'logInput=false', 'full', 'var[N]', 'var[N,1]', '1d', 'broadcast', 'other-targets']) {
    assert.ok(names.includes(opt), `no case exercises ${opt}`);
  }
});

describe('the loss modules call the functional forms with their options (PyTorch defaults)', () => {
  const x = () => nb.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]);
  const y = () => nb.tensor([[0, 1, 1], [1, 0, 0]], { dtype: 'float32' });
  const pm = () => nb.tensor([[1, -1, 1], [-1, -1, 1]], { dtype: 'float32' });
  const cls = () => nb.tensor([2, 0], { dtype: 'int32' });
  const w = () => nb.tensor([0.5, 1, 2]);
  const cases: [string, () => nb.Tensor, () => nb.Tensor][] = [
    ['MarginRankingLoss', () => new nn.MarginRankingLoss({ margin: 0.3 }).forward(x(), y(), pm()), () => F.marginRankingLoss(x(), y(), pm(), { margin: 0.3 })],
    ['HingeEmbeddingLoss', () => new nn.HingeEmbeddingLoss({ reduction: 'sum' }).forward(x(), pm()), () => F.hingeEmbeddingLoss(x(), pm(), { margin: 1, reduction: 'sum' })],
    ['TripletMarginLoss', () => new nn.TripletMarginLoss({ swap: true, p: 1 }).forward(x(), y(), pm()),
      () => F.tripletMarginLoss(x(), y(), pm(), { margin: 1, p: 1, eps: 1e-6, swap: true })],
    ['MultiMarginLoss', () => new nn.MultiMarginLoss({ p: 2, weight: w() }).forward(x(), cls()), () => F.multiMarginLoss(x(), cls(), { p: 2, margin: 1, weight: w() })],
    ['MultiLabelSoftMarginLoss', () => new nn.MultiLabelSoftMarginLoss({ weight: w(), reduction: 'none' }).forward(x(), y()),
      () => F.multiLabelSoftMarginLoss(x(), y(), { weight: w(), reduction: 'none' })],
    ['PoissonNLLLoss', () => new nn.PoissonNLLLoss({ full: true }).forward(x(), y().mul(3)), () => F.poissonNllLoss(x(), y().mul(3), { logInput: true, full: true, eps: 1e-8 })],
    ['GaussianNLLLoss', () => new nn.GaussianNLLLoss({ eps: 0.3 }).forward(x(), y(), y().add(0.1)), () => F.gaussianNllLoss(x(), y(), y().add(0.1), { full: false, eps: 0.3 })],
  ];
  for (const [name, viaModule, viaFn] of cases) {
    test(name, () => nb.scope(() => {
      const a = viaModule(), b = viaFn();
      assertClose(name, a.dataSync(), b.dataSync(), b.shape, { rtol: 0, atol: 0 });
    }));
  }
  test('class weights are buffers under PyTorch\'s name', () => nb.scope(() => {
    assert.deepEqual(Object.keys(new nn.MultiMarginLoss({ weight: w() }).stateDict()), ['weight']);
    assert.deepEqual(Object.keys(new nn.MultiLabelSoftMarginLoss({ weight: w() }).stateDict()), ['weight']);
    assert.deepEqual(Object.keys(new nn.MultiMarginLoss().stateDict()), []);
  }));
});

describe('errors say what was wrong', () => {
  const z = (...s: number[]) => nb.zeros(s);
  const table: [string, () => unknown, RegExp][] = [
    ['snake_case option', () => F.poissonNllLoss(z(2), z(2), { log_input: false } as never),
      /poissonNllLoss: unknown option 'log_input' — did you mean 'logInput'\?/],
    ['snake_case in a module', () => new nn.PoissonNLLLoss({ log_input: false } as never), /PoissonNLLLoss: unknown option 'log_input' — did you mean 'logInput'\?/],
    ['unknown option', () => F.tripletMarginLoss(z(2, 3), z(2, 3), z(2, 3), { distance: 'cos' } as never), /tripletMarginLoss: unknown option 'distance' \(options: margin, p, eps, swap, reduction\)/],
    ['reduction', () => F.hingeEmbeddingLoss(z(2), z(2), { reduction: 'avg' as 'mean' }), /hingeEmbeddingLoss: reduction must be 'mean', 'sum' or 'none', got 'avg'/],
    ['ranking dims', () => F.marginRankingLoss(z(4, 1), z(4), z(4)), /marginRankingLoss: all inputs must have the same number of dims, got input1 \[4, 1\], input2 \[4\], target \[4\]/],
    ['hinge shapes', () => F.hingeEmbeddingLoss(z(4, 1), z(4)), /hingeEmbeddingLoss: input \[4, 1\] and target \[4\] have different shapes/],
    ['triplet dims', () => F.tripletMarginLoss(z(2, 3), z(3), z(2, 3)), /tripletMarginLoss: all inputs must have the same number of dims/],
    ['triplet p', () => F.tripletMarginLoss(z(2, 3), z(2, 3), z(2, 3), { p: 0 }), /tripletMarginLoss: p must be a number > 0/],
    ['triplet scalar', () => F.tripletMarginLoss(nb.scalar(1), nb.scalar(1), nb.scalar(1)), /tripletMarginLoss: inputs must have at least one dim/],
    ['multi-margin p', () => F.multiMarginLoss(z(2, 3), nb.tensor([0, 1], { dtype: 'int32' }), { p: 3 as 1 }), /multiMarginLoss: p must be 1 or 2, got 3/],
    ['multi-margin target range', () => F.multiMarginLoss(z(2, 3), nb.tensor([0, 3], { dtype: 'int32' })), /multiMarginLoss: target 3 \(at 1\) is out of range for 3 classes/],
    ['multi-margin target shape', () => F.multiMarginLoss(z(2, 3), nb.tensor([0, 1, 2], { dtype: 'int32' })), /multiMarginLoss: for input \[2, 3\] the target must hold 2 class indices \(shape \[2\]\), got \[3\]/],
    ['multi-margin float target', () => F.multiMarginLoss(z(2, 3), z(2)), /multiMarginLoss: targets must be int32 class indices, got float32/],
    ['multi-margin 3d', () => F.multiMarginLoss(z(2, 3, 4), nb.tensor([0, 1], { dtype: 'int32' })), /multiMarginLoss: input must be \[N, C\] or \[C\], got \[2, 3, 4\]/],
    ['multi-margin weight', () => F.multiMarginLoss(z(2, 3), nb.tensor([0, 1], { dtype: 'int32' }), { weight: z(4) }), /multiMarginLoss: weight must have shape \[3\]/],
    ['multilabel weight', () => F.multiLabelSoftMarginLoss(z(2, 3), z(2, 3), { weight: z(2) }), /multiLabelSoftMarginLoss: weight must have shape \[3\] \(one per class\) or the input's \[2, 3\], got \[2\]/],
    ['poisson eps', () => F.poissonNllLoss(z(2), z(2), { eps: -1 }), /poissonNllLoss: eps must be a number ≥ 0, got -1/],
    ['gaussian var shape', () => F.gaussianNllLoss(z(4, 3), z(4, 3), nb.ones([3])), /gaussianNllLoss: var \[3\] does not fit input \[4, 3\] \(it must have the input's shape, \[4\], or \[4, 1\]\)/],
    ['gaussian negative var', () => F.gaussianNllLoss(z(2), z(2), nb.tensor([1, -0.5])), /gaussianNllLoss: var has negative entries/],
    ['gaussian int input', () => F.gaussianNllLoss(nb.zeros([2], { dtype: 'int32' }), z(2), nb.ones([2])), /gaussianNllLoss: input must be a floating-point tensor, got int32/],
  ];
  for (const [what, fn, re] of table) test(what, () => nb.scope(() => { assert.throws(fn, re); }));
});

describe('the older losses refuse option names they do not know too (they ignored them before)', () => {
  const x = () => nb.zeros([2, 3]);
  const cls = () => nb.tensor([0, 1], { dtype: 'int32' });
  const table: [string, () => unknown, RegExp][] = [
    ['crossEntropy', () => F.crossEntropy(x(), cls(), { label_smoothing: 0.1 } as never), /crossEntropy: unknown option 'label_smoothing' — did you mean 'labelSmoothing'\?/],
    ['nllLoss', () => F.nllLoss(x(), cls(), { ignore_index: 1 } as never), /nllLoss: unknown option 'ignore_index' — did you mean 'ignoreIndex'\?/],
    ['binaryCrossEntropyWithLogits', () => F.binaryCrossEntropyWithLogits(x(), x(), { pos_weight: nb.ones([3]) } as never), /unknown option 'pos_weight' — did you mean 'posWeight'\?/],
    ['klDiv', () => F.klDiv(x(), x(), { log_target: true } as never), /klDiv: unknown option 'log_target' — did you mean 'logTarget'\?/],
    ['mseLoss', () => F.mseLoss(x(), x(), { size_average: false } as never), /mseLoss: unknown option 'size_average' \(options: reduction\)/],
    ['CrossEntropyLoss', () => new nn.CrossEntropyLoss({ label_smoothing: 0.1 } as never), /CrossEntropyLoss: unknown option 'label_smoothing' — did you mean 'labelSmoothing'\?/],
    ['BCEWithLogitsLoss', () => new nn.BCEWithLogitsLoss({ pos_weight: nb.ones([3]) } as never), /BCEWithLogitsLoss: unknown option 'pos_weight'/],
    ['MSELoss', () => new nn.MSELoss({ reduce: false } as never), /MSELoss: unknown option 'reduce'/],
    ['KLDivLoss', () => new nn.KLDivLoss({ log_target: true } as never), /KLDivLoss: unknown option 'log_target'/],
  ];
  for (const [what, fn, re] of table) test(what, () => nb.scope(() => { assert.throws(fn, re); }));
});

test('the losses free their intermediates: only the result stays alive', () => {
  const x = nb.randn([8, 5], { requiresGrad: true });
  const t = nb.randint(0, 5, [8]);
  const y = nb.rand([8, 5]);
  const v = y.add(0.5), yf = y.flip([0]);
  for (const f of [() => F.multiMarginLoss(x, t, { p: 2 }), () => F.multiLabelSoftMarginLoss(x, y), () => F.gaussianNllLoss(x, y, v),
    () => F.tripletMarginLoss(x, y, yf, { swap: true }), () => F.poissonNllLoss(x, y, { full: true }), () => F.marginRankingLoss(x, y, v),
    () => F.hingeEmbeddingLoss(x, yf)]) {
    const before = nb.memory().tensors;
    const loss = f();
    assert.equal(nb.memory().tensors - before, 1);
    loss.backward();
    loss.dispose();
  }
  for (const u of [x, t, y, v, yf]) u.dispose();
});
