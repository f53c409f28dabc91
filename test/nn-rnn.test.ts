// RNN (tanh/relu), LSTM and GRU against PyTorch (fixtures/rnn.json from scripts/gen_rnn_fixtures.py):
// outputs, final states, input/state gradients and every parameter gradient; init, dropout, errors, gradcheck.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { RNN, LSTM, GRU, type RNNOptions } from '../src/nn/rnn.js';
import type { Module } from '../src/nn/module.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { gradcheck } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

interface FT { shape: number[]; data: Num[] }
interface RnnCase {
  name: string; group: string; module: 'RNN' | 'LSTM' | 'GRU'; args: [number, number]; opts: RNNOptions;
  params: Record<string, FT>;
  inputs: { input: FT; h0: FT | null; c0: FT | null };
  outputs: { output: FT; h: FT; c: FT | null };
  cotangents: { output: FT; h: FT; c: FT | null };
  grads: { input: FT; h0: FT | null; c0: FT | null; params: Record<string, FT> };
}

const fx = JSON.parse(readFileSync(new URL('../fixtures/rnn.json', import.meta.url), 'utf8')) as { torch: string; cases: RnnCase[] };
const cases = fx.cases.filter((c) => c.group === 'rnn');

const t32 = (f: FT, requiresGrad = false): nb.Tensor =>
  nb.tensor(decodeData(f.data, 'float32'), { shape: f.shape, requiresGrad });

function check(what: string, got: nb.Tensor | null | undefined, want: FT): void {
  assert.ok(got, `${what}: missing (null), expected shape [${want.shape.join(', ')}]`);
  assertShape(what, got.shape, want.shape);
  assertClose(what, got.dataSync(), decodeData(want.data, 'float32'), want.shape, TOL.float32);
}

function build(c: RnnCase): RNN | LSTM | GRU {
  const [i, h] = c.args;
  const m = c.module === 'LSTM' ? new LSTM(i, h, c.opts) : c.module === 'GRU' ? new GRU(i, h, c.opts) : new RNN(i, h, c.opts);
  m.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, t32(v)])));
  return m;
}

function runCase(c: RnnCase): void {
  const m = build(c);
  assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.params), `${c.name}: stateDict keys differ from PyTorch's (order too)`);
  const x = t32(c.inputs.input, true);
  const h0 = c.inputs.h0 ? t32(c.inputs.h0, true) : null;
  const c0 = c.inputs.c0 ? t32(c.inputs.c0, true) : null;
  let out: nb.Tensor, h: nb.Tensor, cN: nb.Tensor | null = null;
  if (m instanceof LSTM) {
    [out, [h, cN]] = m.forward(x, h0 && c0 ? [h0, c0] : null);
  } else {
    [out, h] = m.forward(x, h0);
  }
  check(`${c.name} output`, out, c.outputs.output);
  check(`${c.name} hN`, h, c.outputs.h);
  if (c.outputs.c) check(`${c.name} cN`, cN, c.outputs.c);
  let loss = out.mul(t32(c.cotangents.output)).sum().add(h.mul(t32(c.cotangents.h)).sum());
  if (cN && c.cotangents.c) loss = loss.add(cN.mul(t32(c.cotangents.c)).sum());
  loss.backward();
  check(`${c.name} grad of input`, x.grad, c.grads.input);
  if (c.grads.h0) check(`${c.name} grad of h0`, h0!.grad, c.grads.h0);
  if (c.grads.c0) check(`${c.name} grad of c0`, c0!.grad, c.grads.c0);
  const params = new Map(m.namedParameters());
  for (const [k, want] of Object.entries(c.grads.params)) check(`${c.name} grad of ${k}`, params.get(k)!.grad, want);
}

test('the fixtures cover RNN tanh/relu, LSTM and GRU multi-layer, bidirectional, batch-first, with h0', () => {
  for (const kind of ['RNN-tanh', 'RNN-relu', 'LSTM', 'GRU']) {
    const mine = cases.filter((c) => c.name.startsWith(kind + '/'));
    assert.ok(mine.some((c) => (c.opts.numLayers ?? 1) > 1), `${kind}: no multi-layer case`);
    assert.ok(mine.some((c) => c.opts.bidirectional), `${kind}: no bidirectional case`);
    assert.ok(mine.some((c) => c.opts.batchFirst), `${kind}: no batch-first case`);
    assert.ok(mine.some((c) => c.inputs.h0), `${kind}: no case with h0`);
    assert.ok(mine.some((c) => !c.inputs.h0), `${kind}: no case without h0`);
  }
});

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

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`recurrent layers vs PyTorch ${fx.torch} on ${backend}`, () => {
    for (const c of cases) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => runCase(c));
      });
    }
  });
}

describe('recurrent layers', () => {
  test('PyTorch init: every weight and bias in U(-1/√hidden, 1/√hidden)', () => {
    nb.setBackend('js');
    nb.manualSeed(7);
    for (const m of [new RNN(5, 16), new LSTM(5, 16, { numLayers: 2 }), new GRU(5, 16, { bidirectional: true })]) {
      const k = 1 / Math.sqrt(16);
      for (const [name, p] of m.namedParameters()) {
        const d = p.dataSync();
        let lo = Infinity, hi = -Infinity;
        for (const v of d) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
        assert.ok(lo >= -k && hi <= k, `${name}: values in [${lo}, ${hi}], outside ±${k}`);
        // a uniform sample of ≥ 64 values spreads over most of the interval
        assert.ok(hi - lo > k, `${name}: values span only ${hi - lo}`);
      }
    }
  });

  test('parameter shapes: gates × hidden rows, layer ≥ 1 takes D·hidden inputs', () => {
    const m = new GRU(3, 4, { numLayers: 2, bidirectional: true, bias: false });
    const shapes = Object.fromEntries(m.namedParameters().map(([k, p]) => [k, p.shape]));
    assert.deepEqual(shapes, {
      weight_ih_l0: [12, 3], weight_hh_l0: [12, 4], weight_ih_l0_reverse: [12, 3], weight_hh_l0_reverse: [12, 4],
      weight_ih_l1: [12, 8], weight_hh_l1: [12, 4], weight_ih_l1_reverse: [12, 8], weight_hh_l1_reverse: [12, 4],
    });
  });

  test('inter-layer dropout acts in train() only, and not after the last layer', () => {
    nb.setBackend('js');
    nb.scope(() => {
      nb.manualSeed(1);
      const a = new LSTM(3, 6, { numLayers: 2, dropout: 0.5 });
      const b = new LSTM(3, 6, { numLayers: 2 });
      b.loadStateDict(a.stateDict());
      const x = nb.randn([5, 2, 3]);
      const ref = b.forward(x)[0].dataSync();
      a.eval();
      assertClose('eval output', a.forward(x)[0].dataSync(), ref, [5, 2, 6], { rtol: 0, atol: 0 });
      a.train();
      const tr = a.forward(x)[0].dataSync();
      assert.ok(tr.some((v, i) => v !== ref[i]), 'train-mode output equals eval output: dropout did nothing');
      // one layer: the dropout option has no effect (PyTorch warns), the output is the same
      const one = new GRU(3, 6, { dropout: 0.9 });
      const oneRef = new GRU(3, 6);
      oneRef.loadStateDict(one.stateDict());
      assertClose('1-layer', one.forward(x)[0].dataSync(), oneRef.forward(x)[0].dataSync(), [5, 2, 6], { rtol: 0, atol: 0 });
    });
  });

  test('bad input names the layer, what it expected and what it got', () => {
    nb.setBackend('js');
    nb.scope(() => {
      assert.throws(() => new LSTM(64, 256, { batchFirst: true }).forward(nb.zeros([8, 10, 32])),
        { message: 'LSTM(64→256): expected input [N, L, 64] (batchFirst) or unbatched [L, 64], got [8, 10, 32]' });
      assert.throws(() => new GRU(4, 8).forward(nb.zeros([4])), /GRU\(4→8\): expected input \[L, N, 4\] or unbatched \[L, 4\], got \[4\]/);
      assert.throws(() => new RNN(4, 8, { numLayers: 2 }).forward(nb.zeros([3, 2, 4]), nb.zeros([1, 2, 8])),
        { message: 'RNN(4→8): expected hx of shape [2, 2, 8], got [1, 2, 8]' });
      assert.throws(() => new LSTM(4, 8).forward(nb.zeros([3, 4]), [nb.zeros([1, 8]), nb.zeros([1, 2, 8])]),
        { message: 'LSTM(4→8): expected c0 of shape [1, 8] (the input is unbatched), got [1, 2, 8]' });
      assert.throws(() => new RNN(4, 8, { nonlinearity: 'sigmoid' as 'tanh' }), /nonlinearity must be 'tanh' or 'relu'/);
      assert.throws(() => new LSTM(0, 8), /LSTM: inputSize must be an integer ≥ 1, got 0/);
    });
  });

  test('float64 gradcheck of a 2-layer bidirectional LSTM (input, h0, c0 and weights)', () => {
    nb.setBackend('js');
    nb.manualSeed(3);
    const m = new LSTM(2, 3, { numLayers: 2, bidirectional: true, dtype: 'float64' });
    const cot = nb.keep(nb.randn([4, 2, 6], { dtype: 'float64' }));
    const f = (x: nb.Tensor, h0: nb.Tensor, c0: nb.Tensor): nb.Tensor => {
      const [out, [h, c]] = m.forward(x, [h0, c0]);
      return out.mul(cot).sum().add(h.sum()).add(c.mul(0.5).sum());
    };
    const xs = [[4, 2, 2], [4, 2, 3], [4, 2, 3]].map((s) => nb.keep(nb.randn(s, { dtype: 'float64' })));
    // parameters frozen while nb.grad differentiates w.r.t. the inputs only (see checkParamGrads for them)
    m.requiresGrad_(false);
    gradcheck('LSTM inputs', f, xs, { maxElems: 12 });
    m.requiresGrad_(true);
    checkParamGrads('LSTM', m, () => f(xs[0]!, xs[1]!, xs[2]!), ['weight_ih_l0', 'weight_hh_l1_reverse', 'bias_hh_l0', 'bias_ih_l1']);
  });

  test('a forward and backward inside scope leaves memory where it started', () => {
    nb.setBackend('js');
    const m: Module = new GRU(3, 5, { numLayers: 2, bidirectional: true });
    const before = nb.memory().tensors;
    for (let i = 0; i < 3; i++) {
      nb.scope(() => {
        const [o, h] = (m as GRU).forward(nb.randn([6, 2, 3]));
        o.sum().add(h.sum()).backward();
      });
      m.zeroGrad();
    }
    assert.equal(nb.memory().tensors, before);
  });
});
