// Issue 13's layers against PyTorch (fixtures/layers-extra.json, scripts/gen_layers_extra_fixtures.py):
// F.conv3d, F.convTranspose1d, padding='same' (asymmetric, dilated), conv paddingMode, the extra
// activations (functional and modules), weightNorm and spectralNorm — outputs, input and parameter
// gradients in float32 and float64 on every backend; float64 gradchecks; bad-input errors.

import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { assertClose, assertShape, TOL, type Tol } from './helpers/allclose.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { gradcheck, gradgradcheck } from './helpers/gradcheck.js';

const { F, nn } = nb;

interface FxTensor { shape: number[]; dtype: 'float64'; data: Num[] }
interface Spec { type: string; args: unknown[]; opts: Record<string, unknown> }
interface FnCase {
  name: string; op: string; args: (FxTensor | null)[]; positional: number[]; kwargs: Record<string, unknown>;
  out: FxTensor; cotangent: FxTensor; grads: (FxTensor | null)[];
}
interface ModuleCase {
  name: string; spec: Spec; keys: string[]; state: Record<string, FxTensor>; input: FxTensor; out: FxTensor;
  cotangent: FxTensor; grad_input: FxTensor; grads: Record<string, FxTensor>;
}
interface NormCase {
  name: string; kind: 'weightNorm' | 'spectralNorm'; spec: Spec; dim: number | null | 'default'; nPowerIterations?: number;
  keys: string[]; state: Record<string, FxTensor>; inputs: FxTensor[]; outs: FxTensor[]; weight: FxTensor; cotangent: FxTensor;
  grad_input: FxTensor; grads: Record<string, FxTensor>; u_after?: FxTensor; v_after?: FxTensor; eval_input?: FxTensor; eval_out?: FxTensor;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/layers-extra.json', import.meta.url), 'utf8')) as {
  torch: string; functional: FnCase[]; modules: ModuleCase[]; norms: NormCase[];
};

type DT = 'float32' | 'float64';
const TOLS: Record<DT, Tol> = { float32: TOL.float32, float64: { rtol: 1e-9, atol: 1e-11 } };
/**
 * PyTorch's hardsigmoid backward multiplies by 1.0f/6.0f, a float32 constant, in double too (its CPU
 * kernel), so its float64 gradient is 1/6·(1 + 3·10⁻⁸); ours is 1/6 in the input's precision.
 */
const gradTol = (name: string, tol: Tol): Tol => (/hardsigmoid/i.test(name) ? { rtol: Math.max(tol.rtol, 1e-7), atol: tol.atol } : tol);

function toT(t: FxTensor, dtype: DT, requiresGrad = false): nb.Tensor {
  return nb.tensor(decodeData(t.data, dtype), { dtype, shape: t.shape, requiresGrad });
}

function check(what: string, got: nb.Tensor | null | undefined, want: FxTensor, tol: Tol): void {
  assert.ok(got, `${what}: missing`);
  assertShape(what, got.shape, want.shape);
  assertClose(what, got.dataSync(), decodeData(want.data, 'float64'), want.shape, tol);
}

type AnyFn = (...a: unknown[]) => nb.Tensor;
/** Our F call for a fixture case: convolutions take (x, w, bias, options), activations (x, ...positional). */
function callF(c: FnCase, xs: (nb.Tensor | null)[]): nb.Tensor {
  const f = (F as unknown as Record<string, AnyFn>)[c.op];
  assert.ok(f, `nb.F.${c.op} is missing`);
  if (c.op.startsWith('conv')) return f(xs[0], xs[1], xs[2] ?? null, c.kwargs);
  return f(...xs, ...c.positional);
}

type Ctor = new (...args: unknown[]) => nb.nn.Module;
const LAYERS = nn as unknown as Record<string, Ctor>;
/** Layers with parameters take {…options, dtype} last; the activations take positional arguments. */
const OPTS_LAST = new Set(['Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'Linear', 'PReLU']);

function build(spec: Spec, dtype: DT): nb.nn.Module {
  const C = LAYERS[spec.type];
  assert.ok(C, `no layer class nn.${spec.type}`);
  return OPTS_LAST.has(spec.type) ? new C(...spec.args, { ...spec.opts, dtype }) : new C(...spec.args);
}

const fwd = (m: nb.nn.Module, x: nb.Tensor): nb.Tensor => (m.forward as (x: nb.Tensor) => nb.Tensor)(x);

const backends = await testBackends();
after(closeBackends);
beforeEach(() => nb.setBackend('js'));

for (const backend of backends) for (const dtype of ['float32', 'float64'] as const) {
  const tol = TOLS[dtype];
  describe(`functional forms vs PyTorch ${fx.torch} on ${backend} (${dtype})`, () => {
    for (const c of fx.functional) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => {
          const xs = c.args.map((a) => (a ? toT(a, dtype, true) : null));
          const out = callF(c, xs);
          check(`${c.name}: out`, out, c.out, tol);
          out.mul(toT(c.cotangent, dtype)).sum().backward();
          c.grads.forEach((g, i) => { if (g) check(`${c.name}: grad of argument ${i}`, xs[i]!.grad, g, gradTol(c.name, tol)); });
        });
      });
    }
  });

  describe(`modules vs PyTorch ${fx.torch} on ${backend} (${dtype})`, () => {
    for (const c of fx.modules) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => {
          const m = build(c.spec, dtype);
          assert.deepEqual(Object.keys(m.stateDict()), c.keys, `${c.name}: stateDict keys differ from PyTorch's`);
          m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, toT(v, dtype)])));
          const x = toT(c.input, dtype, true);
          const out = fwd(m, x);
          check(`${c.name}: out`, out, c.out, tol);
          out.mul(toT(c.cotangent, dtype)).sum().backward();
          check(`${c.name}: grad input`, x.grad, c.grad_input, gradTol(c.name, tol));
          for (const [k, p] of m.namedParameters()) check(`${c.name}: grad ${k}`, p.grad, c.grads[k]!, tol);
        });
      });
    }
  });

  describe(`weightNorm and spectralNorm vs PyTorch ${fx.torch} on ${backend} (${dtype})`, () => {
    for (const c of fx.norms) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => runNorm(c, dtype, tol));
      });
    }
  });
}

function runNorm(c: NormCase, dtype: DT, tol: Tol): void {
  const m = build(c.spec, dtype);
  if (c.kind === 'weightNorm') nn.utils.weightNorm(m, c.dim === 'default' ? {} : { dim: c.dim });
  else nn.utils.spectralNorm(m, { nPowerIterations: c.nPowerIterations, ...(c.dim === null ? {} : { dim: c.dim as number }) });
  assert.deepEqual(Object.keys(m.stateDict()).sort(), [...c.keys].sort(), `${c.name}: stateDict keys differ from PyTorch's`);
  m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, toT(v, dtype)])));
  m.train();
  let out: nb.Tensor | null = null, x: nb.Tensor | null = null;
  c.inputs.forEach((inp, i) => {
    x = toT(inp, dtype, true);
    out = fwd(m, x);
    check(`${c.name}: out of forward ${i + 1}`, out, c.outs[i]!, tol);
  });
  check(`${c.name}: module.weight`, (m as unknown as { weight: nb.Tensor }).weight, c.weight, tol);
  out!.mul(toT(c.cotangent, dtype)).sum().backward();
  check(`${c.name}: grad input`, x!.grad, c.grad_input, tol);
  for (const [k, p] of m.namedParameters()) check(`${c.name}: grad ${k}`, p.grad, c.grads[k]!, tol);
  if (c.kind === 'spectralNorm') {
    const bufs = Object.fromEntries(m.namedBuffers());
    check(`${c.name}: weight_u after the train steps`, bufs.weight_u, c.u_after!, tol);
    check(`${c.name}: weight_v after the train steps`, bufs.weight_v, c.v_after!, tol);
    m.eval();
    check(`${c.name}: eval out (u, v fixed)`, fwd(m, toT(c.eval_input!, dtype)), c.eval_out!, tol);
    check(`${c.name}: weight_u unchanged in eval`, Object.fromEntries(m.namedBuffers()).weight_u, c.u_after!, tol);
  }
}

describe('float64 gradchecks', () => {
  // One case per op (the first), a few elements of each input: the fixtures check every case's gradients.
  const firstOfOp = fx.functional.filter((c, i) => fx.functional.findIndex((d) => d.op === c.op) === i);
  const extra = fx.functional.filter((c) => /conv3d same asymmetric|stride\/padding\/outputPadding/.test(c.name));
  for (const c of [...firstOfOp, ...extra]) {
    test(`F.${c.op}: ${c.name}`, () => {
      const xs = c.args.filter((a): a is FxTensor => a !== null).map((a) => toT(a, 'float64'));
      const slots = c.args.map((a) => a !== null);
      gradcheck(c.name, (...ts) => {
        let k = 0;
        const args = slots.map((s) => (s ? ts[k++]! : null));
        return callF(c, args).square().sum();
      }, xs, { maxElems: 6 });
    });
  }
  test('Conv3d with paddingMode reflect and circular, through the module', () => {
    for (const mode of ['reflect', 'circular'] as const) {
      const m = new nn.Conv3d(2, 2, [2, 3, 2], { padding: 1, paddingMode: mode, dtype: 'float64' });
      gradcheck(`Conv3d ${mode}`, (x) => m.forward(x).square().sum(), [nb.randn([1, 2, 3, 3, 4], { dtype: 'float64' })], { maxElems: 6 });
    }
  });
  test('gradients of gradients (createGraph): conv3d with asymmetric same, convTranspose1d, mish, hardswish, prelu, glu', () => {
    const r = (...shape: number[]): nb.Tensor => nb.randn(shape, { dtype: 'float64' });
    gradgradcheck('conv3d', (x, w) => F.conv3d(x, w, null, { padding: 'same' }).square().sum(), [r(1, 2, 3, 3, 3), r(2, 2, 2, 1, 2)], { maxElems: 4 });
    gradgradcheck('convTranspose1d', (x, w) => F.convTranspose1d(x, w, null, { stride: 2 }).square().sum(), [r(1, 2, 4), r(2, 2, 3)], { maxElems: 4 });
    for (const [name, f] of [['mish', F.mish], ['hardswish', F.hardswish], ['selu', F.selu], ['logsigmoid', F.logsigmoid]] as const) {
      gradgradcheck(name, (x) => f(x).square().sum(), [r(6)]);
    }
    gradgradcheck('prelu', (x, w) => F.prelu(x, w).square().sum(), [r(2, 3), r(3)]);
    gradgradcheck('glu', (x) => F.glu(x, 0).square().sum(), [r(4, 2)]);
  });
  test('PReLU: input and weight', () => {
    const x = nb.randn([2, 3, 4], { dtype: 'float64' });
    gradcheck('prelu', (a, w) => F.prelu(a, w).square().sum(), [x, nb.tensor([0.1, -0.4, 0.3], { dtype: 'float64' })]);
  });
});

/**
 * Central differences of loss() in each parameter of m (a few elements each), written into the
 * parameter in place under noGrad, against the gradients backward gives.
 */
function paramGradcheck(what: string, m: nb.nn.Module, loss: () => nb.Tensor, maxElems = 6): void {
  const eps = 1e-6;
  m.zeroGrad();
  loss().backward();
  for (const [k, p] of m.namedParameters()) {
    const analytic = Float64Array.from(p.grad!.dataSync() as Float64Array);
    const base = Float64Array.from(p.dataSync() as Float64Array);
    const at = (j: number, d: number): number => {
      const a = Float64Array.from(base);
      a[j]! += d;
      nb.noGrad(() => p.copy_(nb.tensor(a, { dtype: 'float64', shape: p.shape })));
      return nb.noGrad(() => loss().item());
    };
    const n = base.length, step = Math.max(1, Math.floor(n / maxElems));
    for (let j = 0; j < n; j += step) {
      const fd = (at(j, eps) - at(j, -eps)) / (2 * eps);
      assert.ok(Math.abs(fd - analytic[j]!) <= 1e-6 + 1e-5 * Math.abs(fd), `${what}: d/d${k}[${j}] is ${analytic[j]}, central differences say ${fd}`);
    }
    nb.noGrad(() => p.copy_(nb.tensor(base, { dtype: 'float64', shape: p.shape })));
  }
}

describe('float64 gradchecks of the reparameterised weights', () => {
  const x1 = (): nb.Tensor => nb.tensor(Float64Array.from({ length: 2 * 2 * 6 }, (_, i) => Math.sin(i + 1)), { dtype: 'float64', shape: [2, 2, 6] });
  test('weightNorm: weight_g, weight_v and bias', () => {
    nb.manualSeed(11);
    for (const dim of [0, 1, null]) {
      const m = nn.utils.weightNorm(new nn.Conv1d(2, 3, 3, { dtype: 'float64' }), { dim });
      paramGradcheck(`weightNorm dim=${dim}`, m, () => m.forward(x1()).square().sum());
    }
  });
  test('spectralNorm (eval: u, v held): weight_orig and bias', () => {
    nb.manualSeed(12);
    const m = nn.utils.spectralNorm(new nn.Conv1d(2, 3, 3, { dtype: 'float64' }));
    m.forward(x1());
    m.eval();
    paramGradcheck('spectralNorm', m, () => m.forward(x1()).square().sum());
  });
});

describe('errors name what was wrong', () => {
  test('conv3d shapes and options', () => {
    assert.throws(() => F.conv3d(nb.zeros([2, 3, 3]), nb.zeros([2, 2, 1, 1, 1])), /conv3d: expected input \[N, C, D, H, W\] or \[C, D, H, W\], got \[2, 3, 3\]/);
    assert.throws(() => F.conv3d(nb.zeros([1, 3, 3, 3, 3]), nb.zeros([2, 2, 1, 1, 1])), /conv3d: input has 3 channels .* expects 2/);
    assert.throws(() => F.conv3d(nb.zeros([1, 2, 2, 2, 2]), nb.zeros([2, 2, 3, 3, 3])), /too small for kernel 3×3×3/);
    assert.throws(() => F.conv3d(nb.zeros([1, 2, 4, 4, 4]), nb.zeros([2, 2, 3, 3, 3]), null, { padding: 'same', stride: 2 }), /padding='same' is not supported for strided/);
    assert.throws(() => F.conv2d(nb.zeros([1, 2, 4, 4]), nb.zeros([2, 2, 2, 2]), null, { padding: 'same', stride: [1, 2] }), /conv2d: padding='same' is not supported for strided/);
  });
  test('layers: paddingMode, strided same', () => {
    assert.throws(() => new nn.Conv2d(2, 2, 3, { paddingMode: 'mirror' as never }), /Conv2d: paddingMode must be one of 'zeros', 'reflect', 'replicate', 'circular', got 'mirror'/);
    assert.throws(() => new nn.ConvTranspose1d(2, 2, 3, { paddingMode: 'reflect' as never }), /ConvTranspose1d: paddingMode 'reflect' is not supported/);
    assert.throws(() => new nn.Conv3d(2, 2, 3, { padding: 'same', stride: 2 }), /Conv3d: padding='same' is not supported for strided/);
    assert.throws(() => new nn.Conv1d(2, 2, 3, { padding: 4, paddingMode: 'reflect' }).forward(nb.zeros([1, 2, 3])), /reflect padding of \(4, 4\) needs pads ≤ size − 1/);
    assert.throws(() => new nn.Conv3d(2, 2, 2).forward(nb.zeros([1, 3, 2, 2, 2])), /Conv3d\(2→2\): expected input \[N, 2, D, H, W\], got \[1, 3, 2, 2, 2\]/);
    assert.throws(() => new nn.ConvTranspose1d(2, 2, 3, { stride: 2 }).forward(nb.zeros([1, 2, 4]), [20]), /requested output size \[20\] is not reachable .* between 9 and 10/);
  });
  test('activations', () => {
    assert.throws(() => F.prelu(nb.zeros([2, 3]), nb.zeros([4])), /prelu: weight has 4 parameters but input \[2, 3\] has 3 channels/);
    assert.throws(() => F.glu(nb.zeros([2, 3])), /glu: halving dim 1 needs an even size, got 3/);
    assert.throws(() => F.hardtanh(nb.zeros([2]), 1, -1), /hardtanh: minVal \(1\) must not exceed maxVal \(-1\)/);
    assert.throws(() => F.softshrink(nb.zeros([2]), -1), /softshrink: lambd must be ≥ 0/);
    assert.throws(() => F.celu(nb.zeros([2]), 0), /celu: alpha must not be 0/);
    assert.throws(() => F.mish(nb.zeros([2], { dtype: 'int32' })), /mish/);
  });
  test('weightNorm / spectralNorm', () => {
    assert.throws(() => nn.utils.weightNorm(new nn.Linear(2, 2), { name: 'kernel' }), /weightNorm: Linear has no parameter field 'kernel' .*\(its parameters: weight, bias\)/);
    assert.throws(() => nn.utils.weightNorm(new nn.Linear(2, 2), { dim: 2 }), /weightNorm: dim 2 is out of range for weight of shape \[2, 2\]/);
    const twice = nn.utils.weightNorm(new nn.Linear(2, 2));
    assert.throws(() => nn.utils.spectralNorm(twice, { name: 'weight_v' }), /no parameter field 'weight_v'/);
    assert.throws(() => nn.utils.spectralNorm(new nn.Linear(2, 2), { nPowerIterations: 0 }), /nPowerIterations must be a positive integer, got 0/);
    assert.throws(() => nn.utils.removeSpectralNorm(new nn.Linear(2, 2)), /removeSpectralNorm: spectralNorm of 'weight' not found in Linear/);
  });
});

describe('weightNorm / spectralNorm removal', () => {
  test('removeWeightNorm leaves weight a Parameter holding g·v/‖v‖, and the keys PyTorch has', () => {
    nb.manualSeed(3);
    const m = nn.utils.weightNorm(new nn.Linear(3, 2, { dtype: 'float64' }));
    const x = nb.randn([4, 3], { dtype: 'float64' });
    const before = m.forward(x).dataSync();
    nn.utils.removeWeightNorm(m);
    assert.deepEqual(Object.keys(m.stateDict()).sort(), ['bias', 'weight']);
    assert.ok(m.weight instanceof nn.Parameter);
    assertClose('forward after removal', m.forward(x).dataSync(), before, [4, 2], { rtol: 1e-12, atol: 1e-14 });
  });
  test('removeSpectralNorm keeps weight_orig/σ of the current u, v', () => {
    nb.manualSeed(4);
    const m = nn.utils.spectralNorm(new nn.Linear(3, 2, { dtype: 'float64' })).eval();
    const x = nb.randn([4, 3], { dtype: 'float64' });
    const before = m.forward(x).dataSync();
    nn.utils.removeSpectralNorm(m);
    assert.deepEqual(Object.keys(m.stateDict()).sort(), ['bias', 'weight']);
    assertClose('forward after removal', m.forward(x).dataSync(), before, [4, 2], { rtol: 1e-12, atol: 1e-14 });
  });
});
