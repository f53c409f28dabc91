#!/usr/bin/python3
"""PyTorch's reference for examples/ports/regression.ts: make_features, f, poly_desc and get_batch of
pytorch/examples regression/main.py (BSD-3-Clause, Copyright (c) 2017 the PyTorch examples
contributors; commit in port_fixture.COMMIT), copied verbatim, and the original's loop body (zero_grad,
smooth_l1_loss, backward, param.data.add_(-0.1 * param.grad)) for 3 batches from a seeded start:
the target polynomial, each batch, each loss, the gradients of the first step and the weights after 3.
Run: /usr/bin/python3 scripts/ports/regression_ref.py  →  fixtures/ports/regression.safetensors
"""
import torch
import torch.nn.functional as F

from port_fixture import Fixture

torch.manual_seed(0)

# ---- verbatim from regression/main.py
POLY_DEGREE = 4
W_target = torch.randn(POLY_DEGREE, 1) * 5
b_target = torch.randn(1) * 5


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE+1)], 1)


def f(x):
    """Approximated function."""
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    """Creates a string description of a polynomial."""
    result = 'y = '
    for i, w in enumerate(W):
        result += '{:+.2f} x^{} '.format(w, i + 1)
    result += '{:+.2f}'.format(b[0])
    return result


def get_batch(batch_size=32):
    """Builds a batch i.e. (x, f(x)) pair."""
    random = torch.randn(batch_size)
    x = make_features(random)
    y = f(x)
    return x, y


# Define model
fc = torch.nn.Linear(W_target.size(0), 1)
# ---- end of the verbatim copy


def main():
    fx = Fixture('regression')
    fx.put_init(fc)
    with torch.no_grad():  # the initial weights as stored (float16-exact)
        for k, p in fc.named_parameters():
            p.copy_(fx.tensors['init.' + k].float())
    fx.put('W_target', W_target)
    fx.put('b_target', b_target)
    losses = []
    for batch_idx in range(1, 4):
        batch_x, batch_y = get_batch()
        fx.put('random.%d' % batch_idx, batch_x[:, 0])
        fx.put('batch_x.%d' % batch_idx, batch_x)
        fx.put('batch_y.%d' % batch_idx, batch_y)
        # ---- the loop body, verbatim
        # Reset gradients
        fc.zero_grad()

        # Forward pass
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()

        # Backward pass
        output.backward()

        # Apply gradients
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
        # ---- end of the loop body
        losses.append(loss)
        if batch_idx == 1:
            fx.put_params('grad.', fc, grads=True)
    fx.put_scalars('loss', losses)
    fx.put_params('after.', fc)
    # poly_desc on fixed values that exercise its signs and rounding (-0.004 prints as -0.00)
    fx.save(program='regression/main.py',
            desc_target=poly_desc(W_target.view(-1), b_target),
            desc_fixed=poly_desc(torch.tensor([1.005, -2.5, 0.0, -0.004]), torch.tensor([3.14159])))


if __name__ == '__main__':
    main()
