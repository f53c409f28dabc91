// Line-by-line port of pytorch/examples word_language_model (data.py, model.py, main.py, in that order):
// https://github.com/pytorch/examples/tree/77f55b912142e11fcfdf5b530231fb9c52f181e8/word_language_model
// (BSD-3-Clause, © the PyTorch contributors). Word-level language model: RNN_TANH, RNN_RELU, LSTM, GRU
// (optionally with tied weights) or a Transformer encoder, trained by truncated BPTT with gradient
// clipping and plain SGD (or AdamW with --use-optimizer), the learning rate quartered when validation
// stops improving.
//
// Run: node --import tsx examples/ports/word_language_model.ts --model LSTM --epochs 1 --kjv-lines 2000
//
// Data: instead of WikiText-2, the King James Bible from Debian's bible-kjv (found by nabla's kjv():
// $NABLA_DATA, the cache, or the `bible` program), written once as train.txt / valid.txt / test.txt
// (nabla's training books / validation books / test books, one verse per line) in the directory
// that the original's data.py Corpus reads; --data DIR reads any such directory instead.
//
// Not counted as differences: camelCase names, `.forward(x)` for a call, `new`, keyword arguments
// as a trailing options object (or positional where nabla's signature has them so: logSoftmax(x, 1)),
// dtype names as strings ('float32' for torch.float), `const`/`let`, braces, TypeScript types and
// casts, `console.log` with a template for print and str.format, `if __name__ == "__main__"` as
// the import.meta.url test, and the Python builtins of ./pyshim.ts (len, range, enumerate, math,
// os.path, time, open, str.split).
// Lines that had to differ (30), each with why:
//  1. Dictionary.word2idx = Object.create(null): a plain {} would find 'constructor' & co. as words.
//  2. `def __len__` → `get length()`: JavaScript's protocol for len (which pyshim's len reads).
//  3-4. `line.split() + ['<eos>']` → [...split(line), '<eos>'] (twice): no list `+` in JavaScript.
//  5. `.type(torch.int64)` → .long(): nabla has no .type(dtype); int32 is its index dtype.
//  6. getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=…) → new nn[rnnType](ninp, nhid, {numLayers: nlayers, …}):
//     nabla's RNN/LSTM/GRU take numLayers as an option, not as the third positional argument.
//  7. the same for nn.RNN(ninp, nhid, nlayers, nonlinearity=…, dropout=…).
//  8. `try: {…}[rnn_type] except KeyError: raise …` → the lookup, then `if (… === undefined) throw …`:
//     a JavaScript object lookup does not throw.
//  9. `next(self.parameters())` → this.parameters()[0]: parameters() is an array, not a generator.
//  10. `pe[:, 0::2] = torch.sin(position * div_term)` → pe.set(':', '0::2', torch.sin(position.mul(divTerm))):
//      no [] assignment or `*` on objects in JavaScript (nabla's set/index take PyTorch's subscripts).
//  11. the same for `pe[:, 1::2] = torch.cos(…)`.
//  12. `torch.arange(0, d_model, 2).float() * (…)` → .mul(…): no operator overloading.
//  13. `x + self.pe[:x.size(0), :]` → x.add(this.pe.index([null, x.size(0)], ':')): as 10 and 12.
//  14. `self.input_emb(src) * math.sqrt(self.ninp)` → .mul(…): as 12.
//  15. `self.src_mask = mask` → this.srcMask = torch.keep(mask): the cached mask must outlive the
//      batch's scope (see 24), as PyTorch's reference from the module keeps it alive.
//  16. `torch.accelerator…` / `device = torch.device("cpu")` (5 lines) → device = 'cpu': nabla's tensors
//      live in CPU memory and it has no accelerator API.
//  17. `data.Corpus(args.data)` → new Corpus(args.data || kjvCorpusDir(args.kjvLines)) and --data's
//      default '' instead of './data/wikitext-2': the KJV stands in for WikiText-2 (see Data above).
//  18. `data.size(0) // bsz` → Math.floor(data.size(0) / bsz): no integer division operator.
//  19. `tuple(repackage_hidden(v) for v in h)` → h.map(…): no generator-to-tuple.
//  20-21. `source[i:i+seq_len]`, `source[i+1:i+1+seq_len]` → source.index([i, i + seqLen]) etc.: no [] slicing.
//  22. `with torch.no_grad():` → torch.noGrad(() => {…}): no `with` in JavaScript.
//  23. `p.data.add_(p.grad, alpha=-lr)` → torch.noGrad(() => p.add_(p.grad!, {alpha: -lr})): nabla's
//      Tensor has no .data alias (its data() reads the values out); the update runs without grad instead.
//  24. train() and evaluate() run each batch in `hidden = torch.scope(() => {…; return hidden; })`
//      (2 lines, counted once): nabla frees a batch's tensors when its scope ends, where PyTorch's
//      reference counting frees them; the hidden state is what survives.
//  25. torch.nn.utils.clip_grad_norm_ → torch.optim.clipGradNorm: nabla keeps it under optim.
//  26. `torch.save(model, f)` → await save(args.save, model.stateDict(), {args: JSON.stringify(args)}):
//      safetensors of the weights, with the options that rebuild the model (generate.py needs them).
//  27. `torch.serialization.safe_globals([…])` + `model = torch.load(f)` (28 lines) →
//      model.loadStateDict(await load(args.save)): nabla files hold data, never code, so nothing is
//      allow-listed and the weights go into the model that exists.
//  28. `try: for epoch in …` / `except KeyboardInterrupt:` → a SIGINT listener and a flag tested
//      before each epoch: JavaScript has no KeyboardInterrupt; an epoch runs synchronously, so
//      Ctrl-C takes effect at its end rather than mid-epoch.
//  29. `torch.LongTensor(seq_len * batch_size).zero_()` → torch.zeros([seqLen * batchSize], {dtype: 'int32'}).
//  30. `torch.onnx.export(model, (dummy_input, hidden), path)` → await exportModelFile(path, model,
//      [dummyInput, ...[hidden].flat()], {dynamicAxes: false}): nabla's exporter takes a flat list
//      of inputs and makes dim 0 dynamic unless told not to (torch.onnx.export fixes every dim).
//      So LSTM, whose forward takes the pair (h, c) as one argument, cannot be exported — that
//      still cannot be written as in PyTorch (the original's Transformer cannot either: it has no
//      init_hidden).
// Added, not in the original: main.py's top-level code is split into setup(argv) (up to building the
// model, plus `lr = args.lr; best_val_loss = None`) and main(argv), with its globals as exported
// `let`s, so the test can drive train() and evaluate(); kjvCorpusDir and --kjv-lines (the size limit).

import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert';
import * as torch from '../../src/index.js';
import { kjv, nablaCacheDir, save, load, exportModelFile } from '../../src/node.js';
import { Tensor } from '../../src/index.js';
import { ArgumentParser, int, float, str } from './argparse.js';
import { len, range, enumerate, math, os, time, open, split } from './pyshim.js';

const { nn, F } = torch;
type Hidden = Tensor | Tensor[];

// ---------------------------------------------------------------------------------------- data.py

export class Dictionary {
  word2idx: Record<string, number> = Object.create(null);
  idx2word: string[] = [];

  addWord(word: string): number {
    if (!(word in this.word2idx)) {
      this.idx2word.push(word);
      this.word2idx[word] = len(this.idx2word) - 1;
    }
    return this.word2idx[word]!;
  }

  get length(): number {
    return len(this.idx2word);
  }
}

export class Corpus {
  dictionary: Dictionary;
  train: Tensor;
  valid: Tensor;
  test: Tensor;

  constructor(path: string) {
    this.dictionary = new Dictionary();
    this.train = this.tokenize(os.path.join(path, 'train.txt'));
    this.valid = this.tokenize(os.path.join(path, 'valid.txt'));
    this.test = this.tokenize(os.path.join(path, 'test.txt'));
  }

  /** Tokenizes a text file. */
  tokenize(path: string): Tensor {
    assert(os.path.exists(path));
    // Add words to the dictionary
    for (const line of open(path, 'r', { encoding: 'utf8' })) {
      const words = [...split(line), '<eos>'];
      for (const word of words) {
        this.dictionary.addWord(word);
      }
    }

    // Tokenize file content
    const idss: Tensor[] = [];
    for (const line of open(path, 'r', { encoding: 'utf8' })) {
      const words = [...split(line), '<eos>'];
      const ids: number[] = [];
      for (const word of words) {
        ids.push(this.dictionary.word2idx[word]!);
      }
      idss.push(torch.tensor(ids).long());
    }
    const ids = torch.cat(idss);

    return ids;
  }
}

// --------------------------------------------------------------------------------------- model.py

/** Container module with an encoder, a recurrent module, and a decoder. */
export class RNNModel extends nn.Module {
  ntoken: number;
  drop: torch.nn.Dropout;
  encoder: torch.nn.Embedding;
  rnn: torch.nn.RNNBase;
  decoder: torch.nn.Linear;
  rnnType: string;
  nhid: number;
  nlayers: number;

  constructor(rnnType: string, ntoken: number, ninp: number, nhid: number, nlayers: number, dropout = 0.5, tieWeights = false) {
    super();
    this.ntoken = ntoken;
    this.drop = new nn.Dropout(dropout);
    this.encoder = new nn.Embedding(ntoken, ninp);
    if (['LSTM', 'GRU'].includes(rnnType)) {
      this.rnn = new nn[rnnType as 'LSTM' | 'GRU'](ninp, nhid, { numLayers: nlayers, dropout: dropout });
    } else {
      const nonlinearity = ({ RNN_TANH: 'tanh', RNN_RELU: 'relu' } as Record<string, 'tanh' | 'relu'>)[rnnType];
      if (nonlinearity === undefined) {
        throw new Error(`An invalid option for \`--model\` was supplied,
                                 options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']`);
      }
      this.rnn = new nn.RNN(ninp, nhid, { numLayers: nlayers, nonlinearity: nonlinearity, dropout: dropout });
    }
    this.decoder = new nn.Linear(nhid, ntoken);

    // Optionally tie weights as in:
    // "Using the Output Embedding to Improve Language Models" (Press & Wolf 2016)
    // https://arxiv.org/abs/1608.05859
    // and
    // "Tying Word Vectors and Word Classifiers: A Loss Framework for Language Modeling" (Inan et al. 2016)
    // https://arxiv.org/abs/1611.01462
    if (tieWeights) {
      if (nhid !== ninp) {
        throw new Error('When using the tied flag, nhid must be equal to emsize');
      }
      this.decoder.weight = this.encoder.weight;
    }

    this.initWeights();

    this.rnnType = rnnType;
    this.nhid = nhid;
    this.nlayers = nlayers;
  }

  initWeights(): void {
    const initrange = 0.1;
    nn.init.uniform_(this.encoder.weight, -initrange, initrange);
    nn.init.zeros_(this.decoder.bias!);
    nn.init.uniform_(this.decoder.weight, -initrange, initrange);
  }

  override forward(input: Tensor, hidden: Hidden): [Tensor, Hidden] {
    const emb = this.drop.forward(this.encoder.forward(input));
    let output: Tensor;
    [output, hidden] = this.rnn.forward(emb, hidden) as [Tensor, Hidden];
    output = this.drop.forward(output);
    let decoded = this.decoder.forward(output);
    decoded = decoded.view(-1, this.ntoken);
    return [F.logSoftmax(decoded, 1), hidden];
  }

  initHidden(bsz: number): Hidden {
    const weight = this.parameters()[0]!;
    if (this.rnnType === 'LSTM') {
      return [weight.newZeros(this.nlayers, bsz, this.nhid),
              weight.newZeros(this.nlayers, bsz, this.nhid)];
    } else {
      return weight.newZeros(this.nlayers, bsz, this.nhid);
    }
  }
}

// Temporarily leave PositionalEncoding module here. Will be moved somewhere else.
/**
 * Inject some information about the relative or absolute position of the tokens in the sequence.
 * The positional encodings have the same dimension as the embeddings, so that the two can be summed.
 * Here, we use sine and cosine functions of different frequencies.
 *   PosEncoder(pos, 2i) = sin(pos/10000^(2i/d_model)); PosEncoder(pos, 2i+1) = cos(pos/10000^(2i/d_model))
 * Args: dModel: the embed dim (required). dropout: the dropout value (default=0.1).
 * maxLen: the max. length of the incoming sequence (default=5000).
 */
export class PositionalEncoding extends nn.Module {
  dropout: torch.nn.Dropout;
  declare pe: Tensor;

  constructor(dModel: number, dropout = 0.1, maxLen = 5000) {
    super();
    this.dropout = new nn.Dropout({ p: dropout });

    let pe = torch.zeros(maxLen, dModel);
    const position = torch.arange(0, maxLen, { dtype: 'float32' }).unsqueeze(1);
    const divTerm = torch.exp(torch.arange(0, dModel, 2).float().mul(-math.log(10000.0) / dModel));
    pe.set(':', '0::2', torch.sin(position.mul(divTerm)));
    pe.set(':', '1::2', torch.cos(position.mul(divTerm)));
    pe = pe.unsqueeze(0).transpose(0, 1);
    this.registerBuffer('pe', pe);
  }

  /** x: [sequence length, batch size, embed dim] → the same shape. */
  override forward(x: Tensor): Tensor {
    x = x.add(this.pe.index([null, x.size(0)], ':'));
    return this.dropout.forward(x);
  }
}

/** Container module with an encoder, a recurrent or transformer module, and a decoder. */
export class TransformerModel extends nn.Transformer {
  modelType: string;
  srcMask: Tensor | null;
  posEncoder: PositionalEncoding;
  inputEmb: torch.nn.Embedding;
  ninp: number;
  declare decoder: torch.nn.Linear;

  constructor(ntoken: number, ninp: number, nhead: number, nhid: number, nlayers: number, dropout = 0.5) {
    super({ dModel: ninp, nhead: nhead, dimFeedforward: nhid, numEncoderLayers: nlayers });
    this.modelType = 'Transformer';
    this.srcMask = null;
    this.posEncoder = new PositionalEncoding(ninp, dropout);

    this.inputEmb = new nn.Embedding(ntoken, ninp);
    this.ninp = ninp;
    this.decoder = new nn.Linear(ninp, ntoken);

    this.initWeights();
  }

  _generateSquareSubsequentMask(sz: number): Tensor {
    return torch.log(torch.tril(torch.ones(sz, sz)));
  }

  initWeights(): void {
    const initrange = 0.1;
    nn.init.uniform_(this.inputEmb.weight, -initrange, initrange);
    nn.init.zeros_(this.decoder.bias!);
    nn.init.uniform_(this.decoder.weight, -initrange, initrange);
  }

  override forward(src: Tensor, hasMask: unknown = true): Tensor {
    if (hasMask) {
      const device = src.device;
      if (this.srcMask === null || this.srcMask.size(0) !== len(src)) {
        const mask = this._generateSquareSubsequentMask(len(src)).to(device);
        this.srcMask = torch.keep(mask);
      }
    } else {
      this.srcMask = null;
    }

    src = this.inputEmb.forward(src).mul(math.sqrt(this.ninp));
    src = this.posEncoder.forward(src);
    let output = this.encoder.forward(src, { mask: this.srcMask }) as Tensor;
    output = this.decoder.forward(output);
    return F.logSoftmax(output, -1);
  }
}

// ---------------------------------------------------------------------------------------- main.py

const parser = new ArgumentParser({ description: 'PyTorch Wikitext-2 RNN/LSTM/GRU/Transformer Language Model' });
parser.addArgument('--data', { type: str, default: '',
                    help: 'location of the data corpus (default: the KJV, see the header)' });
parser.addArgument('--kjv-lines', { type: int, default: 0,
                    help: 'with the default data: the first N lines of each KJV split only (0: all)' });
parser.addArgument('--model', { type: str, default: 'LSTM',
                    help: 'type of network (RNN_TANH, RNN_RELU, LSTM, GRU, Transformer)' });
parser.addArgument('--emsize', { type: int, default: 200,
                    help: 'size of word embeddings' });
parser.addArgument('--nhid', { type: int, default: 200,
                    help: 'number of hidden units per layer' });
parser.addArgument('--nlayers', { type: int, default: 2,
                    help: 'number of layers' });
parser.addArgument('--lr', { type: float, default: 20,
                    help: 'initial learning rate' });
parser.addArgument('--clip', { type: float, default: 0.25,
                    help: 'gradient clipping' });
parser.addArgument('--epochs', { type: int, default: 40,
                    help: 'upper epoch limit' });
parser.addArgument('--batch_size', { type: int, default: 20, metavar: 'N',
                    help: 'batch size' });
parser.addArgument('--bptt', { type: int, default: 35,
                    help: 'sequence length' });
parser.addArgument('--dropout', { type: float, default: 0.2,
                    help: 'dropout applied to layers (0 = no dropout)' });
parser.addArgument('--tied', { action: 'store_true',
                    help: 'tie the word embedding and softmax weights' });
parser.addArgument('--seed', { type: int, default: 1111,
                    help: 'random seed' });
parser.addArgument('--log-interval', { type: int, default: 200, metavar: 'N',
                    help: 'report interval' });
parser.addArgument('--save', { type: str, default: 'model.pt',
                    help: 'path to save the final model' });
parser.addArgument('--onnx-export', { type: str, default: '',
                    help: 'path to export the final model in onnx format' });
parser.addArgument('--nhead', { type: int, default: 2,
                    help: 'the number of heads in the encoder/decoder of the transformer model' });
parser.addArgument('--dry-run', { action: 'store_true',
                    help: 'verify the code and the model' });
parser.addArgument('--accel', { action: 'store_true',
                    help: 'Enables accelerated training' });
parser.addArgument('--use-optimizer', { action: 'store_true',
                    help: 'Uses AdamW optimizer for gradient updating' });

/** The KJV's three splits as the Corpus files (train.txt, valid.txt, test.txt), written once. */
export function kjvCorpusDir(lines = 0): string {
  const dir = joinPath(nablaCacheDir(), 'kjv-word-lm', lines > 0 ? `first-${lines}-lines` : 'all');
  if (existsSync(joinPath(dir, 'test.txt'))) return dir;
  const text = kjv();
  mkdirSync(dir, { recursive: true });
  const first = (s: string): string => (lines > 0 ? s.trimStart().split('\n').slice(0, lines) : s.trimStart().split('\n')).join('\n');
  writeFileSync(joinPath(dir, 'train.txt'), first(text.train));
  writeFileSync(joinPath(dir, 'valid.txt'), first(text.val));
  writeFileSync(joinPath(dir, 'test.txt'), first(text.test));
  return dir;
}

// The original's globals.
export let args: Record<string, any>;
export let device: string;
export let corpus: Corpus;
export let trainData: Tensor, valData: Tensor, testData: Tensor;
export let ntokens: number;
export let model: RNNModel | TransformerModel;
export let criterion: torch.nn.NLLLoss;
export let optimizer: torch.optim.AdamW;
export let lr: number;
export let bestValLoss: number | null;
let epoch = 0;
const evalBatchSize = 10;

export function setup(argv?: readonly string[]): void {
  args = parser.parseArgs(argv);

  // Set the random seed manually for reproducibility.
  torch.manualSeed(args.seed);

  device = 'cpu';

  console.log('Using device:', device);

  /////////////////////////////////////////////////////////////////////////////
  // Load data
  /////////////////////////////////////////////////////////////////////////////

  corpus = new Corpus(args.data || kjvCorpusDir(args.kjvLines));

  trainData = batchify(corpus.train, args.batchSize);
  valData = batchify(corpus.valid, evalBatchSize);
  testData = batchify(corpus.test, evalBatchSize);

  /////////////////////////////////////////////////////////////////////////////
  // Build the model
  /////////////////////////////////////////////////////////////////////////////

  ntokens = len(corpus.dictionary);
  if (args.model === 'Transformer') {
    model = new TransformerModel(ntokens, args.emsize, args.nhead, args.nhid, args.nlayers, args.dropout).to(device);
  } else {
    model = new RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied).to(device);
  }

  criterion = new nn.NLLLoss();
  if (args.useOptimizer) {
    optimizer = new torch.optim.AdamW(model.parameters(), { lr: args.lr });
  }

  // Loop over epochs.
  lr = args.lr;
  bestValLoss = null;
}

// Starting from sequential data, batchify arranges the dataset into columns.
// For instance, with the alphabet as the sequence and batch size 4, we'd get
// ┌ a g m s ┐
// │ b h n t │
// │ c i o u │
// │ d j p v │
// │ e k q w │
// └ f l r x ┘.
// These columns are treated as independent by the model, which means that the
// dependence of e. g. 'g' on 'f' can not be learned, but allows more efficient
// batch processing.

export function batchify(data: Tensor, bsz: number): Tensor {
  // Work out how cleanly we can divide the dataset into bsz parts.
  const nbatch = Math.floor(data.size(0) / bsz);
  // Trim off any extra elements that wouldn't cleanly fit (remainders).
  data = data.narrow(0, 0, nbatch * bsz);
  // Evenly divide the data across the bsz batches.
  data = data.view(bsz, -1).t().contiguous();
  return data.to(device);
}

///////////////////////////////////////////////////////////////////////////////
// Training code
///////////////////////////////////////////////////////////////////////////////

/** Wraps hidden states in new Tensors, to detach them from their history. */
export function repackageHidden(h: Hidden): Hidden {
  if (h instanceof Tensor) {
    return h.detach();
  } else {
    return h.map((v) => repackageHidden(v) as Tensor);
  }
}

// get_batch subdivides the source data into chunks of length args.bptt.
// If source is equal to the example output of the batchify function, with
// a bptt-limit of 2, we'd get the following two Variables for i = 0:
// ┌ a g m s ┐ ┌ b h n t ┐
// └ b h n t ┘ └ c i o u ┘
// Note that despite the name of the function, the subdivison of data is not
// done along the batch dimension (i.e. dimension 1), since that was handled
// by the batchify function. The chunks are along dimension 0, corresponding
// to the seq_len dimension in the LSTM.

export function getBatch(source: Tensor, i: number): [Tensor, Tensor] {
  const seqLen = Math.min(args.bptt, len(source) - 1 - i);
  const data = source.index([i, i + seqLen]);
  const target = source.index([i + 1, i + 1 + seqLen]).view(-1);
  return [data, target];
}

export function evaluate(dataSource: Tensor): number {
  // Turn on evaluation mode which disables dropout.
  model.eval();
  let totalLoss = 0.;
  const ntokens = len(corpus.dictionary);
  let hidden: Hidden | undefined;
  if (args.model !== 'Transformer') {
    hidden = (model as RNNModel).initHidden(evalBatchSize);
  }
  torch.noGrad(() => {
    for (const i of range(0, dataSource.size(0) - 1, args.bptt)) {
      hidden = torch.scope(() => {
        const [data, targets] = getBatch(dataSource, i);
        let output: Tensor;
        if (args.model === 'Transformer') {
          output = (model as TransformerModel).forward(data);
          output = output.view(-1, ntokens);
        } else {
          [output, hidden] = (model as RNNModel).forward(data, hidden!);
          hidden = repackageHidden(hidden);
        }
        totalLoss += len(data) * criterion.forward(output, targets).item();
        return hidden;
      });
    }
  });
  return totalLoss / (len(dataSource) - 1);
}

export function train(): void {
  // Turn on training mode which enables dropout.
  model.train();
  let totalLoss = 0.;
  let startTime = time.time();
  const ntokens = len(corpus.dictionary);
  let hidden: Hidden | undefined;
  if (args.model !== 'Transformer') {
    hidden = (model as RNNModel).initHidden(args.batchSize);
  }
  for (const [batch, i] of enumerate(range(0, trainData.size(0) - 1, args.bptt))) {
    hidden = torch.scope(() => {
      const [data, targets] = getBatch(trainData, i);
      // Starting each batch, we detach the hidden state from how it was previously produced.
      // If we didn't, the model would try backpropagating all the way to start of the dataset.
      if (args.useOptimizer) {
        optimizer.zeroGrad();
      } else {
        model.zeroGrad();
      }
      let output: Tensor;
      if (args.model === 'Transformer') {
        output = (model as TransformerModel).forward(data);
        output = output.view(-1, ntokens);
      } else {
        hidden = repackageHidden(hidden!);
        [output, hidden] = (model as RNNModel).forward(data, hidden);
      }
      const loss = criterion.forward(output, targets);
      loss.backward();

      // `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
      torch.optim.clipGradNorm(model.parameters(), args.clip);
      if (args.useOptimizer) {
        optimizer.step();
      } else {
        for (const p of model.parameters()) {
          torch.noGrad(() => p.add_(p.grad!, { alpha: -lr }));
        }
      }

      totalLoss += loss.item();

      if (batch % args.logInterval === 0 && batch > 0) {
        const curLoss = totalLoss / args.logInterval;
        const elapsed = time.time() - startTime;
        console.log(`| epoch ${String(epoch).padStart(3)} | ${String(batch).padStart(5)}/${String(Math.floor(len(trainData) / args.bptt)).padStart(5)} batches | lr ${lr.toFixed(2).padStart(2, '0')} | ms/batch ${(elapsed * 1000 / args.logInterval).toFixed(2).padStart(5)} | ` +
                    `loss ${curLoss.toFixed(2).padStart(5)} | ppl ${math.exp(curLoss).toFixed(2).padStart(8)}`);
        totalLoss = 0;
        startTime = time.time();
      }
      return hidden;
    });
    if (args.dryRun) {
      break;
    }
  }
}

export async function exportOnnx(path: string, batchSize: number, seqLen: number): Promise<void> {
  console.log(`The model is also exported in ONNX format at ${os.path.realpath(args.onnxExport)}.`);
  model.eval();
  const dummyInput = torch.zeros([seqLen * batchSize], { dtype: 'int32' }).view(-1, batchSize);
  const hidden = (model as RNNModel).initHidden(batchSize);
  await exportModelFile(path, model, [dummyInput, ...[hidden].flat()], { dynamicAxes: false });
}

export async function main(argv?: readonly string[]): Promise<void> {
  setup(argv);
  // At any point you can hit Ctrl + C to break out of training early.
  let interrupted = false;
  const onSigint = (): void => { interrupted = true; };
  process.once('SIGINT', onSigint);
  for (epoch = 1; epoch < args.epochs + 1 && !interrupted; epoch++) {
    const epochStartTime = time.time();
    train();
    const valLoss = evaluate(valData);
    console.log('-'.repeat(89));
    console.log(`| end of epoch ${String(epoch).padStart(3)} | time: ${(time.time() - epochStartTime).toFixed(2).padStart(5)}s | valid loss ${valLoss.toFixed(2).padStart(5)} | ` +
                `valid ppl ${math.exp(valLoss).toFixed(2).padStart(8)}`);
    console.log('-'.repeat(89));
    // Save the model if the validation loss is the best we've seen so far.
    if (!bestValLoss || valLoss < bestValLoss) {
      await save(args.save, model.stateDict(), { args: JSON.stringify(args) });
      bestValLoss = valLoss;
    } else {
      // Anneal the learning rate if no improvement has been seen in the validation dataset.
      lr /= 4.0;
    }
  }
  process.removeListener('SIGINT', onSigint);
  if (interrupted) {
    console.log('-'.repeat(89));
    console.log('Exiting from training early');
  }

  // Load the best saved model.
  model.loadStateDict(await load(args.save));
  // after load the rnn params are not a continuous chunk of memory
  // this makes them a continuous chunk, and will speed up forward pass
  // Currently, only rnn model supports flatten_parameters function.
  if (['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'].includes(args.model)) {
    (model as RNNModel).rnn.flattenParameters();
  }

  // Run on test data.
  const testLoss = evaluate(testData);
  console.log('='.repeat(89));
  console.log(`| End of training | test loss ${testLoss.toFixed(2).padStart(5)} | test ppl ${math.exp(testLoss).toFixed(2).padStart(8)}`);
  console.log('='.repeat(89));

  if (len(args.onnxExport) > 0) {
    // Export the model in ONNX format.
    await exportOnnx(args.onnxExport, 1, args.bptt);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
