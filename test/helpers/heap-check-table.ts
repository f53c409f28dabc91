// A broad table of ops, layers and short training runs at awkward sizes (the tails of SIMD loops,
// GEMMs with m or n of 1–3, strided copies, bool outputs) for the wasm heap check: run as a script
// with NABLA_HEAP_CHECK=1 it reports every case whose kernels wrote outside their blocks.

import * as nb from '../../src/index.js';

type T = nb.Tensor;
const { F, nn, optim } = nb;

/** Sizes that end inside a SIMD vector and a 4- or 16-wide unrolled loop. */
const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 65];
/** GEMM extents around the kernels' register tiles and packed panels. */
const DIMS = [1, 2, 3, 4, 5, 7, 8, 9, 13, 17];

const f32 = (shape: number[], grad = false): T => nb.randn(shape, { requiresGrad: grad });
const f64 = (shape: number[], grad = false): T => nb.randn(shape, { dtype: 'float64', requiresGrad: grad });
const i32 = (shape: number[], hi = 9): T => nb.randint(-hi, hi, shape, { dtype: 'int32' });
const mask = (shape: number[]): T => nb.gt(nb.randn(shape), 0);
const back = (y: T): void => y.sum().backward();

export const cases: [string, () => void][] = [];
const add = (name: string, fn: () => void): void => void cases.push([name, fn]);

for (const n of SIZES) {
  add(`elementwise float32/float64 [${n}] + backward`, () => {
    for (const mk of [f32, f64]) {
      const a = mk([n], true), b = mk([n], true);
      const ops = [nb.add(a, b), nb.sub(a, b), nb.mul(a, b), nb.div(a, nb.add(nb.abs(b), 1)), nb.maximum(a, b), nb.minimum(a, b),
        nb.exp(a), nb.log1p(nb.abs(a)), nb.sqrt(nb.abs(a)), nb.tanh(a), nb.sigmoid(a), nb.relu(a), nb.erf(a), nb.square(a),
        nb.sin(a), nb.cos(a), nb.pow(nb.abs(a), 1.5), nb.clamp(a, -0.5, 0.5), F.gelu(a), F.silu(a), F.softplus(a), F.elu(a), F.leakyRelu(a)];
      back(nb.stack(ops));
      nb.floor(a); nb.ceil(a); nb.round(a); nb.sign(a); nb.reciprocal(nb.add(nb.abs(a), 1)); nb.rsqrt(nb.add(nb.abs(a), 1));
    }
  });
  add(`int32 and bool [${n}]: arithmetic, comparisons, logic, casts`, () => {
    const a = i32([n]), b = i32([n]);
    nb.add(a, b); nb.sub(a, b); nb.mul(a, b); nb.maximum(a, b); nb.neg(a); nb.abs(a);
    const fa = f32([n]), fb = f32([n]);
    for (const [x, y] of [[a, b], [fa, fb]] as const) {
      const m = [nb.eq(x, y), nb.ne(x, y), nb.lt(x, y), nb.le(x, y), nb.gt(x, y), nb.ge(x, y), nb.eq(x, 0), nb.lt(x, 1)];
      nb.logicalAnd(m[0]!, m[2]!); nb.logicalOr(m[1]!, m[3]!); nb.logicalNot(m[4]!);
      for (const k of m) { nb.cast(k, 'float32'); nb.cast(k, 'int32'); nb.where(k, x, y); nb.maskedFill(x, k, 3); nb.sum(k); }
    }
    for (const d of ['float32', 'float64', 'int32', 'bool'] as const) for (const e of ['float32', 'float64', 'int32', 'bool'] as const) nb.cast(nb.cast(fa, d), e);
  });
  add(`broadcasting and reductions over [3, ${n}] and [${n}, 5]`, () => {
    const a = f32([3, n], true), b = f32([1, n], true), c = f32([3, 1], true);
    back(nb.add(nb.mul(a, b), c));
    const x = f32([n, 5], true);
    for (const dim of [0, 1]) {
      back(nb.sum(x, dim)); back(nb.mean(x, dim)); back(nb.amax(x, dim)); back(nb.logsumexp(x, dim)); back(nb.std(x, dim));
      nb.argmax(x, dim); nb.argmin(x, dim); nb.max(x, dim); nb.min(x, dim); nb.cumsum(x, dim); nb.prod(x, dim); nb.norm(x, 2, dim);
      back(F.softmax(x, dim)); back(F.logSoftmax(x, dim));
    }
    nb.sum(x); nb.mean(x); nb.amax(x); nb.argmax(x); nb.sum(i32([n, 5]), 1); nb.cumsum(i32([n, 5]), 0); nb.sum(f64([n, 5]), 0);
  });
  add(`shape ops and strided copies at [${n}, 3, 2]`, () => {
    const x = f32([n, 3, 2], true);
    const outs = [nb.contiguous(nb.permute(x, [2, 0, 1])), nb.flip(x, [0, 2]), nb.slice(x, 0, 0, n, 2), nb.narrow(x, 1, 1, 2),
      nb.repeat(x, [1, 2, 1]), nb.expand(nb.slice(x, 1, 0, 1), [n, 4, 2]), nb.cat([x, x], 1), nb.stack([x, x], 2),
      nb.pad(x, [1, 2, 0, 1]), nb.pad(x, [1, 1], { mode: 'reflect' }), nb.transpose(x, 0, 2).reshape([-1])];
    for (const o of outs) back(o);
    nb.split(x, 2, 0); nb.chunk(x, 2, 1);
    const xi = i32([n, 3, 2]); nb.contiguous(nb.permute(xi, [2, 0, 1])); nb.cat([xi, xi], 2);
    const xb = mask([n, 3, 2]); nb.contiguous(nb.transpose(xb, 0, 2)); nb.cat([xb, xb], 0); nb.flip(xb, [1]);
  });
  add(`indexing: gather, scatterAdd, indexSelect, indexAdd, embedding, oneHot with ${n} rows`, () => {
    const x = f32([n, 6], true);
    const idx = nb.randint(0, 6, [n, 3], { dtype: 'int32' });
    back(nb.gather(x, 1, idx));
    back(nb.scatterAdd(x, 1, idx, f32([n, 3], true)));
    const rows = nb.randint(0, n, [7], { dtype: 'int32' });
    back(nb.indexSelect(x, 0, rows));
    back(nb.indexAdd(x, 0, rows, f32([7, 6], true)));
    const w = f32([n, 5], true);
    back(F.embedding(rows, w));
    nb.oneHot(rows, n);
  });
}

for (const m of DIMS) for (const n of [1, 2, 3, 5, 8, 17]) {
  add(`matmul [${m}, k] × [k, ${n}] for k in 1, 3, 8, 33 (+ backward, float64, batched)`, () => {
    for (const k of [1, 3, 8, 33]) {
      const a = f32([m, k], true), b = f32([k, n], true);
      back(nb.matmul(a, b));
      back(nb.matmul(nb.t(b), nb.t(a)));
      nb.matmul(f64([m, k]), f64([k, n]));
      back(nb.matmul(f32([2, m, k], true), f32([2, k, n], true)));
      back(nb.matmul(f32([3, m, k], true), b));
      back(F.linear(a, f32([n, k], true), f32([n], true)));
    }
    nb.matmul(f32([m]), f32([m, n])); nb.matmul(f32([n, m]), f32([m]));
  });
}

for (const [cin, cout, hw, k, stride, pad] of [[1, 1, 5, 3, 1, 1], [3, 5, 7, 3, 1, 1], [2, 3, 9, 3, 2, 0], [4, 8, 8, 3, 1, 1], [3, 2, 6, 1, 1, 0],
  [5, 7, 11, 5, 2, 2], [16, 17, 10, 3, 1, 1], [8, 3, 13, 3, 1, 0], [1, 4, 4, 2, 2, 0]] as const) {
  add(`conv2d ${cin}→${cout} on ${hw}×${hw}, k ${k}, stride ${stride}, padding ${pad} (+ backward, pools, fused)`, () => {
    for (const n of [1, 3]) {
      const x = f32([n, cin, hw, hw], true), w = f32([cout, cin, k, k], true), bias = f32([cout], true);
      const conv = (): T => F.conv2d(x, w, bias, { stride, padding: pad });
      const y = conv();
      back(y);
      back(F.relu(F.conv2d(x, w, bias, { stride, padding: pad })));
      if (y.shape[2]! >= 2) {
        back(F.maxPool2d(conv(), 2)); back(F.avgPool2d(conv(), 2)); back(F.adaptiveAvgPool2d(conv(), 1));
        back(F.maxPool2d(F.relu(conv()), 2));
        nb.noGrad(() => F.maxPool2d(F.relu(F.conv2d(x, w, bias, { stride, padding: pad })), 2));
      }
      back(F.convTranspose2d(f32([n, cout, 4, 4], true), f32([cout, cin, k, k], true), bias.shape[0] === cin ? bias : null, { stride }));
    }
    back(F.conv1d(f32([2, cin, hw + 2], true), f32([cout, cin, k], true), f32([cout], true), { padding: pad }));
    back(F.maxPool1d(f32([2, cin, hw + 1], true), 2)); back(F.avgPool1d(f32([2, cin, hw + 1], true), 3));
  });
}

// Large enough to be split over threads: a part's tail past its end, or the last part's past the block's.
add('threaded: elementwise, comparisons, casts, reductions, softmax, copies at odd sizes near 10⁶', () => {
  for (const n of [1_000_003, 262_147]) {
    for (const mk of [f32, f64]) {
      const a = mk([n], true), b = mk([n], true);
      back(nb.add(nb.mul(nb.tanh(a), b), nb.exp(nb.neg(nb.abs(b)))));
      nb.where(nb.lt(a, b), a, b); nb.cast(nb.gt(a, 0), 'float32'); nb.sum(a); nb.cumsum(a, 0); nb.amax(a);
    }
    const i = i32([n]); nb.add(i, i); nb.eq(i, 3); nb.cast(i, 'float32'); nb.sum(i);
  }
  const x = f32([1001, 1003], true);
  back(F.softmax(x, 1)); back(F.logSoftmax(x, 0)); back(nb.contiguous(nb.t(x))); back(nb.sum(x, 0)); nb.argmax(x, 1);
  back(nb.cat([x, x], 1)); back(nb.flip(x, [1])); back(nb.slice(x, 1, 1, 1000, 3));
});

add('threaded: matmul 257×129×255, 1×4099×3, 4097×2×5, batched 9×65×33×31 (+ backward)', () => {
  for (const [m, k, n] of [[257, 129, 255], [1, 4099, 3], [4097, 2, 5], [3, 1000, 1001]]) back(nb.matmul(f32([m, k], true), f32([k, n], true)));
  back(nb.matmul(f32([9, 65, 33], true), f32([9, 33, 31], true)));
  back(F.linear(f32([513, 67], true), f32([65, 67], true), f32([65], true)));
});

add('threaded: conv2d 3×3 (Winograd) and 5×5 on 8×16×33×33, 1×1, pools (+ backward)', () => {
  const x = f32([8, 16, 33, 33], true);
  back(F.conv2d(x, f32([32, 16, 3, 3], true), f32([32], true), { padding: 1 }));
  back(F.conv2d(x, f32([7, 16, 5, 5], true), null, { stride: 2 }));
  back(F.conv2d(x, f32([5, 16, 1, 1], true), f32([5], true)));
  back(F.relu(F.conv2d(f32([8, 3, 35, 35], true), f32([16, 3, 3, 3], true), f32([16], true), { padding: 1 })));
  back(F.maxPool2d(x, 3, { stride: 2 })); back(F.avgPool2d(x, 2));
});

add('layers: norms, dropout, embedding, depthwise conv, activations', () => {
  for (const c of [1, 3, 17]) {
    back(new nn.BatchNorm1d(c).forward(f32([5, c], true)));
    back(new nn.BatchNorm2d(c).forward(f32([2, c, 3, 5], true)));
    back(new nn.LayerNorm(c).forward(f32([3, 2, c], true)));
    back(new nn.GroupNorm(1, c).forward(f32([2, c, 4], true)));
    back(new nn.Dropout(0.3).forward(f32([4, c], true)));
    back(new nn.Dropout2d(0.5).forward(f32([2, c, 3, 3], true)));
    back(new nn.Conv2d(c, c, 3, { groups: c, padding: 1 }).forward(f32([2, c, 5, 5], true)));
    const e = new nn.Embedding(11, c, { paddingIdx: 0 });
    back(e.forward(nb.randint(0, 11, [3, 4], { dtype: 'int32' })));
  }
});

for (const [mode, Cls] of [['RNN', nn.RNN], ['GRU', nn.GRU], ['LSTM', nn.LSTM]] as const) {
  add(`${mode}: 1 and 2 layers, bidirectional, hidden 1, 3, 17 (+ backward)`, () => {
    for (const hidden of [1, 3, 17]) {
      for (const bidirectional of [false, true]) {
        const rnn = new Cls(5, hidden, { numLayers: 2, bidirectional, batchFirst: true });
        const [y] = rnn.forward(f32([3, 7, 5], true)) as [T, unknown];
        back(y);
      }
    }
  });
}

add('attention: scaledDotProductAttention, MultiheadAttention, TransformerEncoderLayer, Transformer', () => {
  for (const [L, S] of [[1, 1], [3, 5], [9, 17]]) {
    back(F.scaledDotProductAttention(f32([2, 3, L, 8], true), f32([2, 3, S, 8], true), f32([2, 3, S, 8], true), { isCausal: L === S }));
    const mha = new nn.MultiheadAttention(12, 3);
    back(mha.forward(f32([L, 2, 12], true), f32([S, 2, 12], true), f32([S, 2, 12], true))[0]);
  }
  const enc = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 13 });
  back(enc.forward(f32([5, 3, 8], true)));
  const tr = new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 12 });
  back(tr.forward(f32([6, 2, 8], true), f32([3, 2, 8], true)));
});

add('losses: crossEntropy, nllLoss, mse, l1, smoothL1, bce, klDiv, ctcLoss', () => {
  for (const [n, c] of [[1, 2], [3, 5], [17, 10]]) {
    const x = f32([n, c], true), y = nb.randint(0, c, [n], { dtype: 'int32' });
    back(F.crossEntropy(x, y)); back(F.crossEntropy(x, y, { labelSmoothing: 0.1 })); back(F.nllLoss(F.logSoftmax(x, 1), y));
    const t = f32([n, c]);
    back(F.mseLoss(x, t)); back(F.l1Loss(x, t)); back(F.smoothL1Loss(x, t)); back(F.huberLoss(x, t));
    back(F.binaryCrossEntropyWithLogits(x, nb.cast(mask([n, c]), 'float32')));
    back(F.binaryCrossEntropy(nb.sigmoid(x), nb.cast(mask([n, c]), 'float32')));
    back(F.klDiv(F.logSoftmax(x, 1), F.softmax(t, 1)));
  }
  const lp = F.logSoftmax(f32([12, 3, 6], true), 2);
  back(F.ctcLoss(lp, nb.randint(1, 6, [3, 4], { dtype: 'int32' }), [12, 10, 7], [4, 2, 3]));
});

add('training: an MLP with Adam, a conv net with SGD, a GRU with AdamW and clipping', () => {
  const mlp = new nn.Sequential(new nn.Linear(7, 13), new nn.ReLU(), new nn.Linear(13, 3));
  const conv = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(4 * 3 * 3, 3));
  const gru = new nn.GRU(3, 5, { batchFirst: true });
  const head = new nn.Linear(5, 2);
  const opts = [new optim.Adam(mlp.parameters(), { lr: 1e-2 }), new optim.SGD(conv.parameters(), { lr: 1e-2, momentum: 0.9 }),
    new optim.AdamW([...gru.parameters(), ...head.parameters()], { lr: 1e-2 })];
  for (let step = 0; step < 3; step++) {
    nb.scope(() => {
      for (const o of opts) o.zeroGrad();
      F.crossEntropy(mlp.forward(f32([9, 7])), nb.randint(0, 3, [9], { dtype: 'int32' })).backward();
      F.crossEntropy(conv.forward(f32([5, 1, 7, 7])), nb.randint(0, 3, [5], { dtype: 'int32' })).backward();
      const [h] = gru.forward(f32([4, 6, 3]));
      F.mseLoss(head.forward(h), f32([4, 6, 2])).backward();
      optim.clipGradNorm([...gru.parameters(), ...head.parameters()], 1);
      for (const o of opts) o.step();
    });
  }
});

/**
 * Runs every case in its own scope, verifying the heap after each (each kernel is checked too when
 * the heap check is on). Returns the failures as "case: message".
 */
export function runTable(): { cases: number; failures: string[] } {
  const failures: string[] = [];
  nb.manualSeed(0);
  for (const [name, fn] of cases) {
    try {
      nb.scope(() => fn());
      nb.checkHeap();
    } catch (e) {
      failures.push(`${name}: ${(e as Error).stack ?? e}`);
    }
  }
  return { cases: cases.length, failures };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const info = nb.getBackend().info();
  const t0 = Date.now();
  const { cases: n, failures } = runTable();
  const after = nb.getBackend().info();
  console.log(JSON.stringify({ backend: info.backend, heapCheck: info.heapCheck, cases: n, failures: failures.length, kernelChecks: after.heapKernelChecks, seconds: (Date.now() - t0) / 1000 }));
  for (const f of failures) console.error(f);
  process.exitCode = failures.length > 0 ? 1 : 0;
}
