// The `nabla` command end to end: a short real training run on the shipped sample, exact resume
// after an interrupt, eval reproducing the accuracy, predict, and one-line errors with status 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';
import { main } from '../src/cli/main.js';
import { trainCommand } from '../src/cli/train.js';
import { decodeSafetensors } from '../src/io/safetensors.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'nabla-cli-'));
const run = async (argv: string[]): Promise<{ code: number; out: string[] }> => {
  const out: string[] = [];
  const code = await main(argv, (s) => out.push(s));
  return { code, out };
};
const testAccuracy = (dir: string): number => {
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return lines.at(-1).test.accuracy;
};

test('train an MLP on the shipped sample: it learns, and eval reproduces the test accuracy', async () => {
  const dir = tmp();
  const { code, out } = await run(['train', 'fashion-mnist', '--model', 'mlp', '--sample', '--epochs', '2', '--val-size', '500', '--out', dir, '--quiet']);
  assert.equal(code, 0, out.join('\n'));
  for (const f of ['best.safetensors', 'last.safetensors', 'metrics.jsonl', 'report.html', 'config.json']) assert.ok(existsSync(join(dir, f)), f);
  const acc = testAccuracy(dir);
  // 10 balanced classes: chance is 10%; two epochs on 5,500 images reach well above 78%.
  assert.ok(acc > 0.78, `test accuracy ${acc}`);
  const ev = await run(['eval', join(dir, 'best.safetensors'), '--sample']);
  assert.equal(ev.code, 0);
  assert.match(ev.out[0]!, new RegExp(`test accuracy ${(100 * acc).toFixed(2)}%`));
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  for (const part of ['Training curves', 'Confusion matrix', 'Misclassified test images', '<svg', 'data:image/png;base64,']) assert.ok(html.includes(part), part);
  assert.ok(!/<script/i.test(html) && !/https?:\/\//.test(html), 'the report needs no scripts and no network');
});

test('an interrupted run resumed with --resume ends exactly where an uninterrupted one does', async () => {
  const args = ['--model', 'cnn', '--sample', '--limit', '320', '--val-size', '200', '--epochs', '2', '--batch-size', '32', '--augment', '--dropout', '0.3', '--quiet'];
  const a = tmp(), b = tmp();
  assert.equal(await trainCommand([...args, '--out', a], () => {}), 0);
  // 10 steps per epoch: stop in the middle of the second epoch, then resume.
  assert.equal(await trainCommand([...args, '--out', b], () => {}, { interruptAtStep: 13 }), 130);
  assert.equal(await trainCommand([...args, '--out', b, '--resume'], () => {}), 0);
  const wa = decodeSafetensors(readFileSync(join(a, 'last.safetensors'))).tensors;
  const wb = decodeSafetensors(readFileSync(join(b, 'last.safetensors'))).tensors;
  assert.deepEqual(Object.keys(wb), Object.keys(wa));
  for (const k of Object.keys(wa)) assert.deepEqual(wb[k]!.data, wa[k]!.data, `${k} differs after resume`);
  assert.equal(testAccuracy(b), testAccuracy(a));
});

test('predict prints the top classes of a PNG', async () => {
  const dir = tmp();
  await run(['train', '--model', 'mlp', '--sample', '--epochs', '1', '--limit', '500', '--val-size', '100', '--out', dir, '--quiet']);
  // A 28×28 black image with a white vertical bar (light-on-dark, as in Fashion-MNIST).
  const png = new PNG({ width: 28, height: 28 });
  for (let i = 0; i < 28 * 28; i++) {
    const on = i % 28 >= 11 && i % 28 <= 16;
    png.data.set([on ? 255 : 0, on ? 255 : 0, on ? 255 : 0, 255], i * 4);
  }
  const img = join(dir, 'bar.png');
  writeFileSync(img, PNG.sync.write(png));
  const { code, out } = await run(['predict', join(dir, 'best.safetensors'), img, '--no-invert', '--top', '2']);
  assert.equal(code, 0);
  assert.match(out[0]!, /bar\.png: [\w\s/-]+ \d+\.\d%, [\w\s/-]+ \d+\.\d%$/);
});

test('bad usage prints one line and exits with status 2', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--epochs', 'two'], /--epochs needs a number, got 'two'/],
    [['train', '--modle', 'cnn'], /unknown option '--modle'/],
    [['train', '--model', 'vgg'], /--model must be one of mlp, cnn, resnet-small/],
    [['eval', '/nonexistent/ck.safetensors'], /no checkpoint at/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [argv, re] of cases) {
    const r = spawnSync(process.execPath, ['bin/nabla.js', ...argv], { encoding: 'utf8'});
    assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re);
  }
});

test('a broken checkpoint is refused with one line', () => {
  const dir = tmp();
  const bad = join(dir, 'broken.safetensors');
  writeFileSync(bad, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
  const r = spawnSync(process.execPath, ['bin/nabla.js', 'eval', bad], { encoding: 'utf8'});
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /broken\.safetensors/);
});

test('a real Ctrl-C (SIGINT) stops after the current step, exits 130 and leaves a loadable checkpoint', async () => {
  const dir = tmp();
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['bin/nabla.js', 'train', '--model', 'mlp', '--sample', '--epochs', '50', '--val-size', '500', '--out', dir, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  // Interrupt once the first epoch has ended (its summary line is printed).
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (/Epoch +1\/50 +loss/.test(stdout)) { clearInterval(t); child.kill('SIGINT'); resolve(); }
    }, 50);
    child.on('exit', () => { clearInterval(t); reject(new Error(`exited before the interrupt:\n${stdout}\n${stderr}`)); });
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /stopping after this step/);
  assert.match(stdout, /--resume/);
  const ck = decodeSafetensors(readFileSync(join(dir, 'last.safetensors')));
  assert.ok(Number(ck.metadata['nabla.epoch']) >= 1, JSON.stringify(ck.metadata['nabla.epoch']));
  assert.ok('0.weight' in ck.tensors || '1.weight' in ck.tensors);
});
