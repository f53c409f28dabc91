// Training and decoding throughput of the FreeDict translation models on the real pairs (what `nabla
// train freedict-deu-eng` steps do, in length-grouped batches): wall pairs/s and the process's CPU
// seconds per 1,000 pairs, so that a shared machine still says how long a run needs on an idle one.
// Run: node --import tsx bench/freedict-throughput.ts [--model gru] [--batch 64] [--steps 30] [--decode 256] [--beam 5] [--fuzzy 16] [--examples 0]
// [--hidden 256] [--attention 128] (the task's defaults unless given)
import { loadavg } from 'node:os';
import * as nb from '../src/index.js';
import { loadFreedict, vocabsOf, type PairBatch } from '../src/tasks/freedict/data.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const num = (k: string, d: number): number => Number(args.get(k) ?? d);
const kind = (args.get('model') ?? 'gru') as nb.models.Seq2SeqKind;
const batch = num('batch', 64), steps = num('steps', 30), decodeN = num('decode', 256), beam = num('beam', 5);

const data = loadFreedict({ examples: num('examples', 0) > 0, fuzzy: num('fuzzy', 16), limit: 0, 'test-limit': 0, 'val-size': 500 } as never, { log: () => {}, purpose: 'train' } as never);
const train = data.train as unknown as { length: number; lengths(): Int32Array; get(i: number): unknown };
const collate = data.collate!;
const vocabs = vocabsOf(data.meta);
nb.manualSeed(0);
const cfg = nb.models.defaultSeq2SeqConfig(kind, vocabs.src.size, vocabs.tgt.size);
if (args.has('hidden')) cfg.hiddenSize = num('hidden', 0);
if (args.has('attention')) cfg.attentionDim = num('attention', 0);
const model = nb.models.createSeq2Seq(cfg);
const opt = new nb.optim.Adam(model.parameters(), { lr: 2e-3 });
const sampler = new nb.data.BucketBatchSampler(train.lengthKeys(), { batchSize: batch, shuffle: true });
const batches = sampler.batches();

function step(i: number): number {
  return nb.scope(() => {
    const [x, y] = collate(batches[i]!.map((j) => train.get(j))) as PairBatch;
    opt.zeroGrad();
    const loss = nb.models.seq2seqLoss(nb.models.seq2seqForward(model, x), y);
    loss.backward();
    nb.optim.clipGradNorm(model.parameters(), 1);
    opt.step();
    return loss.item();
  });
}
const clock = () => ({ t: performance.now(), c: process.cpuUsage() });
const since = (a: { t: number; c: NodeJS.CpuUsage }) => { const c = process.cpuUsage(a.c); return { wall: (performance.now() - a.t) / 1000, cpu: (c.user + c.system) / 1e6 }; };
for (let i = 0; i < 3; i++) step(i);
const load0 = loadavg()[0]!;
let a = clock(), loss = 0;
for (let i = 0; i < steps; i++) loss = step(3 + i);
const tr = since(a);
const pairs = steps * batch;
const test = (data.test as unknown as { get(i: number): { pair: nb.models.Pair } });
const sources = Array.from({ length: decodeN }, (_, i) => test.get(i).pair.src);
a = clock();
nb.models.translate(model as nb.models.Seq2SeqModel, vocabs, sources, { beamSize: beam, maxLength: 60 });
const dec = since(a);
console.log(JSON.stringify({
  model: kind, batch, steps, trainPairs: train.length, pairs, trainWallS: +tr.wall.toFixed(1), trainCpuS: +tr.cpu.toFixed(1),
  cpuSPer1kPairs: +((tr.cpu / pairs) * 1000).toFixed(2), lastLoss: +loss.toFixed(3),
  decoded: decodeN, beam, decodeWallS: +dec.wall.toFixed(1), decodeCpuS: +dec.cpu.toFixed(1), decodeCpuSPer1k: +((dec.cpu / decodeN) * 1000).toFixed(1),
  load: [load0, loadavg()[0]!].map((v) => +v.toFixed(1)),
}));
