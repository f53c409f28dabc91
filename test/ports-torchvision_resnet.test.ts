// The torchvision ResNet port (examples/ports/torchvision_resnet.ts) against torchvision 0.14.1
// (scripts/ports/torchvision_resnet_ref.py): resnet18/34/50 have torchvision's state-dict keys, in its
// order, with its shapes; a Bottleneck block with a strided downsample gives torchvision's output,
// input gradient, parameter gradients and batch-norm buffers (float64, train mode). BasicBlock's
// numbers are checked through the siamese_network port's test.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as nb from '../src/index.js';
import { Bottleneck, conv1x1, resnet18, resnet34, resnet50 } from '../examples/ports/torchvision_resnet.js';
import { toFloat64 } from './helpers/port-summary.js';

interface Fixture {
  resnet18: [string, number[], string][]; resnet34: [string, number[], string][]; resnet50: [string, number[], string][];
  bottleneck: {
    state: Record<string, { shape: number[]; data: number[] }>; x: { shape: number[]; data: number[] }; y: { shape: number[]; data: number[] };
    grad_x: number[]; grads: Record<string, number[]>; buffers_after: Record<string, number[]>;
  };
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/ports/torchvision_resnet.json', import.meta.url), 'utf8')) as Fixture;

function close(where: string, got: ArrayLike<number>, want: number[], tol = 1e-10): void {
  assert.equal(got.length, want.length, `${where}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)), `${where}[${i}]: ${got[i]} vs torchvision's ${want[i]}`);
  }
}

for (const [name, make] of [['resnet18', resnet18], ['resnet34', resnet34], ['resnet50', resnet50]] as const) {
  test(`torchvision_resnet port: ${name} has torchvision's state-dict keys, order and shapes`, () => {
    const sd = make({ weights: null }).stateDict();
    const want = fx[name];
    assert.deepEqual(Object.keys(sd), want.map(([k]) => k));
    for (const [k, shape, dtype] of want) {
      assert.deepEqual([...sd[k]!.shape], shape, `${k}: shape`);
      assert.equal(sd[k]!.dtype, dtype === 'int64' ? 'int32' : dtype, `${k}: dtype (int64 counters are int32 here)`);
    }
  });
}

test('torchvision_resnet port: pretrained weights are refused with a message saying what to do', () => {
  assert.throws(() => resnet18({ weights: 'IMAGENET1K_V1' as unknown as null }), /pretrained weights are not downloaded here; pass weights: null and load a state dict/);
});

test('torchvision_resnet port: a Bottleneck with a strided downsample matches torchvision (float64, train mode)', () => {
  const b = fx.bottleneck;
  const block = new Bottleneck(8, 4, 2, new nb.nn.Sequential(conv1x1(8, 16, 2), new nb.nn.BatchNorm2d(16)));
  toFloat64(block);
  const state = Object.fromEntries(Object.entries(b.state).map(([k, v]) => [k, k.endsWith('num_batches_tracked')
    ? nb.tensor(v.data[0]!, { dtype: 'int32' }) : nb.tensor(v.data, { dtype: 'float64' }).view(v.shape)]));
  assert.deepEqual(block.loadStateDict(state), { missingKeys: [], unexpectedKeys: [] });
  const x = nb.tensor(b.x.data, { dtype: 'float64' }).view(b.x.shape).requiresGrad_();
  const y = block.forward(x);
  assert.deepEqual([...y.shape], b.y.shape);
  close('output', y.dataSync(), b.y.data);
  const cot = nb.sin(nb.arange(y.numel(), { dtype: 'float64' })).view(y.shape);
  y.mul(cot).sum().backward();
  close('input gradient', x.grad!.dataSync(), b.grad_x);
  for (const [k, p] of block.namedParameters()) close(`gradient of ${k}`, p.grad!.dataSync(), b.grads[k]!);
  for (const [k, t] of block.namedBuffers()) close(k, t.dataSync(), b.buffers_after[k]!);
});
