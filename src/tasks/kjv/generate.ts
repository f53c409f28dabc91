// `nabla generate CHECKPOINT --prompt "In the beginning" --tokens 300 --temperature 0.8 --top-k 40`:
// continues a prompt with a trained KJV character model, sampling from nabla's seeded generator.

import * as nb from '../../index.js';
import { UsageError } from '../../cli/args.js';
import type { Verb } from '../task.js';
import type { KjvMeta } from './index.js';

export const generateVerb: Verb<KjvMeta> = {
  summary: 'sample text from a character language model (seeded)',
  usage: '[--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] [--seed S]',
  flags: {
    prompt: { type: 'string', default: 'In the beginning', help: 'the text to continue' },
    tokens: { type: 'int', default: 300, min: 0, help: 'characters to generate' },
    temperature: { type: 'number', default: 0.8, help: 'divides the logits before sampling (> 0; lower is more conservative)' },
    'top-k': { type: 'int', default: 40, min: 0, help: 'sample among the k likeliest characters (0: all)' },
    seed: { type: 'int', default: 0, min: 0, help: 'the sampling seed: the same seed gives the same text' },
  },
  run({ model, ctx, flags, args, log }) {
    if (args.length) throw new UsageError(`generate: unexpected argument '${args[0]}' (the prompt goes in --prompt)`);
    const t = flags.temperature as number;
    if (!(t > 0)) throw new UsageError(`generate: --temperature must be > 0, got ${t}`);
    const vocab = new nb.text.CharVocab(ctx.meta.chars);
    const prompt = flags.prompt as string;
    for (const [i, c] of Array.from(prompt).entries()) {
      if (!vocab.has(c)) throw new UsageError(`generate: --prompt character ${JSON.stringify(c)} at position ${i} never occurs in the KJV text the model was trained on`);
    }
    const text = nb.models.generateText(model as nb.models.CharLanguageModel, vocab, prompt, {
      tokens: flags.tokens as number, temperature: t, topK: flags['top-k'] as number, seed: flags.seed as number,
    });
    log(prompt + text);
    return 0;
  },
};
