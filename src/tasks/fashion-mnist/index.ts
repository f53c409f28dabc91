// The Fashion-MNIST task: 28×28 grey photos of clothes in 10 classes — mlp, cnn, resnet-small;
// cross-entropy (with label smoothing and augmentation); accuracy; majority-class and nearest-class-mean
// baselines; a report section with the confusion matrix, right and wrong test images and their
// explanations; `predict` and `explain`.

import * as nb from '../../index.js';
import { UsageError } from '../../cli/args.js';
import type { Baseline, Task, TaskContext } from '../task.js';
import { classificationInspector, classPriorBaseline } from '../classification.js';
import { pngDataUri } from '../html.js';
import { loadFashion, augmentBatch, pixelsOf, type FashionMeta } from './data.js';
import { buildModel, FASHION_MODELS, type ModelName } from './models.js';
import { predictVerb } from './predict.js';
import { explainVerb } from './explain.js';

type Ctx = TaskContext<FashionMeta>;

const xy = (batch: unknown): [nb.Tensor, nb.Tensor] => batch as [nb.Tensor, nb.Tensor];

/** Scores 2·x·c − |c|² per class mean c: the nearest class mean (in pixel space) scores highest. */
class NearestClassMean extends nb.nn.Module {
  private readonly means: nb.Tensor;
  private readonly sq: nb.Tensor;
  constructor(means: Float32Array, classes: number) {
    super();
    const d = means.length / classes;
    const sq = new Float32Array(classes);
    for (let c = 0; c < classes; c++) for (let j = 0; j < d; j++) sq[c]! += means[c * d + j]! ** 2;
    this.means = nb.keep(nb.tensor(means, { shape: [classes, d] }));
    this.sq = nb.keep(nb.tensor(sq));
  }
  override forward(x: nb.Tensor): nb.Tensor {
    return x.reshape([x.shape[0]!, -1]).matmul(this.means.t()).mul(2).sub(this.sq);
  }
}

function baselines(train: nb.data.TensorDataset, meta: FashionMeta): Baseline[] {
  const C = meta.classes.length, px = 784;
  const labels = new Int32Array(train.length);
  const sums = new Float64Array(C * px);
  const counts = new Array<number>(C).fill(0);
  for (let i = 0; i < train.length; i++) {
    const [x, y] = train.getArrays(i);
    const c = (labels[i] = y!.data[0]!);
    counts[c]!++;
    for (let j = 0; j < px; j++) sums[c * px + j]! += x!.data[j]!;
  }
  const means = new Float32Array(C * px);
  for (let c = 0; c < C; c++) for (let j = 0; j < px; j++) means[c * px + j] = counts[c] ? sums[c * px + j]! / counts[c]! : 0;
  return [
    classPriorBaseline(labels, meta.classes),
    { name: 'nearest class mean', about: 'answers the class whose mean training image is nearest (Euclidean distance of the normalised pixels)', model: new NearestClassMean(means, C) },
  ];
}

export const fashionMnist: Task<FashionMeta> = {
  name: 'fashion-mnist',
  summary: 'classify 28×28 photos of clothes into 10 classes (Zalando\'s Fashion-MNIST)',
  flags: {
    dropout: { type: 'number', min: 0, help: 'dropout probability (default: 0 for mlp, 0.25 for cnn and resnet-small)' },
    'label-smoothing': { type: 'number', default: 0, min: 0, help: 'cross-entropy label smoothing' },
    augment: { type: 'boolean', default: false, help: 'random shifts of up to 2 pixels and horizontal flips' },
    'val-size': { type: 'int', default: 5000, min: 0, help: 'training images held out for validation' },
    limit: { type: 'int', default: 0, min: 0, help: 'use only this many training images (0: all)' },
    sample: { type: 'boolean', default: false, help: 'use the small sample shipped with nabla instead of the full data set' },
    data: { type: 'string', help: 'directory holding the IDX files (default: $NABLA_DATA, cache, /usr/share/datasets)' },
  },
  evalFlags: ['sample', 'data'],
  defaults: { model: 'cnn', epochs: 5, 'batch-size': 64 },
  models: FASHION_MODELS,
  check(o) {
    if (o.dropout !== undefined && (o.dropout as number) >= 1) throw new UsageError(`train: --dropout must be below 1, got ${o.dropout}`);
    if ((o['label-smoothing'] as number) >= 1) throw new UsageError(`train: --label-smoothing must be below 1, got ${o['label-smoothing']}`);
  },
  data: (o, io, meta) => loadFashion(o, io, meta),
  model(name, ctx) {
    const dropout = (ctx.options.dropout as number | undefined) ?? (name === 'mlp' ? 0 : 0.25);
    return buildModel(name as ModelName, ctx.meta.classes.length, dropout);
  },
  trainStep(model, batch, ctx: Ctx) {
    const [x, y] = xy(batch);
    const input = ctx.options.augment ? augmentBatch(x, ctx.meta) : x;
    const output = model.forward(input) as nb.Tensor;
    return { loss: nb.F.crossEntropy(output, y, { labelSmoothing: ctx.options['label-smoothing'] as number }), output, target: y };
  },
  evalStep(model, batch) {
    const [x, y] = xy(batch);
    const output = model.forward(x) as nb.Tensor;
    return { loss: nb.F.crossEntropy(output, y), output, target: y };
  },
  metrics: () => [new nb.train.Accuracy()],
  evalBatchSize: 500,
  baselines: (data, ctx) => baselines(data.train as nb.data.TensorDataset, ctx.meta),
  inspector: (_data, ctx, model) => classificationInspector({
    classes: ctx.meta.classes,
    render: (batch, row) => `<img src="${pngDataUri(pixelsOf(xy(batch)[0], row, ctx.meta), 28, 28)}" width="84" height="84" alt="test image">`,
    explain: model && {
      model, shape: [1, 28, 28], baseline: -ctx.meta.mean / ctx.meta.std,
      input: (batch, row) => xy(batch)[0].dataSync().slice(row * 784, (row + 1) * 784) as Float32Array,
      display: (batch, row) => Float32Array.from(pixelsOf(xy(batch)[0], row, ctx.meta), (p) => p / 255),
    },
  }),
  exampleInput: (data) => (data.test as nb.data.TensorDataset).getBatch([0])[0]!,
  verbs: { predict: predictVerb, explain: explainVerb },
};
