// Line-by-line port of pytorch/examples mnist_rnn/main.py (BSD-3-Clause):
// https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/mnist_rnn/main.py
// Run: node --import tsx examples/ports/mnist_rnn.ts [--epochs 14] [--limit N] (any of the original's flags)
// Data: Fashion-MNIST (Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist) stands in
// for MNIST — same IDX files, shapes and classes count; the normalisation constants are the original's.
// Checked against PyTorch by test/ports-mnist_rnn.test.ts (fixtures/ports/mnist_rnn.safetensors,
// written by scripts/ports/mnist_rnn_ref.py with the original Net, Adadelta and StepLR).
//
// Mechanical translations, not counted: torch → nb, snake_case → camelCase, module(x) → module.forward(x),
// keyword arguments → an options object, len(x) → x.length, str.format → template strings,
// `with torch.no_grad():` → nb.noGrad(() => …), enumerate → a counter, `if __name__ == '__main__'` → the
// same test on import.meta.url, Python's class/def syntax and TypeScript's types and casts.
// Lines that differ beyond that (11):
//  1. `new nn.LSTM(28, 64, { batchFirst: true })`: input_size and hidden_size are positional in
//     nabla's LSTM (PyTorch accepts that spelling too), batchFirst an option.
//  2-3. `new nn.Dropout(0.25)` and `new nn.Dropout(0.5)` for nn.Dropout2d: the original gives Dropout2d
//     a 2-D [N, 64] input; Debian's PyTorch 1.13 drops its elements one by one (feature dropout over
//     [N, C]) with a deprecation warning that says to use dropout for that behaviour — nn.Dropout;
//     nabla's Dropout2d refuses a 2-D input.
//  4. `F.logSoftmax(output, 1)` and 5. `output.argmax(1, true)`: dim/keepdim positional (PyTorch
//     accepts this spelling too); nabla has no keyword form for them.
//  6. `const device = 'cpu'` for the if/else choosing the device and 7. the accelerator DataLoader
//     options (kwargs) left out: nabla runs on the CPU (WebAssembly SIMD on every core), no
//     torch.accelerator; `--accel` is still accepted.
//  8-9. `datasets.MNIST(...)` → `new FashionMNIST(...)` (./datasets.ts: torchvision's constructor over
//     nabla's Fashion-MNIST finder), with `limit: args.limit` from 10. the added `--limit` argument.
//  11. `torch.save(model.state_dict(), "mnist_rnn.pt")` → `save('mnist_rnn.safetensors', …)`: nabla
//     writes safetensors (PyTorch's pickle format is code, not data).
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
  rnn = new nn.LSTM(28, 64, { batchFirst: true });
  batchnorm = new nn.BatchNorm1d(64);
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(64, 32);
  fc2 = new nn.Linear(32, 10);

  override forward(input: nb.Tensor): nb.Tensor {
    // Shape of input is (batch_size,1, 28, 28)
    // converting shape of input to (batch_size, 28, 28)
    // as required by RNN when batch_first is set True
    input = input.reshape(-1, 28, 28);
    let [output, hidden] = this.rnn.forward(input);

    // RNN output shape is (seq_len, batch, input_size)
    // Get last output of RNN
    output = output.index(':', -1, ':');
    output = this.batchnorm.forward(output);
    output = this.dropout1.forward(output);
    output = this.fc1.forward(output);
    output = F.relu(output);
    output = this.dropout2.forward(output);
    output = this.fc2.forward(output);
    output = F.logSoftmax(output, 1);
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

export function test(args: Args, model: Net, device: 'cpu', testLoader: Loader): void {
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
      if (args.dryRun) {
        break;
      }
    }
  });

  testLoss /= testLoader.dataset.length;

  console.log(`\nTest set: Average loss: ${testLoss.toFixed(4)}, Accuracy: ${correct}/${testLoader.dataset.length} (${(100 * correct / testLoader.dataset.length).toFixed(0)}%)\n`);
}

export async function main(argv?: string[]): Promise<void> {
  // Training settings
  const parser = new ArgumentParser({ description: 'PyTorch MNIST Example using RNN' });
  parser.addArgument('--batch-size', { type: int, default: 64, metavar: 'N', help: 'input batch size for training (default: 64)' });
  parser.addArgument('--test-batch-size', { type: int, default: 1000, metavar: 'N', help: 'input batch size for testing (default: 1000)' });
  parser.addArgument('--epochs', { type: int, default: 14, metavar: 'N', help: 'number of epochs to train (default: 14)' });
  parser.addArgument('--lr', { type: float, default: 0.1, metavar: 'LR', help: 'learning rate (default: 0.1)' });
  parser.addArgument('--gamma', { type: float, default: 0.7, metavar: 'M', help: 'learning rate step gamma (default: 0.7)' });
  parser.addArgument('--accel', { action: 'store_true', help: 'enables accelerator' });
  parser.addArgument('--dry-run', { action: 'store_true', help: 'quickly check a single pass' });
  parser.addArgument('--seed', { type: int, default: 1, metavar: 'S', help: 'random seed (default: 1)' });
  parser.addArgument('--log-interval', { type: int, default: 10, metavar: 'N', help: 'how many batches to wait before logging training status' });
  parser.addArgument('--save-model', { action: 'store_true', help: 'for Saving the current Model' });
  parser.addArgument('--limit', { type: int, default: Infinity, metavar: 'N', help: 'use only the first N images of each split' });
  const args = parser.parseArgs(argv);

  const device = 'cpu' as const;

  nb.manualSeed(args.seed);

  const trainLoader = new nb.data.DataLoader(
    new FashionMNIST('../data', { train: true, download: true,
      transform: transforms.compose([
        transforms.toTensor(),
        transforms.normalize([0.1307], [0.3081]),
      ]), limit: args.limit }),
    { batchSize: args.batchSize, shuffle: true }) as Loader;
  const testLoader = new nb.data.DataLoader(
    new FashionMNIST('../data', { train: false, transform: transforms.compose([
      transforms.toTensor(),
      transforms.normalize([0.1307], [0.3081]),
    ]), limit: args.limit }),
    { batchSize: args.testBatchSize, shuffle: true }) as Loader;

  const model = new Net().to(device);
  const optimizer = new optim.Adadelta(model.parameters(), { lr: args.lr });

  const scheduler = new StepLR(optimizer, { stepSize: 1, gamma: args.gamma });
  for (let epoch = 1; epoch < args.epochs + 1; epoch++) {
    train(args as Args, model, device, trainLoader, optimizer, epoch);
    test(args as Args, model, device, testLoader);
    scheduler.step();
  }

  if (args.saveModel) {
    await save('mnist_rnn.safetensors', model.stateDict());
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
