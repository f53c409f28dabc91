// Writes the benchmark's data once, as raw files every peer reads (Node and Python alike), so all
// libraries train on the same bytes in the same order: Fashion-MNIST shuffled with a fixed seed, and
// a character text mapped to a 65-symbol vocabulary with the LSTM's batch offsets, and the same text
// as words for word_language_model.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fashionMnistSync } from '../../src/data/datasets/fashion-mnist-node.js';

/** A small seeded generator (mulberry32): the same shuffle and offsets on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DataInfo { fashion: string; text: string; words: string; nTrain: number; nTest: number; textChars: number }

/** Fashion-MNIST (Debian's files, else the shipped sample — said in `fashion`), the train split shuffled. */
function writeFashion(dir: string): Pick<DataInfo, 'fashion' | 'nTrain' | 'nTest'> {
  const notes: string[] = [];
  const train = fashionMnistSync({ split: 'train', log: (l) => notes.push(l) });
  const test = fashionMnistSync({ split: 'test', log: (l) => notes.push(l) });
  const rand = rng(1234);
  const perm = Array.from({ length: train.n }, (_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [perm[i], perm[j]] = [perm[j]!, perm[i]!]; }
  const x = new Uint8Array(train.n * 784), y = new Uint8Array(train.n);
  perm.forEach((src, dst) => { x.set(train.images.subarray(src * 784, (src + 1) * 784), dst * 784); y[dst] = train.labels[src]!; });
  writeFileSync(join(dir, 'train-x.u8'), x);
  writeFileSync(join(dir, 'train-y.u8'), y);
  writeFileSync(join(dir, 'test-x.u8'), test.images);
  writeFileSync(join(dir, 'test-y.u8'), test.labels);
  const where = train.source === 'sample'
    ? `the small sample shipped in the repo (${train.location}) — not the full set; apt-get install dataset-fashion-mnist for it`
    : `${train.location} (${train.source})`;
  return { fashion: `Fashion-MNIST ${train.n} train / ${test.n} test from ${where}`, nTrain: train.n, nTest: test.n };
}

/** 52 letters, space, newline and 10 punctuation marks; anything else (digits…) is symbol 64. */
export const VOCAB = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ \n,.:;?!\'()-';

/** The King James Bible from Debian's bible-kjv-text (read through its `bible` program), else synthetic text. */
function readText(): { text: string; source: string } {
  const data = '/usr/lib/bible.data';
  if (existsSync(data)) {
    try {
      // The package's data file is compressed; its reader (the `bible` program, package bible-kjv) prints it.
      const raw = execFileSync('bible', ['-l0', 'Ge1:1-Re22:21'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      // Drop the verse numbers that open each line; keep the words, punctuation and line breaks.
      const text = raw.replace(/^\s*\d+\s/gm, '');
      if (text.length > 100_000) return { text, source: `the King James Bible from Debian's bible-kjv-text (${data}, via \`bible\`)` };
    } catch { /* fall through to synthetic text */ }
  }
  const rand = rng(7);
  const words = Array.from({ length: 500 }, () => Array.from({ length: 2 + Math.floor(rand() * 7) }, () => VOCAB[Math.floor(rand() * 26)]).join(''));
  let text = '';
  while (text.length < 1_000_000) text += words[Math.floor(rand() * words.length)] + (rand() < 0.1 ? '.\n' : ' ');
  return { text, source: 'synthetic text (500 random words) — bible-kjv-text is not installed (apt-get install -y bible-kjv-text for real text)' };
}

/**
 * word_language_model's corpus from the same text: each non-empty line split into words and punctuation
 * marks (as WikiText is tokenized), then '<eos>'; ids in order of first appearance, like its Dictionary.
 */
function writeWords(dir: string, text: string): Pick<DataInfo, 'words'> {
  const ids = new Map<string, number>();
  const out: number[] = [];
  const add = (w: string) => { let k = ids.get(w); if (k === undefined) { k = ids.size; ids.set(w, k); } out.push(k); };
  for (const line of text.split('\n')) {
    const words = line.match(/[A-Za-z']+|[^\sA-Za-z']/g);
    if (!words) continue;
    for (const w of words) add(w);
    add('<eos>');
  }
  writeFileSync(join(dir, 'words.i32'), Int32Array.from(out));
  writeFileSync(join(dir, 'words.json'), JSON.stringify({ vocab: ids.size }));
  return { words: `${out.length.toLocaleString('en-US')} words, vocabulary ${ids.size.toLocaleString('en-US')}` };
}

function writeText(dir: string, lstm: { batch: number; seq: number; offsetsSteps: number }): Pick<DataInfo, 'text' | 'textChars' | 'words'> {
  const { text, source } = readText();
  const words = writeWords(dir, text);
  const ids = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) { const k = VOCAB.indexOf(text[i]!); ids[i] = k < 0 ? 64 : k; }
  writeFileSync(join(dir, 'text.u8'), ids);
  const rand = rng(99);
  const off = new Int32Array(lstm.offsetsSteps * lstm.batch);
  for (let i = 0; i < off.length; i++) off[i] = Math.floor(rand() * (ids.length - lstm.seq - 1));
  writeFileSync(join(dir, 'lstm-offsets.i32'), off);
  return { text: `${source}, ${ids.length.toLocaleString('en-US')} characters`, textChars: ids.length, ...words };
}

export function prepareData(dir: string, lstm: { batch: number; seq: number; offsetsSteps: number }): DataInfo {
  mkdirSync(dir, { recursive: true });
  return { ...writeFashion(dir), ...writeText(dir, lstm) };
}
