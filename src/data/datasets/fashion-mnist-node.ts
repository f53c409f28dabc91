// Node-only: finds Fashion-MNIST (and MNIST) on disk — an explicit root, $NABLA_DATA, the cache
// (~/.cache/nabla), Debian's /usr/share/datasets — or downloads it on request, else the repo's sample.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveFileAtomic } from '../../io/node-files.js';
import { maybeGunzip } from '../formats/idx-node.js';
import { isGzip } from '../formats/gzip.js';
import {
  decodeImageClassification, FASHION_MNIST_CLASSES, FASHION_MNIST_FILES, FASHION_MNIST_SHA256, FASHION_MNIST_URL,
  type DataSource, type ImageDataset, type Split,
} from './fashion-mnist.js';

export interface IdxDatasetOptions {
  split?: Split;
  /** A directory holding the files (plain or .gz). When given, nothing else is searched. */
  root?: string;
  /** Download the official files into the cache when no copy is found (checks SHA-256). Also NABLA_DOWNLOAD=1. */
  download?: boolean;
  /** Use the sample shipped in the repo when nothing else is found (default true). */
  allowSample?: boolean;
  /** Overrides of the search places, mainly for tests: null leaves that place out. */
  cacheDir?: string | null;
  systemDir?: string | null;
  /** Where the one-line "using the sample" notice goes (default: stderr; null for none). */
  log?: ((line: string) => void) | null;
}

export interface IdxDatasetSpec {
  name: string;
  classes: readonly string[];
  files: Record<Split, { images: string; labels: string; n: number }>;
  systemDir: string;
  sampleDir: string | null;
  url: string | null;
  sha256: Record<string, string> | null;
  howToGet: string;
}

const REPO_DATA = fileURLToPath(new URL('../../../data/', import.meta.url));

const FASHION: IdxDatasetSpec = {
  name: 'fashion-mnist',
  classes: FASHION_MNIST_CLASSES,
  files: FASHION_MNIST_FILES,
  systemDir: '/usr/share/datasets/fashion-mnist',
  sampleDir: join(REPO_DATA, 'fashion-mnist-sample'),
  url: FASHION_MNIST_URL,
  sha256: FASHION_MNIST_SHA256,
  howToGet: 'for the full 60000/10000 set install Debian\'s dataset-fashion-mnist (apt install dataset-fashion-mnist), '
    + 'put the four .gz files in $NABLA_DATA/fashion-mnist, or set NABLA_DOWNLOAD=1 to download them',
};

const MNIST: IdxDatasetSpec = {
  name: 'mnist',
  classes: Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']),
  files: FASHION_MNIST_FILES, // same names and sizes
  systemDir: '/usr/share/datasets/mnist',
  sampleDir: null,
  url: null,
  sha256: null,
  howToGet: 'put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and '
    + 't10k-labels-idx1-ubyte.gz in $NABLA_DATA/mnist (or pass root)',
};

/** The default cache directory: $XDG_CACHE_HOME/nabla or ~/.cache/nabla. */
export function nablaCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nabla');
}

/** The file in `dir` for `base`: `base.gz` preferred, else `base`; null when neither exists. */
function fileIn(dir: string, base: string): string | null {
  for (const name of [`${base}.gz`, base]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Both files of the split in `dir`, or null when neither is there; one without the other is an error. */
function pairIn(dir: string, spec: IdxDatasetSpec, split: Split): { images: string; labels: string } | null {
  const f = spec.files[split];
  const images = fileIn(dir, f.images);
  const labels = fileIn(dir, f.labels);
  if (!images && !labels) return null;
  if (!images || !labels) {
    const [have, miss] = images ? [images, f.labels] : [labels!, f.images];
    throw new Error(`${spec.name}: found ${have} but not ${miss}(.gz) beside it in ${dir}`);
  }
  return { images, labels };
}

function readDecompressed(path: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new Error(`IDX ${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  return maybeGunzip(raw, `IDX ${path}`);
}

function loadPair(spec: IdxDatasetSpec, split: Split, pair: { images: string; labels: string }, source: DataSource, location: string): ImageDataset {
  return decodeImageClassification(
    { images: readDecompressed(pair.images), labels: readDecompressed(pair.labels) },
    pair,
    { classes: spec.classes, split, source, location },
  );
}

/** The places searched, in order, before any download or the sample. */
function searchPlaces(spec: IdxDatasetSpec, opts: IdxDatasetOptions): { dir: string; source: DataSource }[] {
  const places: { dir: string; source: DataSource }[] = [];
  const env = process.env.NABLA_DATA;
  // Only the named subdirectory: MNIST and Fashion-MNIST share file names, so a bare $NABLA_DATA is ambiguous.
  if (env) places.push({ dir: join(env, spec.name), source: 'env' });
  const cache = opts.cacheDir === undefined ? nablaCacheDir() : opts.cacheDir;
  if (cache) places.push({ dir: join(cache, spec.name), source: 'cache' });
  const system = opts.systemDir === undefined ? spec.systemDir : opts.systemDir;
  if (system) places.push({ dir: system, source: 'debian' });
  return places;
}

let sampleNoticeShown = false;

function findSync(spec: IdxDatasetSpec, opts: IdxDatasetOptions): ImageDataset | { missing: string[] } {
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new Error(`${spec.name}: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  if (opts.root !== undefined) {
    for (const dir of [opts.root, join(opts.root, spec.name)]) {
      const pair = pairIn(dir, spec, split);
      if (pair) return loadPair(spec, split, pair, 'root', dir);
    }
    const f = spec.files[split];
    throw new Error(`${spec.name}: no ${f.images}(.gz) and ${f.labels}(.gz) in ${opts.root} or ${join(opts.root, spec.name)}`);
  }
  const places = searchPlaces(spec, opts);
  for (const { dir, source } of places) {
    const pair = pairIn(dir, spec, split);
    if (pair) return loadPair(spec, split, pair, source, dir);
  }
  return { missing: places.map((p) => p.dir) };
}

function fromSample(spec: IdxDatasetSpec, opts: IdxDatasetOptions, searched: string[]): ImageDataset {
  const split = opts.split ?? 'train';
  const pair = spec.sampleDir && opts.allowSample !== false ? pairIn(spec.sampleDir, spec, split) : null;
  if (!pair) throw new Error(`${spec.name}: no data found (looked in ${searched.join(', ')}); ${spec.howToGet}`);
  const ds = loadPair(spec, split, pair, 'sample', spec.sampleDir!);
  const log = opts.log === undefined ? (line: string) => process.stderr.write(`${line}\n`) : opts.log;
  if (log && !sampleNoticeShown) {
    sampleNoticeShown = true;
    log(`${spec.name}: using the small sample shipped with nabla (${spec.sampleDir}); ${spec.howToGet}.`);
  }
  return ds;
}

/**
 * Fashion-MNIST, synchronously (no download): 28×28 grayscale images of 10 clothing classes,
 * 60000 train / 10000 test, or the shipped sample when no full copy is found.
 */
export function fashionMnistSync(opts: IdxDatasetOptions = {}): ImageDataset {
  const found = findSync(FASHION, opts);
  return 'missing' in found ? fromSample(FASHION, opts, found.missing) : found;
}

/** Fashion-MNIST; with `download` (or NABLA_DOWNLOAD=1) fetches the official files into the cache. */
export async function fashionMnist(opts: IdxDatasetOptions = {}): Promise<ImageDataset> {
  const found = findSync(FASHION, opts);
  if (!('missing' in found)) return found;
  const wantDownload = opts.download ?? process.env.NABLA_DOWNLOAD === '1';
  const cache = opts.cacheDir === undefined ? nablaCacheDir() : opts.cacheDir;
  if (wantDownload && cache) {
    const dir = join(cache, FASHION.name);
    await downloadInto(FASHION, dir);
    const pair = pairIn(dir, FASHION, opts.split ?? 'train');
    if (pair) return loadPair(FASHION, opts.split ?? 'train', pair, 'download', dir);
  }
  return fromSample(FASHION, opts, found.missing);
}

/** MNIST digits where their files exist ($NABLA_DATA/mnist, the cache, /usr/share/datasets/mnist, root). */
export function mnistSync(opts: IdxDatasetOptions = {}): ImageDataset {
  const found = findSync(MNIST, opts);
  if ('missing' in found) throw new Error(`mnist: no data found (looked in ${found.missing.join(', ')}); ${MNIST.howToGet}`);
  return found;
}

/**
 * Downloads every file of the data set into `dir` (gzip, as published), checking the SHA-256 of
 * each decompressed file before it is written (atomically). Never called by the tests.
 */
export async function downloadInto(spec: IdxDatasetSpec, dir: string): Promise<void> {
  if (!spec.url || !spec.sha256) throw new Error(`${spec.name}: no download location is known`);
  mkdirSync(dir, { recursive: true });
  for (const split of ['train', 'test'] as const) {
    for (const base of [spec.files[split].images, spec.files[split].labels]) {
      if (fileIn(dir, base)) continue;
      const url = `${spec.url}${base}.gz`;
      let gz: Uint8Array;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        gz = new Uint8Array(await res.arrayBuffer());
      } catch (e) {
        throw new Error(`${spec.name}: download of ${url} failed (${(e as Error).message}); ${spec.howToGet}`, { cause: e });
      }
      if (!isGzip(gz)) throw new Error(`${spec.name}: ${url} is not gzip data; not saved`);
      const sha = createHash('sha256').update(maybeGunzip(gz, `${spec.name}: ${url}`)).digest('hex');
      if (sha !== spec.sha256[base]) {
        throw new Error(`${spec.name}: ${url} has SHA-256 ${sha} after decompression, expected ${spec.sha256[base]}; not saved`);
      }
      await saveFileAtomic(join(dir, `${base}.gz`), gz);
    }
  }
}

export const DATASET_SPECS = { fashionMnist: FASHION, mnist: MNIST } as const;

/** Async twin of mnistSync, for symmetry with fashionMnist. */
export async function mnist(opts: IdxDatasetOptions = {}): Promise<ImageDataset> {
  return mnistSync(opts);
}
