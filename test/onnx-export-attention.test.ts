// ONNX export of what a forward computes through fused or kernel paths: F.scaledDotProductAttention
// (plain, causal, bool and float masks, scale), a small GPT block, and the fused row kernels (softmax,
// layerNorm, gelu, causal softmax) and fused linear/conv + ReLU. Each is exported at batch 2 (with and
// without noGrad around the export) and run in ONNX Runtime at other batch sizes on other inputs
// against Nabla's forward: a result the trace did not see must not be baked in as a constant.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import * as onnx from '../src/io/onnx/index.js';
import { matmulT } from '../src/ops/linalg.js';
import { causalSoftmax } from '../src/ops/activation.js';
import { assertClose } from './helpers/allclose.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { absMax, hasOnnxPython, onnxCheck, ortRun } from './helpers/onnx.js';

const { nn, F } = nb;
type T = nb.Tensor;
type SdpaOptions = NonNullable<Parameters<typeof F.scaledDotProductAttention>[3]>;

/** [N, L, 3·H·d] from a Linear → q, k, v as [N, H, L, d]. */
function qkv(proj: nb.nn.Linear, x: T, heads: number): [T, T, T] {
  const [N, L] = x.shape as [number, number];
  return proj.forward(x).chunk(3, -1).map((t) => t.reshape([N, L, heads, -1]).transpose(1, 2)) as [T, T, T];
}

/** Attention through F.scaledDotProductAttention, its options given per call (a mask is a buffer-free constant). */
class Sdpa extends nn.Module {
  readonly proj = new nn.Linear(8, 24);
  constructor(readonly opts: () => SdpaOptions = () => ({})) { super(); }
  override forward(x: T): T {
    const [q, k, v] = qkv(this.proj, x, 2);
    return F.scaledDotProductAttention(q, k, v, this.opts()).transpose(1, 2).reshape([x.shape[0]!, x.shape[1]!, 8]);
  }
}

/** No parameters: nothing in the forward requires grad unless the exporter makes the input do so. */
class SelfAttention extends nn.Module {
  override forward(x: T): T { return F.scaledDotProductAttention(x, x.mul(0.5), x, { isCausal: true }); }
}

/** float64, keys and values shared by the heads ([N, 1, S, E] broadcast against [N, 2, L, E]), a float32 mask cast. */
class Broadcast extends nn.Module {
  override forward(x: T): T {
    const [N, L] = x.shape as [number, number];
    const q = x.reshape([N, L, 2, 4]).transpose(1, 2), kv = x.narrow(2, 0, 4).unsqueeze(1);
    return F.scaledDotProductAttention(q, kv, kv.mul(2), { attnMask: nb.linspace(0, 1, L * L).reshape([L, L]) });
  }
}

/** A pre-norm GPT block as bench/peers/nabla-generative.ts writes it: F.layerNorm, causal SDPA, GELU MLP. */
class GptBlock extends nn.Module {
  readonly ln1 = new nn.LayerNorm(8);
  readonly attn = new nn.Linear(8, 24);
  readonly out = new nn.Linear(8, 8);
  readonly ln2 = new nn.LayerNorm(8);
  readonly fc = new nn.Linear(8, 32);
  readonly fc2 = new nn.Linear(32, 8);
  override forward(x: T): T {
    const [N, L] = x.shape as [number, number];
    const [q, k, v] = qkv(this.attn, this.ln1.forward(x), 2);
    const y = F.scaledDotProductAttention(q, k, v, { isCausal: true }).transpose(1, 2).reshape([N, L, 8]);
    const h = x.add(this.out.forward(y));
    return h.add(this.fc2.forward(F.gelu(this.fc.forward(this.ln2.forward(h)))));
  }
}

class Mha extends nn.Module {
  readonly attn = new nn.MultiheadAttention(8, 2, { batchFirst: true });
  override forward(x: T): T { return this.attn.forward(x, x, x, { needWeights: false })[0]; }
}

/** The fused row kernels and the fused linear / conv + ReLU paths, each called by the forward itself. */
class FusedRows extends nn.Module {
  readonly w = new nn.Linear(6, 6);
  override forward(x: T): T {
    const a = F.softmax(x, -1), b = F.layerNorm(x, [6]), c = F.gelu(x), d = causalSoftmax(x);
    const e = F.relu(F.linear(x, this.w.weight, this.w.bias)), f = F.logSoftmax(x, -1);
    return a.add(b).add(c).add(d).add(e).add(f);
  }
}
class FusedConv extends nn.Module {
  readonly conv = new nn.Conv2d(2, 3, 3, { padding: 1 });
  override forward(x: T): T { return F.maxPool2d(F.relu(this.conv.forward(x)), 2); }
}

const bool = (L: number, S: number): T => nb.tensor(Array.from({ length: L * S }, (_, i) => (i % S) <= Math.floor(i / S) + 1), { shape: [L, S], dtype: 'bool' });
const seq = (n: number): T => nb.randn([n, 5, 8]);
const CASES: [string, () => nb.nn.Module, (n: number) => T][] = [
  ['SDPA', () => new Sdpa(), seq],
  ['SDPA isCausal', () => new Sdpa(() => ({ isCausal: true })), seq],
  ['SDPA bool attnMask (true = takes part)', () => new Sdpa(() => ({ attnMask: bool(5, 5) })), seq],
  ['SDPA float attnMask [N·1, 1, L, S] broadcast, scale 0.3', () => new Sdpa(() => ({ attnMask: nb.linspace(-2, 1, 25).reshape([1, 1, 5, 5]), scale: 0.3 })), seq],
  ['SDPA on inputs alone (no parameter)', () => new SelfAttention(), seq],
  ['SDPA float64, k/v broadcast over heads, float32 mask', () => new Broadcast(), (n) => nb.randn([n, 5, 8], { dtype: 'float64' })],
  ['GPT block (layerNorm, causal SDPA, GELU)', () => new GptBlock(), seq],
  ['nn.MultiheadAttention (its layer exporter)', () => new Mha(), seq],
  ['nn.TransformerEncoderLayer', () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), seq],
  ['fused rows: softmax, layerNorm, gelu, causal softmax, linear+relu, logSoftmax', () => new FusedRows(), (n) => nb.randn([n, 6, 6]).mul(2)],
  ['fused conv2d + ReLU + max pooling', () => new FusedConv(), (n) => nb.randn([n, 2, 6, 6])],
];

const backends = await testBackends();
after(closeBackends);

describe('exported attention and fused paths follow the inputs in ONNX Runtime', () => {
  for (const [name, make, input] of CASES) {
    for (const underNoGrad of [false, true]) {
      test(`${name}${underNoGrad ? ' (exported under noGrad)' : ''}`, async () => {
        nb.setBackend(backends.includes('wasm') ? 'wasm' : backends[0]!);
        nb.manualSeed(3);
        const m = make();
        m.eval();
        const x2 = input(2);
        const bytes = underNoGrad ? nb.noGrad(() => onnx.exportModel(m, x2)) : onnx.exportModel(m, x2);
        if (hasOnnxPython && !underNoGrad) assert.equal(onnxCheck(bytes), '', `${name}: onnx.checker`);
        for (const n of [1, 3, 5]) {
          const x = input(n);
          const want = nb.noGrad(() => m.forward(x) as T);
          const [got] = await ortRun(bytes, [x]);
          assert.deepEqual(got!.dims, [...want.shape], `${name} (batch ${n}): shape`);
          const wd = want.dataSync();
          assertClose(`${name} (batch ${n})`, got!.data, wd, want.shape, { rtol: 1e-5, atol: 1e-5 * absMax(wd) });
        }
      });
    }
  }
});

/** Attention scores by the matmul kernel called directly, not through an op: the trace cannot see it. */
class Untraced extends nn.Module {
  override forward(x: T): T { return F.softmax(matmulT(x, x, false, true, 'attention'), -1); }
}

test('a value computed from the inputs outside the trace is refused, never written as a constant', () => {
  for (const wrap of [(f: () => unknown) => f(), nb.noGrad]) {
    assert.throws(() => wrap(() => onnx.exportModel(new Untraced(), nb.randn([2, 3, 4]))),
      /op 'softmax' gets a tensor 2×3×3 computed by op 'attention' in the forward of '\(root\)' \(Untraced\), which the trace did not see .*refused rather than written as a constant/);
  }
});

test('a subclass of MultiheadAttention (walked op by op: its products are not ops) is refused under noGrad too', () => {
  class MyAttention extends nn.MultiheadAttention {}
  class Net extends nn.Module {
    readonly attn = new MyAttention(8, 2, { batchFirst: true });
    override forward(x: T): T { return this.attn.forward(x, x, x, { needWeights: false })[0]; }
  }
  assert.throws(() => nb.noGrad(() => onnx.exportModel(new Net(), seq(2))), /computed by op 'attention' in the forward of 'attn' \(MyAttention\), which the trace did not see/);
});

test('SDPA with dropoutP > 0 is refused (it drops at random even in eval mode)', () => {
  const m = new Sdpa(() => ({ dropoutP: 0.1 }));
  assert.throws(() => onnx.exportModel(m, seq(2)), /op 'scaledDotProductAttention' in the forward of '\(root\)': dropoutP 0\.1 drops attention weights at random/);
});

test('a forward that updates a traced value in place is refused (the graph would not see the write), and the caller\'s input is left as it was', () => {
  class InPlace extends nn.Module {
    readonly l = new nn.Linear(3, 2);
    override forward(x: T): T { return this.l.forward(x.mul_(2)); }
  }
  const x2 = nb.randn([2, 3]), before = Array.from(x2.dataSync());
  for (const wrap of [(f: () => unknown) => f(), nb.noGrad]) {
    assert.throws(() => wrap(() => onnx.exportModel(new InPlace(), x2)),
      /module 'l' \(Linear\) gets a tensor 2×3 in the forward of '\(root\)' \(InPlace\) that was updated in place \(x\.op_\(…\)\) after the op that made it; in-place updates are not exported/);
  }
  assert.deepEqual(Array.from(x2.dataSync()), before);
});
