// Incremental decoding with nn.KVCache: nn.MultiheadAttention, nn.TransformerEncoder and nn.TransformerDecoder fed
// a causal sequence position by position (two positions at once, one, two more at once, then one at a time), each step
// attending over the keys and values the cache holds, must give what real PyTorch computes for the whole sequence
// in one forward with a causal mask (fixtures/kv-cache.json, scripts/gen_kv_cache_fixtures.py) — in float64 to
// the fixtures' 9 digits, and in float32 on every backend (the fused float32 paths included). Then the cache's memory,
// its errors, and a fixed cache's reuse of the encoder's output.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { KVCache, MultiheadAttention, TransformerEncoder, TransformerEncoderLayer } from '../src/nn/attention.js';
import { TransformerDecoder, TransformerDecoderLayer } from '../src/nn/transformer.js';
import type { Module } from '../src/nn/module.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { assertClose, TOL } from './helpers/allclose.js';
import { testBackends, closeBackends } from './helpers/backends.js';

interface FT { shape: number[]; data: Num[] }
interface Case {
  name: string; module: 'MultiheadAttention' | 'TransformerEncoder' | 'TransformerDecoder'; args: [number, number];
  numLayers?: number; opts: Record<string, unknown> & { batchFirst: boolean };
  params: Record<string, FT>; inputs: Record<string, FT | null>; outputs: Record<string, FT>;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/kv-cache.json', import.meta.url), 'utf8')) as { cases: Case[] };

const backends = await testBackends();
after(closeBackends);

type Dt = 'float32' | 'float64';
/** float64 against references written with 9 significant digits (as fixtures/transformer.json): ~1e-8 apart on O(1) outputs. */
const TOLS = { float64: { rtol: 1e-7, atol: 2e-8 }, float32: TOL.float32 };
const toT = (t: FT, dtype: Dt | 'bool') => nb.tensor(decodeData(t.data, dtype), { shape: t.shape, dtype });

function build(c: Case, dtype: Dt): Module {
  const [d, h] = c.args;
  const o = { ...c.opts, dtype };
  const m = c.module === 'MultiheadAttention' ? new MultiheadAttention(d, h, { batchFirst: c.opts.batchFirst, dtype })
    : c.module === 'TransformerEncoder' ? new TransformerEncoder(new TransformerEncoderLayer(d, h, o), c.numLayers!)
      : new TransformerDecoder(new TransformerDecoderLayer(d, h, o), c.numLayers!);
  m.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, toT(v, dtype)])));
  m.eval();
  return m;
}

/** The steps [start, length): two positions (a prompt), one, two more at once (new positions after held ones), then one at a time. */
function stepsOf(L: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0, i = 0; s < L; i++) {
    const n = Math.min(i === 0 || i === 2 ? 2 : 1, L - s);
    out.push([s, n]);
    s += n;
  }
  return out;
}

/** Runs the case incrementally; returns the outputs of every step joined along the sequence, and the MHA's weights rows. */
function incremental(c: Case, m: Module, dtype: Dt): { out: nb.Tensor; weights: nb.Tensor[] } {
  const seqDim = c.opts.batchFirst ? 1 : 0;
  const x = toT(c.inputs[c.module === 'TransformerDecoder' ? 'tgt' : 'x']!, dtype);
  const L = x.shape[seqDim]!;
  const outs: nb.Tensor[] = [], weights: nb.Tensor[] = [];
  if (c.module === 'MultiheadAttention') {
    const cache = new KVCache();
    for (const [s, n] of stepsOf(L)) {
      const xs = x.narrow(seqDim, s, n);
      const [o, w] = (m as MultiheadAttention).forward(xs, xs, xs, { isCausal: true, cache });
      assert.equal(cache.length, s + n, 'the cache holds every position seen');
      outs.push(o);
      weights.push(w!);
    }
    cache.dispose();
  } else if (c.module === 'TransformerEncoder') {
    const enc = m as TransformerEncoder;
    const cache = enc.makeCache();
    for (const [s, n] of stepsOf(L)) outs.push(enc.forward(x.narrow(seqDim, s, n), { isCausal: true, cache }));
    for (const k of cache) k.dispose();
  } else {
    const dec = m as TransformerDecoder;
    const memory = toT(c.inputs.memory!, dtype);
    const kpm = c.inputs.memoryKeyPaddingMask ? toT(c.inputs.memoryKeyPaddingMask, 'bool') : null;
    const cache = dec.makeCache();
    for (const [s, n] of stepsOf(L)) {
      outs.push(dec.forward(x.narrow(seqDim, s, n), memory, { tgtIsCausal: true, memoryKeyPaddingMask: kpm, cache }));
    }
    for (const k of cache) { k.self.dispose(); k.memory.dispose(); }
  }
  return { out: nb.cat(outs, seqDim), weights };
}

for (const dtype of ['float64', 'float32'] as const) {
  for (const backend of dtype === 'float64' ? [backends[0]!] : backends) {
    describe(`incremental decoding through nn.KVCache equals PyTorch's full causal forward (${dtype}, ${backend})`, () => {
      for (const c of fx.cases) {
        test(c.name, () => nb.scope(() => nb.noGrad(() => {
          nb.setBackend(backend);
          const m = build(c, dtype);
          const { out, weights } = incremental(c, m, dtype);
          const want = c.outputs.output!;
          assert.deepEqual(out.shape, want.shape);
          assertClose(`${c.name}: output`, out.dataSync(), decodeData(want.data, 'float64'), want.shape, TOLS[dtype]);
          if (c.module === 'MultiheadAttention') {
            // PyTorch's averaged weights [N, L, L]; a step's rows cover the keys held so far, the rest are masked (0)
            const w = toT(c.outputs.weights!, 'float64');
            const L = w.shape[1]!;
            stepsOf(L).forEach(([s, n], i) => {
              const rows = w.narrow(1, s, n);
              assertClose(`${c.name}: weights of positions ${s}…${s + n - 1}`, weights[i]!.dataSync(), rows.narrow(2, 0, s + n).dataSync(), weights[i]!.shape, TOLS[dtype]);
              if (s + n < L) assert.equal(rows.narrow(2, s + n, L - s - n).abs().max().item(), 0, 'PyTorch masks the later keys too');
            });
          }
        })));
      }
    });
  }
}

describe('nn.KVCache', () => {
  const encCase = fx.cases.find((c) => c.module === 'TransformerEncoder')!;
  const decCase = fx.cases.find((c) => c.module === 'TransformerDecoder')!;

  test('holds its tensors outside scopes until reset or disposed; generating leaves nothing behind', () => nb.noGrad(() => {
    const m = nb.scope(() => nb.keep(build(encCase, 'float32') as unknown as nb.Tensor)) as unknown as TransformerEncoder;
    const x = nb.keep(toT(encCase.inputs.x!, 'float32'));
    const before = nb.memory();
    const cache = m.makeCache();
    for (let t = 0; t < 6; t++) nb.scope(() => { m.forward(x.narrow(0, t, 1), { isCausal: true, cache }); });
    assert.equal(cache[0]!.length, 6);
    assert.equal(nb.memory().tensors - before.tensors, 2 * cache.length, 'keys and values of each layer are live, nothing else');
    for (const k of cache) k.reset();
    assert.equal(cache[1]!.length, 0);
    assert.equal(nb.memory().tensors, before.tensors);
    assert.equal(nb.memory().bytes, before.bytes);
    x.dispose();
  }));

  test('a reset cache starts a new sequence: the same outputs again', () => nb.scope(() => nb.noGrad(() => {
    const m = build(encCase, 'float64') as TransformerEncoder;
    const x = toT(encCase.inputs.x!, 'float64');
    const cache = m.makeCache();
    const run = () => nb.cat([0, 1, 2].map((t) => m.forward(x.narrow(0, t, 1), { isCausal: true, cache })), 0);
    const a = run();
    for (const k of cache) k.reset();
    const b = run();
    assertClose('after reset', b.dataSync(), a.dataSync(), a.shape, null);
    for (const k of cache) k.dispose();
  })));

  test('a fixed cache projects the memory once and reuses it (the memory passed later is not read)', () => nb.scope(() => nb.noGrad(() => {
    const m = build(decCase, 'float64') as TransformerDecoder;
    const tgt = toT(decCase.inputs.tgt!, 'float64'), memory = toT(decCase.inputs.memory!, 'float64');
    const cache = m.makeCache();
    const first = m.forward(tgt.narrow(0, 0, 1), memory, { tgtIsCausal: true, cache });
    assert.equal(cache[0]!.memory.length, memory.shape[0], 'the memory\'s keys are held');
    const second = m.forward(tgt.narrow(0, 1, 1), nb.zerosLike(memory), { tgtIsCausal: true, cache });
    const want = m.forward(tgt.narrow(0, 0, 2), memory, { tgtMask: nb.nn.generateSquareSubsequentMask(2, { dtype: 'float64' }) });
    assertClose('step outputs against the full forward', nb.cat([first, second], 0).dataSync(), want.dataSync(), want.shape, TOL.float64);
    for (const k of cache) { k.self.dispose(); k.memory.dispose(); }
  })));

  test('says what is wrong: a cache of another batch, the wrong number of caches, a mask that misses the held keys', () => nb.scope(() => nb.noGrad(() => {
    const m = build(encCase, 'float32') as TransformerEncoder;
    const x = toT(encCase.inputs.x!, 'float32'); // [L, N=2, d]
    const cache = m.makeCache();
    m.forward(x.narrow(0, 0, 2), { isCausal: true, cache });
    assert.throws(() => m.forward(x.narrow(0, 2, 1).narrow(1, 0, 1), { isCausal: true, cache }), /the cache holds keys \[4, 2, 4\].*needs \[2, S, 4\].*one cache per layer and batch/);
    assert.throws(() => m.forward(x.narrow(0, 2, 1), { cache: cache.slice(1) }), /one nn\.KVCache per layer \(2; makeCache\(\) makes them\)/);
    assert.throws(() => m.forward(x.narrow(0, 2, 1), { mask: nb.zeros([1, 1]), cache }), /attnMask must be \[1, 3\]/);
    const mha = new MultiheadAttention(8, 2);
    assert.throws(() => mha.forward(x, x, x, { cache: {} as KVCache }), /cache must be an nn\.KVCache/);
    for (const k of cache) k.dispose();
  })));
});

describe('the transformer translation model decodes through the KV cache', () => {
  test('each step\'s log-probabilities equal a full forward over the prefix, before and after beam search reorders the rows', () => nb.scope(() => nb.noGrad(() => {
    nb.manualSeed(3);
    const model = nb.models.createSeq2Seq({ kind: 'transformer', srcVocab: 11, tgtVocab: 9, embedDim: 16, hiddenSize: 24, numLayers: 2, heads: 2, dropout: 0, maxLength: 16, pad: 0 });
    model.eval();
    // two sources of length 5 (the second padded), decoded from BOS = 1
    const src = nb.tensor(Int32Array.from([3, 4, 5, 6, 7, 8, 2, 9, 0, 0]), { shape: [2, 5], dtype: 'int32' });
    const { model: step, state: s0 } = model.decoder(src);
    const full = (srcRows: number[], prefix: number[][]) => nb.scope(() => {
      const T = prefix[0]!.length;
      const s = nb.indexSelect(src, 0, nb.tensor(Int32Array.from(srcRows), { dtype: 'int32' }));
      const logits = model.forward(s, nb.tensor(Int32Array.from(prefix.flat()), { shape: [prefix.length, T], dtype: 'int32' }));
      return nb.F.logSoftmax(logits.narrow(1, T - 1, 1).reshape([prefix.length, -1]), -1).dataSync();
    });
    let state = s0;
    let srcRows = [0, 1];
    let prefix: number[][] = [[], []];
    const feed = (tokens: number[]) => {
      const r = step.step(state, Int32Array.from(tokens));
      prefix = prefix.map((p, i) => [...p, tokens[i]!]);
      assertClose(`step ${prefix[0]!.length}: log-probabilities`, r.logProbs, full(srcRows, prefix), [prefix.length, 9], TOL.float32);
      state = r.state;
    };
    feed([1, 1]);
    feed([4, 6]);
    feed([5, 3]);
    // beam search keeps hypotheses 1, 0, 1 (a row twice): the cache's rows follow
    const rows = [1, 0, 1];
    state = step.select(state, Int32Array.from(rows));
    srcRows = rows.map((r) => srcRows[r]!);
    prefix = rows.map((r) => prefix[r]!);
    feed([2, 7, 8]);
    feed([3, 3, 4]);
  })));

  test('greedy and beam translation leave no tensor behind', () => nb.noGrad(() => {
    nb.manualSeed(4);
    const model = nb.models.createSeq2Seq({ kind: 'transformer', srcVocab: 11, tgtVocab: 9, embedDim: 16, hiddenSize: 24, numLayers: 2, heads: 2, dropout: 0, maxLength: 16, pad: 0 });
    // translateIds reads BOS and EOS from the target vocabulary, nothing else
    const fakeVocabs = { src: {}, tgt: { special: (k: string) => (k === 'bos' ? 1 : 2) } } as unknown as Parameters<typeof nb.models.translateIds>[1];
    const src = nb.keep(nb.tensor(Int32Array.from([3, 4, 5, 6, 7, 8]), { shape: [2, 3], dtype: 'int32' }));
    const before = nb.memory();
    for (const beamSize of [1, 3]) nb.models.translateIds(model, fakeVocabs, src, { beamSize, maxLength: 6 });
    assert.equal(nb.memory().tensors, before.tensors);
    assert.equal(nb.memory().bytes, before.bytes);
    src.dispose();
  }));
});
