// nn.Embedding({sparse: true}) with optim.SparseAdam against PyTorch (fixtures/sparse-embedding.json by
// scripts/gen_sparse_fixtures.py); the sparse rows' gradient equals the dense gradient's rows;
// dense optimizers refuse a sparse gradient, as PyTorch's do.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { takeSparseGrad } from '../src/nn/sparse-grad.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const { nn, optim } = nb;
interface Fx { n: number; d: number; padding_idx: number; lr: number; betas: [number, number]; eps: number; weight0: number[];
  steps: { a: number[]; b: number[]; target: number[]; weight: number[] }[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/sparse-embedding.json', import.meta.url), 'utf8')) as Fx;

const backends = await testBackends();
after(() => { nb.setBackend(backends.includes('wasm') ? 'wasm' : 'js'); closeBackends(); });
for (const backend of backends) {
  test(`[${backend}] SparseAdam on a sparse Embedding matches torch.optim.SparseAdam step by step`, () => {
    nb.setBackend(backend);
    const emb = new nn.Embedding(fx.n, fx.d, { sparse: true, paddingIdx: fx.padding_idx });
    emb.weight._assign(nb.keep(nb.tensor(fx.weight0, { shape: [fx.n, fx.d] })));
    const opt = new optim.SparseAdam(emb.parameters(), { lr: fx.lr, betas: fx.betas, eps: fx.eps });
    for (const [s, st] of fx.steps.entries()) {
      nb.scope(() => {
        opt.zeroGrad();
        const a = nb.tensor(Int32Array.from(st.a)), b = nb.tensor(Int32Array.from(st.b), { shape: [2, 3] });
        const target = nb.tensor(st.target, { shape: [5, fx.d] });
        const loss = emb.forward(a).sub(target).square().sum().add(emb.forward(b).pow(3).sum());
        loss.backward();
        assert.equal(emb.weight.grad, null, 'no dense gradient is made');
        opt.step();
      });
      const w = emb.weight.dataSync();
      st.weight.forEach((v, i) => assert.ok(Math.abs(w[i]! - v) < 1e-5, `step ${s}, weight ${i}: ${w[i]} vs ${v}`));
    }
  });
}

test('the sparse gradient holds exactly the dense gradient’s nonzero rows', () => {
  nb.manualSeed(3);
  const dense = new nn.Embedding(20, 4), sparse = new nn.Embedding(20, 4, { sparse: true });
  sparse.weight._assign(nb.keep(dense.weight.detach().clone()));
  const idx = nb.tensor(Int32Array.from([5, 1, 5, 17, 1, 9]), { shape: [2, 3] });
  const w = nb.randn([2, 3, 4]);
  dense.forward(idx).mul(w).sum().backward();
  sparse.forward(idx).mul(w).sum().backward();
  const g = takeSparseGrad(sparse.weight)!;
  assert.deepEqual([...g.indices], [1, 5, 9, 17]);
  const dg = dense.weight.grad!.dataSync(), sg = g.values.dataSync();
  for (let r = 0; r < 20; r++) {
    const k = [...g.indices].indexOf(r);
    for (let j = 0; j < 4; j++) {
      const want = dg[r * 4 + j]!;
      const got = k < 0 ? 0 : sg[k * 4 + j]!;
      assert.ok(Math.abs(want - got) < 1e-6, `row ${r}, col ${j}: ${got} vs ${want}`);
    }
  }
});

test('a dense optimizer refuses a sparse gradient and names SparseAdam; eval lookups make no gradient', () => {
  const emb = new nn.Embedding(10, 2, { sparse: true });
  const opt = new optim.Adam(emb.parameters());
  emb.forward(nb.tensor(Int32Array.from([1, 2]))).sum().backward();
  assert.throws(() => opt.step(), /Adam does not support sparse gradients.*SparseAdam/);
  opt.zeroGrad();
  opt.step(); // cleared: nothing to do
  nb.noGrad(() => emb.forward(nb.tensor(Int32Array.from([3]))));
  assert.equal(takeSparseGrad(emb.weight), null);
  assert.match(String(emb), /sparse=True/);
});
