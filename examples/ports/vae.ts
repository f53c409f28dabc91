// Line-by-line port of pytorch/examples vae/main.py:
// https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/vae/main.py
// (BSD-3-Clause, © the PyTorch contributors). A variational auto-encoder (Kingma & Welling) of 28×28
// images: 784-400-20(μ, log σ²)-400-784, the reparameterisation trick, reconstruction BCE + KL
// divergence, Adam; reconstructions and samples saved as PNG grids in results/.
//
// Run: node --import tsx examples/ports/vae.ts --epochs 1 --limit 6000
//
// Data: Fashion-MNIST stands in for MNIST: ./torchvision.ts's datasets.MNIST reads Debian's
// dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/), else nabla's cache or its shipped
// sample; --limit N keeps the first N images of each split.
//
// Not counted as differences: camelCase names, `.forward(x)` for a call, `new`, keyword arguments
// as a trailing options object, `const`/`let`, braces, TypeScript types and casts, `console.log`
// with a template for print and str.format, `if __name__ == "__main__"` as the import.meta.url
// test, the Python builtins of ./pyshim.ts (len, enumerate) and ./argparse.ts (str), and
// torchvision's of ./torchvision.ts (datasets, transforms, utils.save_image).
// Lines that had to differ (11), each with why:
//  1. `torch.accelerator.is_available()` → false: nabla has no accelerator API (tensors live in CPU memory).
//  2. `device = torch.accelerator.current_accelerator()` / `torch.device("cpu")` → 'accel' / 'cpu':
//     the same reason (the first branch never runs).
//  3-4. `torch.utils.data.DataLoader(…)` → new torch.data.DataLoader(…) (twice): nabla's namespace
//     is torch.data.
//  5. `mu + eps*std` → mu.add(eps.mul(std)): no operator overloading in JavaScript.
//  6. `0.5*logvar` → logvar.mul(0.5): the same.
//  7. `-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())` →
//     torch.sum(logvar.add(1).sub(mu.pow(2)).sub(logvar.exp())).mul(-0.5): the same.
//  8. `BCE + KLD` → BCE.add(KLD): the same.
//  9. `with torch.no_grad():` (twice, counted once) → torch.noGrad(() => {…}): no `with` in JavaScript.
//  10. `torch.cat([data[:n], recon_batch.view(args.batch_size, 1, 28, 28)[:n]])` →
//      torch.cat([data.index([null, n]), ….index([null, n])]): no [] slicing.
//  11. train(epoch) / test(epoch) take the loader as a second parameter defaulting to train_loader /
//      test_loader (2 lines, counted once): so the test can hand them fixed batches.
// Added, not in the original: the top-level code is split into setup(argv) (up to the optimizer) and
// main(argv), with its globals as exported `let`s; --limit (the size limit, set as
// datasets.MNIST.limit); results/ is created when missing (the original's repository ships it).

import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { ArgumentParser, int, str } from './argparse.js';
import { len, enumerate } from './pyshim.js';
import { datasets, transforms, utils } from './torchvision.js';

const { nn, optim, F } = torch;
const saveImage = utils.saveImage;

const parser = new ArgumentParser({ description: 'VAE MNIST Example' });
parser.addArgument('--batch-size', { type: int, default: 128, metavar: 'N',
                    help: 'input batch size for training (default: 128)' });
parser.addArgument('--epochs', { type: int, default: 10, metavar: 'N',
                    help: 'number of epochs to train (default: 10)' });
parser.addArgument('--no-accel', { action: 'store_true',
                    help: 'disables accelerator' });
parser.addArgument('--seed', { type: int, default: 1, metavar: 'S',
                    help: 'random seed (default: 1)' });
parser.addArgument('--log-interval', { type: int, default: 10, metavar: 'N',
                    help: 'how many batches to wait before logging training status' });
parser.addArgument('--limit', { type: int, default: 0, metavar: 'N',
                    help: 'the first N images of each split only (default: 0, all)' });

export let args: Record<string, any>;
export let useAccel: boolean;
export let device: string;
type Loader = torch.data.DataLoader<any, Tensor[]>;
export let trainLoader: Loader;
export let testLoader: Loader;
export let model: VAE;
export let optimizer: torch.optim.Adam;

export class VAE extends nn.Module {
  fc1: torch.nn.Linear;
  fc21: torch.nn.Linear;
  fc22: torch.nn.Linear;
  fc3: torch.nn.Linear;
  fc4: torch.nn.Linear;

  constructor() {
    super();

    this.fc1 = new nn.Linear(784, 400);
    this.fc21 = new nn.Linear(400, 20);
    this.fc22 = new nn.Linear(400, 20);
    this.fc3 = new nn.Linear(20, 400);
    this.fc4 = new nn.Linear(400, 784);
  }

  encode(x: Tensor): [Tensor, Tensor] {
    const h1 = F.relu(this.fc1.forward(x));
    return [this.fc21.forward(h1), this.fc22.forward(h1)];
  }

  reparameterize(mu: Tensor, logvar: Tensor): Tensor {
    const std = torch.exp(logvar.mul(0.5));
    const eps = torch.randnLike(std);
    return mu.add(eps.mul(std));
  }

  decode(z: Tensor): Tensor {
    const h3 = F.relu(this.fc3.forward(z));
    return torch.sigmoid(this.fc4.forward(h3));
  }

  override forward(x: Tensor): [Tensor, Tensor, Tensor] {
    const [mu, logvar] = this.encode(x.view(-1, 784));
    const z = this.reparameterize(mu, logvar);
    return [this.decode(z), mu, logvar];
  }
}

export function setup(argv?: readonly string[]): void {
  args = parser.parseArgs(argv);
  datasets.MNIST.limit = args.limit;

  useAccel = !args.noAccel && false;

  torch.manualSeed(args.seed);

  if (useAccel) {
    device = 'accel';
  } else {
    device = 'cpu';
  }

  console.log(`Using device: ${device}`);

  const kwargs = useAccel ? { numWorkers: 1, pinMemory: true } : {};
  trainLoader = new torch.data.DataLoader(
    new datasets.MNIST('../data', { train: true, download: true,
                                    transform: transforms.ToTensor() }),
    { batchSize: args.batchSize, shuffle: true, ...kwargs });
  testLoader = new torch.data.DataLoader(
    new datasets.MNIST('../data', { train: false, transform: transforms.ToTensor() }),
    { batchSize: args.batchSize, shuffle: false, ...kwargs });

  model = new VAE().to(device);
  optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
}

/** Reconstruction + KL divergence losses summed over all elements and batch */
export function lossFunction(reconX: Tensor, x: Tensor, mu: Tensor, logvar: Tensor): Tensor {
  const BCE = F.binaryCrossEntropy(reconX, x.view(-1, 784), { reduction: 'sum' });

  // see Appendix B from VAE paper:
  // Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
  // https://arxiv.org/abs/1312.6114
  // 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
  const KLD = torch.sum(logvar.add(1).sub(mu.pow(2)).sub(logvar.exp())).mul(-0.5);

  return BCE.add(KLD);
}

export function train(epoch: number, loader: Loader = trainLoader): void {
  model.train();
  let trainLoss = 0;
  for (let [batchIdx, [data, _]] of enumerate(loader)) {
    data = data.to(device);
    optimizer.zeroGrad();
    const [reconBatch, mu, logvar] = model.forward(data);
    const loss = lossFunction(reconBatch, data, mu, logvar);
    loss.backward();
    trainLoss += loss.item();
    optimizer.step();
    if (batchIdx % args.logInterval === 0) {
      console.log(`Train Epoch: ${epoch} [${batchIdx * len(data)}/${len(loader.dataset)} (${(100. * batchIdx / len(loader)).toFixed(0)}%)]\tLoss: ${(
        loss.item() / len(data)).toFixed(6)}`);
    }
  }

  console.log(`====> Epoch: ${epoch} Average loss: ${(
        trainLoss / len(loader.dataset)).toFixed(4)}`);
}

export function test(epoch: number, loader: Loader = testLoader): void {
  model.eval();
  let testLoss = 0;
  torch.noGrad(() => {
    for (let [i, [data, _]] of enumerate(loader)) {
      data = data.to(device);
      const [reconBatch, mu, logvar] = model.forward(data);
      testLoss += lossFunction(reconBatch, data, mu, logvar).item();
      if (i === 0) {
        const n = Math.min(data.size(0), 8);
        const comparison = torch.cat([data.index([null, n]),
                                      reconBatch.view(args.batchSize, 1, 28, 28).index([null, n])]);
        saveImage(comparison.cpu(),
                  'results/reconstruction_' + str(epoch) + '.png', { nrow: n });
      }
    }
  });

  testLoss /= len(loader.dataset);
  console.log(`====> Test set loss: ${testLoss.toFixed(4)}`);
}

export function main(argv?: readonly string[]): void {
  setup(argv);
  mkdirSync('results', { recursive: true });
  for (let epoch = 1; epoch < args.epochs + 1; epoch++) {
    train(epoch);
    test(epoch);
    torch.noGrad(() => {
      let sample = torch.randn(64, 20).to(device);
      sample = model.decode(sample).cpu();
      saveImage(sample.view(64, 1, 28, 28),
                'results/sample_' + str(epoch) + '.png');
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main();
}
