// `nabla translate CHECKPOINT "Guten Morgen" …`: German → English with a trained FreeDict model
// (beam search, or greedy with --beam 1).

import * as nb from '../../index.js';
import { UsageError } from '../../cli/args.js';
import type { Verb } from '../task.js';
import { lengthPenalty, runFuzzyMatcher, vocabsOf, type FreedictMeta } from './data.js';

export const translateVerb: Verb<FreedictMeta> = {
  summary: 'translate German words or phrases into English',
  usage: '"TEXT"… [--beam K]',
  flags: {
    beam: { type: 'int', default: 5, min: 1, help: 'beam width (1: greedy)' },
    'max-length': { type: 'int', default: 60, min: 1, help: 'longest translation in characters' },
    'length-penalty': { type: 'number', min: 0, help: 'beam search ranks finished translations by log P / length^this (default: the run\'s)' },
  },
  run({ model, ctx, flags, args, log }) {
    if (!args.length) throw new UsageError('translate: give the German text to translate after the checkpoint, e.g. "Guten Morgen"');
    const vocabs = vocabsOf(ctx.meta);
    for (const a of args) if (!a.trim()) throw new UsageError('translate: an empty text was given');
    // a run with fuzzy matches reads each text beside the translation of a similar training headword
    const fuzzy = runFuzzyMatcher(ctx.options);
    const inputs = args.map((a) => fuzzy?.input(a) ?? a);
    const out = nb.models.translate(model as nb.models.Seq2SeqModel, vocabs, inputs, { beamSize: flags.beam as number, maxLength: flags['max-length'] as number, lengthPenalty: (flags['length-penalty'] as number | undefined) ?? lengthPenalty(ctx.options) });
    args.forEach((a, i) => log(`${a} → ${out[i]}${fuzzy ? `   (fuzzy match read: ${inputs[i]!.slice(a.length + nb.text.FUZZY_SEP.length)})` : ''}`));
    return 0;
  },
};
