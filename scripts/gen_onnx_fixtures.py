# Writes fixtures/onnx/*.onnx and fixtures/onnx/torch.json: one small model per layer kind exported by
# real PyTorch (torch.onnx.export, opset 17, dynamic batch), with inputs at two batch sizes and the
# outputs PyTorch computes for them (eval mode) — what nb.onnx.importModel must reproduce.
#
# Run with Debian's torch: /usr/bin/python3 scripts/gen_onnx_fixtures.py

import io
import json
import os

import torch
import torch.nn as nn

torch.manual_seed(1813)
OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'onnx')
CASES = []


def enc(t):
    t = t.detach()
    dtype = 'int32' if t.dtype in (torch.int64, torch.int32) else 'float32'
    return {'shape': list(t.shape), 'dtype': dtype, 'data': [float('%.9g' % v) if dtype == 'float32' else int(v) for v in t.reshape(-1).tolist()]}


class View(nn.Module):
    """x.view(x.size(0), -1): what PyTorch exports as a Shape → Gather → Unsqueeze → Concat → Reshape subgraph."""
    def forward(self, x):
        return x.view(x.size(0), -1)


class LM(nn.Module):
    """A small LSTM language model: Embedding → 2-layer LSTM → Linear over the vocabulary."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.lstm = nn.LSTM(8, 12, num_layers=2, batch_first=True)
        self.head = nn.Linear(12, 20)

    def forward(self, x):
        return self.head(self.lstm(self.emb(x))[0])


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):
        return self.mha(x, x, x, need_weights=False)[0]


class Recur(nn.Module):
    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out, h = self.rnn(x)
        return out, (h[0] if isinstance(h, tuple) else h)


def stats(m):
    """Non-trivial running statistics so eval-mode normalisation is really tested."""
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.5, 0.5)
    return m


def case(name, model, make_input, inputs_are_ints=False):
    model = stats(model).eval()
    x2, x5 = make_input(2), make_input(5)
    buf = io.BytesIO()
    outs = model(x2)
    n_out = len(outs) if isinstance(outs, tuple) else 1
    out_names = ['output'] if n_out == 1 else ['output%d' % i for i in range(n_out)]
    dyn = {'input': {0: 'batch'}}
    for n in out_names:
        dyn[n] = {0: 'batch'}
    torch.onnx.export(model, (x2,), buf, opset_version=17, input_names=['input'], output_names=out_names,
                      dynamic_axes=dyn, do_constant_folding=True)
    fname = name + '.onnx'
    with open(os.path.join(OUT, fname), 'wb') as f:
        f.write(buf.getvalue())
    runs = []
    with torch.no_grad():
        for x in (x2, x5):
            y = model(x)
            ys = list(y) if isinstance(y, tuple) else [y]
            runs.append({'input': enc(x), 'outputs': [enc(t) for t in ys]})
    CASES.append({'name': name, 'file': fname, 'runs': runs})


img = lambda c, h, w: (lambda n: torch.randn(n, c, h, w))
seq = lambda l, f: (lambda n: torch.randn(n, l, f))

case('linear', nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3)), lambda n: torch.randn(n, 6))
case('linear3d', nn.Linear(6, 4), seq(3, 6))
case('conv1d', nn.Sequential(nn.Conv1d(3, 4, 3, stride=2, padding=1), nn.MaxPool1d(2), nn.Conv1d(4, 2, 2, dilation=2)), lambda n: torch.randn(n, 3, 16))
case('conv2d', nn.Sequential(nn.Conv2d(4, 6, 3, padding=1, groups=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 4, 3, stride=2, dilation=1, padding=(1, 0)), nn.AvgPool2d(2, ceil_mode=False)), img(4, 12, 12))
case('conv_transpose', nn.Sequential(nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), nn.Tanh()), img(3, 5, 5))
case('pools', nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False), nn.AdaptiveAvgPool2d(1), nn.Flatten()), img(2, 9, 9))
case('cnn', nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                          View(), nn.Dropout(0.3), nn.Linear(8 * 7 * 7, 16), nn.ReLU(), nn.Linear(16, 10)), img(1, 28, 28))
case('norms', nn.Sequential(nn.GroupNorm(2, 4), nn.Conv2d(4, 4, 1), nn.Flatten(), nn.LayerNorm(4 * 3 * 3), nn.BatchNorm1d(36)), img(4, 3, 3))
case('activations', nn.Sequential(nn.Linear(5, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.ELU(0.7), nn.Linear(8, 8), nn.GELU(),
                                  nn.Linear(8, 8), nn.SiLU(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Softplus(),
                                  nn.Linear(8, 8), nn.Softmax(dim=1), nn.Linear(8, 8), nn.LogSoftmax(dim=1)), lambda n: torch.randn(n, 5) * 2)
case('embedding', nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 3)), lambda n: torch.randint(0, 10, (n, 3)))
case('lstm', Recur(nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)), seq(4, 5))
case('gru', Recur(nn.GRU(5, 6, num_layers=2, bidirectional=True, batch_first=True)), seq(4, 5))
case('rnn', Recur(nn.RNN(5, 6, nonlinearity='relu', batch_first=True)), seq(4, 5))
case('lstm_lm', LM(), lambda n: torch.randint(0, 20, (n, 7)))
case('attention', Attn(), seq(5, 8))
case('transformer', nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True), seq(5, 8))

with open(os.path.join(OUT, 'torch.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'opset': 17, 'cases': CASES}, f)
print('wrote %d cases to fixtures/onnx' % len(CASES))
