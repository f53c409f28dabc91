// The FreeDict translation task: the dictd reader (index, entries, examples, errors naming the file),
// pairs split by headword, and `nabla train freedict-deu-eng` on a small real subset with eval and translate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as nb from '../src/index.js';
import { freedictDeuEng } from '../src/node.js';
import { main } from '../src/cli/main.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'nabla-freedict-'));
const run = async (argv: string[]): Promise<{ code: number; out: string[] }> => {
  const out: string[] = [];
  const code = await main(argv, (s) => out.push(s));
  return { code, out };
};
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const b64 = (n: number): string => { let s = ''; do { s = B64[n % 64] + s; n = Math.floor(n / 64); } while (n > 0); return s; };

/** A tiny dictionary in dictd format (the layout of Debian's freedict-deu-eng): entries, index, gzip. */
function writeDict(dir: string, entries: string[], indexFor = (e: string) => e.split(' /')[0]!.toLowerCase()): void {
  let dict = '', index = '';
  for (const e of entries) {
    const off = Buffer.byteLength(dict);
    dict += e;
    index += `${indexFor(e)}\t${b64(off)}\t${b64(Buffer.byteLength(e))}\n`;
  }
  writeFileSync(join(dir, 'freedict-deu-eng.dict.dz'), gzipSync(Buffer.from(dict)));
  writeFileSync(join(dir, 'freedict-deu-eng.index'), index);
}

test('the dictd reader: translations without labels and tags, example phrases, one pair per headword', () => {
  const dir = tmp();
  writeDict(dir, [
    'Haus /hˈaʊs/ <neut, n, sg>\nhouse <n>, home <n>\n      "nach Hause gehen"  - go home\n   Synonym: {Gebäude}\n\n',
    'Haus /hˈaʊs/ <neut, n, sg>\n [astrol.] house <n>, mansion <n>\n\n',
    'gehen /ɡˈeːən/ <v>\ngo <v>, walk (on foot) <v>\n see: {gehend}\n\n',
  ]);
  const c = freedictDeuEng({ dir, cacheDir: null });
  const all = [...c.train, ...c.val, ...c.test];
  const haus = all.find((p) => p.src === 'Haus')!;
  assert.deepEqual([haus.tgt, haus.alternatives], ['house', ['house', 'home', 'mansion']]);
  assert.deepEqual(all.find((p) => p.src === 'gehen')!.alternatives, ['go', 'walk (on foot)']);
  assert.deepEqual(all.filter((p) => p.kind === 'example').map((p) => [p.src, p.tgt, p.headword]), [['nach Hause gehen', 'go home', 'Haus']]);
  assert.equal(all.length, 3);
  assert.equal(c.entries, 3);
});

test('the dictd reader names the file and the line of a bad index', () => {
  const dir = tmp();
  writeDict(dir, ['Haus\nhouse\n']);
  writeFileSync(join(dir, 'freedict-deu-eng.index'), 'haus\tA\tZZZZ\n');
  assert.throws(() => freedictDeuEng({ dir, cacheDir: null }), new RegExp(`${dir}/freedict-deu-eng\\.index, line 1: entry 'haus' at 0 \\+ \\d+ bytes runs past the end of the dictionary`));
  writeFileSync(join(dir, 'freedict-deu-eng.index'), 'haus\tA!\tB\n');
  assert.throws(() => freedictDeuEng({ dir, cacheDir: null }), /line 1: 'A!' is not a dictd base64 number \(bad digit '!'\)/);
  assert.throws(() => freedictDeuEng({ dir: join(dir, 'nowhere'), cacheDir: null }), /no freedict-deu-eng\.index and freedict-deu-eng\.dict\.dz in .*nowhere; install Debian's dict-freedict-deu-eng/);
});

test('the real dictionary: pairs split by headword (no test headword in training), cached', () => {
  const cache = tmp();
  const c = freedictDeuEng({ cacheDir: cache });
  assert.equal(c.source, 'dictionary');
  assert.ok(c.entries > 500_000, `${c.entries} entries`);
  assert.ok(c.train.length > 350_000 && c.test.length > 5_000, `${c.train.length} / ${c.test.length}`);
  const trainHeads = new Set(c.train.map((p) => p.headword.toLowerCase()));
  assert.ok(c.test.every((p) => !trainHeads.has(p.headword.toLowerCase())), 'a test headword is also a training headword');
  const again = freedictDeuEng({ cacheDir: cache });
  assert.equal(again.source, 'cache');
  assert.deepEqual(again.test.slice(0, 50), c.test.slice(0, 50));
  assert.equal(again.train.length, c.train.length);
});

test('nabla train freedict-deu-eng on the 13,516 cognate-suffix pairs beats the nearest headword on unseen ones; eval reproduces it, translate runs', async () => {
  // German words ending in -tion, -ität, -ismus, -ist, -isch, -ie: a real slice of the dictionary a
  // small model learns in three epochs (Akkretion → accretion), where the nearest training headword
  // gives the translation of a different word; the model reads each word beside its fuzzy match (the
  // default), batches of 64 (a small set wants more steps than the full data's 128)
  const dir = tmp();
  const match = '(tion|ität|ismus|ist|isch|ie)$';
  const { code, out } = await run(['train', 'freedict-deu-eng', '--match', match, '--epochs', '3', '--val-size', '50',
    '--beam', '1', '--lr', '0.003', '--batch-size', '64', '--out', dir, '--quiet']);
  assert.equal(code, 0, out.join('\n'));
  const rec = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; logs?: Record<string, number> });
  const t = rec.find((r) => r.type === 'test')!.logs!;
  const base = /baselines on the test set: nearest training headword exactMatch (\d+\.\d\d)%, cer (\d+\.\d\d)%, chrF (\d+\.\d)/.exec(out.join('\n'));
  assert.ok(base, out.join('\n'));
  const [bExact, bCer, bChrF] = base.slice(1).map(Number) as [number, number, number];
  // measured: model 22.4% exact, CER 45.8%, chrF 51.2 against the nearest headword's 4.5%, 57.2%, 39.9 (the
  // fuzzy match alone: 4.5%, 56.2%, 41.1) on the 268 test headwords
  assert.ok(100 * t.exactMatch! > bExact + 5, `exact match ${t.exactMatch} vs baseline ${bExact}%`);
  assert.ok(100 * t.cer! < bCer - 3, `CER ${t.cer} vs baseline ${bCer}%`);
  assert.ok(t.chrF! > bChrF + 2, `chrF ${t.chrF} vs baseline ${bChrF}`);
  const ev = await run(['eval', join(dir, 'best.safetensors'), '--beam', '1']);
  assert.equal(ev.code, 0, ev.out.join('\n'));
  assert.match(ev.out.join('\n'), new RegExp(`cer ${(100 * t.cer!).toFixed(2)}%`));
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<h2>Attention<\/h2>/);
  assert.equal((html.match(/aria-label="attention map of /g) ?? []).length, 3);
  const tr = await run(['translate', join(dir, 'best.safetensors'), 'Guten Morgen', 'Haus', '--beam', '3']);
  assert.equal(tr.code, 0, tr.out.join('\n'));
  assert.match(tr.out[0]!, /^Guten Morgen → /);
  assert.equal((await run(['translate', join(dir, 'best.safetensors')])).code, 2);
});

test('--match: an expression that does not parse, or matches no pair, is a one-line usage error', async () => {
  const usage = async (argv: string[]): Promise<string> => {
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (lines.push(s), true)) as typeof process.stderr.write;
    try {
      assert.equal((await run(argv)).code, 2, argv.join(' '));
    } finally {
      process.stderr.write = write;
    }
    return lines.join('');
  };
  assert.match(await usage(['train', 'freedict-deu-eng', '--match', '(ung', '--out', tmp()]), /^nabla: --match: "\(ung" is not a regular expression \(.+\)\n$/);
  assert.match(await usage(['train', 'freedict-deu-eng', '--match', '^zzzq$', '--out', tmp()]), /^nabla: train: no training pairs match --match \^zzzq\$\n$/);
});

test('translation metrics of the CLI agree with nb.text on decoded rows', () => {
  const v = new nb.text.CharVocab('abcdehos', ['pad', 'bos', 'eos', 'unk']);
  const rows = (ss: string[]) => {
    const enc = ss.map((s) => v.encode(s, { eos: true }));
    const T = Math.max(...enc.map((e) => e.length));
    const flat = new Int32Array(ss.length * T);
    enc.forEach((e, i) => flat.set(e, i * T));
    return nb.tensor(flat, { shape: [ss.length, T], dtype: 'int32' });
  };
  return import('../src/tasks/text-metrics.js').then(({ translationMetrics }) => {
    const ms = translationMetrics(v);
    for (const m of ms) m.update(rows(['house', 'cab']), rows(['hose', 'cab']));
    const [em, cer, chrf] = ms.map((m) => m.compute());
    assert.equal(em, 0.5);
    assert.equal(cer, 1 / 7); // house → hose: one deletion, over 4 + 3 reference characters
    assert.equal(chrf, nb.text.chrF(['house', 'cab'], ['hose', 'cab']));
  });
});
