// bench/peers/nabla.ts's issue-14 workloads, written with nb.nn / nb.optim the way a PyTorch user ports
// them: nanoGPT's char-level GPT (training; generation with a full forward per token and with a KV
// cache), word_language_model's Transformer, pytorch/examples' VAE and a DCGAN for 28×28 images.
// The PyTorch programs they mirror line by line are in bench/torch_generative.py.

import type { GptSize, Job, Result } from './common.js';
import { loadFashion, loadText, loadWords, textBatch, trainEpoch, trainWindows, wordBatch } from './common.js';

type NB = typeof import('../../src/index.js');
type Tensor = InstanceType<NB['Tensor']>;
type Module = InstanceType<NB['nn']['Module']>;
/** A layer's keys and values of the tokens generated so far (empty before the prompt). */
type Cache = Tensor[];

/** nanoGPT's model (model.py, bias=True, dropout 0), its classes as nb.nn modules. */
function gptModel(nb: NB, c: GptSize) {
  const { nn, F } = nb;
  const C = c.nEmbd, nh = c.nHead, hs = C / nh;

  class CausalSelfAttention extends nn.Module {
    cAttn = new nn.Linear(C, 3 * C);
    cProj = new nn.Linear(C, C);
    override forward(x: Tensor, cache?: Cache): Tensor {
      const [B, T] = x.shape as [number, number, number];
      const heads = (t: Tensor) => t.view([B, T, nh, hs]).transpose(1, 2);
      const [q, k0, v0] = this.cAttn.forward(x).split(C, 2) as [Tensor, Tensor, Tensor];
      let k = heads(k0), v = heads(v0);
      if (cache) { // generation with a KV cache: the keys and values of the tokens before these
        if (cache.length) { k = nb.cat([cache[0]!, k], 2); v = nb.cat([cache[1]!, v], 2); }
        cache.splice(0, 2, k, v);
      }
      // nanoGPT's flash path (F.scaled_dot_product_attention, is_causal when the queries are the whole context)
      const y = F.scaledDotProductAttention(heads(q), k, v, { isCausal: T > 1 });
      return this.cProj.forward(y.transpose(1, 2).contiguous().view([B, T, C]));
    }
  }
  class MLP extends nn.Module {
    cFc = new nn.Linear(C, 4 * C);
    gelu = new nn.GELU();
    cProj = new nn.Linear(4 * C, C);
    override forward(x: Tensor): Tensor {
      return this.cProj.forward(this.gelu.forward(this.cFc.forward(x)));
    }
  }
  class Block extends nn.Module {
    ln1 = new nn.LayerNorm(C);
    attn = new CausalSelfAttention();
    ln2 = new nn.LayerNorm(C);
    mlp = new MLP();
    override forward(x: Tensor, cache?: Cache): Tensor {
      x = x.add(this.attn.forward(this.ln1.forward(x), cache));
      return x.add(this.mlp.forward(this.ln2.forward(x)));
    }
  }
  class GPT extends nn.Module {
    wte = new nn.Embedding(c.vocab, C);
    wpe = new nn.Embedding(c.block, C);
    h = new nn.ModuleList(Array.from({ length: c.nLayer }, () => new Block()));
    lnF = new nn.LayerNorm(C);
    lmHead = new nn.Linear(C, c.vocab, { bias: false });
    constructor() {
      super();
      this.wte.weight = this.lmHead.weight; // weight tying
      for (const m of this.modules()) {
        if (m instanceof nn.Linear) { nn.init.normal_(m.weight, 0, 0.02); if (m.bias) nn.init.constant_(m.bias, 0); }
        else if (m instanceof nn.Embedding) nn.init.normal_(m.weight, 0, 0.02);
      }
      for (const [name, p] of this.namedParameters()) if (name.endsWith('cProj.weight')) nn.init.normal_(p, 0, 0.02 / Math.sqrt(2 * c.nLayer));
    }
    /** Training: logits at every position; generation (lastOnly): at the last one, as nanoGPT's inference path. */
    override forward(idx: Tensor, opts: { caches?: Cache[]; lastOnly?: boolean } = {}): Tensor {
      const t = idx.shape[1]!, caches = opts.caches;
      const pos0 = caches?.[0]?.length ? caches[0][0]!.shape[2]! : 0;
      let x = this.wte.forward(idx).add(this.wpe.forward(nb.arange(pos0, pos0 + t)));
      [...this.h].forEach((b, i) => { x = (b as Block).forward(x, caches?.[i]); });
      x = this.lnF.forward(x);
      return this.lmHead.forward(opts.lastOnly ? x.narrow(1, t - 1, 1) : x);
    }
  }
  return new GPT();
}

/** nanoGPT's configure_optimizers: weight decay on the 2-D weights, none on biases and norms. */
function gptOptimizer(nb: NB, model: Module, s: Job['gpt']) {
  const ps = model.parameters();
  return new nb.optim.AdamW([
    { params: ps.filter((p) => p.ndim >= 2), weightDecay: s.weightDecay },
    { params: ps.filter((p) => p.ndim < 2), weightDecay: 0 },
  ], { lr: s.lr, betas: s.betas });
}

/** One training step on batch i, returning its loss (also what bench/profile-step.ts times). */
type Step = (i: number) => number;

function gptStep(nb: NB, j: Job): Step {
  const s = j.gpt;
  const text = loadText(j.dataDir);
  nb.manualSeed(0);
  const model = gptModel(nb, s);
  const opt = gptOptimizer(nb, model, s);
  return (i) => nb.scope(() => { // nanoGPT's train.py: forward, backward, clip, step
    const { x, y } = textBatch(text, i, s.batch, s.seq);
    const logits = model.forward(nb.tensor(x, { shape: [s.batch, s.seq] })) as Tensor;
    const loss = nb.F.crossEntropy(logits.view([-1, s.vocab]), nb.tensor(y));
    opt.zeroGrad();
    loss.backward();
    nb.optim.clipGradNorm(model.parameters(), s.clip);
    opt.step();
    return loss.item();
  });
}

/** Greedy, batch 1, each token read back as it comes; with a full forward per token or with a KV cache. */
function gptGenerator(nb: NB, j: Job): (cached: boolean) => number[] {
  const s = j.gptGen;
  const text = loadText(j.dataDir);
  nb.manualSeed(0);
  const model = gptModel(nb, s);
  model.eval();
  return (cached) => nb.noGrad(() => nb.scope(() => {
    const ids = [text.tokens[0]!];
    const caches: Cache[] | undefined = cached ? Array.from({ length: s.nLayer }, () => []) : undefined;
    for (let i = 0; i < s.newTokens; i++) {
      const inp = !cached || !caches![0]!.length ? ids.slice(-s.block) : ids.slice(-1);
      const logits = model.forward(nb.tensor(Int32Array.from(inp), { shape: [1, inp.length] }), { caches, lastOnly: true });
      ids.push(logits.view([-1]).argmax().item());
    }
    return ids;
  }));
}

function gptGen(nb: NB, j: Job): Partial<Result> {
  const s = j.gptGen;
  const generate = gptGenerator(nb, j);
  const out: Partial<Result> = {};
  for (const [key, cached] of [['genFull', false], ['genCached', true]] as const) {
    generate(cached); // warm-up
    const t: number[] = [];
    const t0 = performance.now();
    while (t.length < s.runs && (t.length < 2 || performance.now() - t0 < s.capS * 1000)) {
      const a = performance.now(); generate(cached); t.push(performance.now() - a);
    }
    t.sort((a, b) => a - b);
    out[key] = s.newTokens / (t[t.length >> 1]! / 1000);
  }
  return out;
}

/** word_language_model's TransformerModel (the example's, with its init) and main.py's train(). */
function wlmStep(nb: NB, j: Job): Step {
  const s = j.wlm;
  const { nn, F } = nb;
  const words = loadWords(j.dataDir);
  const V = words.vocab;
  nb.manualSeed(0);
  // PositionalEncoding: sin on even features, cos on odd, for up to 5000 positions
  const maxLen = 5000, pe = new Float32Array(maxLen * s.emsize);
  for (let p = 0; p < maxLen; p++) for (let i = 0; i < s.emsize; i += 2) {
    const a = p * Math.exp(i * (-Math.log(10000) / s.emsize));
    pe[p * s.emsize + i] = Math.sin(a);
    if (i + 1 < s.emsize) pe[p * s.emsize + i + 1] = Math.cos(a);
  }
  const peT = nb.keep(nb.tensor(pe, { shape: [maxLen, 1, s.emsize] }));
  const posDrop = new nn.Dropout(s.dropout);
  const encoder = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(s.emsize, s.nhead, { dimFeedforward: s.nhid, dropout: s.dropout }), s.nlayers);
  const emb = new nn.Embedding(V, s.emsize);
  const decoder = new nn.Linear(s.emsize, V);
  nn.init.uniform_(emb.weight, -0.1, 0.1);
  nn.init.constant_(decoder.bias!, 0);
  nn.init.uniform_(decoder.weight, -0.1, 0.1);
  const params = [...encoder.parameters(), ...emb.parameters(), ...decoder.parameters()];
  const opt = new nb.optim.SGD(params, { lr: s.lr }); // main.py: p.data.add_(p.grad, alpha=-lr)
  const mask = nb.keep(nn.generateSquareSubsequentMask(s.seq));
  return (i) => nb.scope(() => {
    const { x, y } = wordBatch(words, i, s.batch, s.seq);
    opt.zeroGrad();
    const src = posDrop.forward(emb.forward(nb.tensor(x, { shape: [s.seq, s.batch] })).mul(Math.sqrt(s.emsize)).add(peT.narrow(0, 0, s.seq))) as Tensor;
    const out = F.logSoftmax(decoder.forward(encoder.forward(src, { mask })) as Tensor, -1);
    const loss = F.nllLoss(out.view([-1, V]), nb.tensor(y));
    loss.backward();
    nb.optim.clipGradNorm(params, s.clip);
    opt.step();
    return loss.item();
  });
}

/** pytorch/examples' VAE: 784-400-(20, 20)-400-784, BCE (sum) + KL divergence, Adam. */
function vaeStep(nb: NB, j: Job): Step {
  const spec = j.vae, B = spec.batch;
  const { nn, F } = nb;
  const d = loadFashion(j.dataDir);
  nb.manualSeed(0);
  class VAE extends nn.Module {
    fc1 = new nn.Linear(784, 400);
    fc21 = new nn.Linear(400, 20);
    fc22 = new nn.Linear(400, 20);
    fc3 = new nn.Linear(20, 400);
    fc4 = new nn.Linear(400, 784);
    override forward(x: Tensor): [Tensor, Tensor, Tensor] {
      const h1 = this.fc1.forward(x).relu();
      const mu = this.fc21.forward(h1), logvar = this.fc22.forward(h1);
      const z = mu.add(nb.randnLike(logvar).mul(logvar.mul(0.5).exp()));
      return [this.fc4.forward(this.fc3.forward(z).relu()).sigmoid(), mu, logvar];
    }
  }
  const model = new VAE();
  const opt = new nb.optim.Adam(model.parameters(), { lr: spec.lr });
  model.train();
  return (i) => nb.scope(() => {
    const x = nb.tensor(d.trainX.subarray(i * B * 784, (i + 1) * B * 784), { shape: [B, 784] });
    opt.zeroGrad();
    const [recon, mu, logvar] = model.forward(x);
    const bce = F.binaryCrossEntropy(recon, x, { reduction: 'sum' });
    const kld = logvar.add(1).sub(mu.pow(2)).sub(logvar.exp()).sum().mul(-0.5);
    const loss = bce.add(kld);
    loss.backward();
    const total = loss.item();
    opt.step();
    return total / B;
  });
}

/** pytorch/examples' DCGAN sized for 28×28 (7 → 14 → 28), its weights_init and training step. */
function dcganStep(nb: NB, j: Job): Step {
  const s = j.dcgan, B = s.batch;
  const { nn, F } = nb;
  const d = loadFashion(j.dataDir);
  nb.manualSeed(0);
  const { nz, ngf, ndf } = s;
  const netG = new nn.Sequential(
    new nn.ConvTranspose2d(nz, ngf * 4, 7, { stride: 1, padding: 0, bias: false }), new nn.BatchNorm2d(ngf * 4), new nn.ReLU(),
    new nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, { stride: 2, padding: 1, bias: false }), new nn.BatchNorm2d(ngf * 2), new nn.ReLU(),
    new nn.ConvTranspose2d(ngf * 2, 1, 4, { stride: 2, padding: 1, bias: false }), new nn.Tanh());
  const netD = new nn.Sequential(
    new nn.Conv2d(1, ndf, 4, { stride: 2, padding: 1, bias: false }), new nn.LeakyReLU(0.2),
    new nn.Conv2d(ndf, ndf * 2, 4, { stride: 2, padding: 1, bias: false }), new nn.BatchNorm2d(ndf * 2), new nn.LeakyReLU(0.2),
    new nn.Conv2d(ndf * 2, 1, 7, { stride: 1, padding: 0, bias: false }), new nn.Sigmoid());
  for (const net of [netG, netD]) {
    for (const m of net.modules()) {
      if (m instanceof nn.Conv2d || m instanceof nn.ConvTranspose2d) nn.init.normal_(m.weight, 0, 0.02);
      else if (m instanceof nn.BatchNorm2d) { nn.init.normal_(m.weight!, 1, 0.02); nn.init.constant_(m.bias!, 0); }
    }
  }
  const optD = new nb.optim.Adam(netD.parameters(), { lr: s.lr, betas: [s.beta1, 0.999] });
  const optG = new nb.optim.Adam(netG.parameters(), { lr: s.lr, betas: [s.beta1, 0.999] });
  const D = (x: Tensor) => (netD.forward(x) as Tensor).view([-1]);
  const ones = nb.keep(nb.ones([B])), zeros = nb.keep(nb.zeros([B]));
  const realAll = d.trainX.map((v) => v * 2 - 1); // the data loader's Normalize((0.5,), (0.5,))
  return (i) => nb.scope(() => {
    // (1) update D on a real batch and a fake one, (2) update G through D
    const real = nb.tensor(realAll.subarray(i * B * 784, (i + 1) * B * 784), { shape: [B, 1, 28, 28] });
    netD.zeroGrad();
    const errDReal = F.binaryCrossEntropy(D(real), ones);
    errDReal.backward();
    const fake = netG.forward(nb.randn([B, nz, 1, 1])) as Tensor;
    const errDFake = F.binaryCrossEntropy(D(fake.detach()), zeros);
    errDFake.backward();
    optD.step();
    netG.zeroGrad();
    const errG = F.binaryCrossEntropy(D(fake), ones);
    errG.backward();
    optG.step();
    return errDReal.item() + errDFake.item() + errG.item();
  });
}

/** The steps, for bench/profile-step.ts. */
export const generativeSteps = { gpt: gptStep, wlm: wlmStep, vae: vaeStep, dcgan: dcganStep, gptGenerator };

export const generative = {
  gpt: (nb, j) => trainWindows(j.gpt, gptStep(nb, j)),
  'gpt-gen': gptGen,
  wlm: (nb, j) => trainWindows(j.wlm, wlmStep(nb, j)),
  vae: (nb, j) => trainEpoch(j.vae, loadFashion(j.dataDir).nTrain, vaeStep(nb, j)),
  dcgan: (nb, j) => trainEpoch(j.dcgan, loadFashion(j.dataDir).nTrain, dcganStep(nb, j)),
} satisfies Record<string, (nb: NB, j: Job) => Partial<Result>>;
