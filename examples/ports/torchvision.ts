// The part of torchvision that pytorch/examples' programs use, for the ports: datasets.MNIST (reading
// Fashion-MNIST, which stands in for MNIST here: Debian's dataset-fashion-mnist under
// /usr/share/datasets/fashion-mnist, else nabla's cache or the sample it ships), transforms.ToTensor
// and utils.save_image (torchvision's make_grid: 2-pixel padding of 0, `nrow` images a row; PNG).

import * as nb from '../../src/index.js';
import { fashionMnistSync, writePngFile } from '../../src/node.js';
import type { Tensor } from '../../src/index.js';

type Transform = (x: { data: Uint8Array; shape: number[] }) => Tensor;

/** torchvision.datasets.MNIST(root, train=…, download=…, transform=…), over Fashion-MNIST's files. */
class MNIST implements nb.data.Dataset<[Tensor, number]> {
  /** The first N images only (0: all) — the ports' size limit, set once from their command line. */
  static limit = 0;
  readonly images: Uint8Array;
  readonly targets: Uint8Array;
  private readonly n: number;
  private readonly transform: Transform | null;

  constructor(root: string, opts: { train?: boolean; download?: boolean; transform?: Transform } = {}) {
    void root; // nabla finds the files itself (see the header)
    const d = fashionMnistSync({ split: opts.train ?? true ? 'train' : 'test' });
    this.n = MNIST.limit > 0 ? Math.min(MNIST.limit, d.n) : d.n;
    this.images = d.images;
    this.targets = d.labels;
    this.transform = opts.transform ?? null;
  }

  get length(): number {
    return this.n;
  }

  get(i: number): [Tensor, number] {
    if (!(Number.isInteger(i) && i >= 0 && i < this.n)) throw new RangeError(`MNIST: index ${i} is out of range for ${this.n} images`);
    const img = { data: this.images.subarray(i * 784, (i + 1) * 784), shape: [1, 28, 28] };
    return [this.transform ? this.transform(img) : nb.tensor(Uint8Array.from(img.data), { shape: img.shape, dtype: 'int32' }), this.targets[i]!];
  }
}

export const datasets = { MNIST };

/** transforms.ToTensor(): uint8 pixels [C, H, W] → float32 in [0, 1]. */
export const transforms = { ToTensor: (): Transform => nb.data.transforms.toTensor() as Transform };

/**
 * torchvision.utils.save_image(tensor [B, C, H, W] with values in [0, 1], fp, nrow=8, padding=2):
 * the images in a grid, nrow a row, 2 pixels of 0 around each, clamped to [0, 1] and rounded
 * (x·255 + 0.5) as torchvision does, written as a PNG (grey for one channel).
 */
function saveImage(tensor: Tensor, fp: string, opts: { nrow?: number; padding?: number; padValue?: number } = {}): void {
  const nrow = opts.nrow ?? 8, padding = opts.padding ?? 2, padValue = opts.padValue ?? 0;
  if (tensor.ndim !== 4 || (tensor.shape[1] !== 1 && tensor.shape[1] !== 3)) {
    throw new Error(`save_image: expected a [B, 1 or 3, H, W] tensor, got [${tensor.shape.join(', ')}]`);
  }
  const [B, C, H, W] = tensor.shape as [number, number, number, number];
  const xmaps = Math.min(nrow, B), ymaps = Math.ceil(B / xmaps);
  const cellH = H + padding, cellW = W + padding;
  const width = xmaps * cellW + padding, height = ymaps * cellH + padding;
  const v = tensor.dataSync();
  const rgba = new Uint8ClampedArray(width * height * 4);
  const byte = (x: number): number => Math.floor(Math.min(1, Math.max(0, x)) * 255 + 0.5);
  for (let p = 0; p < width * height; p++) {
    rgba.fill(byte(padValue), p * 4, p * 4 + 3);
    rgba[p * 4 + 3] = 255;
  }
  for (let b = 0; b < B; b++) {
    const x0 = (b % xmaps) * cellW + padding, y0 = Math.floor(b / xmaps) * cellH + padding;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const o = ((y0 + y) * width + x0 + x) * 4;
        for (let c = 0; c < 3; c++) rgba[o + c] = byte(v[((b * C + (C === 1 ? 0 : c)) * H + y) * W + x]!);
      }
    }
  }
  writePngFile(fp, { width, height, data: rgba });
}

export const utils = { saveImage };
