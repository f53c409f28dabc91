// nb.text: edit distance, CER, chrF (against sacreBLEU's published values), the n-gram baseline,
// nearest word by edit distance, the vocabulary, seeded sampling, greedy and beam search.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import {
  CharVocab, CharNGram, NearestWord, editDistance, characterErrorRate, exactMatch, chrF, bitsPerChar,
  sampleLogits, greedyDecode, beamSearch, type StepModel,
} from '../src/text/index.js';
import { withRng } from '../src/data/rng.js';

describe('text metrics', () => {
  test('editDistance: textbook cases, code points, early stop', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3); // k→s, e→i, +g
    assert.equal(editDistance('flaw', 'lawn'), 2); // −f, +n
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('Straße', 'Strasse'), 2); // ß→s, +s
    assert.equal(editDistance('äb', 'ab'), 1); // one code point, not two UTF-16 units
    assert.equal(editDistance('abcdef', 'uvwxyz', 2), 3); // capped at max + 1
  });

  test('characterErrorRate is edits over reference characters summed over the corpus; exactMatch', () => {
    // house→home: u→m and −s = 2 edits, cat→cat 0, over 4 + 3 reference characters
    assert.equal(characterErrorRate(['house', 'cat'], ['home', 'cat']), 2 / 7);
    assert.throws(() => characterErrorRate(['a'], []), /1 hypotheses but 0 references/);
    assert.equal(exactMatch(['a', 'b', 'c', 'd'], ['a', 'x', 'c', ['y', 'd']]), 3 / 4);
  });

  test('chrF equals sacreBLEU\'s (values published in the Hugging Face chrF metric card)', () => {
    const one = chrF(['The relationship between Obama and Netanyahu is not exactly friendly.'], ['The ties between Obama and Netanyahu are not particularly friendly.']);
    assert.ok(Math.abs(one - 61.576379378113785) < 1e-9, `chrF ${one}`);
    const two = chrF(
      ['The relationship between cats and dogs is not exactly friendly.', 'a good bookshop is just a genteel black hole that knows how to read.'],
      ['The relationship between dogs and cats is not exactly friendly.', 'A good bookshop is just a genteel Black Hole that knows how to read.'],
    );
    assert.ok(Math.abs(two - 84.64214891738334) < 1e-9, `chrF ${two}`);
    assert.equal(chrF(['abc'], ['abc']), 100);
    assert.equal(chrF(['xyz'], ['abc']), 0);
  });

  test('bitsPerChar converts nats', () => {
    assert.equal(bitsPerChar(Math.LN2 * 10, 5), 2);
  });
});

describe('CharNGram (add-k)', () => {
  test('probabilities follow (count + k) / (context count + k·V)', () => {
    // text "abab" over V = 2 (a = 0, b = 1), bigrams (order 2): contexts ⟂→a, a→b, b→a, a→b
    const m = new CharNGram(2, 2, 0.5).fit([0, 1, 0, 1]);
    // P(b | a) = (2 + 0.5) / (2 + 1) ; P(a | a) = 0.5 / 3 ; P(a | b) = 1.5 / 2
    assert.ok(Math.abs(m.logProb([0, 1], 1) - Math.log(2.5 / 3)) < 1e-12);
    assert.ok(Math.abs(m.logProb([0, 0], 1) - Math.log(0.5 / 3)) < 1e-12);
    assert.ok(Math.abs(m.logProb([1, 0], 1) - Math.log(1.5 / 2)) < 1e-12);
    // an unseen context is uniform
    const m3 = new CharNGram(3, 4, 1).fit([0, 1]);
    assert.ok(Math.abs(m3.logProb([2, 3, 1], 2) - Math.log(1 / 4)) < 1e-12);
  });

  test('probabilities over the vocabulary sum to one; fitK picks the best k on held-out text', () => {
    const ids = Array.from('the cat sat on the mat and the rat', (c) => 'the casonmdr'.indexOf(c));
    const m = new CharNGram(3, 12).fit(ids);
    let s = 0;
    for (let v = 0; v < 12; v++) s += Math.exp(m.logProb([0, 1, v], 2));
    assert.ok(Math.abs(s - 1) < 1e-12);
    const held = Array.from('the rat sat', (c) => 'the casonmdr'.indexOf(c));
    const scores = m.fitK(held, [1, 0.1, 0.01]);
    const best = scores.reduce((a, b) => (b.bitsPerChar < a.bitsPerChar ? b : a));
    assert.equal(m.k, best.k);
    assert.throws(() => m.fit([0, 12]), /id 12 at position 1 is outside 0..11/);
  });
});

describe('NearestWord', () => {
  test('finds the word at the smallest edit distance, the earliest of ties, as brute force does', () => {
    nb.manualSeed(1);
    const alpha = 'abcdeäß';
    const rnd = (n: number): string => Array.from({ length: n }, () => alpha[nb.randint(0, alpha.length, [1]).item()]).join('');
    const words = Array.from({ length: 2000 }, () => rnd(1 + nb.randint(0, 12, [1]).item()));
    const nw = new NearestWord(words);
    for (let t = 0; t < 300; t++) {
      const q = rnd(nb.randint(0, 14, [1]).item());
      let bi = 0, bd = Infinity;
      words.forEach((w, i) => { const d = editDistance(q, w); if (d < bd) { bd = d; bi = i; } });
      const r = nw.find(q);
      assert.deepEqual([r.index, r.distance], [bi, bd], `query '${q}'`);
    }
    assert.deepEqual(new NearestWord(['Haus', 'Maus', 'Hase']).find('Hauses'), { index: 0, word: 'Haus', distance: 2 });
  });
});

describe('CharVocab', () => {
  test('specials first, then characters in code-point order; round trip; errors name the character', () => {
    const v = CharVocab.fromTexts(['baß', 'ab'], ['pad', 'bos', 'eos']);
    assert.equal(v.size, 6);
    assert.deepEqual([...v.encode('ab', { bos: true, eos: true })], [1, 3, 4, 2]);
    assert.equal(v.decode(v.encode('baß', { eos: true })), 'baß');
    assert.equal(v.decode([1, 5, 3, 0, 0]), 'ßa');
    assert.throws(() => v.encode('abc'), /character "c" \(U\+0063\) at position 2 is not in the vocabulary/);
    assert.deepEqual(CharVocab.fromJSON(JSON.parse(JSON.stringify(v))).toJSON(), v.toJSON());
    const u = CharVocab.fromTexts(['ab'], ['unk']);
    assert.equal(u.decode(u.encode('abz')), 'ab\uFFFD');
  });
});

describe('decoding', () => {
  test('sampleLogits: seeded, follows softmax(logits / T), top-k keeps only the k best', () => {
    const logits = [0, 1, 2, Math.log(0.5)];
    const draw = (opts: { temperature?: number; topK?: number }, n: number): number[] => withRng(7, () => {
      const c = [0, 0, 0, 0];
      for (let i = 0; i < n; i++) c[sampleLogits(logits, opts)]!++;
      return c;
    });
    assert.deepEqual(draw({}, 50), draw({}, 50), 'the same seed gave different samples');
    const n = 20000;
    const c = draw({ temperature: 2 }, n);
    const w = logits.map((l) => Math.exp(l / 2)), z = w.reduce((a, b) => a + b);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(c[i]! / n - w[i]! / z) < 0.015, `token ${i}: ${c[i]! / n} vs ${w[i]! / z}`);
    const k = draw({ topK: 2 }, 2000);
    assert.equal(k[0]! + k[3]!, 0);
    const p2 = Math.exp(2) / (Math.exp(1) + Math.exp(2));
    assert.ok(Math.abs(k[2]! / 2000 - p2) < 0.04);
    assert.throws(() => sampleLogits(logits, { temperature: 0 }), /temperature must be a number > 0/);
  });

  // A toy model whose next-token distribution depends on the last token only (a Markov chain), so the
  // most likely sequence can be found by enumeration: tokens 0 = BOS, 1 = EOS, 2, 3.
  const P: Record<number, number[]> = { 0: [0, 0.1, 0.5, 0.4], 2: [0, 0.4, 0.3, 0.3], 3: [0, 0.9, 0.05, 0.05] };
  const toy: StepModel<number[]> = {
    vocabSize: 4,
    step(state, tokens) {
      const lp: number[] = [];
      for (const t of tokens) lp.push(...P[t]!.map((p) => Math.log(p)));
      return { logProbs: lp, state: [...tokens] };
    },
    select(state, rows) { return [...rows].map((r) => state[r]!); },
  };

  test('greedy takes the likeliest token each step; beam search finds the likeliest sequence', () => {
    // greedy: 2 (0.5), then EOS (0.4) → [2] with p 0.2; best overall: 3 then EOS, 0.4·0.9 = 0.36
    assert.deepEqual(greedyDecode(toy, [0], 1, { bos: 0, eos: 1, maxLength: 5 }), [[2]]);
    const [b] = beamSearch(toy, [0, 0], 1, { bos: 0, eos: 1, maxLength: 5, beamSize: 3, lengthPenalty: 0 });
    assert.deepEqual(b!.tokens, [3]);
    assert.ok(Math.abs(b!.logProb - Math.log(0.36)) < 1e-12);
    // enumeration over all sequences up to length 4 agrees
    let best = -Infinity, arg: number[] = [];
    const rec = (seq: number[], last: number, lp: number): void => {
      const e = lp + Math.log(P[last]![1]!);
      if (e > best) { best = e; arg = seq; }
      if (seq.length < 4) for (const t of [2, 3]) rec([...seq, t], t, lp + Math.log(P[last]![t]!));
    };
    rec([], 0, 0);
    assert.deepEqual(arg, [3]);
    // two sequences at once give the same answers
    const two = beamSearch(toy, [0, 0], 2, { bos: 0, eos: 1, maxLength: 5, beamSize: 2, lengthPenalty: 0 });
    assert.deepEqual(two.map((r) => r.tokens), [[3], [3]]);
  });

  test('beam search with a length penalty: hypotheses cut short early do not end the search before a better, longer one finishes', () => {
    // the state is the prefix length; 'a' (2) is likely until four of them, then EOS almost surely.
    // EOS is among the 2 best candidates at the first steps, so two short hypotheses finish at once
    // (the search used to stop there with [2]); by logP / (length + 1) the best is [2, 2, 2, 2]
    const pa = (n: number) => (n < 4 ? [0, 0.3, 0.6, 0.1] : [0, 0.99, 0.005, 0.005]);
    const counter: StepModel<number[]> = {
      vocabSize: 4,
      step(state, tokens) {
        const lp: number[] = [];
        const next = tokens.map((_, i) => (state[i] ?? -1) + 1);
        for (const n of next) lp.push(...pa(n).map((p) => Math.log(p)));
        return { logProbs: lp, state: next };
      },
      select(state, rows) { return [...rows].map((r) => state[r]!); },
    };
    const score = (seq: number[]) => { let lp = 0; seq.forEach((t, i) => { lp += Math.log(pa(i)[t]!); }); return lp + Math.log(pa(seq.length)[1]!); };
    const [b] = beamSearch(counter, [-1], 1, { bos: 0, eos: 1, maxLength: 8, beamSize: 2, lengthPenalty: 1 });
    assert.deepEqual(b!.tokens, [2, 2, 2, 2]);
    assert.ok(Math.abs(b!.logProb - score([2, 2, 2, 2])) < 1e-12);
    assert.ok(score([2, 2, 2, 2]) / 5 > score([2]) / 2 && score([2, 2, 2, 2]) / 5 > score([]) / 1);
  });
});
