// Token attributions for the sequence tasks (issue 17): integrated gradients on a token embedding
// (nb.explain.layerIntegratedGradients), one number per position; the checks of the shared explain
// flags that apply to text, and how a position is named when printed.

import * as nb from '../index.js';
import { UsageError } from '../cli/args.js';
import type { Options } from './task.js';
import { parseMethods } from './explain.js';

export interface TokenAttribution {
  /** one attribution per position of the input (the embedding's output summed over its width) */
  values: Float64Array;
  /** the explained output at the input and at the baseline: the values add up to fx − fb (completeness) */
  fx: number;
  fb: number;
}

/**
 * Integrated gradients of `model`'s output for one sequence (`x` [1, …] ids; the model maps it to
 * [1, C] scores, explained at `target`, or to [1]) along the straight path from the baseline's
 * embeddings to the input's, 50 Gauss–Legendre steps. `layer` is the embedding, whose output is [1, L, E].
 */
export function tokenAttributions(model: nb.nn.Module, layer: nb.nn.Module, x: nb.Tensor, baseline: nb.Tensor, target?: number): TokenAttribution {
  return nb.scope(() => {
    const a = nb.explain.layerIntegratedGradients(model, x, { layer, baselines: baseline, target });
    if (a.ndim !== 3 || a.shape[0] !== 1) throw new Error(`explain: expected the embedding's output to be [1, L, E], got [${a.shape.join(', ')}]`);
    const values = Float64Array.from(a.sum(2).dataSync());
    const at = (t: nb.Tensor): number => nb.noGrad(() => {
      const out = model.forward(t) as nb.Tensor;
      return target === undefined ? out.reshape([-1]).dataSync()[0]! : out.reshape([-1]).dataSync()[target]!;
    });
    return { values, fx: at(x), fb: at(baseline) };
  });
}

/** Text models are explained by integrated gradients on the embedding: --method may only name that, --layer is not used. */
export function checkTextMethod(flags: Options): void {
  const methods = parseMethods(flags, () => ['integrated-gradients']);
  const other = methods.find((m) => m !== 'integrated-gradients');
  if (other) throw new UsageError(`explain: a text model is explained by integrated gradients on its character embedding (one number per character); --method ${other} is for images and tables`);
  if (flags.layer !== undefined) throw new UsageError('explain: --layer is for Grad-CAM on images; a text model is explained on its character embedding');
}

/** How a character shows in a line: "h" at 44 (…and t[h]e hea…). */
export function charName(chars: readonly string[], i: number): string {
  const before = chars.slice(Math.max(0, i - 10), i).join(''), after = chars.slice(i + 1, i + 5).join('');
  const ctx = `${i > 10 ? '…' : ''}${before}[${chars[i]}]${after}${i + 5 < chars.length ? '…' : ''}`.replace(/\n/g, '⏎');
  return `${JSON.stringify(chars[i])} at ${i + 1} (${ctx})`;
}

/** A line that checks completeness for the user: the attributions' sum beside f(input) − f(baseline). */
export function sumLine(a: TokenAttribution, count: number, baselineName: string): string {
  const sum = a.values.reduce((s, v) => s + v, 0);
  const sign = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toPrecision(4)}`;
  return `  all ${count} characters add up to ${sign(sum)}; the text minus ${baselineName}: ${sign(a.fx - a.fb)}`;
}
