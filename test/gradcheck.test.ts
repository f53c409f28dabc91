// Float64 finite-difference gradient checks of every differentiable op in the fixture table
// (first order), and second order for the common composites and every element-wise record (unless
// its entry names an exemption) — on every registered backend.

import { after, describe, test } from 'node:test';
import * as nb from '../src/index.js';
import { loadFixtures, toTensor, decodeData, decodeKwargs, type FixtureCase } from './helpers/fixtures.js';
import { OPS, outputsOf } from './helpers/op-table.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { gradcheck, gradgradcheck } from './helpers/gradcheck.js';
import { records } from '../src/ops/registry.js';

const fx = loadFixtures();

const COMPOSITES_2ND = new Set(['matmul', 'softmax', 'logSoftmax', 'conv2d', 'cumprod', 'einsum', 'cdist', 'sort', 'topk', 'tril', 'diagonal', 'diag', 'roll', 'baddbmm']);
/** Element-wise records get a second-order check on their generated float32 cases. */
const RECORDS_2ND = new Set(records().filter((r) => r.kind !== 'reduction' && r.def.grad && !r.def.test?.exempt?.gradgradcheck).map((r) => r.kernel.name));
const secondOrder = (c: FixtureCase) => COMPOSITES_2ND.has(c.op) || (RECORDS_2ND.has(c.op) && c.name.includes('/auto-float32'));

/** Cases left out of the gradient check, and why. */
const SKIP: Record<string, string> = {
  // at a tie the function has no derivative (PyTorch picks a subgradient, a finite difference sees a kink)
  'amax/ties': 'a tie', 'max/all-ties': 'a tie',
  // a finite difference at a NaN or ±∞ input is NaN; PyTorch's zero gradient there is checked in ops-fixtures
  'nanToNum/defaults': 'NaN/∞ inputs', 'nanToNum/float64-defaults': 'NaN/∞ inputs', 'nanToNum/grad': 'NaN/∞ inputs',
  'cast/float64->float32': 'the output is float32: a finite difference of it resolves ~1e-7, not the 1e-5 the check asks',
};

/** The fixture case as a float64 scalar function of its differentiable inputs: sum(out0 * cotangent). */
function asScalarFn(c: FixtureCase): { f: (...xs: nb.Tensor[]) => nb.Tensor; xs: nb.Tensor[] } {
  const diff = c.inputs.map((i) => i.requires_grad);
  const fixed = c.inputs.map((i) => (i.requires_grad ? null : nb.keep(toTensor(i))));
  const kw = decodeKwargs(c.kwargs);
  const cot = nb.keep(nb.tensor(decodeData(c.cotangent!.data, 'float64'), { dtype: 'float64', shape: c.cotangent!.shape }));
  const f = (...xs: nb.Tensor[]): nb.Tensor => {
    let k = 0;
    const all = diff.map((d, i) => (d ? xs[k++]! : fixed[i]!));
    const out0 = outputsOf(OPS[c.op]!(all, kw))[0]!;
    return out0.mul(cot).sum();
  };
  const xs = c.inputs.filter((i) => i.requires_grad).map((i) => nb.keep(toTensor(i, { dtype: 'float64' })));
  return { f, xs };
}

const differentiable = fx.cases.filter((c) => c.grads && !(c.name in SKIP));

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`gradcheck (float64) on ${backend}`, () => {
    for (const c of differentiable) {
      test(c.name, () => {
        nb.setBackend(backend);
        const { f, xs } = asScalarFn(c);
        gradcheck(c.name, f, xs, { maxElems: 40 });
      });
    }
  });
  describe(`second-order gradcheck (float64) on ${backend}`, () => {
    for (const c of differentiable.filter(secondOrder)) {
      test(c.name, () => {
        nb.setBackend(backend);
        const { f, xs } = asScalarFn(c);
        gradgradcheck(c.name, f, xs, { maxElems: 24 });
      });
    }
  });
}
