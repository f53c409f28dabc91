// In-place updates' safety, as PyTorch's: version counters and the saved-tensor error, leaves and
// their views refused outside noGrad, writes through views, copies refused, pending fused results,
// the seeded fills, memory — and the errors of indexing beyond slices. The numbers are in subscript.test.ts.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { gradgradcheck } from './helpers/gradcheck.js';

const backends = await testBackends();
after(closeBackends);
const f = (a: number[], shape?: number[]) => nb.tensor(a, { dtype: 'float32', ...(shape && { shape }) });

test('backward through a saved tensor written since throws PyTorch\'s error, naming both ops and the versions', () => {
  nb.scope(() => {
    const a = f([1, 2, 3]).requiresGrad_();
    const b = a.exp();
    const c = b.mul(b);
    b.add_(1);
    assert.equal(b._version, 1);
    assert.throws(() => c.sum().backward(), (e: Error) => {
      assert.match(e.message, /one of the variables needed for gradient computation has been modified by an inplace operation: \[Float \[3\]\], saved by 'mul' and then written by 'add_', is at version 1; expected version 0 instead/);
      return true;
    });
  });
});

test('an add (which saves nothing) stays differentiable after its input is written; a mul does not', () => {
  nb.scope(() => {
    const a = f([1, 2]).requiresGrad_();
    const b = a.mul(2);
    const c = b.add(1);
    b.mul_(3);
    c.sum().backward(); // PyTorch agrees: add's backward needs neither input
    assert.deepEqual(a.grad!.toArray(), [2, 2]);
    const d = a.mul(2);
    const e = d.mul(d);
    d.zero_();
    assert.throws(() => e.sum().backward(), /written by 'zero_', is at version 1; expected version 0/);
  });
});

test('in-place on a leaf that requires grad (or a view of one) throws outside noGrad and works inside it', () => {
  nb.scope(() => {
    const w = f([1, 2, 3]).requiresGrad_();
    assert.throws(() => w.add_(1), /add_: a leaf tensor that requires grad is being used in an in-place operation/);
    assert.throws(() => w.view([3, 1]).mul_(2), /mul_: a view of a leaf tensor that requires grad is being used in an in-place operation/);
    assert.throws(() => w.zero_(), /zero_: a leaf tensor that requires grad/);
    nb.noGrad(() => w.sub_(f([1, 1, 1]), { alpha: 0.5 }));
    assert.deepEqual(w.toArray(), [0.5, 1.5, 2.5]);
    assert.equal(w.requiresGrad, true);
    assert.equal(w.isLeaf, true);
    const leaf = f([1]);
    assert.equal(leaf.requiresGrad_(), leaf);
    assert.throws(() => leaf.mul(2).requiresGrad_(false), /requiresGrad_: only a leaf tensor can be changed; use detach\(\) on a non-leaf/);
    assert.throws(() => nb.tensor([1], { dtype: 'int32' }).requiresGrad_(), /requiresGrad_: only floating-point tensors can require grad, got int32/);
    const p = new nb.nn.Parameter(f([1, 2]));
    nb.noGrad(() => p.mul_(10));
    assert.deepEqual(p.toArray(), [10, 20]);
  });
});

test('writes through a view reach the base and its other views, values and history (PyTorch\'s CopySlices)', () => {
  nb.scope(() => {
    const base = nb.zeros([2, 3]);
    const flat = base.view(6);
    const col = base.unsqueeze(2);
    flat.add_(nb.arange(0, 6, 1, { dtype: 'float32' }));
    assert.deepEqual(base.toArray(), [[0, 1, 2], [3, 4, 5]]);
    assert.deepEqual(col.reshape([6]).toArray(), [0, 1, 2, 3, 4, 5]);
    assert.equal(base._version, 1);
    assert.equal(col._version, 1);
    // The history: y's view written in place, then y and a sibling view read (PyTorch: grad 6 and 6 + 3·2).
    const w = f([1, 2, 3, 4]).requiresGrad_();
    const y = w.mul(2);
    const sib = y.view([4, 1]);
    y.view([2, 2]).mul_(3);
    y.sum().add(sib.sum()).backward();
    assert.deepEqual(w.grad!.toArray(), [12, 12, 12, 12]);
  });
});

test('a copy made where PyTorch returns a view (slice, select, flip, permute, expand) refuses an in-place write, naming the way out', () => {
  nb.scope(() => {
    const x = nb.zeros([3, 4]);
    for (const [what, t] of [['slice', x.slice(1, 0, 2)], ['slice', x.index(0)], ['flip', x.flip([0])], ['permute', x.t()], ['expand', nb.zeros([1, 4]).expand([3, 4])]] as const) {
      assert.throws(() => t.add_(1), new RegExp(`add_: this tensor was made by ${what}\\(\\), which in Nabla is a copy .* x\\.set\\(…, value\\)`));
    }
    x.index(0).clone().add_(1); // a clone is its own tensor
    x.set(0, 1);
    assert.deepEqual(x.toArray()[0], [1, 1, 1, 1]);
  });
});

test('a permute that moves only size-1 dims is a view, as in PyTorch: writes through it reach the base, and its gradient flows', () => {
  nb.scope(() => {
    const x = nb.zeros([1, 4, 1, 2]);
    const t = x.transpose(1, 2); // [1, 1, 4, 2]: the elements keep their order
    assert.deepEqual(t.shape, [1, 1, 4, 2]);
    t.add_(nb.arange(0, 8, 1, { dtype: 'float32' }).view([1, 1, 4, 2]));
    assert.deepEqual(x.reshape([8]).toArray(), [0, 1, 2, 3, 4, 5, 6, 7]);
    const w = f([1, 2, 3, 4]).view([1, 4, 1]).requiresGrad_();
    w.permute([2, 0, 1]).mul(f([1, 10, 100, 1000]).view([1, 1, 4])).sum().backward();
    assert.deepEqual(w.grad!.reshape([4]).toArray(), [1, 10, 100, 1000]);
    assert.throws(() => nb.zeros([2, 1, 3]).permute([2, 1, 0]).add_(1), /made by permute\(\), which in Nabla is a copy/);
  });
});

test('in-place results keep the tensor\'s dtype and shape, as PyTorch\'s: what cannot be kept is an error', () => {
  nb.scope(() => {
    const i = nb.tensor([1, 2, 3], { dtype: 'int32' });
    assert.throws(() => i.add_(1.5), /add_: result type Float can't be cast to the desired output type Int/);
    i.mul_(2);
    assert.deepEqual(i.toArray(), [2, 4, 6]);
    const d = nb.tensor([1, 2], { dtype: 'float64' });
    d.add_(f([0.5, 0.5]));
    assert.equal(d.dtype, 'float64');
    assert.throws(() => f([1, 2, 3]).add_(nb.ones([2, 3])), /add_: output with shape \[3\] doesn't match the broadcast shape \[2, 3\]/);
    assert.throws(() => f([1, 2]).fill_(f([1, 2])), /fill_: the value must be a number or a one-element tensor/);
    assert.throws(() => i.normal_(), /normal_: expects a floating-point tensor, got int32/);
    assert.throws(() => f([1]).uniform_(2, 1), /uniform_: expects from ≤ to/);
  });
});

test('normal_ and uniform_ draw from the seeded generator and keep the dtype', () => {
  nb.scope(() => {
    nb.manualSeed(7);
    const a = nb.zeros([4000]).normal_(2, 0.5);
    nb.manualSeed(7);
    const b = nb.zeros([4000]).normal_(2, 0.5);
    assert.deepEqual(a.toArray(), b.toArray());
    const mean = a.mean().item(), std = a.std().item();
    assert.ok(Math.abs(mean - 2) < 0.05 && Math.abs(std - 0.5) < 0.05, `mean ${mean}, std ${std}`);
    const u = nb.zeros([4000], { dtype: 'float64' }).uniform_(-1, 3);
    assert.equal(u.dtype, 'float64');
    assert.ok(u.min().item() >= -1 && u.max().item() < 3 && Math.abs(u.mean().item() - 1) < 0.1);
  });
});

test('in-place ops inside a scope leak nothing and free nothing the caller holds', () => {
  const x = nb.keep(nb.zeros([8]));
  const before = nb.memory().tensors;
  nb.scope(() => {
    const y = f([1, 2, 3, 4, 5, 6, 7, 8]).requiresGrad_();
    const z = y.mul(1);
    z.add_(x).mul_(2).clamp_(0, 10).maskedFill_(z.gt(8), 0);
    z.sum().backward();
    x.add_(1).copy_(f([3]));
  });
  assert.equal(nb.memory().tensors, before);
  assert.deepEqual(x.toArray(), [3, 3, 3, 3, 3, 3, 3, 3]);
  x.dispose();
});

for (const backend of backends) test(`a pending fused result computed after its input was written keeps the input's old value (${backend})`, () => {
  nb.setBackend(backend);
  nb.scope(() => {
    const x = nb.randn([4, 3]), w = nb.randn([2, 3]), b = nb.randn([2]);
    const want = nb.noGrad(() => nb.linear(x.clone(), w, b)).toArray();
    const y = nb.linear(x, w, b);
    if (backend === 'wasm') assert.ok(y._pending, 'the wasm backend defers linear (the case under test)');
    x.add_(100);
    assert.deepEqual(y.toArray(), want);
  });
});

test('indexing errors say what was wrong and where', () => {
  nb.scope(() => {
    const x = nb.zeros([3, 4]);
    assert.throws(() => x.index(nb.tensor([0, 4], { dtype: 'int32' })), /index: index 4 is out of bounds for dimension 0 with size 3/);
    assert.throws(() => x.index(null, nb.tensor([-5], { dtype: 'int32' })), /index -5 is out of bounds for dimension 1 with size 4/);
    assert.throws(() => x.index(nb.tensor([true, false])), /the shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor \[3, 4\] at index 0/);
    assert.throws(() => x.index(0, 0, 0), /too many indices for a tensor of dimension 2/);
    assert.throws(() => x.index('...', '...'), /a single ellipsis/);
    assert.throws(() => x.index(nb.tensor([0.5])), /tensor index must hold int32 indices, got float32 \(index 0\); a bool tensor indexes as a mask/);
    assert.throws(() => x.index('1:x'), /index 0 '1:x' is not a slice like '1:5:2'/);
    assert.throws(() => x.index(nb.tensor([0, 1], { dtype: 'int32' }), nb.tensor([0, 1, 2], { dtype: 'int32' })), /indexing tensors could not be broadcast together with shapes \[2\], \[3\]/);
    assert.throws(() => x.set(null, [0, 2], nb.ones([3])), /set: shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[3, 2\]/);
    assert.throws(() => x.set(0, 'a' as never), /the last argument is the value to write/);
    assert.throws(() => nb.zeros([2], { dtype: 'int32' }).set(0, f([1.5])), /values of dtype float32 cannot be written into a int32 tensor/);
    assert.throws(() => x.indexPut_([nb.tensor([0], { dtype: 'int32' }), 'a' as never], 1), /index 1 must be a tensor or null/);
  });
});

test('x.set writes like x[spec] = value: masks, strided slices, new axes; int values into int tensors truncate as PyTorch\'s', () => {
  nb.scope(() => {
    const pe = nb.zeros([3, 4]);
    const pos = nb.arange(0, 3, 1, { dtype: 'float32' }).unsqueeze(1);
    pe.set(null, '0::2', pos.mul(f([1, 10])));
    pe.set(null, [1, null, 2], pos.neg().sub(1).expand([3, 2]));
    assert.deepEqual(pe.toArray(), [[0, -1, 0, -1], [1, -2, 10, -2], [2, -3, 20, -3]]);
    const m = nb.arange(0, 6, 1, { dtype: 'float32' });
    m.set(m.gt(3), -1);
    assert.deepEqual(m.toArray(), [0, 1, 2, 3, -1, -1]);
    const i = nb.zeros([3], { dtype: 'int32' });
    i.set(nb.newaxis, 1, 7.9);
    assert.deepEqual(i.toArray(), [0, 7, 0]);
  });
});

test('gradients of gradients go through indexing, assignment and in-place ops (float64 gradgradcheck)', () => {
  const idx = nb.keep(nb.tensor([2, 0, 2], { dtype: 'int32' }));
  const x = nb.keep(nb.tensor([0.3, -0.7, 1.1, 0.4, -0.2, 0.9], { dtype: 'float64', shape: [3, 2] }));
  const v = nb.keep(nb.tensor([0.5, -1.5], { dtype: 'float64' }));
  gradgradcheck('index', (a) => a.index(idx, null).square().sum(), [x]);
  gradgradcheck('set', (a, b) => a.mul(1).set(1, b.mul(b)).square().sum(), [x, v]);
  gradgradcheck('mul_ then clamp_', (a) => a.mul(1).mul_(a).clamp_(-0.5, 0.8).square().sum(), [x]);
});
