// The models `nabla train fashion-mnist --model` builds for 28×28 grey images: mlp, cnn and resnet-small.

import type * as nb from '../../index.js';
// Named imports, not `const { nn } = nb`: destructuring the namespace makes a bundler keep all of
// nabla (the playground's worker bundle).
import { nn, relu, add } from '../../index.js';
type Tensor = nb.Tensor;

export const FASHION_MODELS = {
  mlp: '784-512-256-10 with ReLU and dropout',
  cnn: 'two conv-BN-ReLU-maxpool blocks (32, 64 channels), dense 256, dropout',
  'resnet-small': 'a small ResNet: 16/32/64 channels, one residual block each, global average pool',
} as const;
export type ModelName = keyof typeof FASHION_MODELS;

/** 784-512-256-10 with ReLU and dropout. Input [N, 1, 28, 28] or [N, 784]. */
function mlp(classes: number, dropout: number): nb.nn.Module {
  return new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(784, 512), new nn.ReLU(), new nn.Dropout(dropout),
    new nn.Linear(512, 256), new nn.ReLU(), new nn.Dropout(dropout),
    new nn.Linear(256, classes),
  );
}

/** conv3×3·32-BN-ReLU-maxpool, conv3×3·64-BN-ReLU-maxpool, dense 256, dropout: 28×28 → 7×7×64 → 10. */
function cnn(classes: number, dropout: number): nb.nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Dropout(dropout),
    new nn.Linear(64 * 7 * 7, 256), new nn.ReLU(), new nn.Dropout(dropout),
    new nn.Linear(256, classes),
  );
}

/** A residual block: conv-BN-ReLU-conv-BN plus the (projected) input, then ReLU. */
class BasicBlock extends nn.Module {
  conv1: nb.nn.Conv2d; bn1: nb.nn.BatchNorm2d; conv2: nb.nn.Conv2d; bn2: nb.nn.BatchNorm2d;
  shortcut: nb.nn.Module;
  constructor(cin: number, cout: number, stride: number) {
    super();
    this.conv1 = new nn.Conv2d(cin, cout, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(cout);
    this.conv2 = new nn.Conv2d(cout, cout, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(cout);
    this.shortcut = stride !== 1 || cin !== cout
      ? new nn.Sequential(new nn.Conv2d(cin, cout, 1, { stride, bias: false }), new nn.BatchNorm2d(cout))
      : new nn.Identity();
  }
  override forward(x: Tensor): Tensor {
    const h = relu(this.bn1.forward(this.conv1.forward(x)));
    const y = this.bn2.forward(this.conv2.forward(h));
    return relu(add(y, this.shortcut.forward(x) as Tensor));
  }
}

/** A small ResNet: stem 16 channels, stages of 16/32/64 (one block each), global average pool. */
class ResNetSmall extends nn.Module {
  stem = new nn.Sequential(new nn.Conv2d(1, 16, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(16), new nn.ReLU());
  layer1 = new BasicBlock(16, 16, 1);
  layer2 = new BasicBlock(16, 32, 2);
  layer3 = new BasicBlock(32, 64, 2);
  pool = new nn.AdaptiveAvgPool2d(1);
  flatten = new nn.Flatten();
  dropout: nb.nn.Dropout;
  fc: nb.nn.Linear;
  constructor(classes: number, dropout: number) {
    super();
    this.dropout = new nn.Dropout(dropout);
    this.fc = new nn.Linear(64, classes);
  }
  override forward(x: Tensor): Tensor {
    let h = this.stem.forward(x);
    h = this.layer3.forward(this.layer2.forward(this.layer1.forward(h)));
    return this.fc.forward(this.dropout.forward(this.flatten.forward(this.pool.forward(h))));
  }
}

export function buildModel(name: ModelName, classes: number, dropout: number): nb.nn.Module {
  switch (name) {
    case 'mlp': return mlp(classes, dropout);
    case 'cnn': return cnn(classes, dropout);
    case 'resnet-small': return new ResNetSmall(classes, dropout);
    default: throw new Error(`fashion-mnist: unknown model '${String(name)}' (models: ${Object.keys(FASHION_MODELS).join(', ')})`);
  }
}
