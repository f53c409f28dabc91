#!/usr/bin/python3
# PyTorch's side of test/ports-vae.test.ts: the ORIGINAL pytorch/examples vae/main.py (commit
# 77f55b912142e11fcfdf5b530231fb9c52f181e8; BSD-3-Clause, (c) the PyTorch contributors) — its VAE
# class, loss_function, train and test, copied verbatim below — run on the first 24 training and
# 8 test images of Fashion-MNIST (Debian's dataset-fashion-mnist, standing in for MNIST) in batches
# of 8, without shuffling. torch.randn_like is wrapped to record every eps the reparameterisation
# draws, so that the port can be given the same ones. Writes fixtures/ports/vae/vae.safetensors:
# the images (images.*), initial weights (init.*), the eps in order (eps.0 for the first batch's
# step below, eps.1-3 for train(1)'s batches, eps.4 for test(1)'s), every gradient of the first
# batch's loss (grad.*), the weights after train(1) — 3 Adam steps — (step.*), and in the metadata
# the first batch's loss and what train(1) and test(1) printed.
# Run: /usr/bin/python3 scripts/ports/vae_ref.py
import contextlib
import gzip
import io
import os
import sys
import tempfile

import numpy as np
import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F
from torchvision.utils import save_image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
from safetensors_torch import save  # noqa: E402

OUT = os.path.join(HERE, '..', '..', 'fixtures', 'ports', 'vae', 'vae.safetensors')
FMNIST = '/usr/share/datasets/fashion-mnist'


def idx_images(name, n):
    with gzip.open(os.path.join(FMNIST, name), 'rb') as f:
        raw = f.read()
    assert int.from_bytes(raw[:4], 'big') == 2051
    pixels = np.frombuffer(raw[16:16 + n * 784], dtype=np.uint8).reshape(n, 1, 28, 28)
    return torch.from_numpy(pixels.astype(np.float32) / 255.0)  # transforms.ToTensor()


class Args:
    batch_size = 8
    log_interval = 10


args = Args()
device = torch.device("cpu")

# ---------------------------------------------------------------- vae/main.py (verbatim)


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()

        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5*logvar)
        eps = torch.randn_like(std)
        return mu + eps*std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')

    # see Appendix B from VAE paper:
    # Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    # https://arxiv.org/abs/1312.6114
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    return BCE + KLD


def train(epoch):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader),
                loss.item() / len(data)))

    print('====> Epoch: {} Average loss: {:.4f}'.format(
          epoch, train_loss / len(train_loader.dataset)))


def test(epoch):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n],
                                      recon_batch.view(args.batch_size, 1, 28, 28)[:n]])
                save_image(comparison.cpu(),
                         'results/reconstruction_' + str(epoch) + '.png', nrow=n)

    test_loss /= len(test_loader.dataset)
    print('====> Test set loss: {:.4f}'.format(test_loss))

# ---------------------------------------------------------------- the run (not from the original)


EPS = []
_randn_like = torch.randn_like


def recording_randn_like(t, *a, **k):
    e = _randn_like(t, *a, **k)
    EPS.append(e.detach().clone())
    return e


if __name__ == '__main__':
    torch.set_num_threads(1)
    torch.manual_seed(1)
    torch.randn_like = recording_randn_like
    train_images, test_images = idx_images('train-images-idx3-ubyte.gz', 24), idx_images('t10k-images-idx3-ubyte.gz', 8)
    train_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train_images, torch.zeros(24)), batch_size=8, shuffle=False)
    test_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(test_images, torch.zeros(8)), batch_size=8, shuffle=False)
    model = VAE().to(device)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    tensors = {'images.train': train_images, 'images.test': test_images}
    tensors.update({f'init.{k}': v.detach().clone() for k, v in model.state_dict().items()})

    # the first batch as train() computes it: loss, then every gradient
    model.train()
    data = train_images[:8]
    optimizer.zero_grad()
    recon_batch, mu, logvar = model(data)
    loss = loss_function(recon_batch, data, mu, logvar)
    loss.backward()
    tensors.update({f'grad.{k}': p.grad.detach().clone() for k, p in model.named_parameters()})
    optimizer.zero_grad()

    printed = io.StringIO()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(printed):
        os.chdir(tmp)
        os.mkdir('results')
        train(1)
        tensors.update({f'step.{k}': v.detach().clone() for k, v in model.state_dict().items()})
        test(1)
        os.chdir(cwd)
    assert len(EPS) == 5, len(EPS)
    tensors.update({f'eps.{i}': e for i, e in enumerate(EPS)})
    meta = {'loss': repr(loss.item()), 'printed': printed.getvalue()}
    save(tensors, OUT, meta)
    print(meta)
