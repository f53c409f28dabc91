// `nabla predict CHECKPOINT rows.csv` for tabular models: raw rows (any column order, the target
// optional) read with the preprocessing saved in the checkpoint; one line per row.

import { existsSync } from 'node:fs';
import * as nb from '../../index.js';
import { readRawCsvFile } from '../../node.js';
import { UsageError } from '../../cli/args.js';
import type { Verb } from '../task.js';
import { preprocessorOf, type TabularMeta } from './data.js';

export const tabularPredict: Verb<TabularMeta> = {
  summary: 'predictions for the rows of a CSV file (the target column is optional)',
  usage: 'rows.csv [options]',
  flags: { top: { type: 'int', default: 1, min: 1, help: 'classes to show per row' } },
  run({ model, ctx, flags, args, checkpoint, log }) {
    if (args.length !== 1) throw new UsageError('predict: give one CSV file of rows after the checkpoint');
    if (!existsSync(args[0]!)) throw new UsageError(`predict: no file at ${args[0]}`);
    const pp = preprocessorOf(ctx.meta, checkpoint);
    let enc: nb.data.tabular.Encoded;
    const t = readRawCsvFile(args[0]!);
    try {
      enc = nb.data.tabular.transformRows(pp, t);
    } catch (e) {
      throw new UsageError(`predict: ${(e as Error).message}`);
    }
    const pred = nb.apps.tabular.predictTabular(model, pp, enc);
    const names = pp.classNames ?? pp.classes;
    let correct = 0;
    for (let i = 0; i < enc.n; i++) {
      const note = enc.unseen[i]!.length ? `  (not seen in training: ${enc.unseen[i]!.join(', ')})` : '';
      if (pred.values) {
        const truth = enc.y ? ` (actual ${(enc.y[i]! * pp.targetStd! + pp.targetMean!).toPrecision(6)})` : '';
        log(`line ${t.lines[i]}: ${pp.target} ${pred.values[i]!.toPrecision(6)}${truth}${note}`);
        continue;
      }
      const C = names!.length, k = Math.min(flags.top as number, C);
      const ranked = Array.from({ length: C }, (_, c) => c).sort((a, b) => pred.probs![i * C + b]! - pred.probs![i * C + a]!).slice(0, k);
      if (enc.y && enc.y[i] === ranked[0]) correct++;
      const truth = enc.y ? ` (actual ${names![enc.y[i]!]})` : '';
      log(`line ${t.lines[i]}: ${ranked.map((c) => `${names![c]} ${(100 * pred.probs![i * C + c]!).toFixed(1)}%`).join(', ')}${truth}${note}`);
    }
    if (enc.y && pred.labels) log(`accuracy on these rows ${(100 * correct / enc.n).toFixed(2)}% (${correct} of ${enc.n})`);
    return 0;
  },
};
