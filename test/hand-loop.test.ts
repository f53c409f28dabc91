// A PyTorch-style loop with no scope and no DataLoader (issue 11, finding 5): memory stays flat,
// with and without awaits, because step boundaries release the outputs of consumed graphs
// (DESIGN.md decision 5); what they release says so on use; patterns that still leak get a
// one-time warning naming the line. (10⁵ steps: test/big-memory.test.ts, NABLA_BIG_TESTS=1.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const { nn, optim, F } = nb;
const tick = () => new Promise<void>((r) => setImmediate(r));

/** The loop: Linear + SGD on a fixed batch; returns the live tensors/bytes after every step. */
async function handLoop(steps: number, awaits: boolean, opt: 'sgd' | 'adam' = 'sgd') {
  nb.manualSeed(1);
  const model = new nn.Linear(16, 4);
  const o = opt === 'sgd' ? new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }) : new optim.Adam(model.parameters(), { lr: 0.01 });
  const x = nb.randn([64, 16]), y = nb.randn([64, 4]);
  const trace: { tensors: number; bytes: number }[] = [];
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const out = model.forward(x);
    const loss = out.sub(y).square().mean();
    o.zeroGrad();
    loss.backward();
    if (awaits) await tick();
    o.step();
    losses.push(loss.item()); // read after step(), as PyTorch code does
    if (awaits) await loss.data();
    const m = nb.memory();
    trace.push({ tensors: m.tensors, bytes: m.bytes });
  }
  return { trace, losses, dispose: () => { for (const t of [x, y, ...model.parameters()]) t.dispose(); o.dispose(); } };
}

for (const awaits of [false, true]) {
  test(`a hand-written loop with no scope holds memory flat over 3,000 steps (${awaits ? 'with' : 'without'} awaits)`, async () => {
    const before = nb.memory();
    const { trace, losses, dispose } = await handLoop(3000, awaits);
    const steady = trace[10]!;
    for (const [i, m] of trace.entries()) {
      if (i < 10) continue;
      // never above step 10 (with awaits the finalizer may free older garbage meanwhile: fewer is fine)
      assert.ok(m.tensors <= steady.tensors && m.bytes <= steady.bytes, `step ${i}: ${m.tensors} tensors / ${m.bytes} bytes live, ${steady.tensors} / ${steady.bytes} at step 10`);
    }
    if (!awaits) assert.deepEqual(trace.at(-1), steady, 'without awaits nothing else runs: exactly the same');
    assert.ok(losses.at(-1)! < losses[0]!, 'the loss falls');
    dispose();
    // what is left: at most the last two steps' graph outputs (released at the next boundaries)
    assert.ok(nb.memory().tensors - before.tensors <= 2 * 6, `${nb.memory().tensors - before.tensors} tensors left`);
  });
}

test('Adam, a CNN, dropout, an LSTM and attention in one loop without a scope: flat', () => {
  nb.manualSeed(2);
  const cnn = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
    new nn.Linear(4 * 4 * 4, 10), new nn.Dropout(0.2), new nn.LogSoftmax(1));
  const lstm = new nn.LSTM(8, 8, { batchFirst: true });
  const attn = new nn.MultiheadAttention(8, 2, { batchFirst: true });
  const params = [...cnn.parameters(), ...lstm.parameters(), ...attn.parameters()];
  const opt = new optim.AdamW(params, { lr: 1e-3 });
  const x = nb.randn([8, 1, 8, 8]), y = nb.randint(0, 10, [8]), s = nb.randn([4, 5, 8]);
  const trace: number[] = [];
  for (let i = 0; i < 200; i++) {
    const logp = cnn.forward(x) as nb.Tensor;
    const [seq] = lstm.forward(s) as [nb.Tensor, unknown]; // the final states are ignored, as is common
    const [att] = attn.forward(seq, seq, seq) as [nb.Tensor, nb.Tensor]; // so are the attention weights
    const loss = F.nllLoss(logp, y).add(att.square().mean());
    opt.zeroGrad();
    loss.backward();
    opt.step();
    trace.push(nb.memory().tensors);
  }
  const steady = trace[10]!;
  assert.deepEqual(trace.slice(10), trace.slice(10).map(() => steady), `live tensors: ${trace[10]} at step 10 … ${trace.at(-1)} at the end`);
});

test('after step(): the loss reads back; the previous step\'s outputs stay usable through the next step', () => {
  const model = new nn.Linear(3, 1);
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  const x = nb.ones([2, 3]);
  let prevOut: nb.Tensor | null = null;
  let prevLoss: nb.Tensor | null = null;
  for (let i = 0; i < 5; i++) {
    const out = model.forward(x);
    const loss = out.square().mean();
    opt.zeroGrad();
    loss.backward();
    // the step before's outputs are still there after this step's backward …
    if (prevOut) assert.equal(prevOut.shape[0], 2) ;
    if (prevLoss) assert.ok(Number.isFinite(prevLoss.item()));
    opt.step();
    assert.ok(Number.isFinite(loss.item()));
    assert.deepEqual(out.shape, [2, 1]);
    if (prevOut) {
      // … and released at this step's optimizer step: using them says why and how to keep one
      assert.throws(() => prevOut!.toArray(), /output of a graph whose backward\(\) ran two steps ago.*nb\.keep/s);
    }
    prevOut = out;
    prevLoss = loss;
  }
});

test('a conv2d result a ReLU folded into (a pending result never computed) goes at the same step boundary as the graph\'s outputs', () => {
  const conv = new nn.Conv2d(1, 2, 3);
  const opt = new optim.SGD(conv.parameters(), { lr: 0.01 });
  const x = nb.randn([2, 1, 6, 6]);
  const outs: nb.Tensor[] = [];
  const live: number[] = [];
  for (let i = 0; i < 6; i++) {
    const c = conv.forward(x) as nb.Tensor;
    const loss = nb.relu(c).sum(); // on wasm the ReLU folds into the conv's kernel: c itself is never computed
    opt.zeroGrad();
    loss.backward();
    opt.step();
    outs.push(c);
    live.push(nb.memory().tensors);
  }
  assert.deepEqual(live.slice(2), live.slice(2).map(() => live[2]), `live tensors ${live.join(', ')}`);
  assert.throws(() => outs[0]!.dataSync(), /output of a graph whose backward\(\) ran two steps ago/);
  assert.equal(outs.at(-1)!.shape[1], 2, 'the last step\'s conv result is still there');
  for (const t of [x, ...conv.parameters()]) t.dispose();
});

test('nb.keep(), detach() and item() keep a step\'s values; gradient accumulation over 4 backward()s keeps every loss until step()', () => {
  const model = new nn.Linear(3, 1);
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  const x = nb.ones([2, 3]);
  const kept: nb.Tensor[] = [], detached: nb.Tensor[] = [], numbers: number[] = [];
  for (let step = 0; step < 4; step++) {
    const micro: nb.Tensor[] = [];
    opt.zeroGrad();
    for (let k = 0; k < 4; k++) {
      const loss = model.forward(x).square().mean().div(4);
      loss.backward();
      micro.push(loss);
    }
    // all four losses are still live: a parameter's boundaries are its optimizer's steps
    const total = nb.stack(micro).sum().item();
    opt.step();
    kept.push(nb.keep(micro[0]!));
    detached.push(micro[1]!.detach());
    numbers.push(total);
  }
  assert.equal(kept.length, 4);
  for (const t of [...kept, ...detached]) assert.ok(Number.isFinite(t.item()));
  assert.ok(numbers.every(Number.isFinite));
});

test('two optimizers (a GAN-like step): each loss reads back at the end of the step', () => {
  nb.manualSeed(3);
  const G = new nn.Linear(2, 2), D = new nn.Linear(2, 1);
  const optG = new optim.Adam(G.parameters(), { lr: 1e-3 }), optD = new optim.Adam(D.parameters(), { lr: 1e-3 });
  const real = nb.randn([8, 2]), ones = nb.ones([8, 1]), zeros = nb.zeros([8, 1]);
  const trace: number[] = [];
  for (let i = 0; i < 50; i++) {
    const z = nb.randn([8, 2]);
    const fake = G.forward(z);
    const dLoss = F.binaryCrossEntropyWithLogits(D.forward(real), ones).add(F.binaryCrossEntropyWithLogits(D.forward(fake.detach()), zeros));
    optD.zeroGrad(); dLoss.backward(); optD.step();
    const gLoss = F.binaryCrossEntropyWithLogits(D.forward(fake), ones);
    optG.zeroGrad(); gLoss.backward(); optG.step();
    assert.ok(Number.isFinite(dLoss.item() + gLoss.item()));
    trace.push(nb.memory().tensors);
  }
  // z and fake.detach() are not graph outputs: they leak here (the warning's job), but nothing
  // the graphs hold does: growth is those 2 per step
  const perStep = (trace.at(-1)! - trace[10]!) / (trace.length - 11);
  assert.equal(perStep, 2, `${perStep} tensors per step`);
});

test('a loop that leaks tensors no boundary can free gets one warning naming the lines', () => {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => { warnings.push(String(m)); };
  try {
    const model = new nn.Linear(4, 1);
    const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
    const X = nb.randn([64, 4]), Y = nb.randn([64, 1]);
    for (let i = 0; i < 1200; i++) {
      const xb = X.narrow(0, (i % 8) * 8, 8); // new tensors every step, never disposed
      const yb = Y.narrow(0, (i % 8) * 8, 8);
      const loss = F.mseLoss(model.forward(xb), yb);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
  } finally {
    console.warn = warn;
  }
  const ours = warnings.filter((w) => w.startsWith('nabla: live tensors grow'));
  assert.equal(ours.length, 1, `expected one warning, got ${warnings.length}: ${warnings.join('\n')}`);
  assert.match(ours[0]!, /grow by \d+\.\d per step/);
  assert.match(ours[0]!, /hand-loop\.test\.ts:\d+:\d+ \(1 per step\), .*hand-loop\.test\.ts:\d+:\d+ \(1 per step\)/);
  assert.match(ours[0]!, /nb\.scope/);
});
