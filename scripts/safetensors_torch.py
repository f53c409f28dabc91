#!/usr/bin/python3
"""A short safetensors reader/writer for PyTorch, written from the format's spec (Debian ships
torch but no `safetensors` package). Import `load`/`save`, or run it (used by Nabla's tests):

  safetensors_torch.py dump FILE          print {"tensors": {name: {dtype, shape, values}}, "metadata"} as JSON
  safetensors_torch.py make-fixture FILE  write a file of known torch tensors, print its dump as JSON
  safetensors_torch.py forward FILE SPEC IN.npy OUT.npy
      build torch.nn.Sequential from SPEC (JSON: [["Linear", [784, 10], {}], ["ReLU"], ...]), load FILE's
      weights into it (strict; keys under __optimizer__. are skipped), run it in eval mode on IN.npy,
      save the output to OUT.npy (float32 in, float32 out)
"""
import json
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
MAX_HEADER = 100_000_000


def load(path):
    """Returns (tensors: dict[str, torch.Tensor], metadata: dict[str, str])."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} is invalid for a {len(data)}-byte file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    covered = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        shape = list(info["shape"])
        if begin != covered or end > len(body):
            raise ValueError(f"{path}: tensor {name!r} has bad data_offsets {begin, end}")
        covered = end
        numel = 1
        for d in shape:
            numel *= d
        if numel * torch.empty((), dtype=dtype).element_size() != end - begin:
            raise ValueError(f"{path}: tensor {name!r}: shape {shape} does not match {end - begin} bytes")
        if numel == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            # bytearray: frombuffer needs a writable buffer; clone() detaches from it.
            tensors[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype).reshape(shape).clone()
    if covered != len(body):
        raise ValueError(f"{path}: tensors do not cover the data section")
    return tensors, metadata


def save(tensors, path, metadata=None):
    """Writes tensors (dict[str, torch.Tensor]) in sorted name order, header padded to 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        # Reinterpret as bytes without numpy (numpy has no bfloat16).
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.dtype != torch.bool else t.to(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def dump(tensors, metadata):
    out = {}
    for name, t in tensors.items():
        out[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "values": t.reshape(-1).tolist()}
    return {"tensors": out, "metadata": metadata}


def make_fixture():
    """Known tensors, each value computed by torch (the test compares against torch's tolist())."""
    g = torch.Generator().manual_seed(0)
    return {
        "linear.weight": torch.randn(3, 4, generator=g),
        "linear.bias": torch.arange(3, dtype=torch.float32) / 8 - 0.125,
        "double": torch.linspace(-1, 1, 5, dtype=torch.float64),
        "counts": torch.tensor([[1, -2], [2**31 - 1, -2**31]], dtype=torch.int32),
        "steps": torch.tensor(123456, dtype=torch.int64),
        "index": torch.arange(6, dtype=torch.int64).reshape(2, 3) - 3,
        "mask": torch.tensor([True, False, True]),
        "half": torch.tensor([0.5, -2.0, 65504.0, 6e-8, 0.1], dtype=torch.float16),
        "bhalf": torch.tensor([1.0, -3.5, 1e30, 0.1], dtype=torch.bfloat16),
        "empty": torch.zeros(0, 4),
        "bytes": torch.tensor([0, 7, 255], dtype=torch.uint8),
    }, {"format": "pt", "producer": "torch " + torch.__version__}


def build_sequential(spec):
    layers = []
    for item in spec:
        name = item[0]
        args = item[1] if len(item) > 1 else []
        kwargs = item[2] if len(item) > 2 else {}
        cls = getattr(torch.nn, name, None)
        if cls is None:
            raise ValueError(f"torch.nn has no layer {name!r}")
        layers.append(cls(*args, **kwargs))
    return torch.nn.Sequential(*layers)


def forward(path, spec_json, inp, out):
    import numpy as np
    model = build_sequential(json.loads(spec_json))
    tensors, _ = load(path)
    state = {k: v for k, v in tensors.items() if not k.startswith("__optimizer__.")}
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        y = model(torch.from_numpy(np.load(inp)))
    np.save(out, y.numpy())


def main(argv):
    if len(argv) == 6 and argv[1] == "forward":
        forward(*argv[2:])
        return 0
    if len(argv) != 3 or argv[1] not in ("dump", "make-fixture"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "make-fixture":
        tensors, metadata = make_fixture()
        save(tensors, argv[2], metadata)
    else:
        tensors, metadata = load(argv[2])
    print(json.dumps(dump(tensors, metadata)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
