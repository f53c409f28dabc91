// The FreeDict models' fuzzy matches (src/text/fuzzy.ts, nb.text.FuzzyMatcher): with k as large as the list every
// word is a candidate, so the match must be brute force's nearest (earliest of ties, own headword
// skipped); with a small k, the match is one of the k neighbours on each side in the two orders.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FuzzyMatcher, FUZZY_SEP, type FuzzyEntry } from '../src/text/fuzzy.js';
import { editDistance } from '../src/text/index.js';

function words(n: number, seed: number): FuzzyEntry[] {
  let s = seed;
  const r = (m: number): number => { s = (s * 1103515245 + 12345) % 2147483648; return s % m; };
  const alpha = 'abcdeäß';
  return Array.from({ length: n }, (_, i) => {
    const w = Array.from({ length: 1 + r(9) }, () => alpha[r(alpha.length)]).join('');
    return { src: w, tgt: `t${i}`, headword: `h${r(n / 3)}` };
  });
}

test('FuzzyMatcher: with every word a candidate, the nearest by edit distance (earliest of ties), its own headword skipped', () => {
  const es = words(400, 7);
  const f = new FuzzyMatcher(es, es.length);
  const qs = words(150, 99);
  for (const [t, q] of qs.entries()) {
    const exclude = t % 2 ? es[t]!.headword : undefined;
    let bi = -1, bd = Infinity;
    es.forEach((e, i) => { if (e.headword === exclude) return; const d = editDistance(q.src, e.src); if (d < bd) { bd = d; bi = i; } });
    assert.equal(f.find(q.src, exclude), bi, `query '${q.src}' excluding ${exclude}`);
  }
});

test('FuzzyMatcher: a small k takes its match from the k neighbours on each side, alphabetically or by ending', () => {
  const es = words(2000, 3);
  const k = 2;
  const f = new FuzzyMatcher(es, k);
  const byStart = es.map((_, i) => i).sort((a, b) => (es[a]!.src < es[b]!.src ? -1 : es[a]!.src > es[b]!.src ? 1 : a - b));
  const rev = (s: string) => [...s].reverse().join('');
  const byEnd = es.map((_, i) => i).sort((a, b) => (rev(es[a]!.src) < rev(es[b]!.src) ? -1 : rev(es[a]!.src) > rev(es[b]!.src) ? 1 : a - b));
  for (const q of words(200, 11)) {
    const m = f.find(q.src);
    const near = (order: number[], key: (i: number) => string, at: string): number[] => {
      const p = order.findIndex((i) => key(i) >= at);
      const pos = p < 0 ? order.length : p;
      return order.slice(Math.max(0, pos - k), pos + k);
    };
    const cands = [...near(byStart, (i) => es[i]!.src, q.src), ...near(byEnd, (i) => rev(es[i]!.src), rev(q.src))];
    assert.ok(cands.includes(m), `'${q.src}' matched '${es[m]!.src}', not among its neighbours`);
    const best = Math.min(...cands.map((i) => editDistance(q.src, es[i]!.src)));
    assert.equal(editDistance(q.src, es[m]!.src), best);
    assert.equal(m, Math.min(...cands.filter((i) => editDistance(q.src, es[i]!.src) === best)));
  }
});

test('FuzzyMatcher: the model input, German compounds matched by their ending, errors', () => {
  const es: FuzzyEntry[] = [
    { src: 'Aalbestand', tgt: 'eel stock', headword: 'Aalbestand' },
    { src: 'Fischbestand', tgt: 'fish stock', headword: 'Fischbestand' },
    { src: 'Haus', tgt: 'house', headword: 'Haus' },
    { src: 'Zyklus', tgt: 'cycle', headword: 'Zyklus' },
  ];
  const f = new FuzzyMatcher(es, 1);
  assert.equal(f.input('Aalbestände'), `Aalbestände${FUZZY_SEP}eel stock`);
  assert.equal(f.input('Aalbestand', 'Aalbestand'), `Aalbestand${FUZZY_SEP}fish stock`);
  assert.equal(f.input('Walfischbestand'), `Walfischbestand${FUZZY_SEP}fish stock`);
  assert.equal(new FuzzyMatcher([es[2]!], 4).input('Haus', 'Haus'), `Haus${FUZZY_SEP}`);
  assert.throws(() => new FuzzyMatcher([], 4), /FuzzyMatcher: no entries to match against/);
  assert.throws(() => new FuzzyMatcher(es, 0), /k must be an integer ≥ 1, got 0/);
});
