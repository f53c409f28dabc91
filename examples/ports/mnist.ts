// Line-by-line port of pytorch/examples mnist/main.py (BSD-3-Clause):
// https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/mnist/main.py
// Run: node --import tsx examples/ports/mnist.ts [--epochs 14] [--limit N] (any of the original's flags)
// Data: Fashion-MNIST (Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist) stands in
// for MNIST — same IDX files, shapes and classes count; the normalisation constants are the original's.
// Checked against PyTorch by test/ports-mnist.test.ts (fixtures/ports/mnist.safetensors, written by
// scripts/ports/mnist_ref.py with the original Net, Adadelta and StepLR).
//
// Mechanical translations, not counted: torch → nb, snake_case → camelCase, module(x) → module.forward(x),
// keyword arguments → an options object, len(x) → x.length, str.format → template strings,
// `with torch.no_grad():` → nb.noGrad(() => …), enumerate → a counter, `if __name__ == '__main__'` → the
// same test on import.meta.url, Python's class/def syntax → TypeScript's.
// Lines that differ beyond that (10):
//  1-2. `new nn.Conv2d(1, 32, 3, { stride: 1 })`, and conv2 alike: nabla's Conv2d takes stride as an
//     option, not as a fourth positional argument.
//  3. `F.logSoftmax(x, 1)` and 4. `output.argmax(1, true)`: dim/keepdim positional (PyTorch accepts
//     this spelling too); nabla has no keyword form for them.
//  5. `const device = 'cpu'` for use_accel and the if/else choosing the device: nabla runs on the CPU
//     (WebAssembly SIMD on every core) and has no torch.accelerator; `--no-accel` is still accepted.
//  6. The accelerator DataLoader options (accel_kwargs, the two .update lines) are left out, as in 5.
//  7-8. `datasets.MNIST(...)` → `new FashionMNIST(...)` (./datasets.ts: torchvision's constructor over
//     nabla's Fashion-MNIST finder), with `limit: args.limit`; 9. the added `--limit` argument.
//  10. `torch.save(model.state_dict(), "mnist_cnn.pt")` → `save('mnist_cnn.safetensors', …)`: nabla
//     writes safetensors (PyTorch's pickle format is code, not data).
// Also mechanical: TypeScript types and casts (`args as Args`, the Loader type).
// ArgumentParser is ./argparse.ts, a small stand-in for Python's argparse (same calls, camelCase results).
import { fileURLToPath } from 'node:url';
import * as nb from '../../src/index.js';
import { save } from '../../src/node.js';
import { ArgumentParser, float, int } from './argparse.js';
import { FashionMNIST } from './datasets.js';

const { nn, F, optim } = nb;
const { transforms } = nb.data;
const { StepLR } = optim;

export class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, { stride: 1 });
  conv2 = new nn.Conv2d(32, 64, 3, { stride: 1 });
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  override forward(x: nb.Tensor): nb.Tensor {
    x = this.conv1.forward(x);
    x = F.relu(x);
    x = this.conv2.forward(x);
    x = F.relu(x);
    x = F.maxPool2d(x, 2);
    x = this.dropout1.forward(x);
    x = nb.flatten(x, 1);
    x = this.fc1.forward(x);
    x = F.relu(x);
    x = this.dropout2.forward(x);
    x = this.fc2.forward(x);
    const output = F.logSoftmax(x, 1);
    return output;
  }
}

export interface Args { logInterval: number; dryRun: boolean }
type Loader = nb.data.DataLoader<[unknown, number], nb.Tensor[]> & { dataset: nb.data.Dataset<[unknown, number]> };

export function train(args: Args, model: Net, device: 'cpu', trainLoader: Loader, optimizer: nb.optim.Optimizer, epoch: number): void {
  model.train();
  let batchIdx = 0;
  for (let [data, target] of trainLoader) {
    [data, target] = [data!.to(device), target!.to(device)];
    optimizer.zeroGrad();
    const output = model.forward(data);
    const loss = F.nllLoss(output, target);
    loss.backward();
    optimizer.step();
    if (batchIdx % args.logInterval === 0) {
      console.log(`Train Epoch: ${epoch} [${batchIdx * data.size(0)}/${trainLoader.dataset.length} (${(100 * batchIdx / trainLoader.length).toFixed(0)}%)]\tLoss: ${loss.item().toFixed(6)}`);
      if (args.dryRun) {
        break;
      }
    }
    batchIdx++;
  }
}

export function test(model: Net, device: 'cpu', testLoader: Loader): void {
  model.eval();
  let testLoss = 0;
  let correct = 0;
  nb.noGrad(() => {
    for (let [data, target] of testLoader) {
      [data, target] = [data!.to(device), target!.to(device)];
      const output = model.forward(data);
      testLoss += F.nllLoss(output, target, { reduction: 'sum' }).item(); // sum up batch loss
      const pred = output.argmax(1, true); // get the index of the max log-probability
      correct += pred.eq(target.viewAs(pred)).sum().item();
    }
  });

  testLoss /= testLoader.dataset.length;

  console.log(`\nTest set: Average loss: ${testLoss.toFixed(4)}, Accuracy: ${correct}/${testLoader.dataset.length} (${(100 * correct / testLoader.dataset.length).toFixed(0)}%)\n`);
}

export async function main(argv?: string[]): Promise<void> {
  // Training settings
  const parser = new ArgumentParser({ description: 'PyTorch MNIST Example' });
  parser.addArgument('--batch-size', { type: int, default: 64, metavar: 'N', help: 'input batch size for training (default: 64)' });
  parser.addArgument('--test-batch-size', { type: int, default: 1000, metavar: 'N', help: 'input batch size for testing (default: 1000)' });
  parser.addArgument('--epochs', { type: int, default: 14, metavar: 'N', help: 'number of epochs to train (default: 14)' });
  parser.addArgument('--lr', { type: float, default: 1.0, metavar: 'LR', help: 'learning rate (default: 1.0)' });
  parser.addArgument('--gamma', { type: float, default: 0.7, metavar: 'M', help: 'Learning rate step gamma (default: 0.7)' });
  parser.addArgument('--no-accel', { action: 'store_true', help: 'disables accelerator' });
  parser.addArgument('--dry-run', { action: 'store_true', help: 'quickly check a single pass' });
  parser.addArgument('--seed', { type: int, default: 1, metavar: 'S', help: 'random seed (default: 1)' });
  parser.addArgument('--log-interval', { type: int, default: 10, metavar: 'N', help: 'how many batches to wait before logging training status' });
  parser.addArgument('--save-model', { action: 'store_true', help: 'For Saving the current Model' });
  parser.addArgument('--limit', { type: int, default: Infinity, metavar: 'N', help: 'use only the first N images of each split' });
  const args = parser.parseArgs(argv);

  nb.manualSeed(args.seed);

  const device = 'cpu' as const;

  const trainKwargs = { batchSize: args.batchSize };
  const testKwargs = { batchSize: args.testBatchSize };

  const transform = transforms.compose([
    transforms.toTensor(),
    transforms.normalize([0.1307], [0.3081]),
  ]);
  const dataset1 = new FashionMNIST('../data', { train: true, download: true, transform, limit: args.limit });
  const dataset2 = new FashionMNIST('../data', { train: false, transform, limit: args.limit });
  const trainLoader = new nb.data.DataLoader(dataset1, trainKwargs) as Loader;
  const testLoader = new nb.data.DataLoader(dataset2, testKwargs) as Loader;

  const model = new Net().to(device);
  const optimizer = new optim.Adadelta(model.parameters(), { lr: args.lr });

  const scheduler = new StepLR(optimizer, { stepSize: 1, gamma: args.gamma });
  for (let epoch = 1; epoch < args.epochs + 1; epoch++) {
    train(args as Args, model, device, trainLoader, optimizer, epoch);
    test(model, device, testLoader);
    scheduler.step();
  }

  if (args.saveModel) {
    await save('mnist_cnn.safetensors', model.stateDict());
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
