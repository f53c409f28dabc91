// Makes data/fashion-mnist-sample/ from the full Fashion-MNIST (Debian's dataset-fashion-mnist):
// a class-balanced, deterministic subset — the first K images of each class, kept in file order.
//
//   node --import tsx scripts/make-fmnist-sample.ts [--train-per-class 600] [--test-per-class 100] [--from DIR]

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_CLASSES, type Split } from '../src/data/datasets/fashion-mnist.js';
import { fashionMnistSync } from '../src/data/datasets/fashion-mnist-node.js';
import { writeIdxFile } from '../src/data/formats/idx-node.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}

const perClass: Record<Split, number> = {
  train: Number(arg('--train-per-class', '600')),
  test: Number(arg('--test-per-class', '100')),
};
const from = arg('--from', '/usr/share/datasets/fashion-mnist');
const out = fileURLToPath(new URL('../data/fashion-mnist-sample/', import.meta.url));
mkdirSync(out, { recursive: true });

const lines: string[] = [];
for (const split of ['train', 'test'] as const) {
  const full = fashionMnistSync({ split, root: from });
  const k = perClass[split];
  const taken = new Array<number>(10).fill(0);
  const keep: number[] = [];
  for (let i = 0; i < full.n && keep.length < 10 * k; i++) {
    const l = full.labels[i];
    if (taken[l] < k) { taken[l]++; keep.push(i); }
  }
  if (taken.some((t) => t !== k)) throw new Error(`${split}: could not take ${k} of every class (${taken})`);
  const px = 28 * 28;
  const images = new Uint8Array(keep.length * px);
  const labels = new Uint8Array(keep.length);
  keep.forEach((src, j) => {
    images.set(full.images.subarray(src * px, (src + 1) * px), j * px);
    labels[j] = full.labels[src];
  });
  const names = { train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'], test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] }[split];
  writeIdxFile(join(out, `${names[0]}.gz`), { type: 'uint8', shape: [keep.length, 28, 28], data: images });
  writeIdxFile(join(out, `${names[1]}.gz`), { type: 'uint8', shape: [keep.length], data: labels });
  for (const name of names) {
    const p = join(out, `${name}.gz`);
    const sha = createHash('sha256').update(readFileSync(p)).digest('hex');
    lines.push(`| ${name}.gz | ${split} | ${keep.length} | ${statSync(p).size} | ${sha} |`);
  }
  console.log(`${split}: ${keep.length} images (${k} per class) from ${full.location}, last source index ${keep[keep.length - 1]}`);
}

writeFileSync(join(out, 'README.md'), `# Fashion-MNIST sample

A small, class-balanced subset of [Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist)
(© 2017 Zalando SE, MIT license), shipped so that tests and a first \`nabla train\` work offline.
Made by \`scripts/make-fmnist-sample.ts\` from Debian's \`dataset-fashion-mnist\`: the first
${perClass.train} images of each class of the training set and the first ${perClass.test} of each class of
the test set, in their original order, as gzip-compressed IDX files with the official names.

Classes: ${FASHION_MNIST_CLASSES.map((c, i) => `${i} ${c}`).join(', ')}.

| file | split | images | bytes | SHA-256 |
|---|---|---|---|---|
${lines.join('\n')}

For the full 60000/10000 set: \`apt install dataset-fashion-mnist\`, or put the four official
\`.gz\` files in \`$NABLA_DATA/fashion-mnist\`.
`);
console.log(`wrote ${out}`);
