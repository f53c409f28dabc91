// Module hooks and fields against PyTorch (fixtures/module-hooks.json and .safetensors, written by
// scripts/gen_module_hook_fixtures.py): the same model with PyTorch's weights and int64 buffer, the same
// hooks reading and replacing values, and what each saw, the output and every gradient compared.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { assertClose } from './helpers/allclose.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { runBackward } from '../src/autograd/backward.js';

interface FxTensor { shape: number[]; dtype: 'float64' | 'int32'; data: Num[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/module-hooks.json', import.meta.url), 'utf8')) as {
  x: FxTensor; cotangent: FxTensor; y: FxTensor; gradX: FxTensor; grads: Record<string, FxTensor>; seen: Record<string, FxTensor[]>;
  state_dict_keys: string[]; named_modules: string[]; named_buffers: string[]; pe: FxTensor;
  positional_encoding: { x: FxTensor; out: FxTensor; pe: FxTensor };
};
const T = (t: FxTensor) => nb.tensor(decodeData(t.data, t.dtype === 'int32' ? 'int32' : 'float32'), { dtype: t.dtype === 'int32' ? 'int32' : 'float32', shape: t.shape });
const close = (what: string, got: nb.Tensor, want: FxTensor) => assertClose(what, got.dataSync(), decodeData(want.data, 'float64'), want.shape, { rtol: 1e-5, atol: 1e-6 });

/** The model of the fixture script, line by line: a plain array of layers stands where PyTorch needs nn.ModuleList. */
class Net extends nn.Module {
  fc1 = new nn.Linear(4, 3);
  act = new nn.Tanh();
  fc2 = new nn.Linear(3, 2);
  blocks = [new nn.Linear(2, 2), new nn.Linear(2, 2)];
  declare pe: nb.Tensor;
  constructor() {
    super();
    this.registerBuffer('pe', nb.arange(0, 6, 1, { dtype: 'int32' }).reshape([2, 3]));
  }
  override forward(x: nb.Tensor): nb.Tensor {
    let y = this.fc2.forward(this.act.forward(this.fc1.forward(x)));
    for (const b of this.blocks) y = b.forward(y);
    return y;
  }
}

function loaded(): Net {
  const net = new Net();
  const { tensors } = nb.deserialize(readFileSync(new URL('../fixtures/module-hooks.safetensors', import.meta.url)), 'module-hooks.safetensors');
  net.loadStateDict(tensors);
  return net;
}

test('names: a plain array of modules is registered as PyTorch’s ModuleList; keys, modules and buffers as PyTorch’s', () => {
  const net = new Net();
  assert.deepEqual(Object.keys(net.stateDict()), fx.state_dict_keys);
  assert.deepEqual([...net.namedModules()].map(([k]) => k), fx.named_modules);
  assert.deepEqual(net.namedBuffers().map(([k]) => k), fx.named_buffers);
});

test('an int64 buffer written by PyTorch loads through safetensors and loadStateDict, readable as a field', () => {
  const net = loaded();
  assert.equal(net.pe.dtype, 'int32');
  assert.deepEqual(net.pe.toArray(), T(fx.pe).toArray());
  assert.equal(net.pe, net.getBuffer('pe'));
  assert.equal(net.pe, net.stateDict()['pe']);
});

test('forward pre-hooks, forward hooks and full backward hooks see and replace what PyTorch’s do', () => {
  const net = loaded();
  const seen: Record<string, nb.Tensor[]> = {};
  const keep = (k: string, t: nb.Tensor): void => void (seen[k] ??= []).push(nb.keep(t.detach().clone()));
  net.fc2.registerForwardPreHook((_m, args) => [(args[0] as nb.Tensor).mul(2)]);
  net.fc1.registerForwardHook((_m, _a, out) => keep('fc1.out', out as nb.Tensor));
  net.act.registerForwardHook((_m, _a, out) => (out as nb.Tensor).add(0.5));
  net.fc2.registerFullBackwardHook((_m, gin, gout) => {
    keep('fc2.gradInput', gin[0]!);
    keep('fc2.gradOutput', gout[0]!);
    return [gin[0]!.mul(0.5)];
  });
  net.blocks[0]!.registerFullBackwardHook((_m, _gin, gout) => keep('blocks.0.gradOutput', gout[0]!));
  nb.scope(() => {
    const x = T(fx.x).requiresGrad_();
    const y = net.forward(x);
    close('output', y, fx.y);
    y.mul(T(fx.cotangent)).sum().backward();
    close('grad of x', x.grad!, fx.gradX);
    for (const [k, p] of net.namedParameters()) close(`grad of ${k}`, p.grad!, fx.grads[k]!);
  });
  for (const [k, list] of Object.entries(fx.seen)) {
    assert.equal(seen[k]?.length, list.length, `${k}: fired ${seen[k]?.length ?? 0} times, PyTorch ${list.length}`);
    list.forEach((w, i) => close(`${k} [${i}]`, seen[k]![i]!, w));
  }
});

test('hooks fire on every call path: Sequential, a fused conv+ReLU pair, a layer inside a layer; remove() stops them', () => {
  nb.scope(() => {
    const conv = new nn.Conv2d(1, 2, 3);
    const relu = new nn.ReLU();
    const seq = new nn.Sequential(conv, relu, new nn.Flatten());
    const want = nb.noGrad(() => nb.conv2d(nb.ones([1, 1, 4, 4]), conv.weight, conv.bias));
    const calls: string[] = [];
    // without hooks, the wasm backend defers the conv for the ReLU's rule to fold in (the path under test)
    if (nb.getBackend().name === 'wasm') assert.ok(conv.forward(nb.ones([1, 1, 4, 4]))._pending, 'conv is deferred');
    const h1 = conv.registerForwardHook((_m, _a, out) => {
      calls.push('conv');
      assert.equal((out as nb.Tensor)._pending, null, 'a hooked module\'s output is computed, not folded into the next op');
      // the module's real output: the convolution before the ReLU that follows it
      assert.deepEqual((out as nb.Tensor).toArray(), want.toArray());
    });
    const h2 = relu.registerForwardPreHook(() => void calls.push('relu pre'));
    const out = seq.forward(nb.ones([1, 1, 4, 4]));
    assert.deepEqual(out.toArray(), want.relu().flatten(1).toArray());
    assert.deepEqual(calls, ['conv', 'relu pre']);
    h1.remove();
    h2.remove();
    h1.remove();
    seq.forward(nb.ones([1, 1, 4, 4]));
    assert.deepEqual(calls, ['conv', 'relu pre']);
    // a layer inside a layer: MultiheadAttention's out_proj is called by the attention's forward
    const mha = new nn.MultiheadAttention(4, 2);
    let inner = 0;
    (mha as unknown as { out_proj: nn.Linear }).out_proj.registerForwardHook(() => void inner++);
    const q = nb.randn([3, 1, 4]);
    mha.forward(q, q, q);
    assert.equal(inner, 1);
  });
});

test('registered entries read and assign as fields; containers index, iterate and name as PyTorch’s', () => {
  nb.scope(() => {
    const md = new nn.ModuleDict({ wte: new nn.Embedding(5, 3) });
    assert.equal((md as unknown as { wte: nn.Module }).wte, md.get('wte'));
    const seq = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
    assert.equal((seq as unknown as Record<string, nn.Module>)['0'], seq.at(0));
    const list = new nn.ModuleList([new nn.Linear(1, 1), new nn.Linear(1, 1)]);
    assert.deepEqual([...list].map((m) => m.constructor.name), ['Linear', 'Linear']);
    const net = new Net();
    net.pe = nb.zeros([2, 3], { dtype: 'int32' });
    assert.deepEqual(net.stateDict()['pe']!.toArray(), [[0, 0, 0], [0, 0, 0]]);
    const rnn = new nn.RNN(2, 2);
    const w = rnn as unknown as { weight_ih_l0: nn.Parameter };
    assert.equal(w.weight_ih_l0, rnn.stateDict()['weight_ih_l0']);
    assert.throws(() => { w.weight_ih_l0 = nb.zeros([2, 2]) as nn.Parameter; }, /RNN\.weight_ih_l0: cannot assign a Tensor as parameter 'weight_ih_l0' \(a Parameter or null expected\)/);
    const lin = new nn.Linear(2, 2);
    assert.throws(() => lin.registerForwardHook(() => {}, { prepnd: true } as never), /registerForwardHook: unknown option 'prepnd'/);
    const shared = new nn.Linear(2, 2);
    const two = new nn.Sequential(shared, shared);
    assert.deepEqual([...two.namedModules()].map(([k]) => k), ['', '0']);
    assert.deepEqual(Object.keys(two.stateDict()), ['0.weight', '0.bias', '1.weight', '1.bias']);
  });
});

test('a full backward hook on a module whose inputs need no grad fires with null gradInput; prepend orders hooks', () => {
  nb.scope(() => {
    const lin = new nn.Linear(3, 2);
    const got: (nb.Tensor | null)[][] = [];
    lin.registerFullBackwardHook((_m, gin, gout) => void got.push(gin, gout.map((g) => g && nb.keep(g.clone()))));
    const order: string[] = [];
    lin.registerForwardHook(() => void order.push('b'));
    lin.registerForwardHook(() => void order.push('a'), { prepend: true });
    const y = lin.forward(nb.ones([4, 3]));
    y.sum().backward();
    assert.deepEqual(order, ['a', 'b']);
    assert.deepEqual(got[0], [null]);
    assert.deepEqual(got[1]![0]!.toArray(), [[1, 1], [1, 1], [1, 1], [1, 1]]);
    assert.deepEqual(lin.weight.grad!.toArray(), [[4, 4, 4], [4, 4, 4]]);
  });
});

/** pytorch/examples word_language_model's PositionalEncoding, line by line (camelCase, .forward, x.set for pe[…] = …). */
class PositionalEncoding extends nn.Module {
  dropout: nn.Dropout;
  declare pe: nb.Tensor;
  constructor(dModel: number, dropout = 0.1, maxLen = 5000) {
    super();
    this.dropout = new nn.Dropout(dropout);
    let pe = nb.zeros([maxLen, dModel]);
    const position = nb.arange(0, maxLen, 1, { dtype: 'float32' }).unsqueeze(1);
    const divTerm = nb.exp(nb.arange(0, dModel, 2).float().mul(-Math.log(10000.0) / dModel));
    pe.set(null, '0::2', nb.sin(position.mul(divTerm)));
    pe.set(null, '1::2', nb.cos(position.mul(divTerm)));
    pe = pe.unsqueeze(0).transpose(0, 1);
    this.registerBuffer('pe', pe);
  }
  override forward(x: nb.Tensor): nb.Tensor {
    x = x.add(this.pe.index(`:${x.shape[0]}`, null));
    return this.dropout.forward(x);
  }
}

test('a PyTorch module that assigns into slices of a buffer ports line by line: pe[:, 0::2] = sin(…), this.pe[:n, :]', () => {
  nb.scope(() => {
    const fxp = fx.positional_encoding;
    const m = new PositionalEncoding(6, 0.1, 12).eval();
    close('pe', m.pe, fxp.pe);
    close('output', m.forward(T(fxp.x)), fxp.out);
  });
});

test('hooked modules in a scoped training step leak no tensor handle', () => {
  const lin = new nn.Linear(3, 2), lin2 = new nn.Linear(2, 2);
  lin.registerFullBackwardHook((_m, gin) => [gin[0]!.mul(2)]);
  lin2.registerFullBackwardHook(() => undefined);
  lin2.registerForwardHook((_m, _a, out) => (out as nb.Tensor).add(1));
  lin2.registerForwardPreHook((_m, a) => a);
  const before = nb.memory().tensors;
  for (let i = 0; i < 3; i++) {
    nb.scope(() => {
      const x = nb.randn([4, 3]).requiresGrad_();
      lin2.forward(lin.forward(x)).sum().backward();
      lin.zeroGrad();
      lin2.zeroGrad();
    });
  }
  assert.equal(nb.memory().tensors, before);
});

test('a forward hook that keeps a conv output without reading it gets its gradient on the fused path (Grad-CAM)', () => {
  nb.scope(() => {
    const conv = new nn.Conv2d(1, 2, 3);
    const seq = new nn.Sequential(conv, new nn.ReLU());
    let act: nb.Tensor | null = null;
    conv.registerForwardHook((_m, _a, out) => { act = out as nb.Tensor; });
    const y = seq.forward(nb.randn([1, 1, 5, 5]));
    // the gradient of the output with respect to the kept activation (what nb.grad computes)
    const [g] = runBackward(y.sum(), null, {}, [act!]) as (nb.Tensor | null)[];
    // d sum(relu(a)) / da = 1 where a > 0, else 0
    assert.ok(g, 'the kept conv output got no gradient');
    assert.deepEqual(g.toArray(), act!.gt(0).float().toArray());
  });
});
