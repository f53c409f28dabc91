// The `nabla` command end to end: a short real training run on the shipped sample and its report, eval
// reproducing the accuracy, a real Ctrl-C (SIGINT to the spawned CLI) mid-epoch and --resume ending
// bit-identical to an uninterrupted run, predict on images like the training data, and one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';
import * as nb from '../src/index.js';
import { fashionMnistSync, FASHION_MNIST_SAMPLE_DIR } from '../src/node.js';
import { main } from '../src/cli/main.js';
import { loadRun } from '../src/cli/run-config.js';
import { decodeSafetensors } from '../src/io/safetensors.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'nabla-cli-'));
const run = async (argv: string[]): Promise<{ code: number; out: string[] }> => {
  const out: string[] = [];
  const code = await main(argv, (s) => out.push(s));
  return { code, out };
};
const records = (dir: string): Record<string, unknown>[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const testAccuracy = (dir: string): number => (records(dir).find((r) => r.type === 'test')!.logs as { accuracy: number }).accuracy;

/** The inline SVG of the report's figure with this caption. */
function figure(html: string, caption: string): string {
  const m = new RegExp(`<figure><figcaption>${caption}</figcaption>(<svg[\\s\\S]*?</svg>)</figure>`).exec(html);
  assert.ok(m, `the report has a figure '${caption}'`);
  return m[1]!;
}

/** Asserts an axis's tick labels are equally spaced multiples of 1, 2, 2.5 or 5 × 10^k, written alike. */
function assertNiceTicks(labels: string[], what: string): void {
  assert.ok(labels.length >= 2, `${what}: ticks ${labels.join(', ')}`);
  const v = labels.map((l) => Number(l.replace('%', '')));
  assert.ok(v.every(Number.isFinite), `${what}: ticks ${labels.join(', ')}`);
  const step = v[1]! - v[0]!;
  for (let i = 1; i < v.length; i++) assert.ok(Math.abs(v[i]! - v[i - 1]! - step) < 1e-9 * Math.abs(step) + 1e-15, `${what}: uneven ticks ${labels.join(', ')}`);
  const mant = step / 10 ** Math.floor(Math.log10(step));
  assert.ok([1, 2, 2.5, 5].some((m) => Math.abs(mant - m) < 1e-9), `${what}: step ${step} is not 1, 2, 2.5 or 5 × 10^k (${labels.join(', ')})`);
  for (const l of labels) assert.ok(Math.abs(Number(l.replace('%', '')) / step - Math.round(Number(l.replace('%', '')) / step)) < 1e-6, `${what}: ${l} is not a multiple of the step`);
  const decimals = (l: string): number => (/\.(\d+)/.exec(l)?.[1]?.length ?? 0);
  assert.equal(new Set(labels.map(decimals)).size, 1, `${what}: labels written differently: ${labels.join(', ')}`);
}

const yLabels = (svg: string): string[] => [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="end" font-size="11">([^<]+)<\/text>/g)].map((m) => m[1]!);
const xLabels = (svg: string): string[] => [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="middle" font-size="11">([^<]+)<\/text>/g)].map((m) => m[1]!).filter((t) => !/[a-z]/.test(t));
const polylinePoints = (svg: string): number[] => [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.trim().split(/\s+/).length);

test('train an MLP on the shipped sample: it learns, eval reproduces the test accuracy, and report.html shows the run', async () => {
  const dir = tmp();
  const { code, out } = await run(['train', 'fashion-mnist', '--model', 'mlp', '--sample', '--epochs', '2', '--val-size', '500', '--out', dir, '--quiet']);
  assert.equal(code, 0, out.join('\n'));
  for (const f of ['best.safetensors', 'last.safetensors', 'metrics.jsonl', 'report.html', 'config.json']) assert.ok(existsSync(join(dir, f)), f);
  const acc = testAccuracy(dir);
  // 10 balanced classes: chance is 10%; two epochs on 5,500 images reach well above 78%.
  assert.ok(acc > 0.78, `test accuracy ${acc}`);
  // The sample's test set has 100 images of each class (data/fashion-mnist-sample/README.md): majority class is right 10.00% of the time.
  assert.match(out.join('\n'), /baselines on the test set: majority class accuracy 10\.00% · nearest class mean accuracy \d\d\.\d\d%/);
  const ev = await run(['eval', join(dir, 'best.safetensors'), '--sample']);
  assert.equal(ev.code, 0, ev.out.join('\n'));
  assert.match(ev.out[0]!, new RegExp(`test accuracy ${(100 * acc).toFixed(2)}%`));
  assert.match(ev.out.join('\n'), /confusion matrix/);

  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok(!/<script/i.test(html) && !/https?:\/\//.test(html), 'the report needs no scripts and no network');
  // Issue 19, item 6. Per-step curves: 5,500 images in batches of 64 are 86 steps an epoch.
  const steps = 2 * Math.ceil(5500 / 64);
  const loss = figure(html, 'Loss per step');
  assert.equal(polylinePoints(loss)[0], steps, 'the loss curve has a point per step');
  const lr = figure(html, 'Learning rate per step');
  assert.equal(polylinePoints(lr)[0], steps, 'the learning-rate curve has a point per step');
  const accFig = figure(html, 'accuracy per epoch');
  for (const [name, svg] of [['loss', loss], ['lr', lr], ['accuracy', accFig]] as const) {
    assertNiceTicks(yLabels(svg), `${name} y axis`);
    assertNiceTicks(xLabels(svg), `${name} x axis`);
  }
  assert.ok(yLabels(accFig).every((l) => l.endsWith('%')));
  // One format for every learning rate in the epoch table: d.dde±x.
  const table = /<h2>Epochs<\/h2><table>([\s\S]*?)<\/table>/.exec(html)![1]!;
  const lrCells = [...table.matchAll(/<tr[^>]*><td>\d+<\/td>(?:<td>[^<]*<\/td>)*?<td>([^<]*)<\/td><td>[^<]*s<\/td><td>[\d,]+<\/td><\/tr>/g)].map((m) => m[1]!);
  assert.equal(lrCells.length, 2, table);
  for (const c of lrCells) assert.match(c, /^\d\.\d\de[-+]\d+$/);
  // 784·512 + 512 + 512·256 + 256 + 256·10 + 10 = 535,818 parameters.
  assert.match(html, /<b>535,818<\/b> parameters/);
  assert.match(html, /Total params: 535,818/);
  assert.match(html, /started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · finished \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · total time (?:[\d.]+ s|\d+ min \d\d s|\d+ h \d\d min)/); // a loaded machine can take over a minute
  // the total (training, test, baselines) fits between the stamps: the test is not counted twice
  const stamps = /started (\S+ \S+) UTC · finished (\S+ \S+) UTC · total time (?:([\d.]+) s|(\d+) min (\d\d) s)/.exec(html)!;
  const wall = (Date.parse(`${stamps[2]}Z`) - Date.parse(`${stamps[1]}Z`)) / 1000;
  const total = stamps[3] !== undefined ? Number(stamps[3]) : Number(stamps[4]) * 60 + Number(stamps[5]);
  assert.ok(total <= wall + 1, `total time ${total} s but ${wall} s between the stamps`);
  const section = (title: string): string => new RegExp(`<h2>${title}</h2>[\\s\\S]*?<div class="grid">([\\s\\S]*?)</div>\\s*<h2>`).exec(html)?.[1] ?? '';
  assert.equal((section('Correctly classified test examples').match(/<img /g) ?? []).length, 20, 'two right answers of each class');
  assert.equal((section('Misclassified test examples').match(/<img /g) ?? []).length, 40);
  for (const part of ['Confusion matrix', 'Baselines (test set, same metrics)', 'data:image/png;base64,']) assert.ok(html.includes(part), part);
});

/** Spawns the CLI; resolves with its exit status and output. `onOut` sees stdout as it comes (to send a signal). */
function spawnCli(args: string[], onOut?: (stdout: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/nabla.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; onOut?.(stdout, child); });
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

const tensorsOf = (path: string): Record<string, Uint8Array> => {
  const t = decodeSafetensors(readFileSync(path)).tensors;
  return Object.fromEntries(Object.entries(t).map(([k, r]) => [k, new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength)]));
};

test('a real Ctrl-C (SIGINT) mid-epoch stops after the current step; --resume then ends bit-identical to a run never stopped', async () => {
  // 4,000 images in batches of 16 are 250 steps an epoch; dropout and augmentation draw from the generator.
  const args = ['train', '--model', 'mlp', '--sample', '--limit', '4000', '--epochs', '2', '--batch-size', '16', '--val-size', '500', '--dropout', '0.2', '--augment', '--threads', '2'];
  const a = tmp(), b = tmp();
  const full = await run([...args, '--out', a, '--quiet']);
  assert.equal(full.code, 0, full.out.join('\n'));
  let sent = false;
  const cut = await spawnCli([...args, '--out', b], (stdout, child) => {
    // Progress lines come every 25 steps when stdout is not a terminal: interrupt at the first one
    // (the run has 225 more steps in this epoch to see the signal in).
    if (!sent && /Epoch 1\/2  step +25\/250/.test(stdout)) { sent = true; child.kill('SIGINT'); }
  });
  assert.ok(sent, `no progress line to interrupt at:\n${cut.stdout}`);
  assert.equal(cut.code, 130, cut.stderr);
  assert.match(cut.stderr, /stopping after this step/);
  const m = /interrupted at step (\d+) of 250 in epoch 1; saved .*last\.safetensors; continue with: nabla train --out .* --resume/.exec(cut.stdout);
  assert.ok(m, `stopped mid-epoch (not at its end):\n${cut.stdout}`);
  assert.ok(Number(m[1]) >= 25 && Number(m[1]) < 250);
  assert.ok(!/Epoch 1\/2  loss/.test(cut.stdout), 'the epoch did not run to its end');
  const meta = decodeSafetensors(readFileSync(join(b, 'last.safetensors'))).metadata;
  assert.equal(meta['nabla.step'], m[1]);

  const resumed = await spawnCli(['train', '--out', b, '--resume', '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`resuming .* at epoch 1, step ${m[1]} of 250`));
  const wa = tensorsOf(join(a, 'last.safetensors')), wb = tensorsOf(join(b, 'last.safetensors'));
  assert.deepEqual(Object.keys(wb), Object.keys(wa));
  for (const k of Object.keys(wa)) assert.ok(Buffer.from(wa[k]!).equals(Buffer.from(wb[k]!)), `${k} differs after resume`);
  assert.equal(testAccuracy(b), testAccuracy(a));
  // The resumed run's records are the uninterrupted run's: every step's loss, every epoch's values.
  const strip = (rs: Record<string, unknown>[]) => rs.filter((r) => r.type !== 'epoch').concat(rs.filter((r) => r.type === 'epoch').map((r) => ({ ...r, seconds: 0, samplesPerSec: 0 })));
  assert.deepEqual(strip(records(b)), strip(records(a)));
});

test('predict reads images like the training data as they are, inverts only dark-on-light ones and says so', async () => {
  const dir = tmp();
  const r = await run(['train', '--model', 'mlp', '--sample', '--epochs', '1', '--limit', '1000', '--val-size', '100', '--out', dir, '--quiet']);
  assert.equal(r.code, 0, r.out.join('\n'));
  const ck = join(dir, 'best.safetensors');
  // The first 30 test images of the sample, as PNG files (light garment on black, as in Fashion-MNIST) and inverted.
  const ds = fashionMnistSync({ split: 'test', root: FASHION_MNIST_SAMPLE_DIR, log: null });
  const n = 30, files: string[] = [], inverted: string[] = [];
  for (let i = 0; i < n; i++) {
    for (const inv of [false, true]) {
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 784; p++) { const v = ds.images[i * 784 + p]!; const g = inv ? 255 - v : v; png.data.set([g, g, g, 255], p * 4); }
      const f = join(dir, `${i}${inv ? '-inverted' : ''}.png`);
      writeFileSync(f, PNG.sync.write(png));
      (inv ? inverted : files).push(f);
    }
  }
  // The model's own answers on the same images, computed from the IDX bytes through the library.
  const { model, ctx } = await loadRun(ck, () => {});
  const meta = ctx.meta as { classes: string[]; mean: number; std: number };
  const x = Float32Array.from(ds.images.subarray(0, n * 784), (v) => (v / 255 - meta.mean) / meta.std);
  const expected = nb.noGrad(() => [...(model.forward(nb.tensor(x, { shape: [n, 1, 28, 28] })) as nb.Tensor).argmax(1).dataSync()]).map((c) => meta.classes[c]!);
  const top1 = (lines: string[]): string[] => lines.map((l) => /\.png: (.+?) \d+\.\d%/.exec(l)![1]!);

  const plain = await run(['predict', ck, ...files]);
  assert.equal(plain.code, 0, plain.out.join('\n'));
  assert.deepEqual(top1(plain.out), expected, 'predict gives the model\'s answer on images like the training data');
  assert.ok(plain.out.every((l) => !/inverted/.test(l)));
  const right = expected.filter((c, i) => c === meta.classes[ds.labels[i]!]).length;
  assert.ok(right >= 0.6 * n, `${right} of ${n} right`);

  const dark = await run(['predict', ck, ...inverted]);
  assert.deepEqual(top1(dark.out), expected, 'a dark-on-light image is inverted and gets the same answer');
  assert.ok(dark.out.every((l) => /\(inverted: it looks dark-on-light; --no-invert to keep it\)$/.test(l)), dark.out.join('\n'));
  const kept = await run(['predict', ck, inverted[0]!, '--no-invert', '--top', '2']);
  assert.match(kept.out[0]!, /0-inverted\.png: [\w\s/-]+ \d+\.\d%, [\w\s/-]+ \d+\.\d%$/);
});

/** main() in this process with stderr captured: its exit status and what it wrote there. */
async function runErr(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(argv, () => {}), stderr };
  } finally {
    process.stderr.write = write;
  }
}

test('bad usage prints one line and exits with status 2', async () => {
  const full = tmp();
  writeFileSync(join(full, 'notes.txt'), 'an earlier run lives here');
  const empty = tmp();
  const cases: [string[], RegExp][] = [
    [['train', '--epochs', 'two'], /--epochs needs a number, got 'two'/],
    [['train', '--modle', 'cnn'], /unknown option '--modle'/],
    [['train', '--model', 'vgg'], /--model must be one of mlp, cnn, resnet-small/],
    [['train', 'imagenet'], /unknown task 'imagenet' \(tasks: fashion-mnist/],
    [['train', '--resume'], /--resume needs --out DIR, the run to continue/],
    [['train', '--resume', '--out', empty], /--resume: there is no checkpoint at .*last\.safetensors/],
    [['train', '--sample', '--out', full], /already holds files \(notes\.txt\); continue its run with --resume, replace it with --force/],
    [['train', '--out', full, '--resume', '--force'], /give --resume \(continue the run in --out\) or --force \(replace it\), not both/],
    [['eval', '/nonexistent/ck.safetensors'], /no checkpoint at/],
    [['predict', '/nonexistent/ck.safetensors', 'x.png'], /no checkpoint at/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [argv, re] of cases) {
    const r = await runErr(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re);
  }
  // The same through the command as spawned: status 2 and one line on stderr.
  for (const [argv, re] of [cases[0]!, cases[4]!]) {
    const r = spawnSync(process.execPath, ['bin/nabla.js', ...argv], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
});

test('--force trains into a directory that holds a run; --resume with a changed option is refused', async () => {
  const dir = tmp();
  const args = ['train', '--model', 'mlp', '--sample', '--epochs', '1', '--limit', '300', '--val-size', '100', '--out', dir, '--quiet'];
  assert.equal((await run(args)).code, 0);
  assert.equal((await run(args)).code, 2, 'a second run into the same --out is refused');
  assert.equal((await run([...args, '--force'])).code, 0);
  const r = await runErr(['train', '--out', dir, '--resume', '--lr', '0.1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--resume continues the run in .* as it was configured; --lr 0\.1 differs from its 0\.003/);
});

test('a broken checkpoint is refused with one line', async () => {
  const dir = tmp();
  const bad = join(dir, 'broken.safetensors');
  writeFileSync(bad, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
  const r = spawnSync(process.execPath, ['bin/nabla.js', 'eval', bad], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /broken\.safetensors/);
});

test('help lists the tasks, their models and flags, and the verbs', async () => {
  const top = await run(['--help']);
  assert.match(top.out.join('\n'), /predict CHECKPOINT …\s+top classes with probabilities for PNG images \(fashion-mnist\)/);
  const train = await run(['train', '--help']);
  const text = train.out.join('\n');
  for (const part of ['fashion-mnist', 'Models of fashion-mnist: mlp', '--label-smoothing', '--resume', '--force', '--clip']) assert.ok(text.includes(part), part);
});

test('output into a pipe whose reader has gone (nabla … | head) ends quietly, with no stack trace', async () => {
  const child = spawn(process.execPath, ['bin/nabla.js', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.destroy();                   // the reader is gone before the first write: EPIPE
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(stderr, '', 'nothing on stderr');
  assert.equal(code, 0);
});
