// `nabla explain` and the report's Explanations section for tables and text, as a user meets them:
// models trained by `nabla train` on small real data (breast-cancer, dslabs' murders.csv, KJV,
// FreeDict), the spawned command's top attributions checked against the definitions — feature
// ablation against the model run on an edited CSV row, completeness of integrated gradients and the
// efficiency of Shapley values against the logits computed here — and one-line errors.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as nb from '../src/index.js';
import { breastCancer } from '../src/node.js';
import { main } from '../src/cli/main.js';
import { loadRun } from '../src/cli/run-config.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'nabla-explain-tasks-'));
const run = async (argv: string[]): Promise<{ code: number; out: string[] }> => {
  const out: string[] = [];
  const code = await main(argv, (s) => out.push(s));
  return { code, out };
};
const cli = (args: string[]) => spawnSync(process.execPath, ['bin/nabla.js', ...args], { encoding: 'utf8' });
async function runErr(argv: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    return { status: await main(argv, () => {}), stderr };
  } finally {
    process.stderr.write = write;
  }
}
async function usageError(argv: string[], re: RegExp): Promise<void> {
  const r = await runErr(argv);
  assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, re);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
}
/** The report's section from its <h2> to the next. */
function section(html: string, title: string): string {
  const at = html.indexOf(`<h2>${title}</h2>`);
  assert.ok(at >= 0, `report.html has a ${title} section`);
  const next = html.indexOf('<h2>', at + 5);
  return html.slice(at, next > 0 ? next : undefined);
}
/** `  +0.412   name` → [name, value] (the value as printed: 3 significant digits). */
function attribution(line: string): [string, number] {
  const m = /^ {2}([+−])(\S+)\s+(.*)$/.exec(line);
  assert.ok(m, `an attribution line: ${line}`);
  return [m[3]!, (m[1] === '−' ? -1 : 1) * Number(m[2])];
}
const num = (s: string): number => Number(s.replace('−', '-'));
/** "all N … add up to +X; … minus …: +Y" → [X, Y]. */
function sums(line: string): [number, number] {
  const m = /add up to ([+−][\d.e+-]+); .*: ([+−][\d.e+-]+)$/.exec(line);
  assert.ok(m, `a sum line: ${line}`);
  return [num(m[1]!), num(m[2]!)];
}
const close = (a: number, b: number, rel: number, what: string): void => assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + 1e-3, `${what}: ${a} vs ${b}`);

describe('a tabular classifier (breast-cancer)', () => {
  let dir: string, ck: string, csv: string;
  const t = breastCancer();
  const features = t.columns.slice(0, 30);
  const rowsCsv = (rows: string[][]): string => [t.columns.map((c) => `"${c}"`).join(','), ...rows.map((r) => r.join(','))].join('\n');
  before(async () => {
    dir = tmp();
    const r = await run(['train', 'breast-cancer', '--epochs', '5', '--out', dir, '--quiet']);
    assert.equal(r.code, 0, r.out.join('\n'));
    ck = join(dir, 'best.safetensors');
    csv = join(dir, 'rows.csv');
    writeFileSync(csv, rowsCsv(t.rows.slice(0, 3)));
  });

  test('report.html: a bar chart of the mean |attribution| per column over the test rows, largest first; nabla eval prints the top ten', async () => {
    const s = section(readFileSync(join(dir, 'report.html'), 'utf8'), 'Explanations');
    const m = /Mean \|integrated gradients\| per column over (\d+) test rows/.exec(s);
    assert.ok(m, s.slice(0, 300));
    assert.equal(Number(m[1]), 113, 'every test row (20% of 569, stratified)');
    const bars = [...s.matchAll(/<text x="\d+" y="\d+" text-anchor="end" font-size="12">([^<]+)<\/text><rect x="\d+" y="\d+" width="([\d.]+)"/g)];
    assert.equal(bars.length, 20, 'the 20 largest of 30 columns');
    for (const b of bars) assert.ok(features.includes(b[1]!.replace(/&#39;/g, "'")), b[1]);
    const widths = bars.map((b) => Number(b[2]));
    assert.deepEqual(widths, [...widths].sort((a, b) => b - a), 'largest first');
    assert.ok(widths.at(-1)! > 0);
    const e = await run(['eval', ck]);
    assert.equal(e.code, 0);
    const at = e.out.join('\n').split('\n').findIndex((l) => /^Mean \|integrated gradients\| per column over 113 test rows/.test(l));
    assert.ok(at >= 0, e.out.join('\n'));
    const top = e.out.join('\n').split('\n').slice(at + 1, at + 11).map(attribution);
    assert.equal(top.length, 10);
    assert.equal(top[0]![0], bars[0]![1]!.replace(/&#39;/g, "'"), 'the chart and eval agree on the first column');
  });

  test('the spawned command: each row\'s top columns; integrated gradients and Shapley values add up to the logit minus the typical row\'s (computed here)', async () => {
    const r = cli(['explain', ck, csv, '--method', 'integrated-gradients,shapley', '--top', '30']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^explaining 3 row\(s\) of .*rows\.csv against the typical training row \(numbers at their training mean, categories at their most frequent value\)/);
    // the logits here, from the checkpoint's model and preprocessing (the typical row: every number at its training mean)
    const { model, ctx } = await loadRun(ck, () => {});
    model.eval();
    const pp = nb.data.tabular.checkPreprocessor((ctx.meta as { pp: unknown }).pp, ck);
    const enc = nb.data.tabular.transformRows(pp, nb.data.tabular.readRawCsv(readFileSync(csv, 'utf8'), { name: 'rows.csv' }));
    const logits = nb.noGrad(() => (model.forward(nb.tensor(enc.x, { shape: [3, 30] })) as nb.Tensor).dataSync());
    const typical = nb.noGrad(() => (model.forward(nb.zeros([1, 30])) as nb.Tensor).dataSync());
    let k = 1;
    for (const method of ['integrated gradients', 'Shapley values']) {
      for (let i = 0; i < 3; i++) {
        const head = new RegExp(`^line ${i + 2}: predicted (malignant|benign) [\\d.]+% \\(actual (malignant|benign)\\); ${method} of the (malignant|benign) logit \\((-?[\\d.]+); the typical row: (-?[\\d.]+)\\):$`).exec(lines[k]!);
        assert.ok(head, lines[k]);
        const c = head[3] === 'malignant' ? 0 : 1;
        assert.equal(head[1], head[3], 'the predicted class is explained');
        close(Number(head[4]), logits[2 * i + c]!, 1e-4, 'the row\'s logit');
        close(Number(head[5]), typical[c]!, 1e-4, 'the typical row\'s logit');
        const attrs = lines.slice(k + 1, k + 31).map(attribution);
        assert.deepEqual(attrs.map((a) => a[0].replace(/ = .*/, '')).sort(), [...features].sort(), 'every column once');
        assert.deepEqual(attrs.map((a) => Math.abs(a[1])), attrs.map((a) => Math.abs(a[1])).sort((a, b) => b - a), 'largest first');
        const [sum, diff] = sums(lines[k + 31]!);
        close(diff, logits[2 * i + c]! - typical[c]!, 1e-3, 'the difference');
        // IG at 50 Gauss–Legendre steps is within 1%; Shapley values add up exactly (every order telescopes)
        close(sum, diff, method === 'Shapley values' ? 1e-3 : 0.01, `${method}: completeness`);
        k += 32;
      }
    }
    assert.equal(lines.length, k);
  });

  test('feature ablation of a column is the logit minus the logit with that column at its training mean (the row edited in the CSV)', async () => {
    const r = await run(['explain', ck, csv, '--method', 'feature-ablation', '--top', '3']);
    assert.equal(r.code, 0, r.out.join('\n'));
    const { model, ctx } = await loadRun(ck, () => {});
    model.eval();
    const pp = nb.data.tabular.checkPreprocessor((ctx.meta as { pp: unknown }).pp, ck);
    const logitOf = (rows: string[][], c: number): number[] => {
      const enc = nb.data.tabular.transformRows(pp, nb.data.tabular.readRawCsv(rowsCsv(rows), { name: 'edited.csv' }));
      const out = nb.noGrad(() => (model.forward(nb.tensor(enc.x, { shape: [rows.length, 30] })) as nb.Tensor).dataSync());
      return rows.map((_, i) => out[2 * i + c]!);
    };
    for (let i = 0; i < 3; i++) {
      const at = r.out.findIndex((l) => l.startsWith(`line ${i + 2}: `));
      const c = /of the malignant logit/.test(r.out[at]!) ? 0 : 1;
      for (const l of r.out.slice(at + 1, at + 4)) {
        const [name, value] = attribution(l);
        const col = features.indexOf(name.replace(/ = .*/, ''));
        const edited = t.rows[i]!.slice();
        edited[col] = String(pp.numeric[col]!.mean);
        const [fx, fAblated] = [logitOf([t.rows[i]!], c)[0]!, logitOf([edited], c)[0]!];
        close(value, fx - fAblated, 5e-3, `${name}`);
      }
    }
  });

  test('--target explains another class; bad usage is one line', async () => {
    const r = await run(['explain', ck, csv, '--target', 'benign', '--top', '2']);
    assert.equal(r.code, 0);
    assert.match(r.out[0]!, /attributions to the benign logit$/);
    assert.match(r.out[1]!, /^line 2: predicted malignant [\d.]+%, benign [\d.]+% \(actual malignant\); integrated gradients of the benign logit/);
    await usageError(['explain', ck, csv, '--method', 'grad-cam'], /^nabla: explain: --method grad-cam needs a conv layer's feature map \(images\); for table columns use integrated-gradients, shapley or feature-ablation/);
    await usageError(['explain', ck, csv, '--method', 'occlusion'], /^nabla: explain: --method occlusion slides a window over an image; for table columns use feature-ablation/);
    await usageError(['explain', ck, csv, '--target', 'maybe'], /^nabla: explain: --target 'maybe' is neither a class nor an index below 2 \(classes: malignant, benign\)/);
    await usageError(['explain', ck, csv, '--layer', 'mlp.0'], /^nabla: explain: --layer is for Grad-CAM on images/);
    await usageError(['explain', ck], /^nabla: explain: give one CSV file of rows after the checkpoint/);
    await usageError(['explain', ck, join(dir, 'none.csv')], /^nabla: explain: no file at .*none\.csv/);
  });
});

describe('a regression with a categorical column (dslabs\' murders.csv: total murders from region and population)', () => {
  const MURDERS = '/usr/lib/R/site-library/dslabs/extdata/murders.csv';
  let dir: string, rows: string;
  before(() => {
    dir = tmp();
    rows = join(dir, 'states.csv');
    writeFileSync(rows, readFileSync(MURDERS, 'utf8').split('\n').slice(0, 4).join('\n')); // Alabama, Alaska, Arizona
  });
  const train = async (encoding: string): Promise<string> => {
    const out = join(dir, encoding);
    const r = await run(['train', MURDERS, '--target', 'total', '--ignore', 'state,abb', '--encoding', encoding, '--epochs', '20', '--out', out, '--quiet']);
    assert.equal(r.code, 0, r.out.join('\n'));
    return join(out, 'best.safetensors');
  };
  /** Predictions in the target's units for raw CSV text, from the checkpoint's model. */
  async function predictions(ck: string, text: string): Promise<number[]> {
    const { model, ctx } = await loadRun(ck, () => {});
    model.eval();
    const pp = nb.data.tabular.checkPreprocessor((ctx.meta as { pp: unknown }).pp, ck);
    const enc = nb.data.tabular.transformRows(pp, nb.data.tabular.readRawCsv(text, { name: 'x.csv' }));
    return Array.from(nb.noGrad(() => (model.forward(nb.tensor(enc.x, { shape: [enc.n, enc.width] })) as nb.Tensor).dataSync()), (v) => v * pp.targetStd! + pp.targetMean!);
  }

  test('one-hot: the region block counts as one column; its ablation is the prediction with the region set to the most frequent one; the report\'s chart has both columns', async () => {
    const ck = await train('onehot');
    const html = readFileSync(join(dir, 'onehot', 'report.html'), 'utf8');
    assert.match(section(html, 'Explanations'), /<text[^>]*>region<\/text>.*<text[^>]*>population<\/text>|<text[^>]*>population<\/text>.*<text[^>]*>region<\/text>/s);
    const r = cli(['explain', ck, rows, '--method', 'feature-ablation,shapley']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const text = readFileSync(rows, 'utf8');
    const pred = await predictions(ck, text);
    const { ctx } = await loadRun(ck, () => {});
    const mode = (ctx.meta as { pp: nb.data.tabular.Preprocessor }).pp.categorical[0]!.fill;
    const edited = text.split('\n').map((l, i) => (i === 0 ? l : l.replace(/,(Northeast|South|North Central|West),/, `,${mode},`))).join('\n');
    const predMode = await predictions(ck, edited);
    for (let i = 0; i < 3; i++) {
      const at = lines.findIndex((l) => l.startsWith(`line ${i + 2}: `) && l.includes('feature ablation'));
      const head = /^line \d+: total (-?[\d.]+) \(actual (\d+)\.0+\); feature ablation of the prediction in its units \(the typical row: (-?[\d.]+)\):$/.exec(lines[at]!);
      assert.ok(head, lines[at]);
      close(Number(head[1]), pred[i]!, 1e-4, 'prediction');
      const region = lines.slice(at + 1, at + 3).map(attribution).find(([n]) => n.startsWith('region = '))!;
      close(region[1], pred[i]! - predMode[i]!, 5e-3, `row ${i}: region's ablation`);
      const sh = lines.findIndex((l) => l.startsWith(`line ${i + 2}: `) && l.includes('Shapley values'));
      const [sum, diff] = sums(lines[sh + 3]!);
      close(diff, pred[i]! - Number(head[3]), 1e-3, 'prediction minus the typical row\'s');
      close(sum, diff, 1e-3, 'Shapley values add up');
    }
  });

  test('embeddings: Shapley values by default (no gradient reaches an embedded column); a gradient method is refused with the reason', async () => {
    const ck = await train('embedding');
    const r = await run(['explain', ck, rows]);
    assert.equal(r.code, 0, r.out.join('\n'));
    assert.match(r.out[1]!, /^line 2: total [\d.]+ \(actual 135\.0+\); Shapley values of the prediction in its units/);
    const pred = await predictions(ck, readFileSync(rows, 'utf8'));
    const [sum, diff] = sums(r.out[4]!);
    close(sum, diff, 1e-3, 'Shapley values add up');
    close(diff, pred[0]! - Number(/the typical row: (-?[\d.]+)/.exec(r.out[1]!)![1]), 1e-3, 'to the prediction minus the typical row\'s');
    await usageError(['explain', ck, rows, '--method', 'integrated-gradients'], /^nabla: explain: --method integrated-gradients needs the gradient with respect to every column, but this model reads region through embeddings \(--encoding embedding\), which have none; use shapley or feature-ablation/);
    await usageError(['explain', ck, rows, '--target', 'West'], /^nabla: explain: --target names a class, but this model predicts the number total/);
  });
});

describe('text: the KJV character model', () => {
  let dir: string, ck: string;
  before(async () => {
    dir = tmp();
    const r = await run(['train', 'kjv', '--limit', '20000', '--epochs', '1', '--seq-length', '32', '--batch-size', '32', '--test-limit', '2000', '--lr', '0.003', '--out', dir, '--quiet']);
    assert.equal(r.code, 0, r.out.join('\n'));
    ck = join(dir, 'best.safetensors');
  });

  test('report.html: three test passages coloured character by character, each with the prediction after it', () => {
    const s = section(readFileSync(join(dir, 'report.html'), 'utf8'), 'Explanations');
    const passages = [...s.matchAll(/<p class="explain-tokens"[^>]*>(.*?)<\/p><p class="muted"[^>]*>→ predicted &quot;.+?&quot; \([\d.]+%\), actually &quot;.+?&quot;<\/p>/gs)];
    assert.equal(passages.length, 3);
    for (const p of passages) {
      const spans = [...p[1]!.matchAll(/<span title="([^"]+)" style="background:rgba\((\d+),(\d+),(\d+),([\d.]+)\)/g)];
      assert.equal(spans.length, 32, 'one span per character of the 32-character window');
      assert.ok(spans.some((m) => Number(m[5]) > 0.8), 'the largest attribution is strongly coloured');
    }
  });

  test('the spawned command: the next character and the characters it rests on; they add up to the logit minus the spaces\' (computed here)', async () => {
    const text = 'In the beginning God created the heaven and the';
    const r = cli(['explain', ck, text, '--top', '4']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 6);
    const head = /^"In the beginning God created the heaven and the": next character "(.)" [\d.]+%, "." [\d.]+%, "." [\d.]+%; integrated gradients of the "(.)" logit \((-?[\d.]+); after a line of spaces: (-?[\d.]+)\) on the character embedding:$/.exec(lines[0]!);
    assert.ok(head, lines[0]);
    assert.equal(head[1], head[2]);
    const { model, ctx } = await loadRun(ck, () => {});
    model.eval();
    const vocab = new nb.text.CharVocab((ctx.meta as { chars: string[] }).chars);
    const logit = (s: string): number => nb.noGrad(() => {
      const ids = vocab.encode(s);
      const out = model.forward(nb.tensor(ids, { shape: [1, ids.length], dtype: 'int32' })) as nb.Tensor;
      return out.select(1, ids.length - 1).select(1, vocab.encode(head[1]!)[0]!).item();
    });
    close(Number(head[3]), logit(text), 1e-4, 'the logit');
    close(Number(head[4]), logit(' '.repeat(text.length)), 1e-4, 'after spaces');
    for (const l of lines.slice(1, 5)) assert.match(attribution(l)[0], /^".+" at \d+ \(.*\[.+\].*\)$/);
    const [sum, diff] = sums(lines[5]!);
    close(diff, logit(text) - logit(' '.repeat(text.length)), 1e-3, 'the difference');
    close(sum, diff, 0.01, 'completeness at 50 steps');
  });

  test('--target explains another character; bad usage is one line', async () => {
    const r = await run(['explain', ck, 'And God said', '--target', 'e', '--top', '2']);
    assert.equal(r.code, 0);
    assert.match(r.out[0]!, /^"And God said": next character .*; (explaining "e" \([\d.]+%\); )?integrated gradients of the "e" logit/);
    await usageError(['explain', ck, 'In the beginning', '--method', 'saliency'], /^nabla: explain: a text model is explained by integrated gradients on its character embedding \(one number per character\); --method saliency is for images and tables/);
    await usageError(['explain', ck, 'In the beginning', '--target', 'ab'], /^nabla: explain: --target must be one character of the model's vocabulary, got "ab"/);
    await usageError(['explain', ck, 'Straße'], /^nabla: explain: character "ß" at position 5 never occurs in the KJV text the model was trained on/);
    await usageError(['explain', ck], /^nabla: explain: give the text whose next character to explain after the checkpoint/);
  });
});

describe('text: the FreeDict translation model', () => {
  let dir: string, ck: string;
  before(async () => {
    dir = tmp();
    // the German alone (--fuzzy 0): the attributions below are over the word's own characters
    const r = await run(['train', 'freedict-deu-eng', '--limit', '300', '--epochs', '1', '--test-limit', '10', '--val-size', '10', '--beam', '1', '--fuzzy', '0', '--out', dir, '--quiet']);
    assert.equal(r.code, 0, r.out.join('\n'));
    ck = join(dir, 'best.safetensors');
  });

  test('report.html: five test headwords coloured by what their translation rests on', () => {
    const s = section(readFileSync(join(dir, 'report.html'), 'utf8'), 'Explanations');
    const rows = [...s.matchAll(/<tr><td[^>]*><p class="explain-tokens"[^>]*>(.*?)<\/p><\/td><td[^>]*>→ ([^<]*)<\/td><\/tr>/gs)];
    assert.equal(rows.length, 5);
    for (const r of rows) assert.ok([...r[1]!.matchAll(/<span title=/g)].length >= 1);
  });

  test('the spawned command with a given translation: log P(translation | source) (computed here from the loss) and the source characters, adding up to it minus the <unk> source\'s', async () => {
    const r = cli(['explain', ck, 'Haus', '--target', 'house', '--top', '4']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 6);
    const head = /^"Haus" → "house" \(given\): integrated gradients of log P\(translation \| source\) \((-?[\d.]+); from an all-<unk> source: (-?[\d.]+)\) on the source's character embedding:$/.exec(lines[0]!);
    assert.ok(head, lines[0]);
    const { model, ctx } = await loadRun(ck, () => {});
    model.eval();
    const meta = ctx.meta as { src: string[]; tgt: string[] };
    const specials = ['pad', 'bos', 'eos', 'unk'] as const;
    const vocabs = { src: new nb.text.CharVocab(meta.src, specials), tgt: new nb.text.CharVocab(meta.tgt, specials) };
    const logP = (src: Int32Array): number => nb.noGrad(() => {
      const [x, y] = nb.models.encodeBatch([src], [vocabs.tgt.encode('house')], vocabs);
      // the mean cross-entropy over "house" and its end: log P = −6 · loss
      return -6 * nb.models.seq2seqLoss(nb.models.seq2seqForward(model, x), y).item();
    });
    const unk = vocabs.src.special('unk');
    close(Number(head[1]), logP(vocabs.src.encode('Haus')), 1e-4, 'log P(house | Haus)');
    close(Number(head[2]), logP(new Int32Array(4).fill(unk)), 1e-4, 'log P(house | <unk>×4)');
    const names = lines.slice(1, 5).map((l) => attribution(l)[0]).sort();
    assert.deepEqual(names, ['"H" at 1 ([H]aus)', '"a" at 2 (H[a]us)', '"s" at 4 (Hau[s])', '"u" at 3 (Ha[u]s)']);
    const [sum, diff] = sums(lines[5]!);
    close(sum, diff, 0.01, 'completeness at 50 steps');
  });

  test('without --target the model\'s own translation is explained; bad usage is one line', async () => {
    const r = await run(['explain', ck, 'Guten Morgen', '--top', '1']);
    assert.equal(r.code, 0);
    assert.match(r.out[0]!, /^"Guten Morgen" → ".*": integrated gradients of log P\(translation \| source\)/);
    assert.doesNotMatch(r.out[0]!, /\(given\)/);
    await usageError(['explain', ck, 'Haus', '--target', 'house€'], /^nabla: explain: --target character "€" at position 6 is not in the model's English characters/);
    await usageError(['explain', ck, 'Haus', '--method', 'occlusion'], /^nabla: explain: a text model is explained by integrated gradients on its character embedding/);
    await usageError(['explain', ck, '  '], /^nabla: explain: an empty text was given/);
  });
});
