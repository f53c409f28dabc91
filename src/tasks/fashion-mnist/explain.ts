// `nabla explain CHECKPOINT image.png…` for Fashion-MNIST models: each PNG read the way predict reads
// it (28×28 grey, inverted when it looks dark-on-light), then heatmaps of what the prediction rests on.

import { readPngFile } from '../../node.js';
import { imageExplainVerb, type ImageInput } from '../explain.js';
import { borderMean } from './predict.js';
import type { FashionMeta } from './data.js';

export function readForExplain(path: string, meta: FashionMeta): ImageInput {
  const px = readPngFile(path, { channels: 1, resize: [28, 28] }).data;
  const invert = borderMean(px) > 0.5;
  const display = new Float32Array(784), x = new Float32Array(784);
  for (let i = 0; i < 784; i++) {
    display[i] = invert ? 1 - px[i]! : px[i]!;
    x[i] = (display[i]! - meta.mean) / meta.std;
  }
  return { x, display, note: invert ? '(inverted: it looks dark-on-light)' : undefined };
}

export const explainVerb = imageExplainVerb<FashionMeta>({
  shape: () => [1, 28, 28],
  classes: (meta) => meta.classes,
  baseline: (meta) => -meta.mean / meta.std,
  read: readForExplain,
});
