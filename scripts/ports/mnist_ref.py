#!/usr/bin/python3
"""PyTorch's reference for examples/ports/mnist.ts: the Net class of pytorch/examples mnist/main.py
(BSD-3-Clause, Copyright (c) 2017 the PyTorch examples contributors; commit in port_fixture.COMMIT),
copied verbatim, trained by the original's step (zero_grad, forward, nll_loss, backward, Adadelta
step) with its StepLR on 8 real Fashion-MNIST images for 3 steps, the scheduler stepped after each
(one step stands for one epoch). Dropout is made the identity on both sides (a forward hook on each
dropout module returns its input; the model stays in train mode): the libraries' random streams differ.
Run: /usr/bin/python3 scripts/ports/mnist_ref.py  →  fixtures/ports/mnist.safetensors
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR

from port_fixture import Fixture, fashion_mnist, round_to_half


# ---- verbatim from mnist/main.py
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output
# ---- end of the verbatim copy


def near_ties(model, data):
    """Max-pool windows whose two largest values differ by less than 2e-6 relative (yet are not
    equal), and ReLU inputs within 1e-7 of zero (relative to the largest), at these weights: float32
    rounding decides where their gradient goes, which two libraries need not agree on (seen: one
    window 2.4e-7 apart sent conv2's weight gradient 3e-4 off). An exact tie is fine: both take the first."""
    with torch.no_grad():
        c1 = model.conv1(data)
        c2 = model.conv2(F.relu(c1))
        a = F.relu(c2)
        w = a.unfold(2, 2, 2).unfold(3, 2, 2).reshape(-1, 4).sort(dim=1, descending=True).values
        gap = w[:, 0] - w[:, 1]
        ties = ((gap > 0) & (gap < 2e-6 * w[:, 0].abs())).sum().item()
        h = model.fc1(torch.flatten(F.max_pool2d(a, 2), 1))
        zeros = sum(((t.abs() < 1e-7 * t.abs().max()) & (t != 0)).sum().item() for t in (c1, c2, h))
    return ties + zeros


def run(seed, data, target):
    torch.manual_seed(seed)
    model = Net()
    round_to_half(model)
    fx = Fixture('mnist')
    fx.put_init(model)
    fx.put('input', data)
    fx.put('target', target)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    model.train()
    for m in (model.dropout1, model.dropout2):
        m.register_forward_hook(lambda module, args, out: args[0])
    losses, lrs = [], []
    for step in range(3):
        if near_ties(model, data):
            return None
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        if step == 0:
            fx.put('output', output)
            fx.put_params('grad.', model, grads=True)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        lrs.append(optimizer.param_groups[0]['lr'])
    fx.put_scalars('loss', losses)
    fx.put_scalars('lr', lrs)
    fx.put_params('after.', model)
    # the original's test(): summed nll_loss and correct predictions in eval mode, after the steps
    model.eval()
    with torch.no_grad():
        output = model(data)
        test_loss = F.nll_loss(output, target, reduction='sum').item()
        pred = output.argmax(dim=1, keepdim=True)
        correct = pred.eq(target.view_as(pred)).sum().item()
    fx.put_scalars('test', [test_loss, correct])
    return fx


def main():
    images, target = fashion_mnist(8)
    # transforms.ToTensor() then transforms.Normalize((0.1307,), (0.3081,)), as torchvision computes them
    data = ((images.float().div(255) - 0.1307) / 0.3081).unsqueeze(1)
    # the first seed whose weights meet no near-tie in any of the steps (see near_ties)
    for seed in range(1, 100):
        fx = run(seed, data, target)
        if fx is not None:
            break
    else:
        raise RuntimeError('no seed in 1..99 avoids near-ties')
    print('seed', seed)
    fx.save(program='mnist/main.py', seed=str(seed))


if __name__ == '__main__':
    main()
