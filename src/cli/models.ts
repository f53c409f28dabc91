// The models `nabla train --model` builds for 28×28 grey images: mlp, cnn and resnet-small.

import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { add } from '../ops/elementwise.js';
import { relu } from '../ops/elementwise.js';

export const MODEL_NAMES = ['mlp', 'cnn', 'resnet-small'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** 784-512-256-10 with ReLU and dropout. Input [N, 1, 28, 28] or [N, 784]. */
function mlp(classes: number, dropout: number): nn.Module {
  return new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(784, 512), new nn.ReLU(), new nn.Dropout(dropout),
    new nn.Linear(512, 256), new nn.ReLU(), new nn.Dropout(dropout),
    new nn.Linear(256, classes),
  );
}

/** conv3×3·32-BN-ReLU-maxpool, conv3×3·64-BN-ReLU-maxpool, dense 256, dropout: 28×28 → 7×7×64 → 10. */
function cnn(classes: number, dropout: number): nn.Module {
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
  conv1: nn.Conv2d; bn1: nn.BatchNorm2d; conv2: nn.Conv2d; bn2: nn.BatchNorm2d;
  shortcut: nn.Module;
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
  dropout: nn.Dropout;
  fc: nn.Linear;
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

export function buildModel(name: ModelName, classes: number, dropout: number): nn.Module {
  switch (name) {
    case 'mlp': return mlp(classes, dropout);
    case 'cnn': return cnn(classes, dropout);
    case 'resnet-small': return new ResNetSmall(classes, dropout);
  }
}
