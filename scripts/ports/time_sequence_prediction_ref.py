#!/usr/bin/python3
"""PyTorch's reference for examples/ports/time_sequence_prediction.ts: the Sequence class of
pytorch/examples time_sequence_prediction/train.py and the data of generate_sine_wave.py
(BSD-3-Clause, Copyright (c) 2017 the PyTorch examples contributors; commit in port_fixture.COMMIT),
copied verbatim, trained by the original's loop (LBFGS lr=0.8, MSELoss, the closure, the no-grad
prediction with `future` steps) in float64 on a slice of the original's data: rows 3..6 to train,
0..2 to test, the first 21 time points of each; 2 steps with future = 5. Written: the initial weights,
every loss the closure printed, the gradients of the first closure call, the closure calls each step
took, each test loss and prediction, and the weights after the last step.
Run: /usr/bin/python3 scripts/ports/time_sequence_prediction_ref.py  →  fixtures/ports/time_sequence_prediction.safetensors
"""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

from port_fixture import Fixture, round_to_half

LENGTH = 21
STEPS = 2
FUTURE = 5


# ---- verbatim from time_sequence_prediction/train.py
class Sequence(nn.Module):
    def __init__(self):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)

    def forward(self, input, future = 0):
        outputs = []
        h_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):# if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs
# ---- end of the verbatim copy


def sine_wave_data():
    # ---- verbatim from time_sequence_prediction/generate_sine_wave.py (but the file it saves)
    np.random.seed(2)

    T = 20
    L = 1000
    N = 100

    x = np.empty((N, L), 'int64')
    x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    data = np.sin(x / 1.0 / T).astype('float64')
    # ---- end
    return data


def main():
    data = sine_wave_data()[:7, :LENGTH]
    np.random.seed(0)
    torch.manual_seed(0)
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    seq = Sequence()
    seq.double()
    round_to_half(seq)
    fx = Fixture('time_sequence_prediction')
    fx.put_init(seq)
    fx.put('data', torch.from_numpy(data))
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    losses, test_losses = [], []
    for i in range(STEPS):
        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            losses.append(loss.item())
            loss.backward()
            if len(losses) == 1:
                fx.put('output', out)
                fx.put_params('grad.', seq, grads=True)
            return loss
        optimizer.step(closure)
        fx.put_scalars('evals.%d' % i, [len(losses)])
        with torch.no_grad():
            future = FUTURE
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            test_losses.append(loss.item())
            fx.put('pred.%d' % i, pred)
    fx.put_params('after.', seq)
    fx.put_scalars('loss', losses)
    fx.put_scalars('test_loss', test_losses)
    fx.save(program='time_sequence_prediction/train.py', length=str(LENGTH), steps=str(STEPS), future=str(FUTURE))
    print(len(losses), 'closure calls; losses', losses[:3], '...', losses[-1], 'test', test_losses)


if __name__ == '__main__':
    main()
