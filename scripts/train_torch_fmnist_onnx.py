# A network trained elsewhere, for examples/onnx-finetune.ts: PyTorch trains a small CNN on the
# Fashion-MNIST classes 0–4 (one epoch) and exports it with torch.onnx.export (opset 17) to
# fixtures/onnx/fmnist-cnn-0to4.onnx; its features.* and classifier.* keep PyTorch's names.
#
# Run with Debian's torch and dataset-fashion-mnist: /usr/bin/python3 scripts/train_torch_fmnist_onnx.py

import gzip
import os

import numpy as np
import torch
import torch.nn as nn

DATA = '/usr/share/datasets/fashion-mnist'
OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'onnx', 'fmnist-cnn-0to4.onnx')
torch.manual_seed(0)
torch.set_num_threads(1)


def idx(name, offset):
    with gzip.open(os.path.join(DATA, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(split):
    pre = 'train' if split == 'train' else 't10k'
    x = idx(pre + '-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32)
    y = idx(pre + '-labels-idx1-ubyte.gz', 8).astype(np.int64)
    keep = y < 5
    return torch.from_numpy((x[keep] / 255 - 0.286) / 0.353), torch.from_numpy(y[keep])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.classifier = nn.Linear(32 * 7 * 7, 5)

    def forward(self, x):
        return self.classifier(self.features(x))


x, y = load('train')
xt, yt = load('test')
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
perm = torch.randperm(len(x))
for i in range(0, len(x), 64):
    b = perm[i:i + 64]
    loss = nn.functional.cross_entropy(net(x[b]), y[b])
    opt.zero_grad()
    loss.backward()
    opt.step()
net.eval()
with torch.no_grad():
    acc = (net(xt).argmax(1) == yt).float().mean().item()
print('test accuracy on classes 0-4 after one epoch: %.2f%%' % (100 * acc))
torch.onnx.export(net, (x[:2],), OUT, opset_version=17, input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
print('wrote', OUT)
