// TransformerDecoderLayer, TransformerDecoder and Transformer against PyTorch (fixtures/transformer.json):
// outputs, input and parameter gradients with and without masks; init, copies, errors, gradcheck, memory.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import {
  Transformer, TransformerDecoder, TransformerDecoderLayer, type TransformerDecoderLayerOptions,
} from '../src/nn/transformer.js';
import type { Module } from '../src/nn/module.js';
import { LayerNorm } from '../src/nn/layers/norm.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { gradcheck } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

interface FT { shape: number[]; data: Num[] }
interface Case {
  name: string; group: 'decoder' | 'transformer'; module: string; args: [number, number];
  opts: TransformerDecoderLayerOptions & Record<string, unknown>;
  numLayers?: number | null; finalNorm?: boolean; numEncoderLayers?: number; numDecoderLayers?: number;
  params: Record<string, FT>;
  inputs: Record<string, FT | null>;
  outputs: Record<string, FT>;
  cotangents: Record<string, FT>;
  grads: Record<string, FT> & { params: Record<string, FT> };
}

const fx = JSON.parse(readFileSync(new URL('../fixtures/transformer.json', import.meta.url), 'utf8')) as {
  torch: string; cases: Case[]; squareSubsequentMask4: FT;
};

function toT(f: FT, requiresGrad = false): nb.Tensor {
  if (typeof f.data[0] === 'boolean') return nb.tensor(decodeData(f.data, 'bool'), { shape: f.shape, dtype: 'bool' });
  return nb.tensor(decodeData(f.data, 'float32'), { shape: f.shape, requiresGrad, dtype: 'float32' });
}
const opt = (f: FT | null | undefined): nb.Tensor | null => (f ? toT(f) : null);

function check(what: string, got: nb.Tensor | null | undefined, want: FT): void {
  assert.ok(got, `${what}: missing (null), expected shape [${want.shape.join(', ')}]`);
  assertShape(what, got.shape, want.shape);
  assertClose(what, got.dataSync(), decodeData(want.data, 'float32'), want.shape, TOL.float32);
}

function build(c: Case): Module {
  const [d, h] = c.args;
  if (c.group === 'transformer') {
    return new Transformer({ dModel: d, nhead: h, numEncoderLayers: c.numEncoderLayers, numDecoderLayers: c.numDecoderLayers, ...c.opts });
  }
  const layer = new TransformerDecoderLayer(d, h, c.opts);
  if (!c.numLayers) return layer;
  return new TransformerDecoder(layer, c.numLayers, { norm: c.finalNorm ? new LayerNorm(d, { eps: c.opts.layerNormEps }) : null });
}

function runCase(c: Case): void {
  const m = build(c);
  m.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, toT(v)])));
  assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.params), `${c.name}: stateDict keys differ from PyTorch's (order too)`);
  m.eval();
  const i = c.inputs;
  const leaves: Record<string, nb.Tensor> = {};
  let out: nb.Tensor;
  if (c.group === 'transformer') {
    leaves.src = toT(i.src!, true);
    leaves.tgt = toT(i.tgt!, true);
    out = (m as Transformer).forward(leaves.src, leaves.tgt, {
      tgtMask: opt(i.tgtMask), srcKeyPaddingMask: opt(i.srcKeyPaddingMask),
      tgtKeyPaddingMask: opt(i.tgtKeyPaddingMask), memoryKeyPaddingMask: opt(i.memoryKeyPaddingMask),
    });
  } else {
    leaves.tgt = toT(i.tgt!, true);
    leaves.memory = toT(i.memory!, true);
    out = (m as TransformerDecoderLayer | TransformerDecoder).forward(leaves.tgt, leaves.memory, {
      tgtMask: opt(i.tgtMask), memoryMask: opt(i.memoryMask),
      tgtKeyPaddingMask: opt(i.tgtKeyPaddingMask), memoryKeyPaddingMask: opt(i.memoryKeyPaddingMask),
    });
  }
  check(`${c.name} output`, out, c.outputs.output);
  out.mul(toT(c.cotangents.output)).sum().backward();
  for (const [k, t] of Object.entries(leaves)) check(`${c.name} grad of ${k}`, t.grad, c.grads[k]!);
  const params = new Map(m.namedParameters());
  for (const [k, want] of Object.entries(c.grads.params)) check(`${c.name} grad of ${k}`, params.get(k)!.grad, want);
}

test('the fixtures cover decoder layers, stacks and whole transformers with every mask', () => {
  const names = fx.cases.map((c) => c.name);
  for (const n of ['DecoderLayer/post-norm', 'DecoderLayer/pre-norm', 'DecoderLayer/post-norm+all-masks',
    'Decoder/3-layers+norm+pre-norm+masks', 'Transformer/2+1+masks', 'Transformer/1+2+batchFirst+pre-norm+gelu+masks']) {
    assert.ok(names.includes(n), `missing fixture ${n}`);
  }
});

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`transformer vs PyTorch ${fx.torch} on ${backend}`, () => {
    for (const c of fx.cases) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => runCase(c));
      });
    }
  });
}

describe('transformer', () => {
  test('Transformer.generateSquareSubsequentMask equals PyTorch\'s', () => {
    const m = Transformer.generateSquareSubsequentMask(4);
    assertShape('mask', m.shape, fx.squareSubsequentMask4.shape);
    assert.deepEqual(Array.from(m.dataSync()), fx.squareSubsequentMask4.data.map((v) => (v === '-inf' ? -Infinity : v)));
  });

  test('PyTorch keys and init: xavier-uniform matrices, LayerNorm ones/zeros, encoder and decoder norms', () => {
    nb.manualSeed(3);
    const m = new Transformer({ dModel: 16, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 32 });
    const sd = m.stateDict();
    const keys = Object.keys(sd);
    for (const k of ['encoder.layers.1.self_attn.in_proj_weight', 'encoder.norm.weight', 'decoder.layers.0.multihead_attn.out_proj.bias',
      'decoder.layers.0.norm3.bias', 'decoder.norm.bias']) {
      assert.ok(keys.includes(k), `missing ${k}`);
    }
    assert.ok(!keys.includes('decoder.layers.1.norm1.weight'));
    for (const [k, t] of Object.entries(sd)) {
      const v = t.dataSync();
      if (t.ndim > 1) {
        const bound = Math.sqrt(6 / (t.shape[0]! + t.shape[1]!));
        assert.ok(v.every((x) => Math.abs(x) <= bound) && Math.max(...v) > bound * 0.7, `${k}: not xavier-uniform ±${bound}`);
      } else if (/norm\d?\.weight$/.test(k)) {
        assert.ok(v.every((x) => x === 1), `${k} is not ones`);
      } else if (/norm\d?\.bias$|in_proj_bias$|out_proj\.bias$/.test(k)) {
        assert.ok(v.every((x) => x === 0), `${k} is not zero`);
      }
    }
    // the copies start from the same weights, which xavier then redraws independently, as in PyTorch
    assert.notDeepEqual(sd['encoder.layers.0.linear1.weight']!.dataSync(), sd['encoder.layers.1.linear1.weight']!.dataSync());
  });

  test('TransformerDecoder holds separate copies with the same starting weights', () => {
    nb.manualSeed(4);
    const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    const dec = new TransformerDecoder(layer, 2);
    const ref = layer.stateDict(), sd = dec.stateDict();
    for (const i of [0, 1]) {
      for (const [k, t] of Object.entries(ref)) {
        assert.notEqual(sd[`layers.${i}.${k}`], t);
        assert.deepEqual(sd[`layers.${i}.${k}`]!.dataSync(), t.dataSync(), `layers.${i}.${k}`);
      }
    }
  });

  test('keepAttentionWeights: the weights of the attention to the memory, as MultiheadAttention gives them', () => {
    nb.setBackend('js');
    nb.scope(() => {
      nb.manualSeed(6);
      const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
      layer.eval();
      const tgt = nb.randn([2, 3, 8]), mem = nb.randn([2, 5, 8]);
      const mask = Transformer.generateSquareSubsequentMask(3);
      const out = layer.forward(tgt, mem, { tgtMask: mask });
      assert.equal(layer.lastAttentionWeights, null, 'weights kept although keepAttentionWeights is false');
      layer.keepAttentionWeights = true;
      const out2 = layer.forward(tgt, mem, { tgtMask: mask });
      assert.deepEqual(out2.dataSync(), out.dataSync());
      const [sa] = layer.selfAttn.forward(tgt, tgt, tgt, { attnMask: mask });
      const x1 = layer.norm1.forward(tgt.add(sa));
      const [, w] = layer.multiheadAttn.forward(x1, mem, mem);
      assertShape('weights', layer.lastAttentionWeights!.shape, [2, 3, 5]);
      assertClose('weights', layer.lastAttentionWeights!.dataSync(), w!.dataSync(), [2, 3, 5], TOL.float32);
    });
  });

  test('tgtIsCausal equals the causal tgtMask', () => {
    nb.setBackend('js');
    nb.scope(() => {
      nb.manualSeed(7);
      const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
      layer.eval();
      const tgt = nb.randn([4, 2, 8]), mem = nb.randn([3, 2, 8]);
      const a = layer.forward(tgt, mem, { tgtMask: Transformer.generateSquareSubsequentMask(4) }).dataSync();
      const b = layer.forward(tgt, mem, { tgtIsCausal: true }).dataSync();
      assert.deepEqual(b, a);
    });
  });

  test('float64 gradcheck of a decoder stack with masks (inputs and parameters)', () => {
    nb.setBackend('js');
    nb.manualSeed(8);
    const dec = new TransformerDecoder(new TransformerDecoderLayer(6, 2, { dimFeedforward: 8, dropout: 0, dtype: 'float64', normFirst: true }), 2,
      { norm: new LayerNorm(6, { dtype: 'float64' }) });
    const tm = nb.keep(Transformer.generateSquareSubsequentMask(3, { dtype: 'float64' }));
    const mk = nb.keep(nb.tensor([[false, false, true, false], [false, true, false, false]]));
    const cot = nb.keep(nb.randn([3, 2, 6], { dtype: 'float64' }));
    const f = (tgt: nb.Tensor, mem: nb.Tensor): nb.Tensor => dec.forward(tgt, mem, { tgtMask: tm, memoryKeyPaddingMask: mk }).mul(cot).sum();
    const xs = [[3, 2, 6], [4, 2, 6]].map((s) => nb.keep(nb.randn(s, { dtype: 'float64' })));
    dec.requiresGrad_(false);
    gradcheck('TransformerDecoder inputs', f, xs, { maxElems: 16 });
    dec.requiresGrad_(true);
    const params = new Map(dec.namedParameters());
    dec.zeroGrad();
    nb.scope(() => f(xs[0]!, xs[1]!).backward());
    for (const name of ['layers.0.multihead_attn.in_proj_weight', 'layers.1.norm3.weight', 'layers.1.linear1.bias', 'norm.bias']) {
      const p = params.get(name)!;
      const analytic = p.grad!.dataSync();
      const base = Float64Array.from(p.dataSync() as Float64Array);
      const eps = 1e-6;
      for (const j of [0, Math.floor(base.length / 2), base.length - 1]) {
        const at = (v: number): number => {
          const d = Float64Array.from(base);
          d[j] = v;
          nb.noGrad(() => nb.scope(() => p._assign(nb.tensor(d, { dtype: 'float64', shape: p.shape }))));
          return nb.scope(() => nb.noGrad(() => f(xs[0]!, xs[1]!).item()));
        };
        const numeric = (at(base[j]! + eps) - at(base[j]! - eps)) / (2 * eps);
        at(base[j]!);
        assertClose(`d/d${name}[${j}]`, [analytic[j]!], [numeric], [1], { rtol: 1e-5, atol: 1e-6 });
      }
    }
    dec.zeroGrad();
  });

  test('bad input names the layer, what it expected and what it got', () => {
    nb.setBackend('js');
    nb.scope(() => {
      const t = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8 });
      assert.throws(() => t.forward(nb.zeros([5, 2, 8]), nb.zeros([4, 3, 8])), /Transformer: the batch number of src \[5, 2, 8\] and tgt \[4, 3, 8\] must be equal \(dim 1\)/);
      assert.throws(() => t.forward(nb.zeros([5, 2, 8]), nb.zeros([4, 2, 6])), /feature number of src \[5, 2, 8\] and tgt \[4, 2, 6\] must be equal to dModel 8/);
      const layer = new TransformerDecoderLayer(8, 2);
      assert.throws(() => layer.forward(nb.zeros([4, 8]), nb.zeros([5, 2, 8])), /both be batched \(3-D\) or both unbatched/);
      assert.throws(() => layer.forward(nb.zeros([4, 2, 8]), nb.zeros([5, 2, 8]), { memoryKeyPaddingMask: nb.zeros([2, 4]).bool() }),
        /keyPaddingMask must be \[2, 5\] \(N, S\), got \[2, 4\]/);
      assert.throws(() => new TransformerDecoderLayer(8, 2, { activation: 'tanh' as 'relu' }), /TransformerDecoderLayer: activation must be 'relu', 'gelu' or a function/);
      assert.throws(() => new TransformerDecoder(layer, 0), /numLayers must be an integer ≥ 1, got 0/);
      assert.throws(() => new TransformerDecoderLayer(10, 3), /embedDim 10 must be divisible by numHeads 3/);
    });
  });

  test('a forward and backward inside scope leaves memory where it started', () => {
    nb.setBackend('js');
    const t = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 16, batchFirst: true });
    const dl = t.decoder as TransformerDecoder;
    for (const l of dl.layers) (l as TransformerDecoderLayer).keepAttentionWeights = true;
    nb.scope(() => t.forward(nb.randn([2, 5, 8]), nb.randn([2, 4, 8]))); // the kept weights are made once
    const before = nb.memory().tensors;
    for (let i = 0; i < 3; i++) {
      nb.scope(() => {
        t.forward(nb.randn([2, 5, 8]), nb.randn([2, 4, 8]), { tgtMask: Transformer.generateSquareSubsequentMask(4) }).sum().backward();
      });
      t.zeroGrad();
    }
    assert.equal(nb.memory().tensors, before);
  });
});
