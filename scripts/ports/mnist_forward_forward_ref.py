#!/usr/bin/python3
"""PyTorch's numbers for the mnist_forward_forward port (test/ports-mnist_forward_forward.test.ts).

Runs the ORIGINAL program's get_y_neg, overlay_y_on_x, Net and Layer (copied verbatim below) with
its transform (torchvision's Compose of ToTensor, Normalize and Lambda) on the first 16 training and
16 test images of Fashion-MNIST, with Net([784, 32, 32]) (the class takes its dims; main uses
[784, 500, 500]) and args epochs 3, lr 0.03, threshold 2, log_interval 1: each layer's 3 Adam steps,
their printed losses, the last gradients, the weight changes, and predict() on both sets.
The initial weights go to a safetensors file under Nabla's keys (layers.0.weight, …): PyTorch's own
state_dict() of this Net is empty, since the original keeps its layers in a plain list.

Run: /usr/bin/python3 scripts/ports/mnist_forward_forward_ref.py
Writes fixtures/ports/mnist_forward_forward.json and fixtures/ports/mnist_forward_forward.safetensors.
"""
import contextlib
import gzip
import io
import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn as nn
from torch.optim import Adam
from torchvision.transforms import Compose, ToTensor, Normalize, Lambda

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import safetensors_torch  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "fixtures", "ports")
FMNIST = "/usr/share/datasets/fashion-mnist"
ORIGINAL = ("https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/"
            "mnist_forward_forward/main.py")
PROBE_STEP = 0.7548776662466927
N = 16
DIMS = [784, 32, 32]

# The original's globals, as its __main__ block sets them (the flags this fixture uses).
args = SimpleNamespace(epochs=3, lr=0.03, threshold=2.0, log_interval=1)
device = torch.device("cpu")


# ---- copied verbatim from pytorch/examples mnist_forward_forward/main.py at commit
# 77f55b912142e11fcfdf5b530231fb9c52f181e8 (BSD-3-Clause, Copyright (c) 2017 PyTorch contributors;
# based on Mohammad Pezeshki's pytorch_forward_forward, MIT)
def get_y_neg(y):
    y_neg = y.clone()
    for idx, y_samp in enumerate(y):
        allowed_indices = list(range(10))
        allowed_indices.remove(y_samp.item())
        y_neg[idx] = torch.tensor(allowed_indices)[
            torch.randint(len(allowed_indices), size=(1,))
        ].item()
    return y_neg.to(device)


def overlay_y_on_x(x, y, classes=10):
    x_ = x.clone()
    x_[:, :classes] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Net(torch.nn.Module):
    def __init__(self, dims):

        super().__init__()
        self.layers = []
        for d in range(len(dims) - 1):
            self.layers = self.layers + [Layer(dims[d], dims[d + 1]).to(device)]

    def predict(self, x):
        goodness_per_label = []
        for label in range(10):
            h = overlay_y_on_x(x, label)
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness = goodness + [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        goodness_per_label = torch.cat(goodness_per_label, 1)
        return goodness_per_label.argmax(1)

    def train(self, x_pos, x_neg):
        h_pos, h_neg = x_pos, x_neg
        for i, layer in enumerate(self.layers):
            print("training layer: ", i)
            h_pos, h_neg = layer.train(h_pos, h_neg)


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=args.lr)
        self.threshold = args.threshold
        self.num_epochs = args.epochs

    def forward(self, x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train(self, x_pos, x_neg):
        for i in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            loss = torch.log1p(
                torch.exp(
                    torch.cat([-g_pos + self.threshold, g_neg - self.threshold])
                )
            ).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            if i % args.log_interval == 0:
                print("Loss: ", loss.item())
        return self.forward(x_pos).detach(), self.forward(x_neg).detach()
# ---- end of the verbatim copy


def read_idx(name):
    with gzip.open(os.path.join(FMNIST, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def summary(t):
    x = t.detach().double().flatten()
    n = x.numel()
    probe = torch.sin(torch.arange(n, dtype=torch.float64) * PROBE_STEP + 0.5)
    at = sorted({(j * 2654435761) % n for j in range(8)})
    return {
        "numel": n, "sum": float(x.sum()), "l1": float(x.abs().sum()), "l2sq": float((x * x).sum()),
        "probe": float((x * probe).sum()), "maxabs": float(x.abs().max()),
        "at": at, "values": [float(x[i]) for i in at],
    }


def main():
    # the original's transform, applied as its MNIST dataset applies it (to each 28×28 uint8 image)
    transform = Compose(
        [
            ToTensor(),
            Normalize((0.1307,), (0.3081,)),
            Lambda(lambda x: torch.flatten(x)),
        ]
    )
    train_images, train_labels = read_idx("train-images-idx3-ubyte.gz")[:N], read_idx("train-labels-idx1-ubyte.gz")[:N]
    test_images, test_labels = read_idx("t10k-images-idx3-ubyte.gz")[:N], read_idx("t10k-labels-idx1-ubyte.gz")[:N]
    x = torch.stack([transform(im.copy()) for im in train_images])
    y = torch.tensor(train_labels.astype(np.int64))
    x_te = torch.stack([transform(im.copy()) for im in test_images])
    y_te = torch.tensor(test_labels.astype(np.int64))

    torch.manual_seed(0)
    net = Net(DIMS)
    os.makedirs(OUT, exist_ok=True)
    initial = {f"layers.{i}.{k}": v.detach().clone() for i, layer in enumerate(net.layers) for k, v in layer.state_dict().items()}
    safetensors_torch.save(initial, os.path.join(OUT, "mnist_forward_forward.safetensors"))

    x_pos = overlay_y_on_x(x, y)
    y_neg = get_y_neg(y)
    x_neg = overlay_y_on_x(x, y_neg)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        net.train(x_pos, x_neg)
    losses = [float(line.split()[-1]) for line in printed.getvalue().splitlines() if line.startswith("Loss:")]
    pred = net.predict(x)
    pred_te = net.predict(x_te)
    fixture = {
        "original": ORIGINAL, "torch": torch.__version__, "dims": DIMS, "probe_step": PROBE_STEP,
        "args": vars(args), "train_images": N, "test_images": N,
        "x": summary(x), "x_pos": summary(x_pos), "x_neg": summary(x_neg),
        "y": y.tolist(), "y_neg": y_neg.tolist(), "y_te": y_te.tolist(),
        "printed": printed.getvalue().splitlines(), "losses": losses,
        "grads": {f"layers.{i}.{k}": summary(p.grad) for i, layer in enumerate(net.layers) for k, p in layer.named_parameters()},
        "weight_change": {f"layers.{i}.{k}": summary(p.detach() - initial[f"layers.{i}.{k}"])
                          for i, layer in enumerate(net.layers) for k, p in layer.named_parameters()},
        "predict_train": pred.tolist(), "predict_test": pred_te.tolist(),
        "train_error": 1.0 - pred.eq(y).float().mean().item(),
        "test_error": 1.0 - pred_te.eq(y_te).float().mean().item(),
    }
    with open(os.path.join(OUT, "mnist_forward_forward.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {OUT}/mnist_forward_forward.json and .safetensors; losses {losses}; "
          f"train error {fixture['train_error']}, test error {fixture['test_error']}")


if __name__ == "__main__":
    main()
