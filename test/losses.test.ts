// Every loss × reduction × option against PyTorch (fixtures/losses.json): values and gradients in
// float32 and float64, a float64 finite-difference gradcheck of each case, and the error messages.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import * as L from '../src/nn/loss.js';
import { MSELoss, CrossEntropyLoss, BCEWithLogitsLoss, CosineEmbeddingLoss, KLDivLoss, NLLLoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss } from '../src/nn/loss-modules.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { gradcheck } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

interface FxTensor { shape: number[]; dtype: 'float64' | 'int32'; data: Num[] }
interface LossCase {
  name: string; fn: string; args: FxTensor[]; kwargs: Record<string, unknown>; options: Record<string, FxTensor>;
  out: FxTensor; cotangent: FxTensor; grads: (FxTensor | null)[]; gradcheck: boolean;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/losses.json', import.meta.url), 'utf8')) as { cases: LossCase[] };

type LossFn = (args: nb.Tensor[], opts: Record<string, unknown>) => nb.Tensor;
/** PyTorch's functional name → ours. */
const FNS: Record<string, LossFn> = {
  mse_loss: ([x, t], o) => L.mseLoss(x!, t!, o),
  l1_loss: ([x, t], o) => L.l1Loss(x!, t!, o),
  smooth_l1_loss: ([x, t], o) => L.smoothL1Loss(x!, t!, o),
  huber_loss: ([x, t], o) => L.huberLoss(x!, t!, o),
  cross_entropy: ([x, t], o) => L.crossEntropy(x!, t!, o),
  nll_loss: ([x, t], o) => L.nllLoss(x!, t!, o),
  binary_cross_entropy: ([x, t], o) => L.binaryCrossEntropy(x!, t!, o),
  binary_cross_entropy_with_logits: ([x, t], o) => L.binaryCrossEntropyWithLogits(x!, t!, o),
  kl_div: ([x, t], o) => L.klDiv(x!, t!, o),
  cosine_embedding_loss: ([a, b, y], o) => L.cosineEmbeddingLoss(a!, b!, y!, o),
};

const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function toT(t: FxTensor, dtype: 'float32' | 'float64', requiresGrad = false): nb.Tensor {
  if (t.dtype === 'int32') return nb.tensor(decodeData(t.data, 'int32'), { dtype: 'int32', shape: t.shape });
  return nb.tensor(decodeData(t.data, dtype), { dtype, shape: t.shape, requiresGrad });
}

function options(c: LossCase, dtype: 'float32' | 'float64'): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.kwargs)) o[camel(k)] = v;
  for (const [k, v] of Object.entries(c.options)) o[camel(k)] = toT(v, dtype);
  return o;
}

const TOLS = { float32: TOL.float32, float64: { rtol: 1e-10, atol: 1e-12 } };

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) for (const dtype of ['float32', 'float64'] as const) {
  describe(`losses vs PyTorch (${dtype}) on ${backend}`, () => {
    for (const c of fx.cases) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => {
          const args = c.args.map((a, i) => toT(a, dtype, c.grads[i] !== null));
          const out = FNS[c.fn]!(args, options(c, dtype));
          assertShape(`${c.name} value`, out.shape, c.out.shape);
          assert.equal(out.dtype, dtype);
          assertClose(`${c.name} value`, out.dataSync(), decodeData(c.out.data, 'float64'), c.out.shape, TOLS[dtype]);
          const cot = toT(c.cotangent, dtype);
          out.mul(cot).sum().backward();
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

for (const backend of backends) describe(`losses: float64 gradcheck (central differences) on ${backend}`, () => {
  for (const c of fx.cases.filter((k) => k.gradcheck)) {
    test(c.name, () => {
      nb.setBackend(backend);
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
  for (const opt of ['labelSmoothing', 'ignoreIndex', 'weight', 'probs', 'posWeight', 'batchmean', 'logTarget', 'margin', 'kdim']) {
    assert.ok(names.includes(opt), `no case exercises ${opt}`);
  }
});

describe('loss modules call the functional forms with their options', () => {
  const x = () => nb.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]);
  const y = () => nb.tensor([[0, 1, 1], [1, 0, 0]], { dtype: 'float32' });
  const cls = () => nb.tensor([2, 0], { dtype: 'int32' });
  const cases: [string, () => nb.Tensor, () => nb.Tensor][] = [
    ['MSELoss', () => new MSELoss({ reduction: 'sum' }).forward(x(), y()), () => L.mseLoss(x(), y(), { reduction: 'sum' })],
    ['L1Loss', () => new L1Loss().forward(x(), y()), () => L.l1Loss(x(), y())],
    ['SmoothL1Loss', () => new SmoothL1Loss({ beta: 0.5 }).forward(x(), y()), () => L.smoothL1Loss(x(), y(), { beta: 0.5 })],
    ['HuberLoss', () => new HuberLoss({ delta: 0.3, reduction: 'none' }).forward(x(), y()), () => L.huberLoss(x(), y(), { delta: 0.3, reduction: 'none' })],
    ['CrossEntropyLoss', () => new CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(x(), cls()), () => L.crossEntropy(x(), cls(), { labelSmoothing: 0.1 })],
    ['NLLLoss', () => new NLLLoss({ ignoreIndex: 0 }).forward(x(), cls()), () => L.nllLoss(x(), cls(), { ignoreIndex: 0 })],
    ['BCELoss', () => new BCELoss().forward(x().sigmoid(), y()), () => L.binaryCrossEntropy(x().sigmoid(), y())],
    ['BCEWithLogitsLoss', () => new BCEWithLogitsLoss({ posWeight: nb.tensor([1, 2, 3]) }).forward(x(), y()),
      () => L.binaryCrossEntropyWithLogits(x(), y(), { posWeight: nb.tensor([1, 2, 3]) })],
    ['KLDivLoss', () => new KLDivLoss({ reduction: 'batchmean' }).forward(x().logSoftmax(1), y().softmax(1)),
      () => L.klDiv(x().logSoftmax(1), y().softmax(1), { reduction: 'batchmean' })],
    ['CosineEmbeddingLoss', () => new CosineEmbeddingLoss({ margin: 0.2 }).forward(x(), y(), nb.tensor([1, -1], { dtype: 'float32' })),
      () => L.cosineEmbeddingLoss(x(), y(), nb.tensor([1, -1], { dtype: 'float32' }), { margin: 0.2 })],
  ];
  for (const [name, viaModule, viaFn] of cases) {
    test(name, () => nb.scope(() => {
      const a = viaModule(), b = viaFn();
      assertClose(name, a.dataSync(), b.dataSync(), b.shape, { rtol: 0, atol: 0 });
    }));
  }
});

describe('loss errors say what was wrong', () => {
  const table: [string, () => unknown, RegExp][] = [
    ['batch size', () => L.crossEntropy(nb.zeros([64, 10]), nb.zeros([32], { dtype: 'int32' })),
      /crossEntropy: input \[64, 10\] and target \[32\] disagree on the batch size/],
    ['class out of range', () => L.crossEntropy(nb.zeros([2, 3]), nb.tensor([0, 3], { dtype: 'int32' })), /crossEntropy: target 3 is out of range for 3 classes/],
    ['float class targets', () => L.nllLoss(nb.zeros([2, 3]), nb.tensor([0, 1], { dtype: 'float32' })), /nllLoss: class-index targets must be int32, got float32/],
    ['spatial target', () => L.crossEntropy(nb.zeros([2, 3, 4]), nb.zeros([2, 5], { dtype: 'int32' })), /target.*must have shape \[2, 4\], got \[2, 5\]/],
    ['weight shape', () => L.crossEntropy(nb.zeros([2, 3]), nb.tensor([0, 1], { dtype: 'int32' }), { weight: nb.ones([4]) }), /weight must have shape \[3\]/],
    ['mse broadcast', () => L.mseLoss(nb.zeros([8, 1]), nb.zeros([8])), /mseLoss: input \[8, 1\] and target \[8\] have different shapes/],
    ['bce range', () => L.binaryCrossEntropy(nb.tensor([0.5, 1.5]), nb.tensor([0, 1])), /binaryCrossEntropy: input must hold probabilities in \[0, 1\]/],
    ['reduction', () => L.l1Loss(nb.zeros([2]), nb.zeros([2]), { reduction: 'avg' as 'mean' }), /l1Loss: reduction must be 'mean', 'sum' or 'none', got 'avg'/],
    ['int input', () => L.mseLoss(nb.zeros([2], { dtype: 'int32' }), nb.zeros([2])), /mseLoss: input must be a floating-point tensor, got int32/],
    ['labelSmoothing', () => L.crossEntropy(nb.zeros([2, 3]), nb.tensor([0, 1], { dtype: 'int32' }), { labelSmoothing: 1.5 }), /labelSmoothing must be in \[0, 1\]/],
    ['cosine target', () => L.cosineEmbeddingLoss(nb.zeros([3, 2]), nb.zeros([3, 2]), nb.ones([2])), /target must have shape \[3\], got \[2\]/],
  ];
  for (const [what, fn, re] of table) test(what, () => nb.scope(() => { assert.throws(fn, re); }));
});

test('losses free their intermediates: only the result stays alive', () => {
  const x = nb.randn([16, 5], { requiresGrad: true });
  const t = nb.randint(0, 5, [16]);
  const before = nb.memory().tensors;
  const loss = L.crossEntropy(x, t, { labelSmoothing: 0.1 });
  assert.equal(nb.memory().tensors - before, 1);
  loss.backward();
  loss.dispose();
  x.dispose();
  t.dispose();
});
