// The two ways sort finds an order agree: float32/int32 lines sort as packed float64 keys, float64
// lines with a comparator, and topk with a small k keeps a heap — on the same values (NaN, ±0,
// ±∞, ties) they must give the same, stable indices, on every backend. (PyTorch's values are
// checked in ops-fixtures; this checks the paths the fixtures are too small to reach.)

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { testBackends, closeBackends } from './helpers/backends.js';

/** Values with many ties and every special case, reproducible (a fixed LCG). */
function awkward(n: number, seed: number): number[] {
  let s = seed;
  const specials = [NaN, -0, 0, Infinity, -Infinity, 1e-30, -1e30];
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    const u = s / 2147483648;
    return u < 0.15 ? specials[Math.floor(u * 46.6) % specials.length]! : Math.round((u - 0.5) * 20) / 4;
  });
}

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`sort paths agree on ${backend}`, () => {
    test('float32 (packed keys) and float64 (comparator) give the same stable order, both directions', () => {
      nb.setBackend(backend);
      const v = awkward(3 * 257, 1);
      for (const descending of [false, true]) {
        for (const dim of [0, 1]) {
          const a = nb.tensor(v, { shape: [3, 257], dtype: 'float32' }).sort({ dim, descending });
          const b = nb.tensor(v, { shape: [3, 257], dtype: 'float64' }).sort({ dim, descending });
          assert.deepEqual([...a.indices.dataSync()], [...b.indices.dataSync()], `dim ${dim} descending ${descending}`);
        }
      }
    });

    test('int32 keys sort like numbers, ties in order', () => {
      nb.setBackend(backend);
      const v = [5, -2147483648, 2147483647, 0, 5, -1, 0];
      const s = nb.tensor(v, { dtype: 'int32' }).sort();
      assert.deepEqual(s.values.tolist(), [-2147483648, -1, 0, 0, 5, 5, 2147483647]);
      assert.deepEqual(s.indices.tolist(), [1, 5, 3, 6, 0, 4, 2]);
    });

    test('topk with a small k (heap) equals the first k of a full sort, ties and NaN included', () => {
      nb.setBackend(backend);
      const v = awkward(2 * 500, 7);
      for (const largest of [true, false]) {
        for (const k of [1, 5, 40]) {
          const x = nb.tensor(v, { shape: [2, 500] });
          const t = x.topk(k, { largest });
          const s = x.sort({ descending: largest });
          assert.deepEqual(t.indices.tolist(), s.indices.narrow(1, 0, k).tolist(), `k ${k} largest ${largest}`);
          assert.deepEqual([...t.values.dataSync()], [...s.values.narrow(1, 0, k).dataSync()]);
        }
      }
    });
  });
}
