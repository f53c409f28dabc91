// A small CNN for images of any size and channel count (a user's folder of pictures): three
// conv-BN-ReLU stages, global average pooling, dropout and a linear classifier.

import * as nn from '../nn/index.js';

export function imageCnn(channels: number, classes: number, opts: { width?: number; dropout?: number } = {}): nn.Sequential {
  const w = opts.width ?? 16;
  const stage = (cin: number, cout: number, pool: boolean): nn.Module[] => [
    new nn.Conv2d(cin, cout, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(cout), new nn.ReLU(), ...(pool ? [new nn.MaxPool2d(2)] : []),
  ];
  return new nn.Sequential(
    ...stage(channels, w, true), ...stage(w, 2 * w, true), ...stage(2 * w, 4 * w, false),
    new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Dropout(opts.dropout ?? 0.2), new nn.Linear(4 * w, classes),
  );
}
