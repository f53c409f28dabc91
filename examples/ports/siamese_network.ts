// pytorch/examples' siamese_network, ported line by line: a ResNet-18 (torchvision's, ported in
// ./torchvision_resnet.ts with PyTorch's parameter names) run on both images of a pair, the two
// feature vectors concatenated, two linear layers and a sigmoid; BCELoss, Adadelta and StepLR.
//
// Original: https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/siamese_network/main.py
// (commit 77f55b912142e11fcfdf5b530231fb9c52f181e8; BSD-3-Clause). Fashion-MNIST's IDX files
// (Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist, else the repo's sample) stand
// in for MNIST: same format, same 28×28 grey images and 10 classes.
// Run: node --import tsx examples/ports/siamese_network.ts [--epochs 14] [--limit N] [--dry-run] …
//      (the original's flags; --limit N, added, uses the first N images of each split)
//
// Mapping rules, not counted: camelCase names, `.forward(…)` for module calls, `new` before a class,
// TypeScript types (incl. `!` and `as` casts), keyword arguments of library calls as one options
// object, Python syntax as JS (print → console.log, format strings → template strings, tuples → arrays,
// `x[i]` → `x.index(i)`, `a > b` → `a.gt(b)`, `list(…)[:-1]` → `.slice(0, -1)`, `with torch.no_grad():`
// → `nb.noGrad(() => …)`, `if __name__ == '__main__'` → an import.meta check, `let` declarations
// of names a Python branch binds).
// Lines that differ beyond those (12 items; an item is a line or one block standing for one construct):
//  1. Imports: torchvision's resnet18 comes from the port beside this file; `random`, `np` and
//     argparse have no library counterpart (items 3, 4, 9).
//  2. `torchvision.datasets.MNIST` → the 15-line `datasets.MNIST` below: Fashion-MNIST from its IDX
//     files, as torchvision's MNIST would give it (`data` [N, 28, 28] and `targets` [N]; int32, since
//     Nabla has no uint8/int64 tensors), cut to the first `limit` images when --limit is given;
//     `root` and `download` are not used (the files are found where Nabla looks for them); a limit
//     that leaves a class under 2 images is refused (APP_MATCHER's same-class draw would never end).
//  3. `random.randint(a, b)` → the 1-line `random` below (Python's unseeded generator → Math.random).
//  4. `np.array(targets)` / `np.where(np_arr == i)[0]` → `targets.clone()` / `nb.nonzero(npArr.eq(i)).squeeze(1)`
//     (2 lines; the example leaves torch for numpy there, Nabla has the tensor ops).
//  5. `m.bias.data.fill_(0.01)` → `m.bias!.detach().fill_(0.01)`: a tensor's `data` is its async
//     read-back (`await t.data()`) in Nabla; `detach()` shares the storage as `.data` does.
//  6. `nn.ReLU(inplace=True)` → `new nn.ReLU()`: Nabla's ReLU has no `inplace` option (same numbers).
//  7. `class APP_MATCHER(Dataset)` with `__len__`/`__getitem__` → a class implementing Nabla's
//     `Dataset` interface (`length`, `get(i)`): no base class, so no `super().__init__()` (3 lines),
//     and the constructor takes the added `limit` (item 2).
//  8. `for batch_idx, (…) in enumerate(train_loader)` → `enumerate` below (1 line, no Python builtin).
//  9. argparse → node:util parseArgs (the option table; the same flags, defaults and help, plus --limit).
// 10. `torch.accelerator` and the accelerator-only loader options (num_workers, pin_memory) are
//     gone: Nabla computes on the CPU's cores (wasm); device is 'cpu' (3 lines). `model.to(device)`
//     → `model`: Nabla's modules have no device.
// 11. `torch.save(model.state_dict(), "siamese_network.pt")` → `save("siamese_network.safetensors", …)`
//     (Nabla writes safetensors, never pickles).
// 12. `len(test_loader.dataset)` → `(testLoader.dataset as APP_MATCHER).length`, held in `n` in test()
//     (1 added line): a loader's dataset may be iterable-only, which has no length.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as nb from '../../src/index.js';
import { fashionMnistSync, save } from '../../src/node.js';
import * as models from './torchvision_resnet.js';

const { nn, optim } = nb;
const { StepLR } = nb.optim;
const torchvision = { models };
type Tensor = nb.Tensor;
type Sample = [Tensor, Tensor, Tensor];

const random = { randint: (a: number, b: number): number => a + Math.floor(Math.random() * (b - a + 1)) };
function* enumerate<T>(it: Iterable<T>): Generator<[number, T]> { let i = 0; for (const v of it) yield [i++, v]; }
/** torchvision's MNIST as this example reads it (data [N, 28, 28], targets [N]); Fashion-MNIST stands in. */
export const datasets = {
  MNIST(root: string, { train, download = false, limit = Infinity }: { train: boolean; download?: boolean; limit?: number }) {
    void root, download; // found where Nabla looks (Debian's package, the cache, the repo's sample; NABLA_DOWNLOAD=1 downloads)
    const ds = fashionMnistSync({ split: train ? 'train' : 'test' });
    const n = Math.min(ds.n, limit);
    const counts = Array.from({ length: 10 }, (_, c) => ds.labels.subarray(0, n).filter((y) => y === c).length);
    const few = counts.findIndex((k) => k < 2); // APP_MATCHER draws two different images of a class
    if (few >= 0) throw new Error(`--limit ${limit}: the first ${n} ${train ? 'training' : 'test'} images hold ${counts[few]} of class ${few}; same-class pairs need 2 (raise --limit)`);
    return {
      data: nb.tensor(Int32Array.from(ds.images.subarray(0, n * 784)), { shape: [n, 28, 28] }),
      targets: nb.tensor(Int32Array.from(ds.labels.subarray(0, n))),
    };
  },
};

/**
 * Siamese network for image similarity estimation.
 * The network is composed of two identical networks, one for each input.
 * The output of each network is concatenated and passed to a linear layer.
 * The output of the linear layer passed through a sigmoid function.
 * `"FaceNet" <https://arxiv.org/pdf/1503.03832.pdf>`_ is a variant of the Siamese network.
 * This implementation varies from FaceNet as we use the `ResNet-18` model from
 * `"Deep Residual Learning for Image Recognition" <https://arxiv.org/pdf/1512.03385.pdf>`_ as our feature extractor.
 * In addition, we aren't using `TripletLoss` as the MNIST dataset is simple, so `BCELoss` can do the trick.
 */
export class SiameseNetwork extends nn.Module {
  resnet: models.ResNet | nb.nn.Sequential;
  fcInFeatures: number;
  fc: nb.nn.Sequential;
  sigmoid: nb.nn.Sigmoid;

  constructor() {
    super();
    // get resnet model
    this.resnet = torchvision.models.resnet18({ weights: null });

    // over-write the first conv layer to be able to read MNIST images
    // as resnet18 reads (3,x,x) where 3 is RGB channels
    // whereas MNIST has (1,x,x) where 1 is a gray-scale channel
    this.resnet.conv1 = new nn.Conv2d(1, 64, [7, 7], { stride: [2, 2], padding: [3, 3], bias: false });
    this.fcInFeatures = this.resnet.fc.inFeatures;

    // remove the last layer of resnet18 (linear layer which is before avgpool layer)
    this.resnet = new nn.Sequential(...this.resnet.children().slice(0, -1));

    // add linear layers to compare between the features of the two images
    this.fc = new nn.Sequential(
      new nn.Linear(this.fcInFeatures * 2, 256),
      new nn.ReLU(),
      new nn.Linear(256, 1),
    );

    this.sigmoid = new nn.Sigmoid();

    // initialize the weights
    this.resnet.apply(this.initWeights);
    this.fc.apply(this.initWeights);
  }

  initWeights(m: nb.nn.Module): void {
    if (m instanceof nn.Linear) {
      nn.init.xavierUniform_(m.weight);
      m.bias!.detach().fill_(0.01);
    }
  }

  forwardOnce(x: Tensor): Tensor {
    let output = this.resnet.forward(x);
    output = output.view(output.size()[0]!, -1);
    return output;
  }

  override forward(input1: Tensor, input2: Tensor): Tensor {
    // get two images' features
    const output1 = this.forwardOnce(input1);
    const output2 = this.forwardOnce(input2);

    // concatenate both images' features
    let output = nb.cat([output1, output2], 1);

    // pass the concatenation to the linear layers
    output = this.fc.forward(output);

    // pass the out of the linear layers to sigmoid layer
    output = this.sigmoid.forward(output);

    return output;
  }
}

export class APP_MATCHER implements nb.data.Dataset<Sample> {
  dataset: { data: Tensor; targets: Tensor };
  data: Tensor;
  groupedExamples: Record<number, Tensor> = {};

  constructor(root: string, train: boolean, download = false, limit = Infinity) {
    // get MNIST dataset
    this.dataset = datasets.MNIST(root, { train, download, limit });

    // as `self.dataset.data`'s shape is (Nx28x28), where N is the number of
    // examples in MNIST dataset, a single example has the dimensions of
    // (28x28) for (WxH), where W and H are the width and the height of the image.
    // However, every example should have (CxWxH) dimensions where C is the number
    // of channels to be passed to the network. As MNIST contains gray-scale images,
    // we add an additional dimension to corresponds to the number of channels.
    this.data = this.dataset.data.unsqueeze(1).clone();

    this.groupExamples();
  }

  /**
   * To ease the accessibility of data based on the class, we will use `group_examples` to group
   * examples based on class.
   *
   * Every key in `grouped_examples` corresponds to a class in MNIST dataset. For every key in
   * `grouped_examples`, every value will conform to all of the indices for the MNIST
   * dataset examples that correspond to that key.
   */
  groupExamples(): void {
    // get the targets from MNIST dataset
    const npArr = this.dataset.targets.clone();

    // group examples based on class
    this.groupedExamples = {};
    for (let i = 0; i < 10; i++) {
      this.groupedExamples[i] = nb.nonzero(npArr.eq(i)).squeeze(1);
    }
  }

  get length(): number {
    return this.data.shape[0]!;
  }

  /**
   * For every example, we will select two images. There are two cases,
   * positive and negative examples. For positive examples, we will have two
   * images from the same class. For negative examples, we will have two images
   * from different classes.
   *
   * Given an index, if the index is even, we will pick the second image from the same class,
   * but it won't be the same image we chose for the first class. This is used to ensure the positive
   * example isn't trivial as the network would easily distinguish the similarity between same images. However,
   * if the network were given two different images from the same class, the network will need to learn
   * the similarity between two different images representing the same class. If the index is odd, we will
   * pick the second image from a different class than the first image.
   */
  get(index: number): Sample {
    // pick some random class for the first image
    const selectedClass = random.randint(0, 9);

    // pick a random index for the first image in the grouped indices based of the label
    // of the class
    const randomIndex1 = random.randint(0, this.groupedExamples[selectedClass]!.shape[0]! - 1);

    // pick the index to get the first image
    const index1 = this.groupedExamples[selectedClass]!.index(randomIndex1);

    // get the first image
    const image1 = this.data.index(index1).clone().float();

    let image2: Tensor, target: Tensor;
    // same class
    if (index % 2 === 0) {
      // pick a random index for the second image
      let randomIndex2 = random.randint(0, this.groupedExamples[selectedClass]!.shape[0]! - 1);

      // ensure that the index of the second image isn't the same as the first image
      while (randomIndex2 === randomIndex1) {
        randomIndex2 = random.randint(0, this.groupedExamples[selectedClass]!.shape[0]! - 1);
      }

      // pick the index to get the second image
      const index2 = this.groupedExamples[selectedClass]!.index(randomIndex2);

      // get the second image
      image2 = this.data.index(index2).clone().float();

      // set the label for this example to be positive (1)
      target = nb.tensor(1, { dtype: 'float32' });
    } else {
      // different class
      // pick a random class
      let otherSelectedClass = random.randint(0, 9);

      // ensure that the class of the second image isn't the same as the first image
      while (otherSelectedClass === selectedClass) {
        otherSelectedClass = random.randint(0, 9);
      }

      // pick a random index for the second image in the grouped indices based of the label
      // of the class
      const randomIndex2 = random.randint(0, this.groupedExamples[otherSelectedClass]!.shape[0]! - 1);

      // pick the index to get the second image
      const index2 = this.groupedExamples[otherSelectedClass]!.index(randomIndex2);

      // get the second image
      image2 = this.data.index(index2).clone().float();

      // set the label for this example to be negative (0)
      target = nb.tensor(0, { dtype: 'float32' });
    }

    return [image1, image2, target];
  }
}

export interface Args {
  batchSize: number; testBatchSize: number; epochs: number; lr: number; gamma: number; noAccel: boolean;
  dryRun: boolean; seed: number; logInterval: number; saveModel: boolean; limit: number;
}

export function train(args: Args, model: SiameseNetwork, device: 'cpu', trainLoader: nb.data.DataLoader<Sample>, optimizer: nb.optim.Optimizer, epoch: number): void {
  model.train();

  // we aren't using `TripletLoss` as the MNIST dataset is simple, so `BCELoss` can do the trick.
  const criterion = new nn.BCELoss();

  for (let [batchIdx, [images1, images2, targets]] of enumerate(trainLoader)) {
    [images1, images2, targets] = [images1.to(device), images2.to(device), targets.to(device)];
    optimizer.zeroGrad();
    const outputs = model.forward(images1, images2).squeeze();
    const loss = criterion.forward(outputs, targets);
    loss.backward();
    optimizer.step();
    if (batchIdx % args.logInterval === 0) {
      console.log(`Train Epoch: ${epoch} [${batchIdx * images1.shape[0]!}/${(trainLoader.dataset as APP_MATCHER).length} (${(100 * batchIdx / trainLoader.length).toFixed(0)}%)]\tLoss: ${loss.item().toFixed(6)}`);
      if (args.dryRun) {
        break;
      }
    }
  }
}

export function test(model: SiameseNetwork, device: 'cpu', testLoader: nb.data.DataLoader<Sample>): void {
  model.eval();
  let testLoss = 0;
  let correct = 0;

  // we aren't using `TripletLoss` as the MNIST dataset is simple, so `BCELoss` can do the trick.
  const criterion = new nn.BCELoss();

  nb.noGrad(() => {
    for (let [images1, images2, targets] of testLoader) {
      [images1, images2, targets] = [images1.to(device), images2.to(device), targets.to(device)];
      const outputs = model.forward(images1, images2).squeeze();
      testLoss += criterion.forward(outputs, targets).sum().item(); // sum up batch loss
      const pred = nb.where(outputs.gt(0.5), 1, 0); // get the index of the max log-probability
      correct += pred.eq(targets.viewAs(pred)).sum().item();
    }
  });

  const n = (testLoader.dataset as APP_MATCHER).length;
  testLoss /= n;

  // for the 1st epoch, the average loss is 0.0001 and the accuracy 97-98%
  // using default settings. After completing the 10th epoch, the average
  // loss is 0.0000 and the accuracy 99.5-100% using default settings.
  console.log(`\nTest set: Average loss: ${testLoss.toFixed(4)}, Accuracy: ${correct}/${n} (${(100 * correct / n).toFixed(0)}%)\n`);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  // Training settings (PyTorch Siamese network Example)
  const { values: a } = parseArgs({ args: argv, options: {
    'batch-size': { type: 'string', default: '64' }, // input batch size for training (default: 64)
    'test-batch-size': { type: 'string', default: '1000' }, // input batch size for testing (default: 1000)
    'epochs': { type: 'string', default: '14' }, // number of epochs to train (default: 14)
    'lr': { type: 'string', default: '1.0' }, // learning rate (default: 1.0)
    'gamma': { type: 'string', default: '0.7' }, // Learning rate step gamma (default: 0.7)
    'no-accel': { type: 'boolean', default: false }, // disables accelerator
    'dry-run': { type: 'boolean', default: false }, // quickly check a single pass
    'seed': { type: 'string', default: '1' }, // random seed (default: 1)
    'log-interval': { type: 'string', default: '10' }, // how many batches to wait before logging training status
    'save-model': { type: 'boolean', default: false }, // For Saving the current Model
    'limit': { type: 'string', default: 'Infinity' }, // (added) use the first N images of each split
  } });
  const args: Args = {
    batchSize: Number(a['batch-size']), testBatchSize: Number(a['test-batch-size']), epochs: Number(a.epochs),
    lr: Number(a.lr), gamma: Number(a.gamma), noAccel: a['no-accel']!, dryRun: a['dry-run']!, seed: Number(a.seed),
    logInterval: Number(a['log-interval']), saveModel: a['save-model']!, limit: Number(a.limit),
  };

  nb.manualSeed(args.seed);

  const device = 'cpu';

  console.log(`Using device: ${device}`);

  const trainKwargs = { batchSize: args.batchSize };
  const testKwargs = { batchSize: args.testBatchSize };

  const trainDataset = new APP_MATCHER('../data', true, true, args.limit);
  const testDataset = new APP_MATCHER('../data', false, false, args.limit);
  const trainLoader = new nb.data.DataLoader(trainDataset, trainKwargs);
  const testLoader = new nb.data.DataLoader(testDataset, testKwargs);

  const model = new SiameseNetwork();
  const optimizer = new optim.Adadelta(model.parameters(), { lr: args.lr });

  const scheduler = new StepLR(optimizer, { stepSize: 1, gamma: args.gamma });
  for (let epoch = 1; epoch < args.epochs + 1; epoch++) {
    train(args, model, device, trainLoader, optimizer, epoch);
    test(model, device, testLoader);
    scheduler.step();
  }

  if (args.saveModel) {
    await save('siamese_network.safetensors', model.stateDict());
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
