// The KJV language-modelling task: the data module (Debian's bible-kjv: the `bible` program, validated,
// cached), the models, and `nabla train kjv` on a small real subset — it must beat a stated number and
// the n-gram baseline's uniform floor, `nabla eval` reproduces it, `nabla generate` is seeded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import { kjv } from '../src/node.js';
import { main } from '../src/cli/main.js';
import { EVAL_STREAMS } from '../src/tasks/kjv/index.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'nabla-kjv-'));
const run = async (argv: string[]): Promise<{ code: number; out: string[] }> => {
  const out: string[] = [];
  const code = await main(argv, (s) => out.push(s));
  return { code, out };
};

test('kjv(): the whole Bible from the `bible` program, validated, cached, split by book', () => {
  const cache = tmp();
  const a = kjv({ cacheDir: cache });
  assert.equal(a.source, 'bible');
  assert.equal(a.chapters.length, 1189);
  assert.equal(a.chapters.reduce((n, c) => n + c.verses.length, 0), 31102);
  assert.equal(a.chapters[0]!.verses[0], 'In the beginning God created the heaven and the earth.');
  const b = kjv({ cacheDir: cache });
  assert.equal(b.source, 'cache');
  assert.equal(b.train, a.train);
  // held-out books are nowhere in the training text; each split is nabla's verse-per-line text
  for (const book of [...nb.data.KJV_SPLITS.test, ...nb.data.KJV_SPLITS.val]) {
    assert.ok(!a.train.includes(`\n${book} 1\n`), `${book} is in the training text`);
  }
  assert.ok(a.test.startsWith('\nJudges 1\n1 Now after the death of Joshua'));
  assert.ok(a.train.length > 3_800_000 && a.test.length > 200_000 && a.val.length > 80_000);
});

test('parseKjv names the file and line of bad text', () => {
  const good = nb.data.formatKjv(kjv().chapters);
  assert.throws(() => nb.data.parseKjv(good.split('\n').slice(0, 5000).join('\n'), 'short.txt'), /kjv: short\.txt holds \d+ books, \d+ chapters and 4\d{3} verses; a complete KJV has 66, 1189 and 31102/);
  assert.throws(() => nb.data.parseKjv('Genesis 1\n1 In the beginning\n3 And\n', 'gap.txt'), /kjv: gap\.txt, line 3: verse 3 of Genesis 1 follows verse 1/);
  assert.throws(() => nb.data.parseKjv('Exodus 1\n1 Now\n', 'order.txt'), /kjv: order\.txt, line 1: 'Exodus 1' is out of order/);
  assert.throws(() => nb.data.parseKjv('Genesis 1\nIn the beginning\n', 'x.txt'), /x\.txt, line 2: expected a chapter heading like 'Genesis 1' or a verse/);
  const dir = tmp();
  writeFileSync(join(dir, 'kjv.txt'), 'Genesis 1\n1 In the beginning\n');
  assert.throws(() => kjv({ file: join(dir, 'kjv.txt') }), new RegExp(`kjv: ${join(dir, 'kjv.txt').replace(/[.]/g, '\\.')} holds 1 books`));
});

test('nabla train kjv on 300,000 characters learns (test < 3.3 bits/char, uniform is 6.19); eval reproduces it; generate is seeded', async () => {
  const dir = tmp();
  const args = ['train', 'kjv', '--limit', '300000', '--epochs', '1', '--seq-length', '64', '--batch-size', '32', '--test-limit', '20000', '--lr', '0.003', '--out', dir, '--quiet'];
  const { code, out } = await run(args);
  assert.equal(code, 0, out.join('\n'));
  const rec = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; logs?: Record<string, number> });
  const bpc = rec.find((r) => r.type === 'test')!.logs!.bitsPerChar!;
  // 73 characters: a uniform guess is log2(73) = 6.19 bits; one epoch over 300,000 characters reaches well under 3.3
  assert.ok(bpc < 3.3, `test bits/char ${bpc}`);
  const text = out.join('\n');
  const base = /order-3 character n-gram bitsPerChar (\d+\.\d+) bits\/char/.exec(text);
  assert.ok(base, text);
  // the CLI scores the n-gram through the same stream batches as the model, carrying its two characters
  // of context from chunk to chunk: the number is the n-gram's own over each of the 32 streams
  const corpus = kjv();
  const vocab = nb.text.CharVocab.fromTexts([corpus.train, corpus.val, corpus.test]);
  const ngram = new nb.text.CharNGram(3, vocab.size).fit(vocab.encode(corpus.train).subarray(0, 300_001));
  ngram.fitK(vocab.encode(corpus.val));
  const testIds = vocab.encode(corpus.test).subarray(0, 20_001);
  const bounds = Array.from({ length: EVAL_STREAMS + 1 }, (_, i) => 1 + Math.floor((i * 20_000) / EVAL_STREAMS));
  let bits = 0;
  for (let st = 0; st < EVAL_STREAMS; st++) bits += ngram.bitsPerChar(testIds.subarray(bounds[st]! - 1, bounds[st + 1]), 1) * (bounds[st + 1]! - bounds[st]!);
  assert.ok(Math.abs(Number(base[1]) - bits / 20_000) < 6e-4, `CLI n-gram ${base[1]}, CharNGram ${bits / 20_000}`);
  const ev = await run(['eval', join(dir, 'best.safetensors'), '--test-limit', '20000']);
  assert.equal(ev.code, 0, ev.out.join('\n'));
  assert.match(ev.out.join('\n'), new RegExp(`bitsPerChar ${bpc.toFixed(3)}`));
  const g1 = await run(['generate', join(dir, 'best.safetensors'), '--tokens', '120', '--seed', '7']);
  const g2 = await run(['generate', join(dir, 'best.safetensors'), '--tokens', '120', '--seed', '7']);
  const g3 = await run(['generate', join(dir, 'best.safetensors'), '--tokens', '120', '--seed', '8']);
  assert.equal(g1.code, 0, g1.out.join('\n'));
  assert.equal(g1.out.join('\n'), g2.out.join('\n'));
  assert.notEqual(g1.out.join('\n'), g3.out.join('\n'));
  assert.ok(g1.out.join('\n').startsWith('In the beginning') && g1.out.join('\n').length >= 120 + 16);
  // the report's sample is what `nabla generate` gives with the run's seed
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  const g = await run(['generate', join(dir, 'best.safetensors'), '--seed', '1']);
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  assert.ok(html.includes(esc(g.out.join('\n').slice('In the beginning'.length))), 'the report\'s generated text differs from nabla generate --seed 1');
  const bad = await run(['generate', join(dir, 'best.safetensors'), '--prompt', 'Hallo Welt ß']);
  assert.equal(bad.code, 2);
});
