// Fashion-MNIST: the Debian files and the shipped sample load with the published facts (60000/10000
// images, 6000/1000 per class, first train label 9 = Ankle boot, mean pixel 0.2860), the search order
// holds, and broken files are refused with errors that name them.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { classCounts, FASHION_MNIST_CLASSES, fashionMnistFromUrl, imagesToFloat32, labelsToInt32 } from '../src/data/datasets/fashion-mnist.js';
import { gunzipWeb } from '../src/data/formats/gzip.js';
import { fashionMnist, fashionMnistSync, mnistSync } from '../src/data/datasets/fashion-mnist-node.js';
import { encodeIdx } from '../src/data/formats/idx.js';

const DEBIAN = '/usr/share/datasets/fashion-mnist';
const skipDebian = existsSync(join(DEBIAN, 'train-images-idx3-ubyte.gz')) ? false : `${DEBIAN} not installed (apt install dataset-fashion-mnist)`;
if (skipDebian) console.log(`# skipping full-data checks: ${skipDebian}`);

delete process.env.NABLA_DATA;
const tmp = mkdtempSync(join(tmpdir(), 'nabla-fmnist-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** No cache, no system directory: only an explicit root or the shipped sample can answer. */
const isolated = { cacheDir: null, systemDir: null } as const;

/** Writes a tiny IDX pair (n images of h×w, given labels) into dir, gzip or plain. */
function writePair(dir: string, split: 'train' | 'test', labels: number[], opts: { gz?: boolean; h?: number; w?: number; n?: number } = {}) {
  mkdirSync(dir, { recursive: true });
  const n = opts.n ?? labels.length, h = opts.h ?? 28, w = opts.w ?? 28;
  const pre = split === 'train' ? 'train' : 't10k';
  const images = new Uint8Array(n * h * w).map((_, i) => i % 256);
  const enc = (b: Uint8Array) => (opts.gz === false ? b : gzipSync(b));
  const ext = opts.gz === false ? '' : '.gz';
  writeFileSync(join(dir, `${pre}-images-idx3-ubyte${ext}`), enc(encodeIdx({ type: 'uint8', shape: [n, h, w], data: images })));
  writeFileSync(join(dir, `${pre}-labels-idx1-ubyte${ext}`), enc(encodeIdx({ type: 'uint8', shape: [labels.length], data: new Uint8Array(labels) })));
}

test('Debian files: 60000/10000 images, 6000/1000 per class, first label 9, mean 0.2860', { skip: skipDebian }, () => {
  const train = fashionMnistSync({ split: 'train', ...isolated, systemDir: DEBIAN });
  assert.equal(train.source, 'debian');
  assert.equal(train.n, 60000);
  assert.deepEqual(train.shape, [60000, 28, 28]);
  assert.equal(train.images.length, 60000 * 784);
  assert.deepEqual(classCounts(train.labels, 10), new Array(10).fill(6000));
  assert.equal(train.labels[0], 9, 'the first training image is an ankle boot');
  assert.equal(train.classes[train.labels[0]], 'Ankle boot');
  // The usual normalisation constants for Fashion-MNIST: mean 0.2860, std 0.3530 of x/255 over the train set.
  let sum = 0, sq = 0;
  for (const p of train.images) { sum += p; sq += p * p; }
  const mean = sum / train.images.length / 255;
  const std = Math.sqrt(sq / train.images.length / 255 ** 2 - mean ** 2);
  assert.equal(mean.toFixed(4), '0.2860');
  assert.equal(std.toFixed(4), '0.3530');
  const test_ = fashionMnistSync({ split: 'test', ...isolated, systemDir: DEBIAN });
  assert.equal(test_.n, 10000);
  assert.deepEqual(classCounts(test_.labels, 10), new Array(10).fill(1000));
  assert.deepEqual(test_.classes, FASHION_MNIST_CLASSES);
});

test('the shipped sample: 6000/1000 class-balanced images, each one the full set\'s, one notice line', async () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const train = await fashionMnist({ split: 'train', ...isolated, log });
  const test_ = fashionMnistSync({ split: 'test', ...isolated, log });
  assert.equal(train.source, 'sample');
  assert.equal(test_.source, 'sample');
  assert.deepEqual([train.n, test_.n], [6000, 1000]);
  assert.deepEqual(classCounts(train.labels, 10), new Array(10).fill(600));
  assert.deepEqual(classCounts(test_.labels, 10), new Array(10).fill(100));
  assert.equal(train.labels[0], 9);
  assert.equal(lines.length, 1, 'one line, however many splits are loaded');
  assert.match(lines[0], /fashion-mnist: using the small sample .*apt install dataset-fashion-mnist/);
  if (!skipDebian) {
    // The sample is the first 600 (train) / 100 (test) images of each class, in file order.
    for (const [sample, split, k] of [[train, 'train', 600], [test_, 'test', 100]] as const) {
      const full = fashionMnistSync({ split, ...isolated, systemDir: DEBIAN });
      const taken = new Array(10).fill(0);
      let j = 0;
      for (let i = 0; i < full.n && j < sample.n; i++) {
        const l = full.labels[i];
        if (taken[l] === k) continue;
        taken[l]++;
        assert.equal(sample.labels[j], l, `${split} sample ${j}`);
        assert.deepEqual(sample.images.subarray(j * 784, (j + 1) * 784), full.images.subarray(i * 784, (i + 1) * 784), `${split} sample ${j} = full ${i}`);
        j++;
      }
      assert.equal(j, sample.n);
    }
  }
  const f = imagesToFloat32(train.images.subarray(0, 784));
  assert.equal(f.length, 784);
  assert.ok(f.every((x) => x >= 0 && x <= 1));
  assert.deepEqual(labelsToInt32(new Uint8Array([9, 0])), new Int32Array([9, 0]));
});

test('search order: root, then $NABLA_DATA, then the cache, then the system directory', () => {
  const root = join(tmp, 'root'), env = join(tmp, 'env'), cache = join(tmp, 'cache'), sys = join(tmp, 'sys');
  writePair(root, 'train', [1, 2], { gz: false });
  writePair(join(env, 'fashion-mnist'), 'train', [3, 4, 5]);
  writePair(join(cache, 'fashion-mnist'), 'train', [6]);
  writePair(sys, 'train', [7, 8, 9, 0]);
  const load = (o: object) => fashionMnistSync({ split: 'train', cacheDir: cache, systemDir: sys, log: null, ...o });
  assert.deepEqual([load({ root }).source, [...load({ root }).labels]], ['root', [1, 2]]);
  process.env.NABLA_DATA = env;
  try {
    assert.deepEqual([load({}).source, [...load({}).labels]], ['env', [3, 4, 5]]);
  } finally {
    delete process.env.NABLA_DATA;
  }
  assert.deepEqual([load({}).source, [...load({}).labels]], ['cache', [6]]);
  assert.deepEqual([load({ cacheDir: null }).source, [...load({ cacheDir: null }).labels]], ['debian', [7, 8, 9, 0]]);
  assert.equal(load({ cacheDir: null }).location, sys);
  // An explicit root that lacks the files is an error, not a silent fallback.
  assert.throws(() => load({ root: join(tmp, 'nowhere') }), /fashion-mnist: no train-images-idx3-ubyte\(\.gz\) and train-labels-idx1-ubyte\(\.gz\) in .*nowhere/);
  // Without the sample, nothing found is an error that says where it looked and how to get the data.
  assert.throws(() => fashionMnistSync({ ...isolated, allowSample: false }), /fashion-mnist: no data found .*apt install dataset-fashion-mnist/);
  assert.throws(() => mnistSync({ ...isolated }), /mnist: no data found/);
  writePair(join(tmp, 'mnist'), 'test', [0, 1]);
  assert.deepEqual(mnistSync({ split: 'test', root: join(tmp, 'mnist') }).classes[1], '1');
});

test('broken data files are refused with errors naming the file', () => {
  const cases: [string, (d: string) => void, RegExp][] = [
    ['label out of range', (d) => writePair(d, 'train', [3, 10]), /train-labels-idx1-ubyte\.gz: label 1 is 10, outside 0\.\.9/],
    ['count mismatch', (d) => writePair(d, 'train', [1, 2, 3], { n: 2 }), /train-labels-idx1-ubyte\.gz: has 3 labels but .*train-images-idx3-ubyte\.gz has 2 images/],
    ['wrong image size', (d) => writePair(d, 'train', [1], { h: 32, w: 32 }), /train-images-idx3-ubyte\.gz: images are 32×32, expected 28×28/],
    ['labels missing', (d) => { writePair(d, 'train', [1]); rmSync(join(d, 'train-labels-idx1-ubyte.gz')); }, /found .*train-images-idx3-ubyte\.gz but not train-labels-idx1-ubyte\(\.gz\)/],
    ['images and labels swapped', (d) => {
      writePair(d, 'train', [1]);
      const lab = join(d, 'train-labels-idx1-ubyte.gz'), img = join(d, 'train-images-idx3-ubyte.gz');
      const a = encodeIdx({ type: 'uint8', shape: [1], data: new Uint8Array([1]) });
      writeFileSync(img, gzipSync(a)); writeFileSync(lab, gzipSync(a));
    }, /train-images-idx3-ubyte\.gz: has rank 1 \(magic 0x00000801\) but rank 3 was expected/],
    ['not gzip, not IDX', (d) => { writePair(d, 'train', [1]); writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), '<html>404</html>'); }, /train-images-idx3-ubyte\.gz: bad magic number 0x3c68746d/],
    ['truncated gzip', (d) => {
      writePair(d, 'train', [1]);
      const gz = gzipSync(encodeIdx({ type: 'uint8', shape: [1, 28, 28], data: new Uint8Array(784) }));
      writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), gz.subarray(0, gz.length / 2));
    }, /train-images-idx3-ubyte\.gz: gzip data is corrupt or truncated/],
  ];
  cases.forEach(([what, make, re], i) => {
    const d = join(tmp, `bad${i}`);
    make(d);
    assert.throws(() => fashionMnistSync({ root: d }), re, what);
  });
  assert.throws(() => fashionMnistSync({ split: 'val' as never, ...isolated }), /split must be 'train' or 'test', got "val"/);
});

test('download (fetch stubbed, no network): files are checked by SHA-256 before they are kept', { skip: skipDebian }, async () => {
  const realFetch = globalThis.fetch;
  const served: string[] = [];
  const serveFrom = (dirOf: (base: string) => string) => (async (url: string | URL) => {
    const base = String(url).split('/').pop()!;
    served.push(base);
    const { readFileSync } = await import('node:fs');
    return new Response(readFileSync(join(dirOf(base), base)));
  }) as typeof fetch;
  try {
    // The Debian files are the official data: they pass the check and land in the cache.
    const cache = join(tmp, 'dl-cache');
    globalThis.fetch = serveFrom(() => DEBIAN);
    const ds = await fashionMnist({ split: 'test', cacheDir: cache, systemDir: null, download: true, log: null });
    assert.equal(ds.source, 'download');
    assert.equal(ds.n, 10000);
    assert.deepEqual(served.sort(), ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
    // Next time the cache answers, with no fetch at all.
    served.length = 0;
    assert.equal((await fashionMnist({ split: 'test', cacheDir: cache, systemDir: null, download: true })).source, 'cache');
    assert.equal(served.length, 0);
    // A mirror serving other bytes (here: the sample) is refused and nothing is written.
    const cache2 = join(tmp, 'dl-cache-2');
    globalThis.fetch = serveFrom(() => fileURLToPath(new URL('../data/fashion-mnist-sample/', import.meta.url)));
    await assert.rejects(
      fashionMnist({ split: 'train', cacheDir: cache2, systemDir: null, download: true, log: null }),
      /fashion-mnist: .*train-images-idx3-ubyte\.gz has SHA-256 [0-9a-f]{64} after decompression, expected c59f468a.*; not saved/,
    );
    assert.deepEqual(readdirSync(join(cache2, 'fashion-mnist')), []);
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('in a page: fashionMnistFromUrl fetches and gunzips with web APIs only (fetch stubbed)', async () => {
  const realFetch = globalThis.fetch;
  const sampleDir = fileURLToPath(new URL('../data/fashion-mnist-sample/', import.meta.url));
  const { readFileSync } = await import('node:fs');
  globalThis.fetch = (async (url: string | URL) => {
    const u = String(url);
    if (!u.startsWith('https://example.test/fm/')) return new Response('not found', { status: 404 });
    const file = u.split('/').pop()!;
    if (!existsSync(join(sampleDir, file))) return new Response('not found', { status: 404 });
    return new Response(readFileSync(join(sampleDir, file)));
  }) as typeof fetch;
  try {
    const ds = await fashionMnistFromUrl('https://example.test/fm', 'test');
    assert.equal(ds.n, 1000);
    assert.deepEqual(classCounts(ds.labels, 10), new Array(10).fill(100));
    await assert.rejects(fashionMnistFromUrl('https://example.test/other/', 'test'), /https:\/\/example\.test\/other\/t10k-images-idx3-ubyte\.gz answered HTTP 404/);
    await assert.rejects(fashionMnistFromUrl('https://example.test/fm', 'test', { gz: false }), /HTTP 404/);
  } finally {
    globalThis.fetch = realFetch;
  }
  const raw = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 7]);
  assert.deepEqual(await gunzipWeb(gzipSync(raw)), raw);
  assert.deepEqual(await gunzipWeb(raw), raw, 'plain bytes pass through');
  await assert.rejects(gunzipWeb(gzipSync(raw).subarray(0, 12), 'x.gz'), /x\.gz: gzip data is corrupt or truncated/);
});
