#!/usr/bin/python3
"""PyTorch's numbers for the siamese_network port (test/ports-siamese_network.test.ts).

Runs the ORIGINAL program's SiameseNetwork (copied verbatim below) on torchvision's resnet18
(Debian's python3-torchvision 0.14.1) through the original's training step — BCELoss, Adadelta
(lr 1.0) and StepLR (step_size 1, gamma 0.7) — for 3 epochs of one batch of 4 Fashion-MNIST pairs
each (what `--dry-run --batch-size 4` does: one batch per epoch, then scheduler.step()), then the
original's test() on one batch in eval mode. In float64 (the model cast with .double()) for every
step — in float32 the network is too ill-conditioned to compare past one step, even PyTorch against
itself (see the note in main) — and in float32 for the first step.

ResNet-18 has 11.4 M parameters (45 MB of float32), too much to commit three times over, so:
- the initial weights are a periodic pattern (period 251, a phase per tensor, scaled like PyTorch's
  own init) written by PyTorch as safetensors and gzipped: deflate shrinks the repeats to ~100 KB.
  The test loads that file — PyTorch's names, shapes, int64 num_batches_tracked — into the port.
- each gradient, each weight change after the steps and each buffer is written as a summary
  computed in float64: numel, sum, sum of |x|, sum of x², the dot product with a fixed probe
  sin(0.7548776662466927·i + 0.5), max |x| and 8 elements at fixed positions. A wrong element
  moves the probe product and the sums; the samples pin single values.

Run: /usr/bin/python3 scripts/ports/siamese_network_ref.py
Writes fixtures/ports/siamese_network.json and fixtures/ports/siamese_network.safetensors.gz.
"""
import copy
import gzip
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torch import optim
from torch.optim.lr_scheduler import StepLR

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import safetensors_torch  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "fixtures", "ports")
FMNIST = "/usr/share/datasets/fashion-mnist"
ORIGINAL = ("https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/"
            "siamese_network/main.py")
PERIOD = 251
PROBE_STEP = 0.7548776662466927
BATCH = 4
EPOCHS = 3


# ---- copied verbatim from pytorch/examples siamese_network/main.py at commit
# 77f55b912142e11fcfdf5b530231fb9c52f181e8 (BSD-3-Clause, Copyright (c) 2017 PyTorch contributors)
class SiameseNetwork(nn.Module):
    """
        Siamese network for image similarity estimation.
        The network is composed of two identical networks, one for each input.
        The output of each network is concatenated and passed to a linear layer. 
        The output of the linear layer passed through a sigmoid function.
        `"FaceNet" <https://arxiv.org/pdf/1503.03832.pdf>`_ is a variant of the Siamese network.
        This implementation varies from FaceNet as we use the `ResNet-18` model from
        `"Deep Residual Learning for Image Recognition" <https://arxiv.org/pdf/1512.03385.pdf>`_ as our feature extractor.
        In addition, we aren't using `TripletLoss` as the MNIST dataset is simple, so `BCELoss` can do the trick.
    """
    def __init__(self):
        super(SiameseNetwork, self).__init__()
        # get resnet model
        self.resnet = torchvision.models.resnet18(weights=None)

        # over-write the first conv layer to be able to read MNIST images
        # as resnet18 reads (3,x,x) where 3 is RGB channels
        # whereas MNIST has (1,x,x) where 1 is a gray-scale channel
        self.resnet.conv1 = nn.Conv2d(1, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)
        self.fc_in_features = self.resnet.fc.in_features
        
        # remove the last layer of resnet18 (linear layer which is before avgpool layer)
        self.resnet = torch.nn.Sequential(*(list(self.resnet.children())[:-1]))

        # add linear layers to compare between the features of the two images
        self.fc = nn.Sequential(
            nn.Linear(self.fc_in_features * 2, 256),
            nn.ReLU(inplace=True),
            nn.Linear(256, 1),
        )

        self.sigmoid = nn.Sigmoid()

        # initialize the weights
        self.resnet.apply(self.init_weights)
        self.fc.apply(self.init_weights)
        
    def init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    def forward_once(self, x):
        output = self.resnet(x)
        output = output.view(output.size()[0], -1)
        return output

    def forward(self, input1, input2):
        # get two images' features
        output1 = self.forward_once(input1)
        output2 = self.forward_once(input2)

        # concatenate both images' features
        output = torch.cat((output1, output2), 1)

        # pass the concatenation to the linear layers
        output = self.fc(output)

        # pass the out of the linear layers to sigmoid layer
        output = self.sigmoid(output)
        
        return output
# ---- end of the verbatim copy


def read_idx(name):
    with gzip.open(os.path.join(FMNIST, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def pattern(n, k):
    """The periodic values in [-1, 1] that tensor number k is filled with (i = 0..n-1)."""
    i = torch.arange(n, dtype=torch.float64)
    return (torch.remainder(i * 7 + k * 13, PERIOD) / ((PERIOD - 1) / 2) - 1).float()


def set_pattern_weights(model):
    """Every float tensor of the state dict becomes a periodic pattern scaled like its own init."""
    with torch.no_grad():
        for k, (name, t) in enumerate(model.state_dict().items()):
            if not t.is_floating_point():
                continue
            p = pattern(t.numel(), k).reshape(t.shape)
            if name.endswith("running_var") or (name.endswith(".weight") and t.dim() == 1):
                t.copy_(1 + 0.25 * p)  # batch-norm scales and variances: around 1
            elif name.endswith("running_mean") or t.dim() == 1:
                t.copy_(0.1 * p)  # shifts, means and biases: small
            else:
                t.copy_(float(t.std()) * math.sqrt(3) * p)  # the variance of the init it replaces


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


def run(model, dtype, batches, test_batch):
    """The original's train() for one batch per epoch, then scheduler.step(); then its test() on test_batch."""
    initial = {k: v.clone() for k, v in model.named_parameters()}
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    criterion = nn.BCELoss()
    steps = []
    for images_1, images_2, targets in batches:
        # train(): one batch (--dry-run stops after the first logged batch)
        model.train()
        images_1, images_2, targets = images_1.to(dtype), images_2.to(dtype), targets.to(dtype)
        optimizer.zero_grad()
        outputs = model(images_1, images_2).squeeze()
        loss = criterion(outputs, targets)
        loss.backward()
        steps.append({
            "lr": optimizer.param_groups[0]["lr"], "loss": float(loss), "outputs": outputs.tolist(),
            "grads": {k: summary(p.grad) for k, p in model.named_parameters()},
        })
        optimizer.step()
        scheduler.step()
    out = {"steps": steps}
    if test_batch is None:
        return out
    out["weight_change"] = {k: summary(p.detach() - initial[k]) for k, p in model.named_parameters()}
    out["buffers"] = {k: (summary(v) if v.is_floating_point() else int(v)) for k, v in model.named_buffers()}
    # test() on one batch of 4 test-set pairs, in eval mode (running statistics)
    model.eval()
    t1, t2, t_targets = (t.to(dtype) for t in test_batch)
    with torch.no_grad():
        outputs = model(t1, t2).squeeze()
        test_loss = criterion(outputs, t_targets).sum().item()
        pred = torch.where(outputs > 0.5, 1, 0)
        correct = pred.eq(t_targets.view_as(pred)).sum().item()
    out["eval"] = {"outputs": outputs.tolist(), "test_loss": test_loss, "correct": correct}
    return out


def main():
    torch.manual_seed(0)
    model = SiameseNetwork()
    set_pattern_weights(model)
    os.makedirs(OUT, exist_ok=True)
    st_path = os.path.join(OUT, "siamese_network.safetensors")
    safetensors_torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, st_path)
    with open(st_path, "rb") as f:
        raw = f.read()
    os.remove(st_path)
    with open(st_path + ".gz", "wb") as f:
        f.write(gzip.compress(raw, 9, mtime=0))
    # Fixed pairs: images 0..23 of the training set, 4 pairs per epoch, targets 1, 0, 1, 0 (the
    # original labels even indices as same-class pairs); raw 0..255 pixels as float, as the original.
    images = read_idx("train-images-idx3-ubyte.gz")
    test_images = read_idx("t10k-images-idx3-ubyte.gz")
    batches = []
    for e in range(EPOCHS):
        base = e * 2 * BATCH
        x1 = torch.tensor(images[base:base + BATCH].astype(np.float32)).unsqueeze(1)
        x2 = torch.tensor(images[base + BATCH:base + 2 * BATCH].astype(np.float32)).unsqueeze(1)
        batches.append((x1, x2, torch.tensor([1.0, 0.0, 1.0, 0.0])))
    t1 = torch.tensor(test_images[0:BATCH].astype(np.float32)).unsqueeze(1)
    t2 = torch.tensor(test_images[BATCH:2 * BATCH].astype(np.float32)).unsqueeze(1)
    t_targets = torch.tensor([1.0, 0.0, 1.0, 0.0])

    fixture = {
        "original": ORIGINAL, "torch": torch.__version__, "torchvision": torchvision.__version__,
        "period": PERIOD, "probe_step": PROBE_STEP,
        "keys": list(model.state_dict().keys()),
        "shapes": {k: list(v.shape) for k, v in model.state_dict().items()},
        "train_images": list(range(0, EPOCHS * 2 * BATCH)), "test_images": list(range(0, 2 * BATCH)),
        "inputs": [[b[0].flatten().int().tolist(), b[1].flatten().int().tolist(), b[2].tolist()] for b in batches],
        "test_inputs": [t1.flatten().int().tolist(), t2.flatten().int().tolist(), t_targets.tolist()],
        # This network in float32 is ill-conditioned (raw 0..255 pixels, batch norm over 4 values per
        # channel at layer4, Adadelta at lr 1.0): PyTorch's own float32 and float64 gradients differ by
        # 7e-4 of their scale after one step and by 100% after three. So every step is compared in
        # float64 (the same weights, cast), and float32 only for the first step.
        "float32": run(copy.deepcopy(model), torch.float32, batches[:1], None),
        "float64": run(copy.deepcopy(model).double(), torch.float64, batches, (t1, t2, t_targets)),
    }
    with open(os.path.join(OUT, "siamese_network.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {OUT}/siamese_network.json and .safetensors.gz ({len(raw)} bytes before gzip); "
          f"float64 losses {[s['loss'] for s in fixture['float64']['steps']]}")


if __name__ == "__main__":
    main()
