// Training-step throughput of the MLP, CNN and char-LSTM/GRU (synthetic batches, so it measures compute,
// not data loading) and the CNN's inference latency: nabla on the wasm backend (N threads and 1)
// and on js, against PyTorch via /usr/bin/python3 when torch imports.
// Run: npm run build:kernels && node --import tsx bench/train-step.ts
// Quick: node --import tsx bench/train-step.ts --only mlp,lstm [--repeat 5] [--threads N] — the wasm row only (N threads),
// one line per workload with the median (and range) of `repeat` windows, the workloads interleaved
// (A/B: --only gru,gru-composite compares the fused GRU recurrence with its composite).
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as nb from '../src/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';

const W = await createWasmBackend();
nb.registerBackend(W);
const CORES = availableParallelism();
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 1500);

function mlp() {
  return new nb.nn.Sequential(new nb.nn.Linear(784, 512), new nb.nn.ReLU(), new nb.nn.Linear(512, 256), new nb.nn.ReLU(), new nb.nn.Linear(256, 10));
}
function cnn() {
  return new nb.nn.Sequential(
    new nb.nn.Conv2d(1, 32, 3), new nb.nn.ReLU(), new nb.nn.MaxPool2d(2),
    new nb.nn.Conv2d(32, 64, 3), new nb.nn.ReLU(), new nb.nn.MaxPool2d(2),
    new nb.nn.Flatten(), new nb.nn.Linear(1600, 128), new nb.nn.ReLU(), new nb.nn.Linear(128, 10));
}

/** Median ms of f over a window after warm-up. */
function timeMs(f: () => void, warm = 3): number {
  for (let i = 0; i < warm; i++) f();
  const t: number[] = [];
  const t0 = performance.now();
  while (t.length < 5 || (performance.now() - t0 < WINDOW_MS && t.length < 500)) {
    const s = performance.now(); f(); t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1]!;
}

function trainStep(kind: 'mlp' | 'cnn'): number {
  nb.manualSeed(0);
  const model = kind === 'mlp' ? mlp() : cnn();
  const batch = kind === 'mlp' ? 128 : 64;
  const opt = kind === 'mlp' ? new nb.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }) : new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = nb.keep(kind === 'mlp' ? nb.randn([batch, 784]) : nb.randn([batch, 1, 28, 28]));
  const y = nb.keep(nb.randint(0, 10, [batch]));
  const ms = timeMs(() => nb.scope(() => {
    opt.zeroGrad();
    const loss = nb.F.crossEntropy(model.forward(x) as nb.Tensor, y);
    loss.backward();
    opt.step();
  }));
  x.dispose(); y.dispose();
  return (batch / ms) * 1000;
}

/** char-LSTM: vocab 65, embedding 64, 1 layer of 256, sequence 64, batch 32, Adam → tokens/s. */
function lstmStep(): number {
  nb.manualSeed(0);
  const emb = new nb.nn.Embedding(65, 64), lstm = new nb.nn.LSTM(64, 256, { batchFirst: true }), head = new nb.nn.Linear(256, 65);
  const opt = new nb.optim.Adam([...emb.parameters(), ...lstm.parameters(), ...head.parameters()], { lr: 1e-3 });
  const x = nb.keep(nb.randint(0, 65, [32, 64])), y = nb.keep(nb.randint(0, 65, [32 * 64]));
  const ms = timeMs(() => nb.scope(() => {
    opt.zeroGrad();
    const [out] = lstm.forward(emb.forward(x) as nb.Tensor) as unknown as [nb.Tensor];
    const loss = nb.F.crossEntropy(head.forward(out!.reshape([32 * 64, 256])) as nb.Tensor, y);
    loss.backward();
    opt.step();
  }), 1);
  x.dispose(); y.dispose();
  return (32 * 64 / ms) * 1000;
}

/** The char-LSTM's task with a GRU of 256 → tokens/s; composite: without fused.gruForward (the per-step ops). */
function gruStep(composite = false): number {
  nb.manualSeed(0);
  const emb = new nb.nn.Embedding(65, 64), gru = new nb.nn.GRU(64, 256, { batchFirst: true }), head = new nb.nn.Linear(256, 65);
  const opt = new nb.optim.Adam([...emb.parameters(), ...gru.parameters(), ...head.parameters()], { lr: 1e-3 });
  const x = nb.keep(nb.randint(0, 65, [32, 64])), y = nb.keep(nb.randint(0, 65, [32 * 64]));
  const fused = W.fused!, fwd = fused.gruForward;
  if (composite) fused.gruForward = undefined;
  try {
    const ms = timeMs(() => nb.scope(() => {
      opt.zeroGrad();
      const [out] = gru.forward(emb.forward(x) as nb.Tensor);
      const loss = nb.F.crossEntropy(head.forward(out.reshape([32 * 64, 256])) as nb.Tensor, y);
      loss.backward();
      opt.step();
    }), 1);
    return (32 * 64 / ms) * 1000;
  } finally {
    fused.gruForward = fwd;
    x.dispose(); y.dispose();
  }
}

function inference(batch: number): number {
  nb.manualSeed(0);
  const model = cnn();
  model.eval();
  const x = nb.keep(nb.randn([batch, 1, 28, 28]));
  const ms = timeMs(() => nb.noGrad(() => nb.scope(() => { (model.forward(x) as nb.Tensor).dataSync(); })));
  x.dispose();
  return ms;
}

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
if (onlyAt >= 0) {
  const which = (argv[onlyAt + 1] ?? 'mlp,lstm').split(',');
  const rAt = argv.indexOf('--repeat');
  const repeat = rAt >= 0 ? Number(argv[rAt + 1]) : 5;
  nb.setBackend('wasm');
  const tAt = argv.indexOf('--threads');
  await W.setNumThreads(tAt >= 0 ? Number(argv[tAt + 1]) : CORES);
  const runs: Record<string, () => number> = {
    mlp: () => trainStep('mlp'), cnn: () => trainStep('cnn'), lstm: lstmStep,
    gru: () => gruStep(), 'gru-composite': () => gruStep(true),
    inf1: () => inference(1), inf64: () => inference(64),
  };
  for (const k of which) if (!runs[k]) throw new Error(`train-step: unknown workload '${k}' (one of ${Object.keys(runs).join(', ')})`);
  // Interleaved: round r runs every workload once, so a slow minute of the machine hits them all.
  const got = new Map<string, number[]>(which.map((k) => [k, []]));
  for (let r = 0; r < repeat; r++) for (const k of which) got.get(k)!.push(runs[k]!());
  for (const k of which) {
    const v = got.get(k)!.sort((a, b) => a - b);
    const unit = k.startsWith('inf') ? 'ms' : k === 'lstm' || k.startsWith('gru') ? 'tokens/s' : 'samples/s';
    console.log(`${k.padEnd(13)} ${v[v.length >> 1]!.toFixed(k.startsWith('inf') ? 2 : 0)} ${unit} (median of ${repeat}; ${v[0]!.toFixed(k.startsWith('inf') ? 2 : 0)} … ${v[v.length - 1]!.toFixed(k.startsWith('inf') ? 2 : 0)}) on ${W.numThreads()} threads`);
  }
  W.close();
  process.exit(0);
}

interface Row { who: string; threads: string; mlp: number; cnn: number; lstm: number; inf1: number; inf64: number }
const rows: Row[] = [];
for (const [backend, threads] of [['wasm', CORES], ['wasm', 1], ['js', 1]] as const) {
  nb.setBackend(backend);
  if (backend === 'wasm') await W.setNumThreads(threads);
  const skipSlow = backend === 'js';
  rows.push({
    who: `nabla ${backend}`, threads: String(backend === 'wasm' ? W.numThreads() : 1),
    mlp: trainStep('mlp'), cnn: skipSlow ? NaN : trainStep('cnn'), lstm: skipSlow ? NaN : lstmStep(),
    inf1: inference(1), inf64: skipSlow ? NaN : inference(64),
  });
}
await W.setNumThreads(CORES);

const torchScript = `
import json, time, torch, torch.nn as nn
torch.set_num_threads(1); torch.manual_seed(0)
W = ${WINDOW_MS} / 1000
def med(f, warm=3):
    for _ in range(warm): f()
    t = []; t0 = time.perf_counter()
    while len(t) < 5 or (time.perf_counter() - t0 < W and len(t) < 500):
        s = time.perf_counter(); f(); t.append(time.perf_counter() - s)
    t.sort(); return t[len(t) // 2] * 1000
def mlp(): return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
def cnn(): return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
def train(kind):
    m = mlp() if kind == 'mlp' else cnn(); b = 128 if kind == 'mlp' else 64
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9) if kind == 'mlp' else torch.optim.Adam(m.parameters(), lr=1e-3)
    x = torch.randn(b, 784) if kind == 'mlp' else torch.randn(b, 1, 28, 28); y = torch.randint(0, 10, (b,))
    def step():
        opt.zero_grad(); loss = nn.functional.cross_entropy(m(x), y); loss.backward(); opt.step()
    return b / med(step) * 1000
def lstm():
    emb = nn.Embedding(65, 64); rnn = nn.LSTM(64, 256, batch_first=True); head = nn.Linear(256, 65)
    opt = torch.optim.Adam([*emb.parameters(), *rnn.parameters(), *head.parameters()], lr=1e-3)
    x = torch.randint(0, 65, (32, 64)); y = torch.randint(0, 65, (32 * 64,))
    def step():
        opt.zero_grad(); out, _ = rnn(emb(x)); loss = nn.functional.cross_entropy(head(out.reshape(-1, 256)), y); loss.backward(); opt.step()
    return 32 * 64 / med(step, 1) * 1000
def inf(b):
    m = cnn().eval(); x = torch.randn(b, 1, 28, 28)
    with torch.no_grad(): return med(lambda: m(x))
print(json.dumps({"v": torch.__version__, "mlp": train('mlp'), "cnn": train('cnn'), "lstm": lstm(), "inf1": inf(1), "inf64": inf(64)}))
`;
const r = spawnSync('/usr/bin/python3', ['-c', torchScript], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: String(CORES), OMP_NUM_THREADS: '1' } });
if (r.status === 0) {
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  rows.push({ who: `PyTorch ${j.v} (OpenBLAS)`, threads: `1 + BLAS ${CORES}`, mlp: j.mlp, cnn: j.cnn, lstm: j.lstm, inf1: j.inf1, inf64: j.inf64 });
} else console.error(`(PyTorch skipped: ${(r.stderr || '').trim().split('\n').pop()})`);

const f = (v: number, d = 0) => (Number.isNaN(v) ? '—' : v.toFixed(d));
console.log(`\nSynthetic batches, median step over ~${WINDOW_MS} ms after warm-up; machine: ${CORES} cores, Node ${process.versions.node}\n`);
console.log('| who | threads | MLP train samples/s (b=128, SGD-m) | CNN train samples/s (b=64, Adam) | LSTM train tokens/s | CNN infer b=1 ms | CNN infer b=64 ms |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const x of rows) console.log(`| ${x.who} | ${x.threads} | ${f(x.mlp)} | ${f(x.cnn)} | ${f(x.lstm)} | ${f(x.inf1, 2)} | ${f(x.inf64, 2)} |`);
W.close();
process.exit(0);
