// ONNX files exported by real PyTorch (scripts/gen_onnx_fixtures.py, torch.onnx.export opset 17) load
// with onnx.importModel and give PyTorch's outputs at two batch sizes, on every backend.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import * as onnx from '../src/io/onnx/index.js';
import { assertClose } from './helpers/allclose.js';
import { testBackends, closeBackends } from './helpers/backends.js';

interface FxT { shape: number[]; dtype: 'float32' | 'int32'; data: number[] }
interface Case { name: string; file: string; runs: { input: FxT; outputs: FxT[] }[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/onnx/torch.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };
const bytesOf = (file: string): Uint8Array => readFileSync(new URL(`../fixtures/onnx/${file}`, import.meta.url));
const toT = (f: FxT): nb.Tensor => nb.tensor(f.dtype === 'int32' ? Int32Array.from(f.data) : Float32Array.from(f.data), { shape: f.shape, dtype: f.dtype });

const backends = await testBackends();
after(closeBackends);

for (const be of backends) {
  describe(`importModel of PyTorch exports (${be})`, () => {
    for (const c of fx.cases) {
      test(c.name, () => {
        nb.setBackend(be);
        const m = onnx.importModel(bytesOf(c.file), { name: c.file });
        m.eval();
        for (const run of c.runs) {
          nb.scope(() => {
            const y = nb.noGrad(() => m.forward(toT(run.input)));
            const ys = Array.isArray(y) ? y : [y];
            assert.equal(ys.length, run.outputs.length, `${c.name}: number of outputs`);
            ys.forEach((t, i) => {
              const want = run.outputs[i]!;
              assert.deepEqual([...t.shape], want.shape, `${c.name} output ${i} shape`);
              assertClose(`${c.name} output ${i} (batch ${run.input.shape[0]})`, t.dataSync(), want.data, want.shape, { rtol: 1e-4, atol: 1e-5 });
            });
          });
        }
      });
    }
  });
}

test('imported PyTorch parameters are the initializers, trainable and freezable', () => {
  nb.setBackend(backends[0]!);
  const m = onnx.importModel(bytesOf('cnn.onnx'));
  const names = m.namedParameters().map(([k]) => k);
  assert.ok(names.includes('10.weight') && names.includes('12.bias'), `PyTorch's stateDict keys kept: ${names.join(', ')}`);
  // BatchNormalization's running statistics are buffers, not parameters
  assert.ok(!names.some((n) => n.includes('running')), 'running statistics are not trainable');
  m.train();
  const x = toT(fx.cases.find((c) => c.name === 'cnn')!.runs[1]!.input);
  for (const [k, p] of m.namedParameters()) if (!k.startsWith('12.')) p.requiresGrad_(false);
  nb.scope(() => {
    const loss = (m.forward(x) as nb.Tensor).square().mean();
    loss.backward();
  });
  for (const [k, p] of m.namedParameters()) {
    if (k.startsWith('12.')) assert.ok(p.grad && p.grad.abs().sum().item() > 0, `${k} gets a gradient`);
    else assert.equal(p.grad, null, `${k} is frozen`);
  }
});
