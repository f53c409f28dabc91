// The Tensor methods PyTorch programs reach for (size(), dim(), tolist(), long(), new*, *As, to,
// mT, item), the issue-13 ops as methods, their errors, and a GPT-style sampling step written as
// in PyTorch (causal tril mask, topk filter, multinomial) — on every backend.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`Tensor methods on ${backend}`, () => {
    test('size(), size(dim), dim(), numel(), tolist(), item() on any one-element tensor', () => {
      nb.setBackend(backend);
      const x = nb.zeros(2, 3, 4);
      assert.deepEqual(x.size(), [2, 3, 4]);
      assert.equal(x.size(1), 3);
      assert.equal(x.size(-1), 4);
      assert.throws(() => x.size(3), /size: dim 3 is out of range for a tensor of 3 dimensions/);
      assert.equal(x.dim(), 3);
      assert.equal(x.numel(), 24);
      assert.deepEqual(nb.tensor([[1, 2], [3, 4]]).tolist(), [[1, 2], [3, 4]]);
      assert.deepEqual(nb.tensor([true, false]).tolist(), [true, false]);
      assert.equal(nb.tensor([[[2.5]]]).item(), 2.5);
      assert.equal(nb.scalar(7).size().length, 0);
      assert.throws(() => nb.tensor([1, 2]).item(), /only a one-element tensor/);
    });

    test('long() is int32, the index dtype; to(dtype), to("cpu"), to({dtype, device}); other devices refused', () => {
      nb.setBackend(backend);
      const x = nb.tensor([1.7, -2.2]);
      const l = x.long();
      assert.equal(l.dtype, 'int32');
      assert.deepEqual(l.tolist(), [1, -2]); // truncation toward zero, as PyTorch's .long()
      assert.deepEqual(nb.tensor([5, 6, 7]).indexSelect(0, nb.tensor([2.0, 0.0]).long()).tolist(), [7, 5]);
      assert.equal(x.to('float64').dtype, 'float64');
      const c = x.to('cpu');
      assert.equal(c.dtype, 'float32');
      assert.deepEqual([...c.dataSync()], [...x.dataSync()]);
      assert.equal(x.to({ dtype: 'float64', device: 'cpu' }).dtype, 'float64');
      assert.throws(() => x.to('cuda' as never), /device 'cuda' is not available/);
      assert.throws(() => x.to({ dtype: 'float64', layout: 'strided' } as never), /unknown option 'layout'/);
      // x.to(y.device), PyTorch's way of moving a new tensor next to another: the backend's name is that device
      assert.equal(x.device, backend);
      assert.deepEqual(nb.ones(2).to(x.device).tolist(), [1, 1]);
      // .cpu(), as save_image(t.cpu(), …) calls it: the same values in a new handle
      const cpu = x.cpu();
      assert.notEqual(cpu, x);
      assert.deepEqual(cpu.tolist(), x.tolist());
      assert.equal(cpu.dtype, x.dtype);
      assert.equal(x.to({ device: x.device, dtype: 'float64' }).dtype, 'float64');
      assert.throws(() => x.to('float16' as never), /to: 'float16' is neither a device \('cpu', '.+'\) nor a dtype: unknown dtype/);
    });

    test('randint(high, shape), as PyTorch\'s randint(high, size), is randint(0, high, shape)', () => {
      nb.setBackend(backend);
      nb.manualSeed(5);
      const a = nb.randint(7, [3, 4]);
      nb.manualSeed(5);
      const b = nb.randint(0, 7, [3, 4]);
      assert.deepEqual(a.shape, [3, 4]);
      assert.equal(a.dtype, 'int32');
      assert.deepEqual(a.tolist(), b.tolist());
      assert.ok([...a.dataSync()].every((v) => v >= 0 && v < 7));
      assert.equal(nb.randint(3, [2], { dtype: 'float32' }).dtype, 'float32');
      assert.throws(() => nb.randint(0, [2]), /randint: need integers low < high, got 0, 0/);
    });

    test('newZeros/newOnes/newFull/newTensor take the dtype of the tensor; viewAs/reshapeAs/expandAs/typeAs', () => {
      nb.setBackend(backend);
      const x = nb.tensor([[1, 2, 3]], { dtype: 'float64' });
      const z = x.newZeros([2, 2]);
      assert.equal(z.dtype, 'float64');
      assert.deepEqual(z.tolist(), [[0, 0], [0, 0]]);
      assert.deepEqual(x.newOnes([3]).tolist(), [1, 1, 1]);
      assert.equal(x.newOnes([1], { dtype: 'int32' }).dtype, 'int32');
      // PyTorch's new_zeros(2, 3) / new_ones(2, 3): the sizes as separate arguments, options last
      assert.deepEqual(x.newZeros(2, 3).shape, [2, 3]);
      assert.equal(x.newZeros(2, 3).dtype, 'float64');
      assert.deepEqual(x.newOnes(1, 2, { dtype: 'int32' }).tolist(), [[1, 1]]);
      assert.deepEqual(x.newOnes([2], { dtype: 'float32' }).tolist(), [1, 1]);
      assert.deepEqual(x.newFull([2], 4.5).tolist(), [4.5, 4.5]);
      const t = x.newTensor([1, 2]);
      assert.equal(t.dtype, 'float64');
      assert.deepEqual(x.viewAs(nb.zeros(3, 1)).shape, [3, 1]);
      assert.deepEqual(x.reshapeAs(nb.zeros(3)).shape, [3]);
      assert.deepEqual(nb.tensor([[1], [2]]).expandAs(nb.zeros(2, 3)).tolist(), [[1, 1, 1], [2, 2, 2]]);
      assert.equal(x.typeAs(nb.tensor([1], { dtype: 'int32' })).dtype, 'int32');
    });

    test('mT transposes the last two dims; refuses fewer than 2', () => {
      nb.setBackend(backend);
      const x = nb.arange(6).reshape(1, 2, 3);
      assert.deepEqual(x.mT.shape, [1, 3, 2]);
      assert.deepEqual(x.mT.tolist(), [[[0, 3], [1, 4], [2, 5]]]);
      assert.throws(() => nb.arange(3).mT, /mT: needs a tensor of at least 2 dimensions/);
    });

    test('a tensor iterates over dim 0 as a torch.Tensor does (rows of a matrix, 0-d elements of a vector)', () => {
      nb.setBackend(backend);
      const m = nb.arange(6).reshape(3, 2);
      const rows = [...m];
      assert.deepEqual(rows.map((r) => r.tolist()), [[0, 1], [2, 3], [4, 5]]);
      assert.deepEqual([...nb.arange(3)].map((e) => [e.ndim, e.item()]), [[0, 0], [0, 1], [0, 2]]);
      let n = 0;
      for (const r of nb.zeros([4, 5])) { assert.deepEqual(r.shape, [5]); n++; }
      assert.equal(n, 4);
      assert.throws(() => [...nb.tensor(3)], /iteration over a 0-d tensor/);
      // the rows carry gradient as x[i] does
      const x = nb.tensor([[1, 2], [3, 4]], { dtype: 'float32', requiresGrad: true });
      const [a, b] = x;
      a!.mul(b!).sum().backward();
      assert.deepEqual(x.grad!.tolist(), [[3, 4], [1, 2]]);
    });

    test('T reverses the dims as PyTorch\'s x.T (a matrix transposed, a vector as it is), with its gradient', () => {
      nb.setBackend(backend);
      assert.deepEqual(nb.arange(6).reshape(2, 3).T.tolist(), [[0, 3], [1, 4], [2, 5]]);
      assert.deepEqual(nb.arange(3).T.tolist(), [0, 1, 2]);
      assert.deepEqual(nb.arange(24).reshape(2, 3, 4).T.shape, [4, 3, 2]);
      assert.equal(nb.arange(24).reshape(2, 3, 4).T.tolist()[3]![2]![1], 23);
      const w = nb.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', requiresGrad: true });
      w.T.mul(nb.tensor([[1, 10], [2, 20], [3, 30]], { dtype: 'float32' })).sum().backward();
      assert.deepEqual(w.grad!.tolist(), [[1, 2, 3], [10, 20, 30]]);
    });

    test('the new ops are methods too, and max/min take a second tensor', () => {
      nb.setBackend(backend);
      const x = nb.tensor([[3, -1, 2], [0, 5, 4]], { dtype: 'float32' });
      const y = nb.tensor([[1, 1, 1], [9, 0, 4]], { dtype: 'float32' });
      assert.deepEqual(x.max(y).tolist(), [[3, 1, 2], [9, 5, 4]]);
      assert.deepEqual(nb.min(x, y).tolist(), [[1, -1, 1], [0, 0, 4]]);
      assert.deepEqual(x.max(1).indices.tolist(), [0, 1]); // the dim form is unchanged
      assert.deepEqual(x.sort(1, true).values.tolist(), [[3, 2, -1], [5, 4, 0]]);
      assert.deepEqual(x.argsort({ dim: 0 }).tolist(), [[1, 0, 0], [0, 1, 1]]);
      assert.deepEqual(x.isnan().tolist(), [[false, false, false], [false, false, false]]);
      assert.equal(x.allclose(x.clone()), true);
      assert.deepEqual(x.triu().tolist(), [[3, -1, 2], [0, 5, 4]]);
      assert.deepEqual(x.any(1).tolist(), [true, true]);
      // torch.nonzero(x, as_tuple=True): one index tensor per dim, ready for indexing
      const [rows, cols] = nb.nonzero(x.lt(1), { asTuple: true });
      assert.deepEqual([rows!.tolist(), cols!.tolist()], [[0, 1], [1, 0]]);
      // a plain number searched gives a 0-d index, like torch.searchsorted(seq, 2.5)
      const at = nb.searchsorted(nb.tensor([1, 2, 3]), 2.5);
      assert.deepEqual([at.shape, at.item()], [[], 2]);
      assert.deepEqual(x.all(1).tolist(), [true, false]);
    });

    test('options not understood and bad arguments are errors that say what and where', () => {
      nb.setBackend(backend);
      const x = nb.tensor([[3, -1, 2], [0, 5, 4]], { dtype: 'float32' });
      assert.throws(() => x.sort({ descending: true, decending: true } as never), /sort: unknown option 'decending'/);
      assert.throws(() => x.topk(4), /topk: k = 4 is out of range for dim 1 of size 3 \(shape \[2, 3\]\)/);
      assert.throws(() => x.topk(1, { largest: true, dims: 0 } as never), /topk: unknown option 'dims'/);
      assert.throws(() => nb.einsum('ij,jk->ik', x, x), /einsum: subscript 'j' has size 3 in one operand and 2 in another/);
      assert.throws(() => nb.einsum('ij->k', x), /output subscript 'k' does not appear/);
      assert.throws(() => nb.einsum('ij,jk', x), /2 operand\(s\) but 1 tensor\(s\)/);
      assert.throws(() => nb.tril(nb.tensor([1, 2])), /tril: expects a tensor of at least 2 dimensions, got shape \[2\]/);
      assert.throws(() => nb.diagonal(x, 0, 1, -1), /dim1 and dim2 are the same dimension \(1\)/);
      assert.throws(() => nb.bincount(nb.tensor([1, -1])), /negative value -1 at position 1/);
      assert.throws(() => nb.searchsorted(nb.tensor([[1, 2]]), nb.tensor([[1], [2]])), /leading dims/);
      assert.throws(() => nb.addmm(nb.zeros(3, 3), nb.zeros(2, 3), nb.zeros(3, 4)), /addmm: input \[3, 3\] does not broadcast to the product's shape \[2, 4\]/);
      assert.throws(() => nb.cdist(nb.zeros(2, 3), nb.zeros(2, 4)), /same number of columns \(3 ≠ 4\)/);
      assert.throws(() => nb.roll(x, [1, 2], [0]), /2 shifts for 1 dims/);
      assert.throws(() => nb.maskedSelect(x, nb.tensor([1, 0, 1])), /mask must be a bool tensor, got int32/);
      assert.throws(() => nb.unique(x, { dim: 0 }), /the dim option .* is not supported/);
      assert.throws(() => nb.isclose(x, x, { rtol: -1 }), /rtol and atol must be non-negative/);
    });

    test('a GPT sampling step written as in PyTorch: causal mask, top-k filter, multinomial', () => {
      nb.setBackend(backend);
      nb.manualSeed(0);
      const T = 4, V = 10, k = 3;
      // att = att.masked_fill(tril(ones(T, T)) == 0, -inf); att = softmax(att, -1)
      const att = nb.randn(T, T).maskedFill(nb.tril(nb.ones(T, T)).eq(0), -Infinity).softmax(-1);
      const a = att.tolist() as number[][];
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) assert.equal(a[i]![j], 0, `att[${i}][${j}] sees the future`);
      // v, _ = torch.topk(logits, k); logits[logits < v[:, [-1]]] = -inf; idx = torch.multinomial(probs, 1)
      const logits = nb.randn(2, V);
      const { values } = logits.topk(k);
      const kth = values.narrow(1, k - 1, 1);
      const probs = logits.maskedFill(logits.lt(kth), -Infinity).softmax(-1);
      const top = (logits.topk(k).indices.tolist() as number[][]);
      for (let draw = 0; draw < 50; draw++) {
        const idx = nb.multinomial(probs, 1).tolist() as number[][];
        idx.forEach(([t], row) => assert.ok(top[row]!.includes(t!), `row ${row} drew ${t}, not among its top ${k} ${top[row]}`));
      }
    });
  });
}
