// Line-by-line port of pytorch/examples word_language_model/generate.py:
// https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/word_language_model/generate.py
// (BSD-3-Clause, © the PyTorch contributors). Samples words from a model that
// ./word_language_model.ts trained and saved (its --save file), one at a time, at a temperature.
//
// Run (after training): node --import tsx examples/ports/word_language_model_generate.ts --checkpoint model.pt --words 100
//
// Data: as ./word_language_model.ts — the KJV's splits (the same --kjv-lines as the training), or --data DIR.
//
// Not counted as differences: as in ./word_language_model.ts's header.
// Lines that had to differ (10), each with why:
//  1. `torch.accelerator…` / `device = torch.device("cpu")` (5 lines) → device = 'cpu': no accelerator API.
//  2. `with open(args.checkpoint, 'rb') as f:` + safe_globals + `model = torch.load(f, map_location=device)`
//     (22 lines) → the checkpoint's weights and options (loadSafetensorsFile), the model rebuilt from
//     the options and loadStateDict: a nabla file holds data, never a pickled class (5 lines).
//  3. `data.Corpus(args.data)` moved above the model (whose size is the dictionary's) and reading the
//     KJV by default, as the training does.
//  4. `hasattr(model, 'model_type') and …` → 'modelType' in model && …: no hasattr.
//  5. `torch.randint(ntokens, (1, 1), dtype=torch.long)` → {dtype: 'int32'}: nabla's index dtype.
//  6. `with open(args.outf, 'w') as outf:` → const outf = open(args.outf, 'w') … outf.close(): no `with`.
//  7. `with torch.no_grad():` → torch.noGrad(() => {…}): no `with`.
//  8. `output[-1]` → output.select(0, -1): no [] indexing.
//  9-10. `torch.multinomial(word_weights, 1)[0]` → ….index(0).item() (twice): a JavaScript array takes
//     a number as index, not a 0-d tensor (PyTorch's __index__).
// Added: --data's default '' and --kjv-lines, as in the training port.

import { pathToFileURL } from 'node:url';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { loadSafetensorsFile } from '../../src/node.js';
import { ArgumentParser, int, float, str } from './argparse.js';
import { len, range, open } from './pyshim.js';
import { Corpus, RNNModel, TransformerModel, kjvCorpusDir } from './word_language_model.js';

export async function main(argv?: readonly string[]): Promise<void> {
  const parser = new ArgumentParser({ description: 'PyTorch Wikitext-2 Language Model' });
  // Model parameters.
  parser.addArgument('--data', { type: str, default: '',
                      help: 'location of the data corpus (default: the KJV, as the training)' });
  parser.addArgument('--kjv-lines', { type: int, default: 0,
                      help: 'with the default data: the first N lines of each KJV split only, as the training (0: all)' });
  parser.addArgument('--checkpoint', { type: str, default: './model.pt',
                      help: 'model checkpoint to use' });
  parser.addArgument('--outf', { type: str, default: 'generated.txt',
                      help: 'output file for generated text' });
  parser.addArgument('--words', { type: int, default: '1000',
                      help: 'number of words to generate' });
  parser.addArgument('--seed', { type: int, default: 1111,
                      help: 'random seed' });
  parser.addArgument('--temperature', { type: float, default: 1.0,
                      help: 'temperature - higher will increase diversity' });
  parser.addArgument('--log-interval', { type: int, default: 100,
                      help: 'reporting interval' });
  parser.addArgument('--accel', { action: 'store_true', default: false,
                      help: 'use accelerator' });
  const args = parser.parseArgs(argv);

  // Set the random seed manually for reproducibility.
  torch.manualSeed(args.seed);

  const device = 'cpu';

  if (args.temperature < 1e-3) {
    parser.error('--temperature has to be greater or equal 1e-3.');
  }

  const corpus = new Corpus(args.data || kjvCorpusDir(args.kjvLines));
  const ntokens = len(corpus.dictionary);

  const checkpoint = await loadSafetensorsFile(args.checkpoint);
  const saved = JSON.parse(checkpoint.metadata.args ?? '{}');
  const model = saved.model === 'Transformer'
    ? new TransformerModel(ntokens, saved.emsize, saved.nhead, saved.nhid, saved.nlayers, saved.dropout)
    : new RNNModel(saved.model, ntokens, saved.emsize, saved.nhid, saved.nlayers, saved.dropout, saved.tied);
  model.loadStateDict(torch.fromRecords(checkpoint.tensors));
  model.eval();

  const isTransformerModel = 'modelType' in model && model.modelType === 'Transformer';
  let hidden: Tensor | Tensor[] | undefined;
  if (!isTransformerModel) {
    hidden = (model as RNNModel).initHidden(1);
  }
  let input = torch.randint(ntokens, [1, 1], { dtype: 'int32' }).to(device);

  const outf = open(args.outf, 'w');
  torch.noGrad(() => { // no tracking history
    for (const i of range(args.words)) {
      let output: Tensor, wordIdx: number;
      if (isTransformerModel) {
        output = (model as TransformerModel).forward(input, false);
        const wordWeights = output.select(0, -1).squeeze().div(args.temperature).exp().cpu();
        wordIdx = torch.multinomial(wordWeights, 1).index(0).item() as number;
        const wordTensor = torch.tensor([[wordIdx]]).long().to(device);
        input = torch.cat([input, wordTensor], 0);
      } else {
        [output, hidden] = (model as RNNModel).forward(input, hidden!);
        const wordWeights = output.squeeze().div(args.temperature).exp().cpu();
        wordIdx = torch.multinomial(wordWeights, 1).index(0).item() as number;
        input.fill_(wordIdx);
      }

      const word = corpus.dictionary.idx2word[wordIdx]!;

      outf.write(word + (i % 20 === 19 ? '\n' : ' '));

      if (i % args.logInterval === 0) {
        console.log(`| Generated ${i}/${args.words} words`);
      }
    }
  });
  outf.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
