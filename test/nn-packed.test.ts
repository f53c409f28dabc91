// nn.utils.rnn against PyTorch (fixtures/layers-extra.json, scripts/gen_layers_extra_fixtures.py):
// padSequence, packSequence, packPaddedSequence / padPackedSequence, unpadSequence / unpackSequence
// (data, batch sizes, permutations, gradients), and RNN / LSTM / GRU on packed input — outputs, final
// states at each sequence's own length, and every gradient — on every backend; float64 gradchecks;
// bad-input errors.

import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { assertClose, assertShape, TOL, type Tol } from './helpers/allclose.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { gradcheck } from './helpers/gradcheck.js';

const { nn } = nb;
const R = nn.utils.rnn;

interface FxTensor { shape: number[]; dtype: 'float64'; data: Num[] }
interface Spec { type: 'RNN' | 'LSTM' | 'GRU'; args: number[]; opts: Record<string, unknown> }
interface PackCase {
  name: string; kind: 'padSequence' | 'packSequence' | 'unpadSequence' | 'unpackSequence' | 'roundTrip'; seqs?: FxTensor[]; outs?: FxTensor[]; batchFirst?: boolean; paddingValue?: number;
  out?: FxTensor; enforceSorted?: boolean; data?: FxTensor; batchSizes?: number[]; sortedIndices?: number[] | null;
  unsortedIndices?: number[]; input?: FxTensor; lengths?: number[]; padded?: FxTensor; lens?: number[]; cotangent?: FxTensor; grad?: FxTensor;
}
interface RnnCase {
  name: string; spec: Spec; state: Record<string, FxTensor>; input: FxTensor; lengths: number[]; enforceSorted: boolean;
  states: FxTensor[]; out: FxTensor; finals: FxTensor[]; cotangent: FxTensor; final_cotangents: FxTensor[];
  grad_input: FxTensor; grad_states: FxTensor[]; grads: Record<string, FxTensor>;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/layers-extra.json', import.meta.url), 'utf8')) as { torch: string; pack: PackCase[]; packedRnn: RnnCase[] };

type DT = 'float32' | 'float64';
const TOLS: Record<DT, Tol> = { float32: TOL.float32, float64: { rtol: 1e-9, atol: 1e-11 } };

function toT(t: FxTensor, dtype: DT, requiresGrad = false): nb.Tensor {
  return nb.tensor(decodeData(t.data, dtype), { dtype, shape: t.shape, requiresGrad });
}
function check(what: string, got: nb.Tensor | null | undefined, want: FxTensor, tol: Tol): void {
  assert.ok(got, `${what}: missing`);
  assertShape(what, got.shape, want.shape);
  assertClose(what, got.dataSync(), decodeData(want.data, 'float64'), want.shape, tol);
}
const ints = (t: nb.Tensor | null): number[] | null => (t ? [...t.dataSync()].map(Number) : null);

function buildRnn(spec: Spec, dtype: DT): nb.nn.RNNBase {
  const C = { RNN: nn.RNN, LSTM: nn.LSTM, GRU: nn.GRU }[spec.type];
  return new C(spec.args[0]!, spec.args[1]!, { ...spec.opts, dtype });
}

/** The packed forward as a user writes it: pack, run, unpack; returns [padded output, final states]. */
function runPacked(m: nb.nn.RNNBase, x: nb.Tensor, lengths: number[], enforceSorted: boolean, states: nb.Tensor[]): [nb.Tensor, nb.Tensor[]] {
  const packed = R.packPaddedSequence(x, lengths, { batchFirst: m.batchFirst, enforceSorted });
  let out: nb.nn.utils.rnn.PackedSequence, finals: nb.Tensor[];
  if (m instanceof nn.LSTM) {
    const [o, [h, c]] = m.forward(packed, states.length ? [states[0]!, states[1]!] : null);
    [out, finals] = [o, [h, c]];
  } else {
    const [o, h] = (m as nb.nn.GRU).forward(packed, states[0] ?? null);
    [out, finals] = [o, [h]];
  }
  const [padded] = R.padPackedSequence(out, { batchFirst: m.batchFirst });
  return [padded, finals];
}

const backends = await testBackends();
after(closeBackends);
beforeEach(() => nb.setBackend('js'));

for (const backend of backends) for (const dtype of ['float32', 'float64'] as const) {
  const tol = TOLS[dtype];
  describe(`nn.utils.rnn vs PyTorch ${fx.torch} on ${backend} (${dtype})`, () => {
    for (const c of fx.pack) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => {
          if (c.kind === 'padSequence') {
            check(c.name, R.padSequence(c.seqs!.map((s) => toT(s, dtype)), { batchFirst: c.batchFirst, paddingValue: c.paddingValue }), c.out!, tol);
          } else if (c.kind === 'unpadSequence' || c.kind === 'unpackSequence') {
            const outs = c.kind === 'unpadSequence'
              ? R.unpadSequence(toT(c.input!, dtype), c.lengths!, { batchFirst: c.batchFirst })
              : R.unpackSequence(R.packSequence(c.seqs!.map((s) => toT(s, dtype)), { enforceSorted: false }));
            assert.equal(outs.length, c.outs!.length);
            outs.forEach((o, i) => check(`${c.name}: sequence ${i}`, o, c.outs![i]!, tol));
          } else if (c.kind === 'packSequence') {
            const p = R.packSequence(c.seqs!.map((s) => toT(s, dtype)), { enforceSorted: c.enforceSorted });
            check(`${c.name}: data`, p.data, c.data!, tol);
            assert.deepEqual(ints(p.batchSizes), c.batchSizes);
            assert.deepEqual(ints(p.sortedIndices), c.sortedIndices);
            assert.deepEqual(ints(p.unsortedIndices), c.unsortedIndices);
          } else {
            const x = toT(c.input!, dtype, true);
            const p = R.packPaddedSequence(x, c.lengths!, { batchFirst: c.batchFirst, enforceSorted: c.enforceSorted });
            check(`${c.name}: data`, p.data, c.data!, tol);
            assert.deepEqual(ints(p.batchSizes), c.batchSizes);
            assert.deepEqual(ints(p.sortedIndices), c.sortedIndices);
            const [padded, lens] = R.padPackedSequence(p, { batchFirst: c.batchFirst, paddingValue: 0.25, totalLength: 6 });
            check(`${c.name}: padded`, padded, c.padded!, tol);
            assert.deepEqual(ints(lens), c.lens);
            padded.mul(toT(c.cotangent!, dtype)).sum().backward();
            check(`${c.name}: grad input`, x.grad, c.grad!, tol);
          }
        });
      });
    }
  });

  describe(`RNN/LSTM/GRU on packed input vs PyTorch ${fx.torch} on ${backend} (${dtype})`, () => {
    for (const c of fx.packedRnn) {
      test(c.name, () => {
        nb.setBackend(backend);
        nb.scope(() => {
          const m = buildRnn(c.spec, dtype);
          m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, toT(v, dtype)])));
          const x = toT(c.input, dtype, true);
          const states = c.states.map((s) => toT(s, dtype, true));
          const [padded, finals] = runPacked(m, x, c.lengths, c.enforceSorted, states);
          check(`${c.name}: output`, padded, c.out, tol);
          finals.forEach((f, i) => check(`${c.name}: final state ${i}`, f, c.finals[i]!, tol));
          let loss = padded.mul(toT(c.cotangent, dtype)).sum();
          finals.forEach((f, i) => { loss = loss.add(f.mul(toT(c.final_cotangents[i]!, dtype)).sum()); });
          loss.backward();
          check(`${c.name}: grad input`, x.grad, c.grad_input, tol);
          states.forEach((s, i) => check(`${c.name}: grad of initial state ${i}`, s.grad, c.grad_states[i]!, tol));
          for (const [k, p] of m.namedParameters()) check(`${c.name}: grad ${k}`, p.grad, c.grads[k]!, tol);
        });
      });
    }
  });
}

describe('float64 gradchecks through packed recurrences', () => {
  for (const c of fx.packedRnn.filter((r) => /bidirectional/.test(r.name))) {
    test(c.name, () => {
      const m = buildRnn(c.spec, 'float64');
      m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, toT(v, 'float64')])));
      const states = c.states.map((s) => toT(s, 'float64'));
      gradcheck(c.name, (x, ...st) => {
        const [padded, finals] = runPacked(m, x, c.lengths, c.enforceSorted, st);
        return finals.reduce((acc, f) => acc.add(f.square().sum()), padded.square().sum());
      }, [toT(c.input, 'float64'), ...states], { maxElems: 8 });
    });
  }
  test('packPaddedSequence → padPackedSequence', () => {
    const x = nb.randn([4, 3, 2], { dtype: 'float64' });
    gradcheck('pack/unpack', (a) => R.padPackedSequence(R.packPaddedSequence(a, [2, 4, 1], { enforceSorted: false }))[0].square().sum(), [x]);
  });
});

describe('packed sequences: behaviour and errors', () => {
  test('outputs past a sequence\'s length are zero, and padded inputs there do not matter', () => {
    nb.manualSeed(7);
    const gru = new nn.GRU(2, 3, { dtype: 'float64' });
    const x = nb.randn([4, 2, 2], { dtype: 'float64' });
    const y = x.clone();
    y.set('2:', 1, 99);
    const [a, ha] = gru.forward(R.packPaddedSequence(x, [4, 2]));
    const [b, hb] = gru.forward(R.packPaddedSequence(y, [4, 2]));
    assertClose('final state', hb.dataSync(), ha.dataSync(), hb.shape, { rtol: 0, atol: 0 });
    const [pa] = R.padPackedSequence(a);
    const [pb] = R.padPackedSequence(b);
    assertClose('output', pb.dataSync(), pa.dataSync(), pa.shape, { rtol: 0, atol: 0 });
    assert.deepEqual([...pa.index('2:', 1).dataSync()], new Array(6).fill(0));
  });
  test('lengths may be an int32 tensor, as PyTorch\'s may be a tensor', () => {
    const x = nb.randn([3, 2, 1]);
    const a = R.packPaddedSequence(x, nb.tensor([1, 3], { dtype: 'int32' }), { enforceSorted: false });
    const b = R.packPaddedSequence(x, [1, 3], { enforceSorted: false });
    assert.deepEqual([...a.data.dataSync()], [...b.data.dataSync()]);
    assert.deepEqual(ints(a.batchSizes), [2, 1, 1]);
    assert.deepEqual(ints(a.sortedIndices), [1, 0]);
  });
  test('a packed output is a PackedSequence with the input\'s batch structure', () => {
    const lstm = new nn.LSTM(2, 3);
    const p = R.packSequence([nb.randn([3, 2]), nb.randn([1, 2])]);
    const [out] = lstm.forward(p);
    assert.ok(out instanceof R.PackedSequence);
    assert.deepEqual(out.data.shape, [4, 3]);
    assert.equal(out.batchSizes, p.batchSizes);
  });
  test('training steps through packing, spectralNorm and weightNorm leave no tensor behind', () => {
    const lstm = new nn.LSTM(3, 4, { bidirectional: true, numLayers: 2 });
    const sn = nn.utils.spectralNorm(new nn.Conv1d(8, 2, 3, { paddingMode: 'reflect', padding: 1 }));
    const wn = nn.utils.weightNorm(new nn.Conv3d(2, 2, 2, { padding: 'same' }));
    const step = (): void => nb.scope(() => {
      const p = R.packSequence([nb.randn([5, 3]), nb.randn([2, 3]), nb.randn([4, 3])], { enforceSorted: false });
      const [out, [h]] = lstm.forward(p);
      const [padded] = R.padPackedSequence(out, { batchFirst: true });
      const y = sn.forward(padded.transpose(1, 2));
      const z = wn.forward(nb.randn([1, 2, 3, 3, 3]));
      y.sum().add(h.sum()).add(z.sum()).backward();
    });
    step();
    const before = nb.memory();
    for (let i = 0; i < 3; i++) step();
    const after = nb.memory();
    assert.equal(after.tensors, before.tensors, `${after.tensors - before.tensors} tensors left alive`);
    assert.equal(after.backends.js!.storages, before.backends.js!.storages, 'storages leaked');
  });
  test('errors', () => {
    assert.throws(() => R.packPaddedSequence(nb.zeros([3, 2, 1]), [2, 3]), /lengths must be sorted in decreasing order when enforceSorted is true \(lengths\[1\] = 3 > lengths\[0\] = 2\); pass \{enforceSorted: false\}/);
    assert.throws(() => R.packPaddedSequence(nb.zeros([3, 2, 1]), [3, 0]), /every length must be > 0, got lengths\[1\] = 0/);
    assert.throws(() => R.packPaddedSequence(nb.zeros([3, 2, 1]), [4, 1]), /lengths\[0\] = 4 exceeds the padded length 3/);
    assert.throws(() => R.packPaddedSequence(nb.zeros([3, 2, 1]), [3, 2, 1]), /got 3 lengths for a batch of 2/);
    assert.throws(() => R.padSequence([nb.zeros([2, 3]), nb.zeros([2, 4])]), /padSequence: every sequence must be \[L, 3\] like sequences\[0\] \[2, 3\]; sequences\[1\] is \[2, 4\]/);
    assert.throws(() => R.padPackedSequence(R.packSequence([nb.zeros([3, 1])]), { totalLength: 2 }), /totalLength must be an integer ≥ the longest sequence \(3\), got 2/);
    const lstm = new nn.LSTM(2, 3);
    assert.throws(() => lstm.forward(R.packSequence([nb.zeros([2, 3])])), /LSTM\(2→3\): expected packed data \[Σ lengths, 2\], got \[2, 3\]/);
    assert.throws(() => lstm.forward(R.packSequence([nb.zeros([2, 2]), nb.zeros([1, 2])]), [nb.zeros([1, 3, 3]), nb.zeros([1, 3, 3])]), /LSTM\(2→3\): expected h0 of shape \[1, 2, 3\], got \[1, 3, 3\]/);
    assert.throws(() => new R.PackedSequence(nb.zeros([3, 1]), [2, 2]), /PackedSequence: data must have 4 rows \(the sum of batchSizes \[2, 2\]\), got shape \[3, 1\]/);
  });
});
