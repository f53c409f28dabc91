// Training throughput of the KJV character models on the real text (what `nabla train kjv` steps do):
// wall tokens/s and the process's CPU seconds per million tokens, so that a shared machine still says
// how long a run needs on an idle one (CPU time counts only this process's own threads).
// Run: node --import tsx bench/kjv-throughput.ts [--model lstm] [--hidden 256] [--layers 2] [--embed 64]
//        [--seq 64] [--batch 32] [--steps 40] [--carry 1]   (threads: NABLA_THREADS=N)
import { loadavg } from 'node:os';
import * as nb from '../src/index.js';
import { kjv } from '../src/node.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const num = (k: string, d: number): number => Number(args.get(k) ?? d);
const kind = (args.get('model') ?? 'lstm') as nb.models.CharLMKind;
const seq = num('seq', 64), batch = num('batch', 32), steps = num('steps', 40);
const carry = num('carry', 1) === 1;

const corpus = kjv();
const vocab = nb.text.CharVocab.fromTexts([corpus.train, corpus.val, corpus.test]);
const ids = vocab.encode(corpus.train);
const base = nb.models.defaultCharLMConfig(kind, vocab.size);
const cfg = { ...base, hiddenSize: num('hidden', base.hiddenSize), numLayers: num('layers', base.numLayers), embedDim: num('embed', base.embedDim) };
nb.manualSeed(0);
const model = nb.models.createCharLM(cfg);
const opt = new nb.optim.Adam(model.parameters(), { lr: 2e-3 });
const params = model.parameters().reduce((n, p) => n + p.numel(), 0);

// the CLI's batches: `batch` streams read side by side, chunk k of every stream as batch k
const ds = new nb.models.CharStreamDataset(ids, seq, batch);
const carried = new nb.models.CarriedState();
function step(i: number): number {
  return nb.scope(() => {
    const k = i % ds.chunks;
    const [x, y] = ds.getBatch(Array.from({ length: batch }, (_, s) => k * batch + s));
    opt.zeroGrad();
    const r = model.forwardWithState(x, carry ? carried.take(k) : null);
    if (carry) carried.put(k, r.state);
    const loss = nb.models.lmLoss(r.logits, y);
    loss.backward();
    nb.optim.clipGradNorm(model.parameters(), 1);
    opt.step();
    return loss.item();
  });
}

const warm = 3;
for (let i = 0; i < warm; i++) step(i);
const load0 = loadavg()[0]!;
const c0 = process.cpuUsage(), t0 = performance.now();
let loss = 0;
for (let i = 0; i < steps; i++) loss = step(warm + i);
const wall = (performance.now() - t0) / 1000;
const cu = process.cpuUsage(c0);
const cpu = (cu.user + cu.system) / 1e6;
const tokens = steps * batch * seq;
console.log(JSON.stringify({
  model: kind, embed: cfg.embedDim, hidden: cfg.hiddenSize, layers: cfg.numLayers, seq, batch, params, threads: process.env.NABLA_THREADS ?? 'all',
  steps, tokens, wallS: +wall.toFixed(2), cpuS: +cpu.toFixed(2), tokensPerS: Math.round(tokens / wall),
  cpuSPerMTokens: +((cpu / tokens) * 1e6).toFixed(1), lastLoss: +loss.toFixed(3), load: [load0, loadavg()[0]].map((v) => +v!.toFixed(2)),
}));
