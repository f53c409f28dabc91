# bench/torch_peer.py's issue-14 workloads, written as the PyTorch programs people port: nanoGPT's
# char-level GPT (training; generation with a full forward per token and with a KV cache), the
# word_language_model Transformer, pytorch/examples' VAE and a DCGAN for 28×28 images.
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import torch_peer as P

job = P.job


# ---- nanoGPT (model.py, bias=True, dropout 0) -------------------------------------------------------------

class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        C = c["nEmbd"]
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.n_head = c["nHead"]
        self.register_buffer("bias", torch.tril(torch.ones(c["block"], c["block"])).view(1, 1, c["block"], c["block"]))

    def forward(self, x, cache=None):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        hs = C // self.n_head
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        if cache is not None:  # generation with a KV cache: the keys and values of the tokens before these
            if cache:
                k = torch.cat([cache[0], k], 2)
                v = torch.cat([cache[1], v], 2)
            cache[:] = [k, v]
        S = k.size(2)
        # torch 1.13 has no F.scaled_dot_product_attention: nanoGPT's own "slow attention" path
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(self.bias[:, :, S - T:S, :S] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c["nEmbd"], 4 * c["nEmbd"])
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * c["nEmbd"], c["nEmbd"])

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["nEmbd"])
        self.attn = CausalSelfAttention(c)
        self.ln_2 = nn.LayerNorm(c["nEmbd"])
        self.mlp = MLP(c)

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.wte = nn.Embedding(c["vocab"], c["nEmbd"])
        self.wpe = nn.Embedding(c["block"], c["nEmbd"])
        self.h = nn.ModuleList([Block(c) for _ in range(c["nLayer"])])
        self.ln_f = nn.LayerNorm(c["nEmbd"])
        self.lm_head = nn.Linear(c["nEmbd"], c["vocab"], bias=False)
        self.wte.weight = self.lm_head.weight  # weight tying
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * c["nLayer"]))

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            torch.nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None, caches=None):
        b, t = idx.size()
        pos0 = caches[0][0].size(2) if caches and caches[0] else 0
        pos = torch.arange(pos0, pos0 + t, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for i, block in enumerate(self.h):
            x = block(x, caches[i] if caches else None)
        x = self.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return self.lm_head(x[:, [-1], :]), None


def gpt_optimizer(model, s):
    """nanoGPT's configure_optimizers: weight decay on the 2-D weights, none on biases and norms."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": s["weightDecay"]},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=s["lr"], betas=tuple(s["betas"]))


def text_data():
    tokens = torch.from_numpy(P.u8("text.u8").astype(np.int64))
    offsets = torch.from_numpy(np.fromfile(f'{job["dataDir"]}/lstm-offsets.i32', dtype=np.int32).astype(np.int64))
    return tokens, offsets


def gpt():
    s = job["gpt"]
    tokens, offsets = text_data()
    n_steps = offsets.shape[0] // s["batch"]
    ar = torch.arange(s["seq"])
    torch.manual_seed(0)
    model = GPT(s)
    opt = gpt_optimizer(model, s)

    def step(i):  # nanoGPT's train.py: forward, backward, clip, step
        o = offsets[(i % n_steps) * s["batch"]:(i % n_steps + 1) * s["batch"]]
        idx = o[:, None] + ar[None, :]
        _, loss = model(tokens[idx], tokens[idx + 1])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), s["clip"])
        opt.step()
        return loss.item()

    return P.train_windows(s, step)


def gpt_gen():
    """Greedy, batch 1, each token read back as it comes: nanoGPT's generate (a forward over the whole
    context per token), then the same with a KV cache (one token per forward)."""
    s = job["gptGen"]
    tokens, _ = text_data()
    torch.manual_seed(0)
    model = GPT(s).eval()
    prompt = [int(tokens[0])]

    def generate(cached):
        ids = list(prompt)
        caches = [[] for _ in range(s["nLayer"])] if cached else None
        with torch.no_grad():
            for _ in range(s["newTokens"]):
                inp = ids[-s["block"]:] if not cached or not caches[0] else ids[-1:]
                logits, _ = model(torch.tensor([inp]), caches=caches)
                ids.append(int(logits[0, -1].argmax()))
        return ids

    out = {}
    for key, cached in (("genFull", False), ("genCached", True)):
        generate(cached)  # warm-up
        t = []
        t0 = time.perf_counter()
        while len(t) < s["runs"] and (len(t) < 2 or time.perf_counter() - t0 < s["capS"]):
            a = time.perf_counter(); generate(cached); t.append(time.perf_counter() - a)
        t.sort()
        out[key] = s["newTokens"] / t[len(t) // 2]
    return out


# ---- word_language_model, --model Transformer (the example's TransformerModel) ------------------------------

class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

    def forward(self, x):
        return self.dropout(x + self.pe[:x.size(0), :])


class TransformerModel(nn.Module):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout):
        super().__init__()
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.transformer_encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout), nlayers)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, src):
        if self.src_mask is None or self.src_mask.size(0) != len(src):
            n = len(src)
            self.src_mask = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
        src = self.pos_encoder(self.encoder(src) * math.sqrt(self.ninp))
        output = self.decoder(self.transformer_encoder(src, self.src_mask))
        return F.log_softmax(output, dim=-1)


def wlm():
    s = job["wlm"]
    words = torch.from_numpy(np.fromfile(f'{job["dataDir"]}/words.i32', dtype=np.int32).astype(np.int64))
    with open(f'{job["dataDir"]}/words.json') as f:
        ntokens = json.load(f)["vocab"]
    rows = words.shape[0] // s["batch"]
    data = words[:rows * s["batch"]].view(s["batch"], -1).t().contiguous()  # batchify: [rows, batch]
    n_steps = (rows - 1) // s["seq"]
    torch.manual_seed(0)
    model = TransformerModel(ntokens, s["emsize"], s["nhead"], s["nhid"], s["nlayers"], s["dropout"])
    model.train()
    criterion = nn.NLLLoss()

    def step(k):  # main.py's train(): get_batch, forward, clip, p.data.add_(p.grad, alpha=-lr)
        i = (k % n_steps) * s["seq"]
        x, y = data[i:i + s["seq"]], data[i + 1:i + 1 + s["seq"]].reshape(-1)
        model.zero_grad()
        loss = criterion(model(x).view(-1, ntokens), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), s["clip"])
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-s["lr"])
        return loss.item()

    return P.train_windows(s, step)


# ---- pytorch/examples vae (784-400-20) -------------------------------------------------------------------

class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x):
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(logvar) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def vae():
    spec = job["vae"]
    tx, _, _, _ = P.fashion()
    torch.manual_seed(0)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=spec["lr"])
    B = spec["batch"]
    model.train()

    def step(i):
        x = tx[i * B:(i + 1) * B]
        opt.zero_grad()
        recon, mu, logvar = model(x)
        bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = bce + kld
        loss.backward()
        total = loss.item()
        opt.step()
        return total / B

    return P.train_epoch(spec, tx.shape[0], step)


# ---- DCGAN (pytorch/examples dcgan, sized for 28×28: 7 → 14 → 28) -------------------------------------------

def dcgan_nets(s):
    nz, ngf, ndf = s["nz"], s["ngf"], s["ndf"]
    g = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 7, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False), nn.Sigmoid())

    def weights_init(m):
        name = m.__class__.__name__
        if name.find("Conv") != -1:
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif name.find("BatchNorm") != -1:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    g.apply(weights_init)
    d.apply(weights_init)
    return g, d


def dcgan():
    s = job["dcgan"]
    tx, _, _, _ = P.fashion()
    real_all = tx * 2 - 1  # Normalize((0.5,), (0.5,))
    torch.manual_seed(0)
    netG, netD = dcgan_nets(s)
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=s["lr"], betas=(s["beta1"], 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=s["lr"], betas=(s["beta1"], 0.999))
    B = s["batch"]

    def step(i):  # main.py's loop body: (1) update D on real and fake, (2) update G
        real = real_all[i * B:(i + 1) * B].view(B, 1, 28, 28)
        netD.zero_grad()
        label = torch.full((B,), 1.0)
        errD_real = criterion(netD(real).view(-1), label)
        errD_real.backward()
        fake = netG(torch.randn(B, s["nz"], 1, 1))
        label.fill_(0.0)
        errD_fake = criterion(netD(fake.detach()).view(-1), label)
        errD_fake.backward()
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        errG = criterion(netD(fake).view(-1), label)
        errG.backward()
        optG.step()
        return errD_real.item() + errD_fake.item() + errG.item()

    return P.train_epoch(s, tx.shape[0], step)


GENERATIVE = {"gpt": gpt, "gpt-gen": gpt_gen, "wlm": wlm, "vae": vae, "dcgan": dcgan}
