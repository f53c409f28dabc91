// pytorch/examples' mnist_forward_forward, ported line by line: Hinton's forward-forward algorithm —
// each layer is trained alone, with its own Adam, to give positive data (the image with its true
// label written into the first 10 pixels) a high "goodness" (mean squared activation) and negative
// data (a wrong label) a low one; prediction picks the label whose overlay is the best.
//
// Original: https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/mnist_forward_forward/main.py
// (commit 77f55b912142e11fcfdf5b530231fb9c52f181e8; BSD-3-Clause; based on Mohammad Pezeshki's
// pytorch_forward_forward, MIT). Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist in
// /usr/share/datasets/fashion-mnist, else the repo's sample) stand in for MNIST: same format, same
// 28×28 grey images and 10 classes (the original's MNIST mean/std normalisation is kept).
// Run: node --import tsx examples/ports/mnist_forward_forward.ts [--epochs 1000] [--train_size 50000] [--test_size 10000] …
//      (the original's flags; --train_size/--test_size already limit the data)
//
// Mapping rules, not counted: camelCase names, `.forward(…)` for module calls, `new` before a class,
// TypeScript types (incl. `!` and `as` casts), keyword arguments of library calls as one options
// object, Python syntax as JS (print → console.log, tuples → arrays, list `+` → spread, `x[i]` →
// `x.index(i)`, `x[i] = v` → `x.set(i, v)`, operators → methods (`-g + t` → `g.neg().add(t)`),
// `if __name__ == "__main__"` → an import.meta check).
// Lines that differ beyond those (13 items; an item is a line or one block standing for one construct):
//  1. Imports: torchvision's MNIST and transforms come from Nabla (items 11, 12).
//  2. `for idx, y_samp in enumerate(y)` → a counted loop with `y.index(idx)`: a Nabla tensor is not iterable.
//  3. `list(range(10))` / `.remove(v)` → `Array.from({length: 10}, …)` / `splice(indexOf(v), 1)` (2 lines, JS arrays).
//  4. `torch.randint(len(a), size=(1,))` → `nb.randint(0, a.length, [1])`: Nabla's randint always takes low.
//  5. `x_[:, :classes] *= 0.0` → `x_.set(':', `:${classes}`, x_.index(':', `:${classes}`).mul(0.0))`: a
//     slice is a copy in Nabla, so in-place ops on it are refused (with a message saying so).
//  6. `sum(goodness)` → `goodness.reduce((a, b) => a.add(b))` (Python's builtin sum over tensors).
//  7. `Net.train(x_pos, x_neg)` / `Layer.train(…)` override Module.train(mode) with another
//     signature, as Python allows and TypeScript does not: a `@ts-expect-error` line above each (2).
//  8. `super().__init__(in_features, out_features, bias, device, dtype)` → `super(inFeatures,
//     outFeatures, { bias, dtype })`; `device` is accepted and unused (Nabla has no devices), and
//     `Layer(…).to(device)` in Net drops `.to(device)` (modules have no device; tensors' `.to('cpu')` stay).
//  9. `self.weight.T` → `this.weight.t()`: Nabla has `t()` and `mT`, no `T`.
// 10. Each epoch of Layer.train runs in `nb.scope(() => …)`: outside a DataLoader a hand-written loop
//     releases its step's tensors so (wasm memory is not the garbage collector's); 2 lines.
// 11. `MNIST(…, transform=Compose([ToTensor(), Normalize(…), Lambda(lambda x: torch.flatten(x))]))` and
//     `DataLoader(…)` / `next(iter(loader))` → the 12-line `MNIST` below over Fashion-MNIST and
//     Nabla's `compose`/`toTensor`/`normalize` (functions, not classes; a Lambda is a plain function).
// 12. argparse → node:util parseArgs (the same flags and defaults); torch.accelerator is gone
//     (device 'cpu', 3 lines); `torch.save(net.state_dict(), "mnist_ff.pt")` → safetensors.
//     Note: PyTorch does not register the plain list `self.layers`, so its state_dict() is empty;
//     Nabla registers it as a ModuleList would be (`layers.0.weight`, …), so the file holds the weights.
// 13. `goodness_per_label = torch.cat(goodness_per_label, 1)` rebinds a list name to a tensor; a
//     TypeScript variable keeps its type, so the tensor is `goodnessPerLabelT` (2 lines).
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as nb from '../../src/index.js';
import { fashionMnistSync, save } from '../../src/node.js';

const { nn } = nb;
const { Adam } = nb.optim;
const { compose, toTensor, normalize } = nb.data.transforms;
type Tensor = nb.Tensor;

export interface Args {
  epochs: number; lr: number; noAccel: boolean; seed: number; saveModel: boolean; trainSize: number;
  threshold: number; testSize: number; logInterval: number;
}
/** The parsed flags, global as in the original (its Layer reads args.lr, args.threshold, args.epochs). */
export const args: Args = { epochs: 1000, lr: 0.03, noAccel: false, seed: 1, saveModel: false, trainSize: 50000, threshold: 2, testSize: 10000, logInterval: 10 };
let device = 'cpu';

export function getYNeg(y: Tensor): Tensor {
  const yNeg = y.clone();
  for (let idx = 0; idx < y.shape[0]!; idx++) { const ySamp = y.index(idx);
    const allowedIndices = Array.from({ length: 10 }, (_, i) => i);
    allowedIndices.splice(allowedIndices.indexOf(ySamp.item()), 1);
    yNeg.set(idx, nb.tensor(allowedIndices).index(
      nb.randint(0, allowedIndices.length, [1]),
    ).item());
  }
  return yNeg.to(device as 'cpu');
}

export function overlayYOnX(x: Tensor, y: Tensor | number, classes = 10): Tensor {
  const x_ = x.clone();
  x_.set(':', `:${classes}`, x_.index(':', `:${classes}`).mul(0.0));
  x_.set(nb.arange(x.shape[0]!), y, x.max());
  return x_;
}

export class Net extends nn.Module {
  layers: Layer[];
  constructor(dims: number[]) {
    super();
    this.layers = [];
    for (let d = 0; d < dims.length - 1; d++) {
      this.layers = [...this.layers, new Layer(dims[d]!, dims[d + 1]!)];
    }
  }

  predict(x: Tensor): Tensor {
    let goodnessPerLabel: Tensor[] = [];
    for (let label = 0; label < 10; label++) {
      let h = overlayYOnX(x, label);
      let goodness: Tensor[] = [];
      for (const layer of this.layers) {
        h = layer.forward(h);
        goodness = [...goodness, h.pow(2).mean(1)];
      }
      goodnessPerLabel = [...goodnessPerLabel, goodness.reduce((a, b) => a.add(b)).unsqueeze(1)];
    }
    const goodnessPerLabelT = nb.cat(goodnessPerLabel, 1);
    return goodnessPerLabelT.argmax(1);
  }

  // @ts-expect-error: overrides Module.train(mode) with the example's own signature, as the original does
  override train(xPos: Tensor, xNeg: Tensor): void {
    let [hPos, hNeg] = [xPos, xNeg];
    for (const [i, layer] of this.layers.entries()) {
      console.log('training layer: ', i);
      [hPos, hNeg] = layer.train(hPos, hNeg);
    }
  }
}

export class Layer extends nn.Linear {
  relu: nb.nn.ReLU;
  opt: nb.optim.Adam;
  threshold: number;
  numEpochs: number;
  constructor(inFeatures: number, outFeatures: number, bias = true, device: string | null = null, dtype: 'float32' | 'float64' | null = null) {
    super(inFeatures, outFeatures, { bias, dtype: dtype ?? undefined }); void device;
    this.relu = new nn.ReLU();
    this.opt = new Adam(this.parameters(), { lr: args.lr });
    this.threshold = args.threshold;
    this.numEpochs = args.epochs;
  }

  override forward(x: Tensor): Tensor {
    const xDirection = x.div(x.norm(2, 1, true).add(1e-4));
    return this.relu.forward(nb.mm(xDirection, this.weight.t()).add(this.bias!.unsqueeze(0)));
  }

  // @ts-expect-error: overrides Module.train(mode) with the example's own signature, as the original does
  override train(xPos: Tensor, xNeg: Tensor): [Tensor, Tensor] {
    for (let i = 0; i < this.numEpochs; i++) {
      nb.scope(() => {
        const gPos = this.forward(xPos).pow(2).mean(1);
        const gNeg = this.forward(xNeg).pow(2).mean(1);
        const loss = nb.log1p(
          nb.exp(
            nb.cat([gPos.neg().add(this.threshold), gNeg.sub(this.threshold)]),
          ),
        ).mean();
        this.opt.zeroGrad();
        loss.backward();
        this.opt.step();
        if (i % args.logInterval === 0) {
          console.log('Loss: ', loss.item());
        }
      });
    }
    return [this.forward(xPos).detach(), this.forward(xNeg).detach()];
  }
}

/** torchvision's MNIST with the example's transform, read as one batch; Fashion-MNIST stands in. */
export function MNIST(train: boolean, batchSize: number): [Tensor, Tensor] {
  const transform = compose([
    toTensor({ shape: [1, 28, 28] }),
    normalize([0.1307], [0.3081]),
    (x: Tensor) => nb.flatten(x),
  ]);
  const ds = fashionMnistSync({ split: train ? 'train' : 'test' });
  const n = Math.min(ds.n, batchSize);
  const xs = Array.from({ length: n }, (_, i) => transform<Uint8Array, Tensor>(ds.images.subarray(i * 784, (i + 1) * 784)));
  return [nb.stack(xs), nb.tensor(Int32Array.from(ds.labels.subarray(0, n)))];
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values: a } = parseArgs({ args: argv, options: {
    'epochs': { type: 'string', default: '1000' }, // number of epochs to train (default: 1000)
    'lr': { type: 'string', default: '0.03' }, // learning rate (default: 0.03)
    'no_accel': { type: 'boolean', default: false }, // disables accelerator
    'seed': { type: 'string', default: '1' }, // random seed (default: 1)
    'save_model': { type: 'boolean', default: false }, // For saving the current Model
    'train_size': { type: 'string', default: '50000' }, // size of training set
    'threshold': { type: 'string', default: '2' }, // threshold for training
    'test_size': { type: 'string', default: '10000' }, // size of test set
    'save-model': { type: 'boolean', default: false }, // For Saving the current Model
    'log-interval': { type: 'string', default: '10' }, // how many batches to wait before logging training status
  } });
  Object.assign(args, {
    epochs: Number(a.epochs), lr: Number(a.lr), noAccel: a.no_accel!, seed: Number(a.seed),
    saveModel: a.save_model! || a['save-model']!, trainSize: Number(a.train_size), threshold: Number(a.threshold),
    testSize: Number(a.test_size), logInterval: Number(a['log-interval']),
  });
  device = 'cpu';

  const trainKwargs = { batchSize: args.trainSize };
  const testKwargs = { batchSize: args.testSize };

  const net = new Net([784, 500, 500]);
  let [x, y] = MNIST(true, trainKwargs.batchSize);
  [x, y] = [x.to(device as 'cpu'), y.to(device as 'cpu')];
  const xPos = overlayYOnX(x, y);
  const yNeg = getYNeg(y);
  const xNeg = overlayYOnX(x, yNeg);
  net.train(xPos, xNeg);
  console.log('train error:', 1.0 - net.predict(x).eq(y).float().mean().item());
  let [xTe, yTe] = MNIST(false, testKwargs.batchSize);
  [xTe, yTe] = [xTe.to(device as 'cpu'), yTe.to(device as 'cpu')];
  if (args.saveModel) {
    await save('mnist_ff.safetensors', net.stateDict());
  }
  console.log('test error:', 1.0 - net.predict(xTe).eq(yTe).float().mean().item());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
