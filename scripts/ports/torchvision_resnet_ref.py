#!/usr/bin/python3
"""PyTorch's numbers for the torchvision ResNet port (test/ports-torchvision_resnet.test.ts), from
torchvision 0.14.1 itself (Debian's python3-torchvision): the state-dict keys and shapes of resnet18,
resnet34 and resnet50 (resnet18's numbers are checked through the siamese_network port), and one
Bottleneck block with a strided downsample in float64, train mode: its output, the gradient of the
input and of every parameter for the cotangent sin(i), and the batch-norm buffers after the step.

Run: /usr/bin/python3 scripts/ports/torchvision_resnet_ref.py
Writes fixtures/ports/torchvision_resnet.json.
"""
import json
import os

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import Bottleneck, conv1x1

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "fixtures", "ports")


def main():
    out = {"torchvision": torchvision.__version__, "torch": torch.__version__}
    for name in ["resnet18", "resnet34", "resnet50"]:
        sd = getattr(torchvision.models, name)(weights=None).state_dict()
        out[name] = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in sd.items()]

    torch.manual_seed(0)
    downsample = nn.Sequential(conv1x1(8, 16, 2), nn.BatchNorm2d(16))
    block = Bottleneck(8, 4, stride=2, downsample=downsample).double()
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    params = {k: v.detach().clone() for k, v in block.state_dict().items()}
    x = torch.randn(2, 8, 6, 6, dtype=torch.float64, requires_grad=True)
    y = block(x)
    cot = torch.sin(torch.arange(y.numel(), dtype=torch.float64)).reshape(y.shape)
    (y * cot).sum().backward()
    out["bottleneck"] = {
        "state": {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in params.items()},
        "x": {"shape": list(x.shape), "data": x.detach().flatten().tolist()},
        "y": {"shape": list(y.shape), "data": y.detach().flatten().tolist()},
        "grad_x": x.grad.flatten().tolist(),
        "grads": {k: p.grad.flatten().tolist() for k, p in block.named_parameters()},
        "buffers_after": {k: v.flatten().tolist() for k, v in block.named_buffers()},
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "torchvision_resnet.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {OUT}/torchvision_resnet.json")


if __name__ == "__main__":
    main()
