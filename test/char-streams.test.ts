// Truncated BPTT over character streams (what `nabla train kjv` trains and scores with): every
// character is a target exactly once, and reading the stream batches with a carried state scores a
// text exactly as evaluateCharLM does when it reads the same streams itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const { CharStreamDataset, StreamBatchSampler, CarriedState, STREAM_PAD } = nb.models;

test('CharStreamDataset: batch k holds chunk k of every stream; each target once, inputs are the characters before', () => {
  const ids = Int32Array.from({ length: 103 }, (_, i) => (i * 7) % 11);
  const ds = new CharStreamDataset(ids, 8, 4);
  const sampler = new StreamBatchSampler(ds);
  assert.equal(sampler.length, ds.chunks);
  const seen = new Map<number, number>();
  sampler.batches().forEach((b, k) => {
    const [x, y, chunk] = ds.getBatch(b);
    assert.equal(chunk, k);
    assert.deepEqual(x.shape, [4, 8]);
    const xd = x.dataSync(), yd = y.dataSync();
    for (let r = 0; r < 4; r++) {
      for (let t = 0; t < 8; t++) {
        const target = yd[r * 8 + t]!;
        if (target === STREAM_PAD) continue;
        // recover the text position from the stream bounds: stream r starts at 1 + floor(r·102/4)
        const p = 1 + Math.floor((r * 102) / 4) + k * 8 + t;
        assert.equal(target, ids[p]);
        assert.equal(xd[r * 8 + t], ids[p - 1]);
        seen.set(p, (seen.get(p) ?? 0) + 1);
      }
    }
  });
  assert.equal(seen.size, 102);
  assert.ok([...seen.values()].every((n) => n === 1));
  assert.throws(() => new CharStreamDataset(ids, 0, 4), /chunk must be an integer ≥ 1, got 0/);
  assert.throws(() => new CharStreamDataset(ids.subarray(0, 3), 8, 4), /a text of 3 characters cannot feed 4 streams/);
  assert.throws(() => ds.getBatch([ds.length]), new RegExp(`index ${ds.length} is out of range for ${ds.length} samples`));
});

test('stream batches with a carried state score a text as evaluateCharLM does (LSTM and GRU)', () => {
  nb.manualSeed(3);
  const ids = Int32Array.from({ length: 500 }, (_, i) => (i * 37 + (i >> 3)) % 9);
  for (const kind of ['lstm', 'gru'] as const) {
    const model = nb.models.createCharLM({ kind, vocabSize: 9, embedDim: 8, hiddenSize: 12, numLayers: 2, dropout: 0 });
    model.eval();
    const want = nb.models.evaluateCharLM(model, ids, { streams: 5, chunk: 16 });
    const ds = new CharStreamDataset(ids, 16, 5);
    const carried = new CarriedState();
    let nats = 0, n = 0;
    nb.noGrad(() => {
      for (const b of new StreamBatchSampler(ds).batches()) {
        nb.scope(() => {
          const [x, y, k] = ds.getBatch(b);
          const r = model.forwardWithState(x, carried.take(k));
          carried.put(k, r.state);
          const V = r.logits.shape[2]!;
          nats += nb.F.crossEntropy(r.logits.reshape([-1, V]), y.reshape([-1]), { reduction: 'sum' }).item();
          n += Array.from(y.dataSync()).filter((t) => t >= 0).length;
        });
      }
    });
    carried.clear();
    assert.equal(n, want.chars);
    assert.ok(Math.abs(nats - want.nats) < 1e-6 * want.nats, `${kind}: ${nats} vs ${want.nats}`);
  }
});

test('CarriedState: a chunk that does not follow the last one starts from zeros', () => {
  const c = new CarriedState();
  assert.equal(c.take(0), null);
  const h = nb.ones([1, 2, 3]);
  c.put(0, h);
  assert.deepEqual((c.take(1) as nb.Tensor).toArray(), [[[1, 1, 1], [1, 1, 1]]]);
  c.put(1, h);
  assert.equal(c.take(5), null, 'a resumed run that skips chunks must not reuse a stale state');
  assert.equal(c.take(0), null);
  h.dispose();
});
