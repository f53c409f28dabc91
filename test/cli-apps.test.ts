// The application tasks through the `nabla` command, on small real data: a CSV it has never seen (wine,
// scikit-learn's file and header), breast-cancer on one fold of ten, a folder of PNG/JPEG pictures,
// MovieLens (first 150 users) and eu-stocks (one walk-forward block). Each beats its baseline by a stated
// margin, `nabla eval` reproduces the test number, and the verbs (predict, recommend) answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { main } from '../src/cli/main.js';
import { fashionMnistSync, FASHION_MNIST_SAMPLE_DIR, SKLEARN_DATA_DIR } from '../src/node.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'nabla-apps-'));
const run = async (argv: string[]): Promise<{ code: number; out: string }> => {
  const out: string[] = [];
  const code = await main(argv, (s) => out.push(s));
  return { code, out: out.join('\n') };
};
type Logs = Record<string, number>;
const records = (dir: string): { type: string; name?: string; logs: Logs }[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const testLogs = (dir: string): Logs => records(dir).find((r) => r.type === 'test')!.logs;
const baseline = (dir: string, name: string): Logs => records(dir).find((r) => r.type === 'baseline' && r.name === name)!.logs;

/** `nabla eval` prints `test <metric> <value>`: the same value as the run's. */
async function evalSays(ckpt: string, metric: string, want: string): Promise<void> {
  const { code, out } = await run(['eval', ckpt]);
  assert.equal(code, 0, out);
  assert.match(out, new RegExp(`test ${metric} ${want.replace('.', '\\.')}`), out);
}

test('nabla train wine_data.csv --target target: a CSV never seen, ≥ 90% beside the majority class; eval and predict', async () => {
  const dir = tmp(), csv = join(SKLEARN_DATA_DIR, 'wine_data.csv');
  const { code, out } = await run(['train', csv, '--target', 'target', '--epochs', '25', '--out', dir, '--quiet']);
  assert.equal(code, 0, out);
  assert.match(out, /read as scikit-learn's data format \(178 samples, 13 features, classes class_0, class_1, class_2\)/);
  const acc = testLogs(dir).accuracy!;
  assert.ok(acc >= 0.9, `accuracy ${acc}`);
  assert.ok(baseline(dir, 'majority class').accuracy! < 0.45);
  await evalSays(join(dir, 'best.safetensors'), 'accuracy', `${(100 * acc).toFixed(2)}%`);
  // predict: two rows of the file, written by a user with the columns in another order and no target
  const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
  const cols = Array.from({ length: 13 }, (_, j) => `x${j}`);
  const order = [...cols].reverse();
  const pick = (line: string): string => { const f = line.split(','); return order.map((c) => f[cols.indexOf(c)]).join(','); };
  const file = join(dir, 'rows.csv');
  writeFileSync(file, [order.join(','), pick(rows[0]!), pick(rows[177]!)].join('\n'));
  const p = await run(['predict', join(dir, 'best.safetensors'), file]);
  assert.equal(p.code, 0, p.out);
  assert.match(p.out, /^line 2: class_0 \d+\.\d%\nline 3: class_2 \d+\.\d%$/);
  const bad = await run(['train', csv, '--out', tmp()]);
  assert.equal(bad.code, 2);
});

test('nabla train breast-cancer --folds 10 --fold 1: ≥ 95% accuracy and ROC AUC ≥ 0.98, calibration in the report', async () => {
  const dir = tmp();
  const { code, out } = await run(['train', 'breast-cancer', '--folds', '10', '--fold', '1', '--epochs', '10', '--out', dir, '--quiet']);
  assert.equal(code, 0, out);
  const t = testLogs(dir);
  assert.ok(t.accuracy! >= 0.95 && t.rocAuc! >= 0.98, JSON.stringify(t));
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /Reliability of P\(benign\)/);
  await evalSays(join(dir, 'best.safetensors'), 'accuracy', `${(100 * t.accuracy!).toFixed(2)}%`);
});

test('nabla train FOLDER/: PNG and JPEG pictures by class, ≥ 80% on three classes; predict on a picture', async () => {
  const root = tmp();
  const fm = fashionMnistSync({ root: FASHION_MNIST_SAMPLE_DIR, split: 'train', log: null });
  const names: Record<number, string> = { 1: 'trouser', 7: 'sneaker', 8: 'bag' };
  const count: Record<number, number> = {};
  for (const d of Object.values(names)) mkdirSync(join(root, d));
  let lastFile = '';
  for (let i = 0; i < fm.n; i++) {
    const c = fm.labels[i]!;
    if (!(c in names) || (count[c] = (count[c] ?? 0) + 1) > 50) continue;
    const rgba = Buffer.alloc(784 * 4);
    for (let p = 0; p < 784; p++) rgba.fill(255 - fm.images[i * 784 + p]!, 4 * p, 4 * p + 3).writeUInt8(255, 4 * p + 3);
    if (i % 2) { const png = new pngjs.PNG({ width: 28, height: 28 }); rgba.copy(png.data); writeFileSync((lastFile = join(root, names[c]!, `${i}.png`)), pngjs.PNG.sync.write(png)); }
    else writeFileSync(join(root, names[c]!, `${i}.jpg`), jpeg.encode({ data: rgba, width: 28, height: 28 }, 90).data);
  }
  const dir = tmp();
  const { code, out } = await run(['train', root, '--size', '16', '--epochs', '12', '--lr', '0.01', '--batch-size', '16', '--out', dir, '--quiet']);
  assert.equal(code, 0, out);
  const acc = testLogs(dir).accuracy!;
  assert.ok(acc >= 0.8, `accuracy ${acc}`);
  const p = await run(['predict', join(dir, 'best.safetensors'), lastFile]);
  assert.equal(p.code, 0, p.out);
  assert.match(p.out, /\.png: (bag|sneaker|trouser) \d+\.\d%, /);
});

test('nabla train movielens (150 users): MF below the global mean, eval reproduces; recommend lists unseen titles', async () => {
  const dir = tmp();
  const { code, out } = await run(['train', 'movielens', '--users', '150', '--epochs', '10', '--dim', '16', '--batch-size', '256', '--out', dir, '--quiet']);
  assert.equal(code, 0, out);
  const rmse = testLogs(dir).rmse!;
  assert.ok(rmse < baseline(dir, 'global mean').rmse! - 0.08, `MF ${rmse}, global mean ${baseline(dir, 'global mean').rmse}`);
  await evalSays(join(dir, 'best.safetensors'), 'rmse', rmse.toFixed(4));
  const r = await run(['recommend', join(dir, 'best.safetensors'), '--user', '2', '--top', '5']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^user 2 rated \d+ movies; top 5 of the rest by the model:(\n {2}.+\(\d{4}\) {2}\(.+\) · score -?\d\.\d{3}){5}$/);
  const bad = await run(['recommend', join(dir, 'best.safetensors'), '--user', '999']);
  assert.equal(bad.code, 2);
});

test('nabla train eu-stocks (one block): the LSTM beats the last-value baseline; eval reproduces', async () => {
  const dir = tmp();
  const { code, out } = await run(['train', 'eu-stocks', '--epochs', '4', '--hidden', '16', '--out', dir, '--quiet']);
  assert.equal(code, 0, out);
  const t = testLogs(dir);
  assert.ok(t.rmse! < baseline(dir, 'last value').rmse!, `LSTM ${t.rmse}, last value ${baseline(dir, 'last value').rmse}`);
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /DAX: forecast against realised/);
  await evalSays(join(dir, 'best.safetensors'), 'rmse', t.rmse!.toFixed(4));
});
