// The image-folder task: `nabla train photos/` on a folder with one sub-folder of PNG/JPEG pictures per
// class, resized to --size; a small CNN; accuracy beside the majority class; the report shows right and
// wrong test pictures; `nabla predict CHECKPOINT picture.jpg…`.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as nb from '../../index.js';
import { imageFolder, readImageFile } from '../../node.js';
import { UsageError } from '../../cli/args.js';
import type { Options, Task, TaskData, TaskIO, Verb } from '../task.js';
import { classificationInspector, classPriorBaseline } from '../classification.js';
import { pngDataUri } from '../html.js';

export interface ImagesMeta {
  [k: string]: nb.train.JsonValue;
  classes: string[];
  size: number;
  channels: number;
}

/** A folder holding at least two sub-folders (the classes). */
function isImageFolder(arg: string): boolean {
  try {
    return statSync(arg).isDirectory() && readdirSync(arg).filter((d) => !d.startsWith('.') && statSync(join(arg, d)).isDirectory()).length >= 2;
  } catch {
    return false;
  }
}

function subset(x: Float32Array, labels: Int32Array, rows: number[], per: number): nb.data.TensorDataset {
  const xs = new Float32Array(rows.length * per);
  rows.forEach((r, i) => xs.set(x.subarray(r * per, (r + 1) * per), i * per));
  return new nb.data.TensorDataset({ data: xs, shape: [rows.length, per] }, { data: Int32Array.from(rows, (r) => labels[r]!), shape: [rows.length] });
}

function load(o: Options, io: TaskIO, saved?: ImagesMeta): TaskData<ImagesMeta> {
  const root = o.input as string;
  if (!root || !isImageFolder(root)) throw new UsageError(`train: the images task needs a folder with one sub-folder per class, got ${root ?? 'none'}`);
  const size = saved?.size ?? (o.size as number), channels = (saved?.channels ?? (o.gray ? 1 : 3)) as 1 | 3;
  const d = imageFolder(root, { size, channels });
  if (saved && d.classes.join('\n') !== saved.classes.join('\n')) throw new UsageError(`eval: ${root} has classes ${d.classes.join(', ')}, the model was trained on ${saved.classes.join(', ')}`);
  if (d.skipped.length) io.log(`${root}: left out ${d.skipped.length} file(s) that are not PNG or JPEG, such as ${d.skipped[0]}`);
  const meta: ImagesMeta = saved ?? { classes: d.classes, size, channels };
  const per = channels * size * size;
  const split = nb.data.trainTestSplit(d.n, { testFraction: o.split as number, seed: o.seed as number, stratify: d.labels });
  let train = split.train, val: number[] = [];
  if ((o['val-split'] as number) > 0) {
    const s = nb.data.trainTestSplit(train.length, { testFraction: o['val-split'] as number, seed: (o.seed as number) + 1, stratify: train.map((i) => d.labels[i]!) });
    val = s.test.map((i) => train[i]!);
    train = s.train.map((i) => train[i]!);
  }
  const source = `${root}: ${d.n} images in ${d.classes.length} classes at ${size}×${size}${channels === 1 ? ' grey' : ' RGB'}`;
  const test = subset(d.x, d.labels, split.test, per);
  if (io.purpose === 'eval') return { train: new nb.data.ArrayDataset([]), val: null, test, meta, source };
  return { train: subset(d.x, d.labels, train, per), val: val.length ? subset(d.x, d.labels, val, per) : null, test, meta, source };
}

/** A row of a batch [N, C·S·S] as 8-bit pixels [S, S, C] (for the report's pictures). */
function pixels(x: nb.Tensor, row: number, meta: ImagesMeta): Uint8Array {
  const { size: S, channels: C } = meta, n = S * S;
  const v = x.dataSync().subarray(row * C * n, (row + 1) * C * n);
  const out = new Uint8Array(C * n);
  for (let p = 0; p < n; p++) for (let c = 0; c < C; c++) out[p * C + c] = Math.round(255 * Math.min(1, Math.max(0, v[c * n + p]!)));
  return out;
}

const predict: Verb<ImagesMeta> = {
  summary: 'top classes with probabilities for PNG or JPEG pictures',
  usage: 'picture.jpg… [options]',
  flags: { top: { type: 'int', default: 3, min: 1, help: 'classes to show per picture' } },
  run({ model, ctx, flags, args, log }) {
    if (args.length < 1) throw new UsageError('predict: give at least one PNG or JPEG picture after the checkpoint');
    for (const a of args) if (!existsSync(a)) throw new UsageError(`predict: no picture at ${a}`);
    const { classes, size, channels } = ctx.meta;
    for (const a of args) {
      const im = readImageFile(a, { size, channels: channels as 1 | 3 });
      const probs = nb.scope(() => nb.noGrad(() => nb.softmax(model.forward(nb.tensor(im.data, { shape: [1, channels * size * size] })) as nb.Tensor, 1).dataSync().slice()));
      const ranked = [...probs].map((p, i) => [i, p] as const).sort((x, y) => y[1] - x[1]).slice(0, Math.min(flags.top as number, classes.length));
      log(`${a}: ${ranked.map(([i, p]) => `${classes[i]} ${(100 * p).toFixed(1)}%`).join(', ')}`);
    }
    return 0;
  },
};

/** The CNN over flat rows [N, C·S·S] (the dataset keeps flat pictures). */
class FlatImageCnn extends nb.nn.Module {
  readonly net: nb.nn.Sequential;
  constructor(readonly meta: ImagesMeta, width: number, dropout: number) {
    super();
    this.net = nb.models.imageCnn(meta.channels, meta.classes.length, { width, dropout });
  }
  override forward(x: nb.Tensor): nb.Tensor {
    return this.net.forward(x.reshape([x.shape[0]!, this.meta.channels, this.meta.size, this.meta.size])) as nb.Tensor;
  }
}

export const images: Task<ImagesMeta> = {
  name: 'images',
  summary: 'your own pictures: nabla train FOLDER/ (one sub-folder of PNG/JPEG files per class)',
  claims: isImageFolder,
  flags: {
    size: { type: 'int', default: 32, min: 4, help: 'pictures are resized to SIZE×SIZE' },
    gray: { type: 'boolean', default: false, help: 'read pictures as grey (one channel) instead of RGB' },
    split: { type: 'number', default: 0.2, min: 0, help: 'fraction of each class held out as the test set' },
    'val-split': { type: 'number', default: 0.1, min: 0, help: 'fraction of the training pictures held out for validation (0: none)' },
    width: { type: 'int', default: 16, min: 1, help: 'channels of the first convolution (doubled twice)' },
    dropout: { type: 'number', default: 0.2, min: 0, help: 'dropout before the classifier' },
  },
  defaults: { epochs: 10, 'batch-size': 32 },
  models: { cnn: 'three conv-BN-ReLU stages, global average pooling, dropout, linear' },
  check(o) {
    for (const k of ['split', 'val-split', 'dropout'] as const) if ((o[k] as number) >= 1) throw new UsageError(`train: --${k} must be below 1, got ${o[k]}`);
    if ((o.split as number) <= 0) throw new UsageError('train: --split must be above 0');
  },
  data: load,
  model: (_name, ctx) => new FlatImageCnn(ctx.meta, ctx.options.width as number, ctx.options.dropout as number),
  metrics: () => [new nb.train.Accuracy()],
  baselines(data, ctx) {
    const ds = data.train as nb.data.TensorDataset;
    return [classPriorBaseline(Int32Array.from({ length: ds.length }, (_, i) => ds.getArrays(i)[1]!.data[0]!), ctx.meta.classes)];
  },
  inspector: (_data, ctx) => classificationInspector({
    classes: ctx.meta.classes, mistakes: 24,
    render: (batch, row) => `<img src="${pngDataUri(pixels((batch as nb.Tensor[])[0]!, row, ctx.meta), ctx.meta.size, ctx.meta.size, ctx.meta.channels as 1 | 3)}" width="64" height="64" alt="test picture">`,
  }),
  verbs: { predict },
};
