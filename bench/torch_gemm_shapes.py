# PyTorch's (OpenBLAS) GEMM at given shapes, best of 31 — the same shapes as bench/gemm-shapes.ts:
# /usr/bin/python3 bench/torch_gemm_shapes.py 2048,64,192,0,1 256,2048,64,1,0 …   (m,k,n,transA,transB;
# OPENBLAS_NUM_THREADS=1 for one core; torch.set_num_threads(1) as nabla bench runs it)
import sys
import time

import torch

torch.set_num_threads(1)
for spec in sys.argv[1:]:
    m, k, n, ta, tb = map(int, spec.split(","))
    a = torch.rand(k, m).t() if ta else torch.rand(m, k)
    b = torch.rand(n, k).t() if tb else torch.rand(k, n)
    for _ in range(5):
        a @ b
    best = float("inf")
    for _ in range(31):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    print(f"{m}×{k}×{n} tA={ta} tB={tb}: {best * 1e3:.3f} ms, {2 * m * n * k / best / 1e9:.1f} GFLOP/s")
