// nn.Module with real layers: PyTorch's keys and names for containers and attribute children
// (fixtures/layers.json "structure"), loadStateDict's reports, train/eval, freezing, apply, summary.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import * as nn from '../src/nn/index.js';

interface Structure {
  name: string; state_dict_keys: string[]; named_parameters: string[]; named_buffers: string[];
  named_modules: string[]; num_parameters: number; shapes: Record<string, number[]>;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/layers.json', import.meta.url), 'utf8')) as { structure: Structure[] };

// The same classes as scripts/gen_layer_fixtures.py builds in PyTorch.
class Block extends nn.Module {
  conv: nn.Conv2d;
  bn: nn.BatchNorm2d;
  constructor(c: number) {
    super();
    this.conv = new nn.Conv2d(c, c, 3, { padding: 1, bias: false });
    this.bn = new nn.BatchNorm2d(c);
  }
  override forward(x: nb.Tensor): nb.Tensor {
    return nb.relu(this.bn.forward(this.conv.forward(x)));
  }
}

class Net extends nn.Module {
  stem = new nn.Conv2d(3, 4, 3);
  blocks = new nn.ModuleList([new Block(4), new Block(4)]);
  pool = new nn.AdaptiveAvgPool2d(1);
  heads = new nn.ModuleDict({ cls: new nn.Linear(4, 10), box: new nn.Linear(4, 4, { bias: false }) });
  norm = new nn.LayerNorm(10, { elementwiseAffine: false });
  override forward(x: nb.Tensor): nb.Tensor {
    let h = this.stem.forward(x);
    for (const b of this.blocks) h = b.forward(h) as nb.Tensor;
    const f = nb.flatten(this.pool.forward(h), 1);
    return this.norm.forward(this.heads.get('cls').forward(f) as nb.Tensor);
  }
}

class Tied extends nn.Module {
  emb = new nn.Embedding(7, 3);
  out = new nn.Linear(3, 7, { bias: false });
  constructor() {
    super();
    this.out.weight = this.emb.weight;
  }
}

const BUILD: Record<string, () => nn.Module> = {
  Net: () => new Net(),
  Tied: () => new Tied(),
  'Sequential in Sequential': () => new nn.Sequential(new nn.Linear(2, 3), new nn.Sequential(new nn.ReLU(), new nn.Linear(3, 1)), new nn.BatchNorm1d(1)),
};

describe('names and keys are PyTorch’s', () => {
  for (const s of fx.structure) {
    const m = BUILD[s.name]!();
    // PyTorch's state_dict keeps both keys of a tied weight (named_parameters lists it once).
    test(`${s.name}: stateDict keys and shapes`, () => {
      const sd = m.stateDict();
      assert.deepEqual(Object.keys(sd), s.state_dict_keys);
      for (const [k, shape] of Object.entries(s.shapes)) assert.deepEqual([...sd[k]!.shape], shape, k);
    });
    test(`${s.name}: namedParameters, namedBuffers, namedModules, parameter count`, () => {
      assert.deepEqual(m.namedParameters().map(([k]) => k), s.named_parameters);
      assert.deepEqual(m.namedBuffers().map(([k]) => k), s.named_buffers);
      assert.deepEqual([...m.namedModules()].map(([k]) => k), s.named_modules);
      assert.equal(m.numParameters(), s.num_parameters);
    });
  }
});

describe('loadStateDict', () => {
  test('a model loads its own state and a copy then computes the same', () => {
    const a = new Net(), b = new Net();
    const x = nb.randn([2, 3, 6, 6]);
    a.eval();
    b.eval();
    b.loadStateDict(a.stateDict());
    assert.deepEqual(b.forward(x).dataSync(), a.forward(x).dataSync());
  });
  test('missing and unexpected keys are listed by name; strict=false loads what matches', () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
    const sd = { ...m.stateDict() } as Record<string, nb.Tensor>;
    delete sd['1.running_var'];
    sd['2.weight'] = nb.zeros([1]);
    assert.throws(() => m.loadStateDict(sd), (e: Error) => {
      assert.match(e.message, /missing keys: 1\.running_var/);
      assert.match(e.message, /unexpected keys: 2\.weight/);
      return true;
    });
    const w = nb.ones([3, 2]);
    const r = m.loadStateDict({ '0.weight': w }, { strict: false });
    assert.deepEqual([...(m.at(0) as nn.Linear).weight.dataSync()], [1, 1, 1, 1, 1, 1]);
    assert.ok(r.missingKeys.includes('0.bias'));
  });
  test('a wrong shape names the key and both shapes', () => {
    const m = new nn.Sequential(new nn.Conv2d(1, 8, 3));
    assert.throws(() => m.loadStateDict({ '0.weight': nb.zeros([8, 1, 5, 5]), '0.bias': nb.zeros([8]) }),
      /0\.weight: checkpoint has shape \[8, 1, 5, 5\], the model has \[8, 1, 3, 3\]/);
  });
  test('parameters stay the same objects (an optimizer holding them sees the new values)', () => {
    const m = new nn.Linear(2, 2);
    const w = m.weight;
    m.loadStateDict({ weight: nb.zeros([2, 2]), bias: nb.zeros([2]) });
    assert.equal(m.weight, w);
    assert.deepEqual([...w.dataSync()], [0, 0, 0, 0]);
    assert.equal(w.requiresGrad, true);
  });
});

describe('modes, freezing, apply', () => {
  test('train()/eval() reach every submodule; dropout and batch norm follow', () => {
    const m = new nn.Sequential(new nn.Linear(4, 4), new nn.Dropout(0.9), new nn.Sequential(new nn.BatchNorm1d(4)));
    m.eval();
    assert.ok(m.modules().every((c) => !c.training));
    const x = nb.randn([3, 4]);
    assert.deepEqual(m.forward(x).dataSync(), m.forward(x).dataSync(), 'eval is deterministic');
    m.train();
    assert.ok(m.modules().every((c) => c.training));
  });
  test('requiresGrad_(false) freezes: no gradient reaches frozen parameters', () => {
    const m = new nn.Sequential(new nn.Linear(3, 3), new nn.Linear(3, 1));
    (m.at(0) as nn.Linear).requiresGrad_(false);
    (m.forward(nb.randn([2, 3])) as nb.Tensor).sum().backward();
    const [w0, b0, w1, b1] = m.parameters();
    assert.equal(w0!.grad, null);
    assert.equal(b0!.grad, null);
    assert.ok(w1!.grad && b1!.grad);
    assert.equal(m.numParameters({ trainable: true }), 4);
    assert.equal(m.numParameters(), 16);
  });
  test('zeroGrad clears every gradient', () => {
    const m = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.Flatten(), new nn.Linear(2 * 3 * 3, 2));
    (m.forward(nb.randn([1, 1, 5, 5])) as nb.Tensor).sum().backward();
    assert.ok(m.parameters().every((p) => p.grad !== null));
    m.zeroGrad();
    assert.ok(m.parameters().every((p) => p.grad === null));
  });
  test("to(device) as PyTorch's model.to(device): 'cpu' or the backend's name returns the module unchanged; others refused", () => {
    const m = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
    const before = m.parameters();
    const x = nb.randn([4, 3]);
    assert.equal(m.to('cpu'), m);
    assert.equal(m.to(x.device), m);
    assert.equal(m.to({ device: 'cpu' }), m);
    assert.ok(m.parameters().every((p, i) => p === before[i]));
    assert.equal(new nn.ReLU().to('cpu').constructor, nn.ReLU); // no parameters: 'cpu' still
    assert.throws(() => m.to('cuda'), /Sequential\.to: device 'cuda' is not available; tensors live in CPU memory \('cpu', on backend \w+\)/);
    assert.throws(() => m.to({ device: 'cpu', place: 'x' } as never), /Sequential\.to: unknown option 'place' \(known: dtype, device\)/);
    assert.throws(() => m.to('int32'), /Sequential\.to: dtype must be float32 or float64/); // dtypes: test/nn-module-to.test.ts
  });
  test('apply with an init function re-initialises every Linear (children first)', () => {
    const m = new nn.Sequential(new nn.Linear(3, 3), new nn.ReLU(), new nn.Linear(3, 2));
    const seen: string[] = [];
    m.apply((c) => {
      seen.push(c.constructor.name);
      if (c instanceof nn.Linear) {
        nn.init.constant_(c.weight, 0.5);
        nn.init.zeros_(c.bias!);
      }
    });
    assert.deepEqual(seen, ['Linear', 'ReLU', 'Linear', 'Sequential']);
    assert.deepEqual([...(m.at(2) as nn.Linear).weight.dataSync()], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });
});

describe('summary', () => {
  test('a small CNN lists each layer, its output shape and parameter count, and the total', () => {
    const cnn = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(8, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(16 * 6 * 6, 10),
    );
    const s = cnn.summary(nb.zeros([2, 1, 28, 28]));
    const lines = s.split('\n');
    // Output shapes: 28 → conv(pad 1) 28 → pool 14 → conv 12 → pool 6; 16·6·6 = 576 features.
    // Params: conv1 8·1·9 + 8 = 80, conv2 16·8·9 + 16 = 1,168, linear 576·10 + 10 = 5,770; total 7,018.
    const want: [string, string, string, string][] = [
      ['0', 'Conv2d', '[2, 8, 28, 28]', '80'], ['1', 'ReLU', '[2, 8, 28, 28]', '0'], ['2', 'MaxPool2d', '[2, 8, 14, 14]', '0'],
      ['3', 'Conv2d', '[2, 16, 12, 12]', '1,168'], ['4', 'ReLU', '[2, 16, 12, 12]', '0'], ['5', 'MaxPool2d', '[2, 16, 6, 6]', '0'],
      ['6', 'Flatten', '[2, 576]', '0'], ['7', 'Linear', '[2, 10]', '5,770'],
    ];
    for (const [name, type, shape, params] of want) {
      const row = lines.find((l) => l.startsWith(name + ' ') && l.includes(type));
      assert.ok(row, `no row for layer ${name} (${type}) in\n${s}`);
      assert.ok(row.includes(shape), `layer ${name}: no output shape ${shape} in '${row}'`);
      assert.ok(row.trimEnd().endsWith(' ' + params), `layer ${name}: parameter count is not ${params} in '${row}'`);
    }
    assert.match(s, /Total params: 7,018 \(trainable 7,018\)/);
    assert.equal(cnn.numParameters(), 7018);
  });
  test('toString shows the tree with each layer’s settings', () => {
    const s = new nn.Sequential(new nn.Conv2d(1, 4, 3, { stride: 2 }), new nn.BatchNorm2d(4), new nn.Dropout(0.25)).toString();
    assert.equal(s, [
      'Sequential(',
      '  (0): Conv2d(1, 4, kernelSize=(3, 3), stride=(2, 2))',
      '  (1): BatchNorm2d(4, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)',
      '  (2): Dropout(p=0.25)',
      ')',
    ].join('\n'));
  });
});
