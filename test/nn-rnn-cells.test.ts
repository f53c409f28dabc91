// nn.LSTMCell against PyTorch (fixtures/rnn-cells.json, written by scripts/gen_rnn_cell_fixtures.py):
// h', c' and every gradient (input, state, parameters) in float64 and float32 on every backend, a
// float64 gradcheck, the unbatched form, and errors that name what was wrong.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { LSTMCell } from '../src/nn/rnn-cells.js';
import { assertClose } from './helpers/allclose.js';
import { gradcheck } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

interface Enc { shape: number[]; data: number[] }
interface Case {
  name: string; input_size: number; hidden_size: number; bias: boolean;
  params: Record<string, Enc>; grads: Record<string, Enc>;
  x: Enc; grad_x: Enc; h: Enc; c: Enc; cot_h: Enc; cot_c: Enc; h0?: Enc; c0?: Enc; grad_h0?: Enc; grad_c0?: Enc;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/rnn-cells.json', import.meta.url), 'utf8')) as { cases: Case[] };
const T = (e: Enc, dtype: nb.DType) => nb.tensor(Float64Array.from(e.data), { shape: e.shape, dtype });

after(closeBackends);

for (const backend of await testBackends()) {
  describe(`LSTMCell on ${backend}`, () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const c of fx.cases) {
        test(`${c.name} (${dtype}) matches PyTorch: h', c' and every gradient`, () => {
          nb.setBackend(backend);
          const tol = dtype === 'float64' ? { rtol: 1e-10, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 };
          const close = (what: string, got: nb.Tensor, want: Enc) => {
            assert.deepEqual(got.shape, want.shape, `${c.name} ${what}: shape`);
            assertClose(`${c.name} ${what} (${dtype})`, got.dataSync(), want.data, want.shape, tol);
          };
          const cell = new LSTMCell(c.input_size, c.hidden_size, { bias: c.bias, dtype });
          assert.deepEqual(Object.keys(cell.stateDict()), Object.keys(c.params));
          cell.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, T(v, dtype)])), { strict: true });
          nb.scope(() => {
            const x = T(c.x, dtype).requiresGrad_();
            const state = c.h0 ? [T(c.h0, dtype).requiresGrad_(), T(c.c0!, dtype).requiresGrad_()] as [nb.Tensor, nb.Tensor] : undefined;
            const [h, cc] = cell.forward(x, state);
            close('h', h, c.h);
            close('c', cc, c.c);
            h.mul(T(c.cot_h, dtype)).sum().add(cc.mul(T(c.cot_c, dtype)).sum()).backward();
            close('grad of input', x.grad!, c.grad_x);
            if (state) {
              close('grad of h0', state[0].grad!, c.grad_h0!);
              close('grad of c0', state[1].grad!, c.grad_c0!);
            }
            for (const [k, p] of cell.namedParameters()) close(`grad of ${k}`, p.grad!, c.grads[k]!);
          });
        });
      }
    }
  });
}

test('LSTMCell: float64 gradcheck of input and state', () => {
  nb.setBackend('js');
  nb.manualSeed(5);
  const cell = new LSTMCell(3, 4, { dtype: 'float64' }).requiresGrad_(false);
  const cot = nb.keep(nb.randn([2, 4], { dtype: 'float64' }));
  const f = (x: nb.Tensor, h: nb.Tensor, c: nb.Tensor): nb.Tensor => {
    const [h2, c2] = cell.forward(x, [h, c]);
    return h2.mul(cot).sum().add(c2.mul(0.5).sum());
  };
  gradcheck('LSTMCell', f, [[2, 3], [2, 4], [2, 4]].map((s) => nb.keep(nb.randn(s, { dtype: 'float64' }))));
});

test('LSTMCell: errors name the cell and what was wrong', () => {
  const cell = new LSTMCell(3, 4);
  assert.throws(() => cell.forward(nb.zeros([2, 5])), /LSTMCell\(3→4\): expected input \[N, 3\] or \[3\], got \[2, 5\]/);
  assert.throws(() => cell.forward(nb.zeros([2, 3], { dtype: 'float64' })), /input is float64 but the weights are float32/);
  assert.throws(() => cell.forward(nb.zeros([2, 3]), [nb.zeros([2, 4]), nb.zeros([3, 4])]), /state c must be \[2, 4\] for input \[2, 3\], got \[3, 4\]/);
  assert.throws(() => new LSTMCell(0, 4), /LSTMCell: inputSize must be an integer ≥ 1, got 0/);
  assert.equal(String(new LSTMCell(1, 51, { bias: false }).extraRepr()), '1, 51, bias=false');
});
