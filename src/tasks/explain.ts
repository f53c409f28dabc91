// Explanations for every task (issue 17): the flags `nabla explain` shares across tasks, the image
// classifiers' explain verb (heatmap PNGs over the input) and report section (right and wrong test
// images with Grad-CAM and integrated gradients), and top-attribution lines for rows and tokens.

import { basename, extname, join } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import * as nb from '../index.js';
import { encodePng, writePngFile } from '../node.js';
import { UsageError } from '../cli/args.js';
import type { FlagSpec, Options, Verb } from './task.js';

const { explain } = nb;

/** The flags of `nabla explain`, the same for every task (the CLI parses one verb's flags for all tasks). */
export const EXPLAIN_FLAGS: Record<string, FlagSpec> = {
  method: { type: 'string', help: `comma-separated: ${explain.METHOD_NAMES.join(', ')} (default: grad-cam and integrated-gradients; saliency instead of grad-cam for a model without conv layers)` },
  target: { type: 'string', help: 'the class to explain, by name or index (default: the predicted class)' },
  out: { type: 'string', default: '.', help: 'directory for the heatmap PNGs' },
  layer: { type: 'string', help: 'the layer Grad-CAM looks at, by name (default: the last conv activation)' },
  top: { type: 'int', default: 10, min: 1, help: 'attributions to print per row or sequence' },
};

/** The methods --method names, checked (`dflt` when it is not given). */
export function parseMethods(flags: Options, dflt: () => nb.explain.MethodName[]): nb.explain.MethodName[] {
  if (flags.method === undefined) return dflt();
  const names = String(flags.method).split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new UsageError('explain: --method needs at least one method');
  for (const n of names) {
    if (!(explain.METHOD_NAMES as readonly string[]).includes(n)) throw new UsageError(`explain: unknown --method '${n}' (methods: ${explain.METHOD_NAMES.join(', ')})`);
  }
  return names as nb.explain.MethodName[];
}

/** --target as a class index: a class name (any case) or an index; undefined when not given. */
export function parseTarget(flags: Options, classes: readonly string[]): number | undefined {
  const t = flags.target;
  if (t === undefined) return undefined;
  const s = String(t);
  const byName = classes.findIndex((c) => c.toLowerCase() === s.toLowerCase());
  if (byName >= 0) return byName;
  const i = Number(s);
  if (Number.isInteger(i) && i >= 0 && i < classes.length) return i;
  throw new UsageError(`explain: --target '${s}' is neither a class nor an index below ${classes.length} (classes: ${classes.join(', ')})`);
}

/** One image as the model reads it and as it should be shown. */
export interface ImageInput {
  /** [C, H, W], normalised like the training data */
  x: Float32Array;
  /** [C, H, W] in [0, 1], for the pictures */
  display: Float32Array;
  /** e.g. '(inverted: it looks dark-on-light)' */
  note?: string;
}

export interface ImageExplainSpec<M> {
  /** [C, H, W] of the model's input */
  shape(meta: M): [number, number, number];
  classes(meta: M): readonly string[];
  /** a black pixel as the model sees it (the baseline of integrated gradients, DeepLift, occlusion) */
  baseline(meta: M): number;
  read(path: string, meta: M): ImageInput;
}

/** `nabla explain CHECKPOINT image.png…` for image classifiers: one heatmap PNG per image and method. */
export function imageExplainVerb<M extends nb.train.JsonValue>(spec: ImageExplainSpec<M>): Verb<M> {
  return {
    summary: 'heatmaps of what a prediction rests on, as PNGs over each image (integrated gradients, Grad-CAM, occlusion, …)',
    usage: 'image.png… [--method integrated-gradients,grad-cam] [--target CLASS] [--out DIR]',
    flags: EXPLAIN_FLAGS,
    run({ model, ctx, flags, args, log }) {
      if (args.length < 1) throw new UsageError('explain: give at least one image after the checkpoint');
      for (const a of args) if (!existsSync(a)) throw new UsageError(`explain: no image at ${a}`);
      const classes = spec.classes(ctx.meta), shape = spec.shape(ctx.meta);
      const methods = parseMethods(flags, () => nb.scope(() => explain.defaultImageMethods(model, nb.zeros([1, ...shape]))));
      const wanted = parseTarget(flags, classes);
      const out = String(flags.out);
      mkdirSync(out, { recursive: true });
      for (const path of args) {
        const img = spec.read(path, ctx.meta);
        nb.scope(() => {
          const x = nb.tensor(img.x, { shape: [1, ...shape] });
          const probs = nb.noGrad(() => nb.softmax(model.forward(x) as nb.Tensor, 1)).dataSync();
          const pred = probs.indexOf(Math.max(...probs));
          const target = wanted ?? pred;
          const display = nb.tensor(img.display, { shape });
          const stem = basename(path, extname(path));
          const written: string[] = [];
          for (const m of methods) {
            const a = explain.runMethod(m, model, x, { target, baseline: spec.baseline(ctx.meta), layer: flags.layer as string | undefined });
            const file = join(out, `${stem}.${m}.png`);
            writePngFile(file, explain.heatmapOverlay(display, a.select(0, 0), { sign: explain.heatmapSign(m) }));
            written.push(`${explain.METHOD_TITLES[m]} → ${file}`);
          }
          log(`${path}: predicted ${classes[pred]} ${(100 * probs[pred]!).toFixed(1)}%${img.note ? ` ${img.note}` : ''}; explaining ${classes[target]}${wanted !== undefined && wanted !== pred ? ` (${(100 * probs[target]!).toFixed(1)}%)` : ''}: ${written.join(', ')}`);
        });
      }
      return 0;
    },
  };
}

/** A test example kept for the report's explanations. */
export interface ExplainExample { x: Float32Array; display: Float32Array; predicted: number; actual: number; probability: number }

/**
 * The report's "Explanations" section for an image classifier: right and wrong test images, each
 * with its Grad-CAM (saliency for a model without conv layers) and integrated-gradients heatmaps
 * for the predicted class.
 */
export function imageExplanationsHtml(model: nb.nn.Module, examples: readonly ExplainExample[], shape: [number, number, number], classes: readonly string[], baseline: number): string {
  if (!examples.length) return '';
  // The inspector finishes after evaluate() has put the model back in its mode: explain the eval-mode model.
  let methods: nb.explain.MethodName[] = [];
  const rows = inEvalMode(model, () => nb.scope(() => {
    const n = examples.length;
    const x = nb.tensor(concat(examples.map((e) => e.x)), { shape: [n, ...shape] });
    methods = explain.defaultImageMethods(model, x);
    const display = nb.tensor(concat(examples.map((e) => e.display)), { shape: [n, ...shape] });
    const target = examples.map((e) => e.predicted);
    const maps = new Map(methods.map((m) => [m, explain.runMethod(m, model, x, { target, baseline })] as const));
    return explain.panels(display, maps, 3).map((pics, i) => {
      const e = examples[i]!;
      const caption = `predicted ${classes[e.predicted]} (${(100 * e.probability).toFixed(1)}%)${e.predicted === e.actual ? '' : `, true ${classes[e.actual]}`}`;
      const titles = ['input', ...methods.map((m) => explain.METHOD_TITLES[m])];
      return { caption, correct: e.predicted === e.actual, images: pics.map((p, k) => ({ title: titles[k]!, src: dataUri(p) })) };
    });
  }));
  const first = methods[0] === 'grad-cam' ? 'Grad-CAM (the last conv layer\'s regions, brighter = more)'
    : 'saliency (|gradient|, brighter = more sensitive; Grad-CAM needs a conv layer, which this model has not)';
  return '<h2>Explanations</h2><p class="muted">What the predicted class rests on, for test images the model got right and wrong: '
    + `${first} and integrated gradients from a black image (red adds to the class, blue takes away). `
    + `<code>nabla explain CHECKPOINT image.png --method …</code> draws these for any image.</p>${explain.imagePanelsHtml(rows, 84)}`;
}

/** Runs fn with the model in eval mode (a report section runs after evaluate() put the model back in its mode). */
export function inEvalMode<T>(model: nb.nn.Module, fn: () => T): T {
  const was = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    model.train(was);
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function dataUri(img: nb.explain.RgbaImage): string {
  return `data:image/png;base64,${Buffer.from(encodePng(img)).toString('base64')}`;
}

/** Lines naming the k largest attributions of one row or sequence: `  +0.412  age = 63`. */
export function attributionLines(names: readonly string[], values: ArrayLike<number>, k: number): string[] {
  return explain.topAttributions(values, k, names).map((t) => `  ${t.value >= 0 ? '+' : '−'}${Math.abs(t.value).toPrecision(3).padEnd(8)} ${t.name}`);
}

