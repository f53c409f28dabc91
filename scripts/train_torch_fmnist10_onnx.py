# A network trained elsewhere, for `nabla import` and `nabla eval` (test/cli-onnx.test.ts): PyTorch trains
# a small CNN with batch norm on all ten Fashion-MNIST classes (one epoch on Debian's full training set)
# and exports it with torch.onnx.export (opset 17, dynamic batch) to fixtures/onnx/fmnist-cnn-10.onnx.
# fixtures/onnx/fmnist-cnn-10.json holds what PyTorch computes with it on the sample nabla ships
# (data/fashion-mnist-sample, 1,000 test images): its accuracy, every prediction, and the first logits.
#
# Run with Debian's torch and dataset-fashion-mnist: /usr/bin/python3 scripts/train_torch_fmnist10_onnx.py

import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(__file__)
DATA = '/usr/share/datasets/fashion-mnist'
SAMPLE = os.path.join(HERE, '..', 'data', 'fashion-mnist-sample')
OUT = os.path.join(HERE, '..', 'fixtures', 'onnx', 'fmnist-cnn-10')
torch.manual_seed(0)
torch.set_num_threads(1)


def idx(root, name, offset):
    with gzip.open(os.path.join(root, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(root, split):
    pre = 'train' if split == 'train' else 't10k'
    x = idx(root, pre + '-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32)
    y = idx(root, pre + '-labels-idx1-ubyte.gz', 8).astype(np.int64)
    # nabla's normalisation (src/tasks/fashion-mnist/data.ts): the training set's mean and std of x/255
    return torch.from_numpy((x / 255 - 0.286) / 0.353), torch.from_numpy(y)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten())
        self.classifier = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        return self.classifier(self.features(x))


x, y = load(DATA, 'train')
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
perm = torch.randperm(len(x))
for i in range(0, len(x), 64):
    b = perm[i:i + 64]
    loss = nn.functional.cross_entropy(net(x[b]), y[b])
    opt.zero_grad()
    loss.backward()
    opt.step()
net.eval()
xs, ys = load(SAMPLE, 'test')
with torch.no_grad():
    logits = net(xs)
pred = logits.argmax(1)
acc = (pred == ys).float().mean().item()
print('accuracy on the shipped sample test set after one epoch: %.2f%%' % (100 * acc))
# TrainingMode.PRESERVE (the model is in eval mode): the batch norms stay BatchNormalization nodes with
# their running statistics; EVAL would fold them into the convolutions' weights.
torch.onnx.export(net, (xs[:2],), OUT + '.onnx', opset_version=17, input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, training=torch.onnx.TrainingMode.PRESERVE,
                  do_constant_folding=False)
with open(OUT + '.json', 'w') as f:
    json.dump({'torch': torch.__version__, 'sample_test_accuracy': acc, 'predictions': pred.tolist(),
               'logits_first8': logits[:8].tolist()}, f)
print('wrote', OUT + '.onnx', OUT + '.json')
