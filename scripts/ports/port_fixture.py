"""Shared by the scripts/ports/*_ref.py scripts: writes one port's PyTorch reference as a safetensors
file under fixtures/ports/ (read by test/helpers/ports.ts), and reads real Fashion-MNIST images.

Layout of a fixture: the inputs under their own names, `init.<key>` the initial state dict (rounded
through float16 so the file stays small — those rounded values ARE the weights PyTorch trained from),
`grad.<key>` every parameter's gradient, `after.<key>` the state after the optimizer steps, and scalars
(losses, learning rates) as 1-D float64 tensors. A tensor of more than LARGE elements is stored as every
STRIDE-th element of its flattened values plus `<name>.stats` = [sum, sum of squares] (float64) of all
of them, so every element still counts in the comparison.
"""
import gzip
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from safetensors_torch import save  # noqa: E402

OUT_DIR = os.path.join(HERE, '..', '..', 'fixtures', 'ports')
FASHION = '/usr/share/datasets/fashion-mnist'
SOURCE = 'https://github.com/pytorch/examples'
COMMIT = '77f55b912142e11fcfdf5b530231fb9c52f181e8'
LARGE = 65536
STRIDE = 37


def fashion_mnist(n, split='train'):
    """The first n images (uint8 [n, 28, 28]) and labels (int64 [n]) of Debian's Fashion-MNIST."""
    prefix = 'train' if split == 'train' else 't10k'
    with gzip.open(os.path.join(FASHION, prefix + '-images-idx3-ubyte.gz')) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16)[:n * 784].reshape(n, 28, 28)
    with gzip.open(os.path.join(FASHION, prefix + '-labels-idx1-ubyte.gz')) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n]
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def round_to_half(module):
    """Rounds every floating parameter and buffer through float16 in place (see the module docstring)."""
    with torch.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            if t.is_floating_point():
                t.copy_(t.half().to(t.dtype))


class Fixture:
    def __init__(self, name):
        self.name = name
        self.tensors = {}

    def put(self, name, t):
        t = t.detach().cpu().contiguous()
        if t.numel() > LARGE:
            flat = t.reshape(-1)
            self.tensors[name] = flat[::STRIDE].clone()
            d = flat.double()
            self.tensors[name + '.stats'] = torch.stack([d.sum(), (d * d).sum()])
        else:
            self.tensors[name] = t.clone()

    def put_scalars(self, name, values):
        self.tensors[name] = torch.tensor([float(v) for v in values], dtype=torch.float64)

    def put_init(self, module):
        for k, v in module.state_dict().items():
            self.tensors['init.' + k] = v.detach().half() if v.is_floating_point() else v.detach().clone()

    def put_params(self, prefix, module, grads=False):
        for k, p in module.named_parameters():
            self.put(prefix + k, p.grad if grads else p)
        if not grads:
            for k, b in module.named_buffers():
                self.put(prefix + k, b)

    def save(self, **meta):
        os.makedirs(OUT_DIR, exist_ok=True)
        path = os.path.join(OUT_DIR, self.name + '.safetensors')
        meta.update({'source': SOURCE, 'commit': COMMIT, 'torch': torch.__version__, 'stride': str(STRIDE), 'large': str(LARGE)})
        save(self.tensors, path, meta)
        print('wrote', os.path.relpath(path), sum(t.numel() * t.element_size() for t in self.tensors.values()), 'bytes of tensors')
