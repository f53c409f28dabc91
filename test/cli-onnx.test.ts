// ONNX through the `nabla` command as spawned: `nabla export` of a trained run gives a file that passes
// onnx.checker and runs in ONNX Runtime with the CLI model's outputs at two batch sizes; `nabla import` of
// PyTorch's Fashion-MNIST CNN (scripts/train_torch_fmnist10_onnx.py) then `nabla eval` gives PyTorch's
// accuracy; `nabla train --from model.onnx --freeze 'features.*'` trains only the new head and beats chance.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as nb from '../src/index.js';
import { fashionMnistSync, FASHION_MNIST_SAMPLE_DIR, loadCheckpoint } from '../src/node.js';
import { main } from '../src/cli/main.js';
import { loadRun } from '../src/cli/run-config.js';
import { normalise, FMNIST_MEAN, FMNIST_STD } from '../src/tasks/fashion-mnist/data.js';
import { assertClose } from './helpers/allclose.js';
import { absMax, hasOnnxPython, onnxCheck, ortRun } from './helpers/onnx.js';

const root = resolve(import.meta.dirname, '..');
const fixture = (f: string): string => join(root, 'fixtures/onnx', f);
const tmp = (): string => mkdtempSync(join(tmpdir(), 'nabla-cli-onnx-'));

/** The CLI as a user runs it: a child process. */
function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/nabla.js'), ...args], { encoding: 'utf8', env: { ...process.env, NABLA_DATA: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const ok = (r: ReturnType<typeof cli>, what: string): string => {
  assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r.stdout;
};
const accuracyIn = (out: string): string => /test accuracy (\d+\.\d\d)%/.exec(out)![1]!;

/** The sample's first n test images, normalised as the task reads them: [n, 1, 28, 28]. */
function testImages(n: number, from = 0): nb.Tensor {
  const d = fashionMnistSync({ split: 'test', root: FASHION_MNIST_SAMPLE_DIR, log: null });
  return nb.tensor(normalise(d.images.subarray(from * 784, (from + n) * 784), FMNIST_MEAN, FMNIST_STD), { shape: [n, 1, 28, 28] });
}

/** The checkpoint's model as the CLI builds it, against the ONNX file in ONNX Runtime, at batch 2 and 5. */
async function assertOrtMatches(checkpoint: string, file: string): Promise<void> {
  const { model } = await loadRun(checkpoint, () => {});
  const bytes = readFileSync(file);
  if (hasOnnxPython) assert.equal(onnxCheck(bytes), '', `${file}: onnx.checker`);
  for (const [n, from] of [[2, 0], [5, 100]] as const) {
    const x = testImages(n, from);
    const want = nb.noGrad(() => model.forward(x) as nb.Tensor);
    const [got] = await ortRun(bytes, [x]);
    assert.deepEqual(got!.dims, [n, 10]);
    const w = want.dataSync();
    assertClose(`${file} at batch ${n}`, got!.data, w, want.shape, { rtol: 1e-5, atol: 1e-5 * absMax(w) });
  }
}

test('nabla train, then nabla export: onnx.checker passes and ONNX Runtime gives the CLI model\'s outputs', async () => {
  const dir = tmp();
  ok(cli(['train', 'fashion-mnist', '--model', 'cnn', '--sample', '--epochs', '1', '--limit', '400', '--val-size', '100', '--out', dir, '--quiet']), 'train');
  const file = join(dir, 'cnn.onnx');
  const out = ok(cli(['export', join(dir, 'best.safetensors'), file]), 'export');
  assert.match(out, /wrote .*cnn\.onnx \([\d,]+ bytes, opset 17\): input \[batch, 1, 28, 28\] → output \[batch, 10\]/);
  assert.match(out, /Conv ×2, BatchNormalization ×2/);
  await assertOrtMatches(join(dir, 'best.safetensors'), file);
  // What reading the outputs needs travels with the file.
  const meta = nb.onnx.decodeModel(readFileSync(file)).metadata;
  assert.equal(meta['nabla.task'], 'fashion-mnist');
  assert.equal((JSON.parse(meta['nabla.meta']!) as { classes: string[] }).classes[9], 'Ankle boot');
});

test('nabla export of a resnet-small run (functional relu/add in its blocks, traced op by op): ONNX Runtime gives the CLI model\'s outputs', async () => {
  const dir = tmp();
  ok(cli(['train', 'fashion-mnist', '--model', 'resnet-small', '--sample', '--epochs', '1', '--limit', '64', '--val-size', '32', '--batch-size', '32', '--out', dir, '--quiet']), 'train');
  const file = join(dir, 'resnet.onnx');
  const out = ok(cli(['export', join(dir, 'best.safetensors'), file]), 'export');
  assert.match(out, /input \[batch, 1, 28, 28\] → output \[batch, 10\]/);
  assert.match(out, /Add ×3/);
  await assertOrtMatches(join(dir, 'best.safetensors'), file);
});

test('nabla import of PyTorch\'s CNN, then nabla eval: PyTorch\'s accuracy and predictions; export gives PyTorch\'s logits in ONNX Runtime', async () => {
  const fx = JSON.parse(readFileSync(fixture('fmnist-cnn-10.json'), 'utf8')) as { sample_test_accuracy: number; predictions: number[]; logits_first8: number[][] };
  const dir = tmp();
  const ck = join(dir, 'imported.safetensors');
  const out = ok(cli(['import', fixture('fmnist-cnn-10.onnx'), '--out', ck, '--sample']), 'import');
  assert.match(out, /as a fashion-mnist model: 9,122 parameters, opset 17, 10 nodes \(Conv ×2, BatchNormalization ×2, Relu ×2, MaxPool ×2, Flatten, Gemm\)/);
  const ev = ok(cli(['eval', ck]), 'eval');
  assert.equal(accuracyIn(ev), (100 * fx.sample_test_accuracy).toFixed(2), ev);
  // Per image: the same class as PyTorch (a near tie may go the other way in float32), the same logits.
  const { model } = await loadRun(ck, () => {});
  const x = testImages(1000);
  const y = nb.noGrad(() => model.forward(x) as nb.Tensor);
  const pred = y.argmax(1).dataSync();
  const differ = fx.predictions.filter((p, i) => p !== pred[i]).length;
  assert.ok(differ <= 1, `${differ} of 1000 predictions differ from PyTorch's`);
  const want = fx.logits_first8.flat();
  assertClose('logits of the first 8 test images', y.dataSync().subarray(0, 80), want, [8, 10], { rtol: 1e-4, atol: 1e-4 });
  // The imported model goes out again: ONNX Runtime gives PyTorch's logits.
  const file = join(dir, 'again.onnx');
  ok(cli(['export', ck, file]), 'export');
  const [got] = await ortRun(readFileSync(file), [testImages(8)]);
  assertClose('ONNX Runtime on the re-exported model', got!.data, want, [8, 10], { rtol: 1e-4, atol: 1e-4 });
});

test('nabla train --from model.onnx --freeze \'features.*\': a new head for 10 classes trains, the features stay as they were, and it beats chance', async () => {
  const file = fixture('fmnist-cnn-0to4.onnx');
  const dir = tmp();
  const out = ok(cli(['train', 'fashion-mnist', '--from', file, '--freeze', 'features.*', '--epochs', '1', '--sample', '--val-size', '500', '--out', dir, '--quiet']), 'train --from');
  assert.match(out, /the old head classifier\.weight, classifier\.bias dropped\), a new head 1568 → 10/);
  assert.match(out, /fashion-mnist · onnx: 20,490 parameters \(4,800 frozen by --freeze, 15,690 train\)/);
  const acc = Number(accuracyIn(out));
  // 10 balanced classes: chance is 10%; the majority-class baseline is printed beside it.
  assert.ok(acc > 50, `test accuracy ${acc}%`);
  assert.match(out, /baselines on the test set: majority class accuracy 10\.00%/);
  // The frozen features are the file's weights, bit for bit; the head is the one that trained.
  const ck = await loadCheckpoint(join(dir, 'best.safetensors'));
  const saved = nb.fromRecords(ck.model);
  const { weights } = nb.onnx.splitWeights(readFileSync(file));
  for (const k of ['features.0.weight', 'features.0.bias', 'features.3.weight', 'features.3.bias']) {
    assert.deepEqual(saved[`base.${k}`]!.dataSync(), weights[k]!.dataSync(), `${k} is unchanged`);
  }
  assert.deepEqual(Object.keys(saved).sort(), ['base.features.0.bias', 'base.features.0.weight', 'base.features.3.bias', 'base.features.3.weight', 'head.bias', 'head.weight']);
  // eval rebuilds it from the checkpoint alone; export writes it whole.
  assert.equal(accuracyIn(ok(cli(['eval', join(dir, 'best.safetensors')]), 'eval')), accuracyIn(out));
  const onnxFile = join(dir, 'finetuned.onnx');
  ok(cli(['export', join(dir, 'best.safetensors'), onnxFile]), 'export');
  await assertOrtMatches(join(dir, 'best.safetensors'), onnxFile);
});

test('ONNX commands: one-line errors that say what was wrong', async () => {
  const run = async (argv: string[]): Promise<string> => {
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (lines.push(s), true)) as typeof process.stderr.write;
    try {
      assert.equal(await main(argv, () => {}), 2, argv.join(' '));
    } finally {
      process.stderr.write = write;
    }
    return lines.join('');
  };
  const dir = tmp();
  assert.match(await run(['import', fixture('fmnist-cnn-0to4.onnx'), '--out', join(dir, 'x.safetensors'), '--sample']),
    /import: .*fmnist-cnn-0to4\.onnx gives \[1, 5\] for fashion-mnist's input \[1, 1, 28, 28\], where the task's models give \[1, 10\]; to train it for fashion-mnist with a new head: nabla train fashion-mnist --from /);
  assert.match(await run(['import', fixture('fmnist-cnn-10.onnx'), '--sample']), /import: --out is required/);
  assert.match(await run(['import', join(dir, 'none.onnx'), '--out', join(dir, 'y.safetensors')]), /import: no ONNX file at .*none\.onnx/);
  assert.match(await run(['export', 'a.safetensors']), /export: give a checkpoint and the ONNX file to write/);
  assert.match(await run(['train', '--from', fixture('fmnist-cnn-0to4.onnx'), '--model', 'mlp', '--sample']), /train: give --model \(a network of the task\) or --from \(one from an ONNX file\), not both/);
  assert.match(await run(['train', '--from', fixture('fmnist-cnn-0to4.onnx'), '--freeze', 'feature.*', '--sample', '--out', join(dir, 'f')]), /train: --freeze 'feature\.\*' matches no parameter \(they are: features\.0\.weight, features\.0\.bias, features\.3\.weight, features\.3\.bias\)/);
  assert.match(await run(['train', '--model', 'mlp', '--freeze', '*', '--sample', '--out', join(dir, 'g')]), /train: --freeze '\*' freezes every parameter; nothing would train/);
  assert.match(await run(['train', '--from', fixture('linear.onnx'), '--sample', '--out', join(dir, 'h')]), /train: --from .*linear\.onnx: its features do not take fashion-mnist's input \[1, 1, 28, 28\]/);
});
