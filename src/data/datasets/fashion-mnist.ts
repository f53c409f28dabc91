// Fashion-MNIST from its IDX bytes (browser-safe): file names, classes, checksums, validation.
// Finding the files on disk (Debian package, $NABLA_DATA, cache, shipped sample) is fashion-mnist-node.ts.

import { gunzipWeb } from '../formats/gzip.js';
import { parseIdx } from '../formats/idx.js';

export type Split = 'train' | 'test';

/** Where a data set came from: a directory found on disk, the repo's sample, or a download. */
export type DataSource = 'root' | 'env' | 'cache' | 'debian' | 'sample' | 'download' | 'memory';

export interface ImageDataset {
  /** Raw pixels 0..255, row-major [n, 28, 28]. Use `imagesToFloat32` for [0, 1] floats. */
  images: Uint8Array;
  /** Class indices 0..9. */
  labels: Uint8Array;
  n: number;
  shape: [number, number, number];
  classes: readonly string[];
  split: Split;
  source: DataSource;
  /** The directory (or URL) the files came from. */
  location: string;
}

export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
]);

export const FASHION_MNIST_FILES: Record<Split, { images: string; labels: string; n: number }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', n: 60000 },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', n: 10000 },
};

/** The official download location (zalandoresearch/fashion-mnist README). */
export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/**
 * SHA-256 of each file's *decompressed* contents (gzip containers differ between mirrors — Debian
 * recompressed them — but the IDX bytes are the same), from Debian's dataset-fashion-mnist.
 */
export const FASHION_MNIST_SHA256: Record<string, string> = {
  'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

/**
 * Builds the data set from the two decompressed IDX files, checking magic numbers (0x00000803
 * images of rank 3, 0x00000801 labels of rank 1), 28×28 images, matching counts and labels < 10.
 */
export function decodeImageClassification(
  files: { images: Uint8Array; labels: Uint8Array },
  names: { images: string; labels: string },
  info: { classes: readonly string[]; split: Split; source: DataSource; location: string; height?: number; width?: number },
): ImageDataset {
  const h = info.height ?? 28;
  const w = info.width ?? 28;
  const imgs = parseIdx(files.images, names.images, { type: 'uint8', rank: 3 });
  const labs = parseIdx(files.labels, names.labels, { type: 'uint8', rank: 1 });
  const [n, ih, iw] = imgs.shape;
  if (ih !== h || iw !== w) throw new Error(`IDX ${names.images}: images are ${ih}×${iw}, expected ${h}×${w}`);
  if (labs.shape[0] !== n) {
    throw new Error(`IDX ${names.labels}: has ${labs.shape[0]} labels but ${names.images} has ${n} images`);
  }
  const labels = labs.data as Uint8Array;
  const k = info.classes.length;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= k) throw new Error(`IDX ${names.labels}: label ${i} is ${labels[i]}, outside 0..${k - 1}`);
  }
  return {
    images: imgs.data as Uint8Array, labels, n, shape: [n, h, w], classes: info.classes,
    split: info.split, source: info.source, location: info.location,
  };
}

/** Pixels as float32 in [0, 1] (x / 255), the layout PyTorch's ToTensor gives. */
export function imagesToFloat32(images: Uint8Array): Float32Array {
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) out[i] = images[i] / 255;
  return out;
}

/** Labels as int32 class indices (what crossEntropy takes). */
export function labelsToInt32(labels: Uint8Array): Int32Array {
  return Int32Array.from(labels);
}

/** How many examples of each class (for checks and reports). */
export function classCounts(labels: Uint8Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

/**
 * Fashion-MNIST fetched from a base URL holding the four files (`.gz` or plain) — for pages, where
 * there is no file system: e.g. the repo's data/fashion-mnist-sample/ served next to the app.
 */
export async function fashionMnistFromUrl(baseUrl: string, split: Split = 'train', opts: { gz?: boolean } = {}): Promise<ImageDataset> {
  const f = FASHION_MNIST_FILES[split];
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const ext = opts.gz === false ? '' : '.gz';
  const get = async (file: string) => {
    const url = `${base}${file}${ext}`;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`fashion-mnist: cannot fetch ${url}: ${(e as Error).message}`, { cause: e });
    }
    if (!res.ok) throw new Error(`fashion-mnist: ${url} answered HTTP ${res.status}`);
    return { url, bytes: await gunzipWeb(new Uint8Array(await res.arrayBuffer()), `IDX ${url}`) };
  };
  const [images, labels] = await Promise.all([get(f.images), get(f.labels)]);
  return decodeImageClassification(
    { images: images.bytes, labels: labels.bytes },
    { images: images.url, labels: labels.url },
    { classes: FASHION_MNIST_CLASSES, split, source: 'download', location: base },
  );
}
