// MultiheadAttention, TransformerEncoderLayer/Encoder and scaledDotProductAttention against PyTorch
// (fixtures/rnn.json): outputs, attention weights, input and parameter gradients; masks, copies, errors, gradcheck.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import {
  MultiheadAttention, TransformerEncoderLayer, TransformerEncoder, scaledDotProductAttention,
  generateSquareSubsequentMask, type MultiheadAttentionOptions, type TransformerEncoderLayerOptions,
} from '../src/nn/attention.js';
import type { Module } from '../src/nn/module.js';
import { LayerNorm } from '../src/nn/layers/norm.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { gradcheck } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

interface FT { shape: number[]; data: Num[] }
interface Case {
  name: string; group: 'attention' | 'encoder' | 'sdpa' | 'rnn'; module: string; args: [number, number];
  opts: Record<string, unknown>; call: Record<string, unknown>; selfAttention?: boolean;
  numLayers?: number | null; finalNorm?: boolean;
  params: Record<string, FT>;
  inputs: Record<string, FT | null>;
  outputs: Record<string, FT | null>;
  cotangents: Record<string, FT | null>;
  grads: Record<string, FT | null> & { params?: Record<string, FT> };
}

const fx = JSON.parse(readFileSync(new URL('../fixtures/rnn.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };
const cases = fx.cases.filter((c) => c.group !== 'rnn');

function toT(f: FT, requiresGrad = false, dtype: 'float32' | 'float64' = 'float32'): nb.Tensor {
  const isBool = typeof f.data[0] === 'boolean';
  if (isBool) return nb.tensor(decodeData(f.data, 'bool'), { shape: f.shape, dtype: 'bool' });
  return nb.tensor(decodeData(f.data, dtype), { shape: f.shape, requiresGrad, dtype });
}
const opt = (f: FT | null | undefined): nb.Tensor | null => (f ? toT(f) : null);

function check(what: string, got: nb.Tensor | null | undefined, want: FT): void {
  assert.ok(got, `${what}: missing (null), expected shape [${want.shape.join(', ')}]`);
  assertShape(what, got.shape, want.shape);
  assertClose(what, got.dataSync(), decodeData(want.data, 'float32'), want.shape, TOL.float32);
}

function loadParams(m: Module, c: Case): void {
  m.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, toT(v)])));
  assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.params), `${c.name}: stateDict keys differ from PyTorch's (order too)`);
}

function buildEncoder(c: Case): TransformerEncoderLayer | TransformerEncoder {
  const [d, h] = c.args;
  const layer = new TransformerEncoderLayer(d, h, c.opts as TransformerEncoderLayerOptions);
  if (!c.numLayers) return layer;
  const eps = (c.opts.layerNormEps as number) ?? 1e-5;
  return new TransformerEncoder(layer, c.numLayers, { norm: c.finalNorm ? new LayerNorm(d, { eps }) : null });
}

/** Forward of one case; the outputs in the fixture's order, and the inputs that get gradients. */
function forward(c: Case, m: Module | null): { outs: Record<string, nb.Tensor | null>; leaves: Record<string, nb.Tensor> } {
  const i = c.inputs;
  if (c.group === 'attention') {
    const q = toT(i.query!, true);
    const k = c.selfAttention ? q : toT(i.key!, true), v = c.selfAttention ? q : toT(i.value!, true);
    const [output, weights] = (m as MultiheadAttention).forward(q, k, v, {
      keyPaddingMask: opt(i.keyPaddingMask), attnMask: opt(i.attnMask),
      needWeights: c.call.needWeights as boolean, averageAttnWeights: c.call.averageAttnWeights as boolean,
    });
    return { outs: { output, weights }, leaves: c.selfAttention ? { query: q } : { query: q, key: k, value: v } };
  }
  if (c.group === 'encoder') {
    const src = toT(i.src!, true);
    const mask = opt(i.mask), kpm = opt(i.srcKeyPaddingMask);
    const output = m instanceof TransformerEncoder
      ? m.forward(src, { mask, srcKeyPaddingMask: kpm })
      : (m as TransformerEncoderLayer).forward(src, { srcMask: mask, srcKeyPaddingMask: kpm });
    return { outs: { output }, leaves: { src } };
  }
  const q = toT(i.query!, true), k = toT(i.key!, true), v = toT(i.value!, true);
  const output = scaledDotProductAttention(q, k, v, {
    attnMask: opt(i.attnMask), isCausal: c.call.isCausal as boolean, scale: c.call.scale as number | null,
  });
  return { outs: { output }, leaves: { query: q, key: k, value: v } };
}

function runCase(c: Case): void {
  let m: Module | null = null;
  if (c.group === 'attention') m = new MultiheadAttention(c.args[0], c.args[1], c.opts as MultiheadAttentionOptions);
  else if (c.group === 'encoder') m = buildEncoder(c);
  if (m) {
    loadParams(m, c);
    m.eval();
  }
  const { outs, leaves } = forward(c, m);
  let loss: nb.Tensor | null = null;
  for (const [k, want] of Object.entries(c.outputs)) {
    if (!want) {
      assert.equal(outs[k], null, `${c.name}: ${k} should be null`);
      continue;
    }
    check(`${c.name} ${k}`, outs[k], want);
    const term = outs[k]!.mul(toT(c.cotangents[k]!)).sum();
    loss = loss ? loss.add(term) : term;
  }
  loss!.backward();
  for (const [k, t] of Object.entries(leaves)) check(`${c.name} grad of ${k}`, t.grad, c.grads[k]!);
  if (m) {
    const params = new Map(m.namedParameters());
    for (const [k, want] of Object.entries(c.grads.params!)) check(`${c.name} grad of ${k}`, params.get(k)!.grad, want);
  }
}

test('the fixtures cover attention masks (padding, causal, both), batch-first, encoder pre/post-norm', () => {
  const names = cases.map((c) => c.name);
  for (const n of ['MHA/keyPaddingMask', 'MHA/causal-float-mask', 'MHA/causal+keyPaddingMask', 'MHA/batchFirst+both-masks',
    'EncoderLayer/post-norm', 'EncoderLayer/pre-norm', 'Encoder/2-layers+norm+pre-norm+masks']) {
    assert.ok(names.includes(n), `missing fixture ${n}`);
  }
});

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`attention vs PyTorch ${fx.torch} on ${backend}`, () => {
    for (const c of cases) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => runCase(c));
      });
    }
  });
}

/** Central differences of loss() in a few elements of each named parameter vs the .grad backward gives. */
function checkParamGrads(what: string, m: Module, loss: () => nb.Tensor, names: string[], eps = 1e-6): void {
  const params = new Map(m.namedParameters());
  m.zeroGrad();
  nb.scope(() => loss().backward());
  const at = (): number => nb.scope(() => nb.noGrad(() => loss().item()));
  for (const name of names) {
    const p = params.get(name);
    assert.ok(p, `${what}: no parameter ${name}`);
    const analytic = p.grad!.dataSync();
    const base = Float64Array.from(p.dataSync() as Float64Array);
    const n = base.length;
    const picks = [...new Set([0, Math.floor(n / 3), Math.floor(n / 2), n - 1])];
    const got: number[] = [], want: number[] = [];
    for (const j of picks) {
      const set = (v: number): void => {
        const d = Float64Array.from(base);
        d[j] = v;
        nb.noGrad(() => nb.scope(() => p._assign(nb.tensor(d, { dtype: 'float64', shape: p.shape }))));
      };
      set(base[j]! + eps);
      const fp = at();
      set(base[j]! - eps);
      const fm = at();
      set(base[j]!);
      want.push((fp - fm) / (2 * eps));
      got.push(analytic[j]!);
    }
    assertClose(`${what} d/d${name} at ${JSON.stringify(picks)}`, got, want, [picks.length], { rtol: 1e-5, atol: 1e-6 });
  }
  m.zeroGrad();
}

describe('attention', () => {
  test('isCausal without a mask equals the causal float mask (PyTorch fixture)', () => {
    nb.setBackend('js');
    nb.scope(() => {
      const c = cases.find((x) => x.name === 'MHA/causal-float-mask')!;
      const m = new MultiheadAttention(c.args[0], c.args[1], c.opts as MultiheadAttentionOptions);
      loadParams(m, c);
      const [out, w] = m.forward(toT(c.inputs.query!), toT(c.inputs.key!), toT(c.inputs.value!), { isCausal: true });
      check('isCausal output', out, c.outputs.output!);
      check('isCausal weights', w, c.outputs.weights!);
    });
  });

  test('generateSquareSubsequentMask: -inf above the diagonal, 0 on and below', () => {
    const m = generateSquareSubsequentMask(3).toArray();
    assert.deepEqual(m, [[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]);
  });

  test('PyTorch init: xavier-uniform in_proj_weight, zero in_proj_bias and out_proj.bias', () => {
    nb.manualSeed(5);
    const m = new MultiheadAttention(16, 4);
    const sd = m.stateDict();
    assert.deepEqual(Object.keys(sd), ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    const bound = Math.sqrt(6 / (16 + 48));
    const w = sd.in_proj_weight!.dataSync();
    assert.ok(w.every((v) => Math.abs(v) <= bound) && Math.max(...w) > bound * 0.8, 'in_proj_weight outside ±√(6/(fanIn+fanOut))');
    assert.ok(sd.in_proj_bias!.dataSync().every((v) => v === 0), 'in_proj_bias is not zero');
    assert.ok(sd['out_proj.bias']!.dataSync().every((v) => v === 0), 'out_proj.bias is not zero');
    const ow = sd['out_proj.weight']!.dataSync();
    assert.ok(ow.every((v) => Math.abs(v) <= 1 / 4), 'out_proj.weight outside Linear\'s ±1/√in');
  });

  test('TransformerEncoder holds copies of the layer: same starting weights, separate parameters', () => {
    nb.manualSeed(2);
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    const enc = new TransformerEncoder(layer, 2);
    const ref = layer.stateDict();
    const sd = enc.stateDict();
    for (const i of [0, 1]) {
      for (const [k, t] of Object.entries(ref)) {
        const mine = sd[`layers.${i}.${k}`];
        assert.ok(mine, `layers.${i}.${k} missing`);
        assert.notEqual(mine, t, `layers.${i}.${k} is the original parameter, not a copy`);
        assertClose(`layers.${i}.${k}`, mine.dataSync(), t.dataSync(), t.shape, { rtol: 0, atol: 0 });
      }
    }
    assert.notEqual(sd['layers.0.linear1.weight'], sd['layers.1.linear1.weight']);
    assert.equal(Object.keys(sd).length, 2 * Object.keys(ref).length);
  });

  test('attention dropout acts in train() only', () => {
    nb.setBackend('js');
    nb.scope(() => {
      nb.manualSeed(9);
      const m = new MultiheadAttention(8, 2, { dropout: 0.5 });
      const x = nb.randn([4, 2, 8]);
      m.eval();
      const a = m.forward(x, x, x)[1]!.dataSync();
      const b = m.forward(x, x, x)[1]!.dataSync();
      assert.deepEqual(a, b);
      m.train();
      const c = m.forward(x, x, x)[1]!.dataSync();
      assert.ok(c.some((v, i) => v !== a[i]), 'train-mode weights equal eval weights: dropout did nothing');
    });
  });

  test('bad input names the layer, what it expected and what it got', () => {
    nb.setBackend('js');
    nb.scope(() => {
      const m = new MultiheadAttention(8, 2, { batchFirst: true });
      const x = nb.zeros([2, 4, 8]);
      assert.throws(() => m.forward(nb.zeros([2, 4, 6]), x, x),
        { message: 'MultiheadAttention(8, heads=2): expected query [N, L, 8] (batchFirst) or unbatched [L, 8], got [2, 4, 6]' });
      assert.throws(() => m.forward(x, x, x, { keyPaddingMask: nb.zeros([2, 3]).bool() }),
        { message: 'MultiheadAttention(8, heads=2): keyPaddingMask must be [2, 4] (N, S), got [2, 3]' });
      assert.throws(() => m.forward(x, x, x, { attnMask: nb.zeros([4, 5]) }), /attnMask must be \[4, 4\] or \[4, 4, 4\]/);
      assert.throws(() => new MultiheadAttention(10, 3), /embedDim 10 must be divisible by numHeads 3/);
      assert.throws(() => scaledDotProductAttention(nb.zeros([2, 3, 4]), nb.zeros([2, 5, 6]), nb.zeros([2, 5, 4])), /differ in the feature dim/);
      assert.throws(() => new TransformerEncoderLayer(8, 2, { activation: 'tanh' as 'relu' }), /activation must be 'relu', 'gelu' or a function/);
    });
  });

  test('float64 gradcheck of a MultiheadAttention call with both masks (query, key, value and weights)', () => {
    nb.setBackend('js');
    nb.manualSeed(11);
    const m = new MultiheadAttention(6, 2, { dtype: 'float64', kdim: 5 });
    nb.noGrad(() => {
      for (const [k, p] of m.namedParameters()) if (k.endsWith('bias')) p._assign(nb.keep(nb.randn(p.shape, { dtype: 'float64' })));
    });
    const kpm = nb.keep(nb.tensor([[false, false, true, false], [false, true, false, false]]));
    const am = nb.keep(nb.randn([3, 4], { dtype: 'float64' }));
    const cotW = nb.keep(nb.randn([2, 3, 4], { dtype: 'float64' }));
    const f = (q: nb.Tensor, k: nb.Tensor, v: nb.Tensor): nb.Tensor => {
      const [o, w] = m.forward(q, k, v, { keyPaddingMask: kpm, attnMask: am });
      return o.mul(o).sum().add(w!.mul(cotW).sum());
    };
    const xs = [[3, 2, 6], [4, 2, 5], [4, 2, 6]].map((s) => nb.keep(nb.randn(s, { dtype: 'float64' })));
    m.requiresGrad_(false);
    gradcheck('MultiheadAttention inputs', f, xs, { maxElems: 16 });
    m.requiresGrad_(true);
    checkParamGrads('MultiheadAttention', m, () => f(xs[0]!, xs[1]!, xs[2]!), ['q_proj_weight', 'k_proj_weight', 'in_proj_bias', 'out_proj.weight']);
  });

  test('a forward and backward inside scope leaves memory where it started', () => {
    nb.setBackend('js');
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, normFirst: true });
    const before = nb.memory().tensors;
    for (let i = 0; i < 3; i++) {
      nb.scope(() => {
        const x = nb.randn([5, 2, 8]);
        layer.forward(x, { isCausal: true, srcKeyPaddingMask: nb.tensor([[false, false, false, true, true], [false, false, false, false, false]]) }).sum().backward();
      });
      layer.zeroGrad();
    }
    assert.equal(nb.memory().tensors, before);
  });
});
