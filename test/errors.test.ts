// Bad input gets an error that names the op and what was wrong: each row is a call that must
// throw, and patterns the message must contain (the op's name, the offending shapes/values).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

interface Row { what: string; call: () => unknown; expect: RegExp[]; type?: typeof Error }

const f32 = (...shape: number[]): nb.Tensor => nb.zeros(shape);
const i32 = (...shape: number[]): nb.Tensor => nb.zeros(shape, { dtype: 'int32' });

const ROWS: Row[] = [
  // ---- mismatched shapes
  { what: 'matmul inner dims', call: () => f32(64, 784).matmul(f32(512, 256)), expect: [/matmul/, /\[64, 784\]/, /\[512, 256\]/, /784/, /512/] },
  { what: 'matmul 1-D lengths', call: () => f32(3).matmul(f32(4)), expect: [/matmul/, /3/, /4/] },
  { what: 'matmul batch dims', call: () => f32(2, 3, 4).matmul(f32(3, 4, 5)), expect: [/matmul/, /2/, /3/] },
  { what: 'matmul of a 0-d tensor', call: () => nb.tensor(1).matmul(f32(2, 2)), expect: [/matmul/, /0-d|scalar|dimension|\[\]/i] },
  { what: 'add broadcast', call: () => f32(3, 4).add(f32(5)), expect: [/add/, /\[3, 4\]/, /\[5\]/, /broadcast/] },
  { what: 'where broadcast', call: () => nb.where(nb.zeros([3], { dtype: 'bool' }), f32(4), f32(3)), expect: [/where/, /broadcast/] },
  { what: 'reshape size', call: () => f32(2, 3).reshape([4]), expect: [/reshape/, /\[2, 3\]|6/, /4/] },
  { what: 'reshape two -1', call: () => f32(2, 3).reshape([-1, -1]), expect: [/reshape/, /-1/] },
  { what: 'view size', call: () => f32(2, 3).view([5]), expect: [/view|reshape/, /5/] },
  { what: 'expand non-1 dim', call: () => f32(3, 2).expand([3, 4]), expect: [/expand/, /\[3, 2\]/, /\[3, 4\]/] },
  { what: 'cat shapes', call: () => nb.cat([f32(2, 3), f32(2, 4)], 0), expect: [/cat/, /\[2, 3\]/, /\[2, 4\]/] },
  { what: 'cat empty list', call: () => nb.cat([], 0), expect: [/cat/, /empty|no tensors|at least one/i] },
  { what: 'stack shapes', call: () => nb.stack([f32(2, 3), f32(3, 2)], 0), expect: [/stack/, /\[2, 3\]/, /\[3, 2\]/] },
  { what: 'split sizes sum', call: () => f32(5, 2).split([2, 2], 0), expect: [/split/, /5/, /4|\[2, 2\]/] },
  { what: 'conv2d channels', call: () => nb.F.conv2d(f32(1, 3, 5, 5), f32(4, 2, 3, 3)), expect: [/conv2d/, /3/, /2/, /channel/i] },
  { what: 'conv2d kernel larger than input', call: () => nb.F.conv2d(f32(1, 1, 2, 2), f32(1, 1, 3, 3)), expect: [/conv2d/, /kernel|size|small/i] },
  { what: 'conv2d rank (3-D unbatched is allowed, as PyTorch)', call: () => nb.F.conv2d(f32(5, 5), f32(4, 3, 3, 3)), expect: [/conv2d/, /\[5, 5\]|2-D|2 dim/] },
  { what: 'conv2d groups', call: () => nb.F.conv2d(f32(1, 4, 5, 5), f32(3, 2, 3, 3), null, { groups: 2 }), expect: [/conv2d/, /groups|divisible/i] },
  { what: 'linear features', call: () => nb.F.linear(f32(4, 3), f32(5, 2)), expect: [/linear|matmul/, /3/, /2/] },
  { what: 'maxPool2d window larger than padded input', call: () => nb.F.maxPool2d(f32(1, 1, 2, 2), 3), expect: [/maxPool2d/, /kernel|size|small|output/i] },
  { what: 'maxPool2d padding more than half the kernel', call: () => nb.F.maxPool2d(f32(1, 1, 6, 6), 2, { padding: 2 }), expect: [/maxPool2d/, /pad/i] },
  { what: 'gather index rank', call: () => f32(3, 4).gather(1, i32(3)), expect: [/gather/, /dim|rank|\[3\]/i] },
  { what: 'maskedFill mask shape', call: () => f32(3, 4).maskedFill(nb.zeros([5], { dtype: 'bool' }), 0), expect: [/maskedFill/, /\[5\]/] },

  // ---- dims out of range
  { what: 'sum dim', call: () => f32(2, 3).sum(2), expect: [/sum/, /dim/, /2/, /range/] },
  { what: 'sum negative dim', call: () => f32(2, 3).sum(-3), expect: [/sum/, /-3/] },
  { what: 'softmax dim', call: () => nb.F.softmax(f32(2, 3), 5), expect: [/softmax/, /5/] },
  { what: 'transpose dim', call: () => f32(2, 3).transpose(0, 2), expect: [/transpose/, /2/] },
  { what: 'permute not a permutation', call: () => f32(2, 3, 4).permute([0, 0, 1]), expect: [/permute/, /0/] },
  { what: 'permute wrong length', call: () => f32(2, 3, 4).permute([1, 0]), expect: [/permute/, /3|length|dims/] },
  { what: 'unsqueeze dim', call: () => f32(2, 3).unsqueeze(4), expect: [/unsqueeze/, /4/] },
  { what: 'cat dim', call: () => nb.cat([f32(2), f32(2)], 1), expect: [/cat/, /1/] },
  { what: 'max dim', call: () => f32(2, 3).max(3), expect: [/max/, /3/] },
  { what: 'cumsum dim', call: () => f32(2, 3).cumsum(-4), expect: [/cumsum/, /-4/] },
  { what: 'narrow past the end', call: () => f32(3, 5).narrow(1, 3, 4), expect: [/narrow/, /5/] },
  { what: 'indexSelect index out of range', call: () => f32(3, 2).indexSelect(0, nb.tensor([0, 3], { dtype: 'int32' })), expect: [/indexSelect/, /3/] },
  { what: 'gather index out of range', call: () => f32(2, 3).gather(1, nb.tensor([[0], [7]], { dtype: 'int32' })), expect: [/gather/, /7/] },
  { what: 'embedding index out of range', call: () => nb.F.embedding(nb.tensor([1, 10], { dtype: 'int32' }), f32(10, 4)), expect: [/embedding/, /10/] },
  { what: 'oneHot index out of range', call: () => nb.F.oneHot(nb.tensor([0, 5], { dtype: 'int32' }), 5), expect: [/oneHot/, /5/] },
  { what: 'oneHot negative index', call: () => nb.F.oneHot(nb.tensor([0, -1], { dtype: 'int32' }), 5), expect: [/oneHot/, /-1/] },

  // ---- wrong dtypes
  { what: 'gather float index', call: () => f32(3, 4).gather(1, f32(3, 1)), expect: [/gather/, /int32/, /float32/] },
  { what: 'indexSelect float index', call: () => f32(3, 4).indexSelect(0, f32(2)), expect: [/indexSelect/, /int32/] },
  { what: 'embedding float index', call: () => nb.F.embedding(f32(2), f32(10, 4)), expect: [/embedding/, /int32/] },
  { what: 'where non-bool condition', call: () => nb.where(f32(3), f32(3), f32(3)), expect: [/where/, /bool/] },
  { what: 'maskedFill non-bool mask', call: () => f32(3).maskedFill(f32(3), 0), expect: [/maskedFill/, /bool/] },
  { what: 'requiresGrad on int32', call: () => nb.tensor([1, 2], { dtype: 'int32', requiresGrad: true }), expect: [/requiresGrad/, /int32/, /float/] },
  { what: 'softmax of int32', call: () => nb.F.softmax(i32(3), 0), expect: [/softmax/, /int32|float/] },
  { what: 'unknown dtype', call: () => nb.zeros([2], { dtype: 'float16' as never }), expect: [/float16/, /float32/] },

  // ---- autograd and lifetime
  { what: 'backward on a non-scalar without a gradient', call: () => nb.ones([3], { requiresGrad: true }).mul(2).backward(), expect: [/backward/, /scalar/, /\[3\]/] },
  { what: 'backward with a gradient of the wrong shape', call: () => nb.ones([3], { requiresGrad: true }).mul(2).backward(nb.ones([2])), expect: [/backward/, /\[2\]/, /\[3\]/] },
  { what: 'backward on a tensor that does not require grad', call: () => nb.ones([1]).sum().backward(), expect: [/backward/, /require/] },
  {
    what: 'second backward without retainGraph',
    call: () => {
      const x = nb.ones([2], { requiresGrad: true });
      const y = x.exp().sum();
      y.backward();
      y.backward();
    },
    expect: [/backward/, /retainGraph/],
  },
  { what: 'reading a disposed tensor (dataSync)', call: () => { const t = f32(2); t.dispose(); return t.dataSync(); }, expect: [/dataSync/, /released|disposed/, /keep/] },
  { what: 'reading a disposed tensor (toArray)', call: () => { const t = f32(2); t.dispose(); return t.toArray(); }, expect: [/released|disposed/] },
  { what: 'an op on a disposed tensor', call: () => { const t = f32(2); t.dispose(); return t.add(1); }, expect: [/add/, /released|disposed/] },
  { what: 'a tensor released by its scope', call: () => { const held: nb.Tensor[] = []; nb.scope(() => { held.push(f32(3)); }); return held[0]!.sum(); }, expect: [/sum/, /released|disposed/, /keep/] },
  { what: 'item of many elements', call: () => f32(2, 2).item(), expect: [/item/, /4/] },

  // ---- creation
  { what: 'ragged nested array', call: () => nb.tensor([[1, 2], [3]]), expect: [/tensor/, /ragged|shape|length/i] },
  { what: 'typed array of the wrong length for the shape', call: () => nb.tensor(new Float32Array(5), { shape: [2, 3] }), expect: [/tensor/, /\[2, 3\]/, /5/] },
  { what: 'negative shape', call: () => nb.zeros([2, -1]), expect: [/zeros/, /-1/] },
  { what: 'unknown backend', call: () => nb.setBackend('nope'), expect: [/setBackend/, /nope/] },
];

for (const row of ROWS) {
  test(row.what, () => {
    let err: unknown = null;
    try {
      nb.scope(() => {
        row.call();
      });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Error, `${row.what}: expected an error, but the call succeeded`);
    if (process.env.NABLA_SHOW_ERRORS) console.log(`${row.what}: ${err.message}`);
    for (const re of row.expect) {
      assert.match(err.message, re, `${row.what}: message ${JSON.stringify(err.message)} should match ${re}`);
    }
  });
}
