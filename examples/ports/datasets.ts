// torchvision.datasets.FashionMNIST for the ports: the same constructor (root, {train, download,
// transform}) over nabla's Fashion-MNIST finder — Debian's dataset-fashion-mnist in
// /usr/share/datasets/fashion-mnist, $NABLA_DATA, the cache, else the sample shipped with nabla.
// Samples are [transform(image bytes [1, 28, 28]), label], as torchvision gives [image, label].

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as nb from '../../src/index.js';
import { fashionMnistSync, type ImageDataset } from '../../src/node.js';

export interface FashionMNISTOptions {
  train?: boolean;
  /** Accepted for the originals' sake: nabla's finder reads local copies (the cache download is async). */
  download?: boolean;
  transform?: ((x: { data: Uint8Array; shape: number[] }) => unknown) | null;
  /** Only the first `limit` images (the ports' --limit flag): a quick run on a real subset. */
  limit?: number;
}

export class FashionMNIST implements nb.data.Dataset<[unknown, number]> {
  readonly source: ImageDataset;
  readonly length: number;
  private readonly transform: FashionMNISTOptions['transform'];

  /** root is searched first when it holds the four IDX files (as <root> or <root>/fashion-mnist). */
  constructor(root: string, opts: FashionMNISTOptions = {}) {
    const split = opts.train === false ? 'test' : 'train';
    const hasFiles = [root, join(root, 'fashion-mnist')].some((d) => existsSync(join(d, 'train-images-idx3-ubyte.gz')) || existsSync(join(d, 'train-images-idx3-ubyte')));
    this.source = fashionMnistSync(hasFiles ? { split, root } : { split });
    const limit = opts.limit ?? Infinity;
    if (!(limit >= 1)) throw new Error(`FashionMNIST: limit must be at least 1, got ${limit}`);
    this.length = Math.min(this.source.n, limit);
    this.transform = opts.transform ?? null;
  }

  get(i: number): [unknown, number] {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`FashionMNIST: index ${i} is out of range for ${this.length} images`);
    const image = { data: this.source.images.subarray(i * 784, (i + 1) * 784), shape: [1, 28, 28] };
    return [this.transform ? this.transform(image) : image, this.source.labels[i]!];
  }
}
