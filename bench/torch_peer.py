# bench/run.ts's PyTorch peer: the same MLP / CNN / char-LSTM / inference workloads on the same data
# files (bench/peers/data.ts), same timing rules as bench/peers/common.ts; prints one "@@RESULT {json}" line.
# Issue 14's workloads (GPT, word-LM Transformer, VAE, DCGAN) are in torch_generative.py.
# Run by bench/run.ts: /usr/bin/python3 bench/torch_peer.py '<job json>'  (OPENBLAS_NUM_THREADS set by it)
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)  # with OpenBLAS on every core: PyTorch's best setting on 2 cores (notes/peers.md)
job = json.loads(sys.argv[1])
LIB = f"PyTorch {torch.__version__}"
THREADS = f"1 + BLAS {os.environ.get('OPENBLAS_NUM_THREADS', '?')}"


def u8(name):
    return np.fromfile(os.path.join(job["dataDir"], name), dtype=np.uint8)


def fashion():
    tx = torch.from_numpy(u8("train-x.u8").astype(np.float32) / 255).reshape(-1, 784)
    ty = torch.from_numpy(u8("train-y.u8").astype(np.int64))
    sx = torch.from_numpy(u8("test-x.u8").astype(np.float32) / 255).reshape(-1, 784)
    sy = torch.from_numpy(u8("test-y.u8").astype(np.int64))
    return tx, ty, sx, sy


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))


def run_steps(until, warmup, cap_s, step):
    """runSteps in common.ts: up to `warmup` untimed steps (fewer once they took cap/4), then timed steps
    until `until` or until the next one would pass the cap; a warm-up longer than the cap is the (cold) measurement."""
    losses = []; i = 0; start = time.perf_counter()
    while i < min(warmup, until):
        losses.append(step(i)); i += 1
        if time.perf_counter() - start > cap_s / 4:
            break
    warm_s = time.perf_counter() - start
    if warm_s > cap_s or i >= until:
        return losses, i, i, warm_s, True, []
    t0 = time.perf_counter(); timed = 0; stamps = [t0]
    while i < until:
        losses.append(step(i)); i += 1; timed += 1
        stamps.append(time.perf_counter())
        el = stamps[-1] - t0
        if el + el / timed > cap_s:
            break
    return losses, i, timed, time.perf_counter() - t0, False, stamps


def mean_last(a, n):
    last = a[-n:]
    return sum(last) / len(last)


def train_epoch(spec, n_train, step):
    planned = min(spec["steps"], n_train // spec["batch"])
    losses, steps, timed, sec, cold, _ = run_steps(planned, spec["warmup"], spec["capS"], step)
    return {"perS": timed * spec["batch"] / sec, "steps": steps, "stepsPlanned": planned, "seconds": sec, "loss": mean_last(losses, 50), "cold": cold}


def classifier(kind):
    spec = job[kind]
    tx, ty, sx, sy = fashion()
    torch.manual_seed(0)
    m = mlp() if kind == "mlp" else cnn()
    opt = torch.optim.SGD(m.parameters(), lr=spec["lr"], momentum=0.9) if kind == "mlp" else torch.optim.Adam(m.parameters(), lr=spec["lr"])
    shape = (lambda b: (b, 784)) if kind == "mlp" else (lambda b: (b, 1, 28, 28))
    B = spec["batch"]
    m.train()

    def step(i):
        x = tx[i * B:(i + 1) * B].reshape(shape(B)); y = ty[i * B:(i + 1) * B]
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    r = train_epoch(spec, tx.shape[0], step)
    m.eval()
    n = min(spec["testN"], sx.shape[0]); right = 0; done = 0; t0 = time.perf_counter()
    with torch.no_grad():
        while done < n:  # accuracy() in common.ts: batches of 250 until n or the eval cap
            b = min(250, n - done)
            right += int((m(sx[done:done + b].reshape(shape(b))).argmax(1) == sy[done:done + b]).sum())
            done += b
            el = time.perf_counter() - t0
            if el + el * 250 / done > spec["evalCapS"]:
                break
    return {**r, "testAcc": right / done, "testN": done}


def lstm():
    s = job["lstm"]
    tokens = torch.from_numpy(u8("text.u8").astype(np.int64))
    offsets = torch.from_numpy(np.fromfile(os.path.join(job["dataDir"], "lstm-offsets.i32"), dtype=np.int32).astype(np.int64))
    n_steps = offsets.shape[0] // s["batch"]
    ar = torch.arange(s["seq"])
    torch.manual_seed(0)
    emb = nn.Embedding(65, 64); rnn = nn.LSTM(64, 256, batch_first=True); head = nn.Linear(256, 65)
    opt = torch.optim.Adam([*emb.parameters(), *rnn.parameters(), *head.parameters()], lr=s["lr"])

    def step(i):
        o = offsets[(i % n_steps) * s["batch"]:(i % n_steps + 1) * s["batch"]]
        idx = o[:, None] + ar[None, :]
        x = tokens[idx]; y = tokens[idx + 1].reshape(-1)
        opt.zero_grad()
        out, _ = rnn(emb(x))
        loss = F.cross_entropy(head(out.reshape(-1, 256)), y)
        loss.backward()
        opt.step()
        return loss.item()

    return train_windows(s, step)


def train_windows(s, step):
    """trainWindows in common.ts: tokens/s (batch · seq per step), the median over windows of windowSteps timed steps."""
    tokens_per_step = s["batch"] * s["seq"]
    losses, steps, timed, sec, cold, stamps = run_steps(s["warmup"] + s["windowSteps"] * s["windows"], s["warmup"], s["capS"], step)
    if cold:
        return {"perS": timed * tokens_per_step / sec, "steps": steps, "seconds": sec, "loss": mean_last(losses, s["windowSteps"]), "cold": True}
    # windows of windowSteps timed steps (stamps[0] = end of the warm-up); a short last window counts with its steps
    rates = []
    for w in range(0, timed, s["windowSteps"]):
        e = min(w + s["windowSteps"], timed)
        rates.append((e - w) * tokens_per_step / (stamps[e] - stamps[w]))
    rates.sort()
    return {"perS": rates[len(rates) // 2], "steps": steps, "seconds": sec, "loss": mean_last(losses, s["windowSteps"]), "cold": False}


def median_ms(f, window_s, warm=3):
    for _ in range(warm):
        f()
    t = []; t0 = time.perf_counter()
    while len(t) < 5 or (time.perf_counter() - t0 < window_s and len(t) < 1000):
        s = time.perf_counter(); f(); t.append((time.perf_counter() - s) * 1000)
    t.sort()
    return t[len(t) // 2]


def infer():
    _, _, sx, _ = fashion()
    torch.manual_seed(0)
    m = cnn().eval()
    out = []
    with torch.no_grad():
        for b in job["infer"]["batches"]:
            x = sx[:b].reshape(b, 1, 28, 28).clone()
            out.append(median_ms(lambda: m(x), job["infer"]["windowS"]))
    return {"ms": out}


if __name__ == "__main__":  # torch_generative.py imports the helpers above
    from torch_generative import GENERATIVE
    WORK = {"mlp": lambda: classifier("mlp"), "cnn": lambda: classifier("cnn"), "lstm": lstm, "infer": infer, **GENERATIVE}
    try:
        res = {"lib": LIB, "threads": THREADS, **WORK[job["workload"]]()}
    except Exception as e:  # a workload it cannot run becomes a "cannot" row with the error
        res = {"lib": LIB, "threads": THREADS, "cannot": f"{type(e).__name__}: {e}".split("\n")[0]}
    print("@@RESULT " + json.dumps(res), flush=True)
