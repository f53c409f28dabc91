// F.ctcLoss / nn.CTCLoss against PyTorch's ctc_loss (fixtures/ctc.json, scripts/gen_ctc_fixtures.py):
// values and gradients w.r.t. the logits in float32 and float64 on every backend, float64
// finite-difference gradchecks, a brute-force sum over alignments, and the error messages.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { gradcheck, pseudoRandom } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

interface Fx { shape: number[]; data: Num[] }
interface CtcCase {
  name: string; x: Fx; targets: { shape: number[]; data: number[] };
  input_lengths: number[] | number; target_lengths: number[] | number;
  kwargs: { reduction?: 'mean' | 'sum' | 'none'; blank?: number; zero_infinity?: boolean };
  out: Fx; cotangent: Fx; grad_x: Fx;
}
interface CtcFile {
  cases: CtcCase[];
  infinite: { x: Fx; targets: number[][]; input_lengths: number[]; target_lengths: number[]; out: Num[] };
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/ctc.json', import.meta.url), 'utf8')) as CtcFile;

function opts(c: CtcCase): nb.F.CtcLossOptions {
  const o: nb.F.CtcLossOptions = {};
  if (c.kwargs.reduction) o.reduction = c.kwargs.reduction;
  if (c.kwargs.blank !== undefined) o.blank = c.kwargs.blank;
  if (c.kwargs.zero_infinity !== undefined) o.zeroInfinity = c.kwargs.zero_infinity;
  return o;
}

const targetsOf = (c: CtcCase): nb.Tensor => nb.tensor(Int32Array.from(c.targets.data), { dtype: 'int32', shape: c.targets.shape });
const TOLS = { float32: TOL.float32, float64: { rtol: 1e-10, atol: 1e-12 } };

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) for (const dtype of ['float32', 'float64'] as const) {
  describe(`ctcLoss vs PyTorch (${dtype}) on ${backend}`, () => {
    for (const c of fx.cases) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => {
          const x = nb.tensor(decodeData(c.x.data, dtype), { dtype, shape: c.x.shape, requiresGrad: true });
          const lp = nb.logSoftmax(x, -1);
          const out = nb.F.ctcLoss(lp, targetsOf(c), c.input_lengths, c.target_lengths, opts(c));
          assertShape(`${c.name} value`, out.shape, c.out.shape);
          assert.equal(out.dtype, dtype);
          assertClose(`${c.name} value`, out.dataSync(), decodeData(c.out.data, 'float64'), c.out.shape, TOLS[dtype]);
          out.mul(nb.tensor(decodeData(c.cotangent.data, dtype), { dtype, shape: c.cotangent.shape })).sum().backward();
          assertClose(`${c.name} d/dlogits`, x.grad!.dataSync(), decodeData(c.grad_x.data, 'float64'), c.grad_x.shape, TOLS[dtype]);
        });
      });
    }
  });
}

describe('ctcLoss', () => {
  test('nn.CTCLoss gives the functional numbers; lengths as int32 tensors work too', () => {
    const c = fx.cases.find((k) => k.name === 'padded mean')!;
    nb.scope(() => {
      const lp = nb.logSoftmax(nb.tensor(decodeData(c.x.data, 'float64'), { dtype: 'float64', shape: c.x.shape }), -1);
      const m = new nb.nn.CTCLoss({ reduction: 'mean' });
      const il = nb.tensor(c.input_lengths as number[], { dtype: 'int32' });
      const tl = nb.tensor(c.target_lengths as number[], { dtype: 'int32' });
      assertClose('CTCLoss', m.forward(lp, targetsOf(c), il, tl).dataSync(), decodeData(c.out.data, 'float64'), [], TOLS.float64);
    });
  });

  test('an impossible alignment is an infinite loss, as in PyTorch', () => {
    const f = fx.infinite;
    nb.scope(() => {
      const lp = nb.logSoftmax(nb.tensor(decodeData(f.x.data, 'float64'), { dtype: 'float64', shape: f.x.shape }), -1);
      const out = nb.F.ctcLoss(lp, nb.tensor(f.targets, { dtype: 'int32' }), f.input_lengths, f.target_lengths, { reduction: 'none' });
      assert.deepEqual(Array.from(out.dataSync()), f.out.map((v) => (v === 'inf' ? Infinity : v)));
    });
  });

  test('equals −log of the brute-force sum over every alignment that collapses to the target', () => {
    // T = 5 frames, C = 3 classes: 3⁵ = 243 paths; those that collapse (merge repeats, drop blanks) to the label count.
    const T = 5, C = 3, label = [1, 1, 2];
    nb.scope(() => {
      const lp = nb.logSoftmax(nb.tensor(pseudoRandom(T * C, 7), { dtype: 'float64', shape: [T, 1, C] }), -1);
      const p = lp.dataSync();
      let total = 0;
      for (let code = 0; code < C ** T; code++) {
        const path: number[] = [];
        let k = code, logp = 0;
        for (let t = 0; t < T; t++) { path.push(k % C); logp += p[t * C + (k % C)]!; k = Math.floor(k / C); }
        const collapsed = path.filter((c, i) => c !== 0 && (i === 0 || c !== path[i - 1]));
        if (collapsed.join() === label.join()) total += Math.exp(logp);
      }
      const got = nb.F.ctcLoss(lp, nb.tensor([label], { dtype: 'int32' }), [T], [3], { reduction: 'sum' }).item();
      assert.ok(Math.abs(got + Math.log(total)) < 1e-12, `ctcLoss ${got} vs −log Σ paths ${-Math.log(total)}`);
    });
  });

  test('float64 gradcheck w.r.t. logProbs themselves (the exact gradient) and through logSoftmax', () => {
    const T = 7, N = 3, C = 5;
    const targets = nb.tensor([[1, 2, 2], [3, 4, 0], [4, 0, 0]], { dtype: 'int32' });
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const w = nb.tensor(pseudoRandom(N, 3), { dtype: 'float64' }).add(2);
      const f = (lp: nb.Tensor): nb.Tensor => {
        const l = nb.F.ctcLoss(lp, targets, [7, 6, 4], [3, 2, 1], { reduction });
        return reduction === 'none' ? l.mul(w).sum() : l;
      };
      const raw = nb.tensor(pseudoRandom(T * N * C, 11), { dtype: 'float64', shape: [T, N, C] });
      gradcheck(`ctcLoss(${reduction}) w.r.t. logProbs`, f, [raw]);
      gradcheck(`ctcLoss(${reduction}) through logSoftmax`, (x) => f(nb.logSoftmax(x, -1)), [raw]);
    }
    gradcheck('ctcLoss blank = C − 1, concatenated targets', (lp) =>
      nb.F.ctcLoss(nb.logSoftmax(lp, -1), nb.tensor([1, 1, 0, 2], { dtype: 'int32' }), [7, 5], [3, 1], { blank: 3 }),
    [nb.tensor(pseudoRandom(7 * 2 * 4, 5), { dtype: 'float64', shape: [7, 2, 4] })]);
  });

  test('errors name what is wrong', () => {
    nb.scope(() => {
      const lp = nb.zeros([6, 2, 4]);
      const tg = nb.tensor([[1, 2], [3, 0]], { dtype: 'int32' });
      const bad = (fn: () => unknown, re: RegExp): void => { assert.throws(fn, re); };
      bad(() => nb.F.ctcLoss(nb.zeros([6, 4, 2, 1]), tg, [6, 6], [2, 1]), /logProbs must be \[T, N, C\].*\[6, 4, 2, 1\]/);
      bad(() => nb.F.ctcLoss(lp, tg, [7, 6], [2, 1]), /inputLengths\[0\] = 7 exceeds the 6 frames/);
      bad(() => nb.F.ctcLoss(lp, tg, [6], [2, 1]), /inputLengths must give one length per sample \(2\), got 1/);
      bad(() => nb.F.ctcLoss(lp, tg, [6, 6], [3, 1]), /targetLengths\[0\] = 3 exceeds the 2 columns/);
      bad(() => nb.F.ctcLoss(lp, nb.tensor([[1, 0], [3, 0]], { dtype: 'int32' }), [6, 6], [2, 1]), /sample 0 holds the blank label 0 at position 1/);
      bad(() => nb.F.ctcLoss(lp, nb.tensor([[1, 4], [3, 0]], { dtype: 'int32' }), [6, 6], [2, 1]), /target 4 \(sample 0, position 1\) is out of range for 4 classes/);
      bad(() => nb.F.ctcLoss(lp, nb.tensor([1, 2, 3], { dtype: 'float32' }), [6, 6], [2, 1]), /targets must be an int32 tensor/);
      bad(() => nb.F.ctcLoss(lp, nb.tensor([1, 2, 3], { dtype: 'int32' }), [6, 6], [2, 2]), /hold 3 labels but targetLengths add up to 4/);
      bad(() => nb.F.ctcLoss(lp, tg, [6, 6], [2, 1], { blank: 4 }), /blank must be a class index in 0 … 3/);
      bad(() => nb.F.ctcLoss(lp, tg, [6, 6], [2, 1], { reduction: 'avg' as 'mean' }), /reduction must be 'mean', 'sum' or 'none', got 'avg'/);
      bad(() => nb.F.ctcLoss(lp, tg, [6, 6], [2, 1], { zero_infinity: true } as nb.F.CtcLossOptions), /unknown option 'zero_infinity'/);
      bad(() => nb.F.ctcLoss(lp, tg, [6, -1], [2, 1]), /inputLengths\[1\] must be a non-negative integer, got -1/);
    });
  });
});
