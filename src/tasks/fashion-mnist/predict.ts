// `nabla predict CHECKPOINT image.png…` for Fashion-MNIST models: each PNG as a 28×28 grey image, read
// the way the training images are (light garment on a dark background); a picture that looks
// dark-on-light (a photo on white) is inverted first, and the output says so.

import { existsSync } from 'node:fs';
import * as nb from '../../index.js';
import { readPngFile } from '../../node.js';
import { UsageError } from '../../cli/args.js';
import type { Verb } from '../task.js';
import type { FashionMeta } from './data.js';

/** Mean of the 2-pixel frame of a 28×28 image in [0, 1]: Fashion-MNIST's background is black (≈ 0). */
export function borderMean(v: ArrayLike<number>, size = 28, frame = 2): number {
  let s = 0, n = 0;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if (i >= frame && i < size - frame && j >= frame && j < size - frame) continue;
      s += v[i * size + j]!;
      n++;
    }
  }
  return s / n;
}

export const predictVerb: Verb<FashionMeta> = {
  summary: 'top classes with probabilities for PNG images',
  usage: 'image.png… [options]',
  flags: {
    top: { type: 'int', default: 3, min: 1, help: 'classes to show per image' },
    invert: {
      type: 'boolean',
      help: 'invert every image (--no-invert: none; default: only images that look dark-on-light, i.e. whose border is mostly light)',
    },
  },
  run({ model, ctx, flags, args, log }) {
    if (args.length < 1) throw new UsageError('predict: give at least one PNG image after the checkpoint');
    for (const img of args) if (!existsSync(img)) throw new UsageError(`predict: no image at ${img}`);
    const { classes, mean, std } = ctx.meta;
    const top = Math.min(flags.top as number, classes.length);
    for (const img of args) {
      const im = readPngFile(img, { channels: 1, resize: [28, 28] });
      const px = im.data;
      const border = borderMean(px);
      const invert = flags.invert === undefined ? border > 0.5 : (flags.invert as boolean);
      const x = new Float32Array(784);
      for (let i = 0; i < 784; i++) x[i] = ((invert ? 1 - px[i]! : px[i]!) - mean) / std;
      const probs = nb.scope(() => nb.noGrad(() => nb.softmax(model.forward(nb.tensor(x, { shape: [1, 1, 28, 28] })) as nb.Tensor, 1).dataSync().slice()));
      const ranked = [...probs].map((p, i) => [i, p] as const).sort((a, b) => b[1] - a[1]).slice(0, top);
      const note = invert ? (flags.invert === undefined ? ' (inverted: it looks dark-on-light; --no-invert to keep it)' : ' (inverted)') : '';
      log(`${img}: ${ranked.map(([i, p]) => `${classes[i]} ${(100 * p).toFixed(1)}%`).join(', ')}${note}`);
    }
    return 0;
  },
};
