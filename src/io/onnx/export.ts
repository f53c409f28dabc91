// onnx.exportModel: runs the forward once in eval mode on example inputs with every module's
// forward hooked and the op tracer set; each layer with an exporter writes its nodes, containers are
// walked through, and each op a container's forward calls itself is written by its op exporter.

import { Tensor } from '../../tensor/tensor.js';
import { scope } from '../../tensor/memory.js';
import { enableGrad, noGrad } from '../../autograd/graph.js';
import { cat, narrow } from '../../ops/shape.js';
import { Module } from '../../nn/module.js';
import { setTracer } from '../../ops/dispatch.js';
import { OP_EXPORTERS } from './export-ops.js';
import { GraphBuilder, onnxDType } from './builder.js';
import { LAYER_EXPORTERS, type LayerExporter } from './export-layers.js';
import { RNN_EXPORTERS } from './export-rnn.js';
import { ATTENTION_EXPORTERS } from './export-attention.js';
import { ONNX_MODULE_EXPORTERS } from './export-onnx-module.js';
import { encodeModel, type OnnxDim, type OnnxModel, type OnnxValueInfo } from './proto.js';

export interface ExportOptions {
  /** ONNX opset (default 17; 17–20 accepted — the nodes written mean the same in all of them) */
  opset?: number;
  /**
   * Dims that stay symbolic, by input/output name: `{input: {0: 'batch'}, output: {0: 'batch'}}`.
   * Default: dim 0 of every input is 'batch', and so is each output dim that follows it (found by a second forward with inputs one longer). `false` or `{}`: every dim fixed.
   */
  dynamicAxes?: Record<string, Record<number, string>> | false;
  /** graph input names (default 'input', or 'input0', 'input1' … for several) */
  inputNames?: string[];
  /** graph output names (default 'output', or 'output0' …) */
  outputNames?: string[];
  /** model doc string */
  docString?: string;
  /** the model's metadata_props (key → value): what reading its inputs and outputs needs, e.g. class names */
  metadata?: Record<string, string>;
}

const OPTION_KEYS = new Set(['opset', 'dynamicAxes', 'inputNames', 'outputNames', 'docString', 'metadata']);

const EXPORTERS = new Map<Function, LayerExporter>([...LAYER_EXPORTERS, ...RNN_EXPORTERS, ...ATTENTION_EXPORTERS, ...ONNX_MODULE_EXPORTERS]);

/** An exporter for m's exact class, if it has one (a subclass is walked like any container). */
export function exporterFor(m: Module): LayerExporter | undefined {
  return EXPORTERS.get(Object.getPrototypeOf(m).constructor as Function);
}

/** Tensors of a forward's result in order: arrays and tuples flattened, {values, indices} by key, null skipped. */
export function flattenTensors(v: unknown, out: Tensor[] = []): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (Array.isArray(v)) for (const e of v) flattenTensors(e, out);
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const e of Object.values(v)) flattenTensors(e, out);
  return out;
}

function names(given: string[] | undefined, n: number, base: string, what: string): string[] {
  if (given) {
    if (given.length !== n) throw new Error(`exportModel: ${what} has ${given.length} names for ${n} ${base}s`);
    return given;
  }
  return n === 1 ? [base] : Array.from({ length: n }, (_, i) => `${base}${i}`);
}

function outputDimsFollowingBatch(model: Module, inputs: Tensor[]): number[][] {
  return scope(() => noGrad(() => {
    const shapes = (xs: Tensor[]): number[][] => flattenTensors(model.forward(...xs)).map((t) => [...t.shape]);
    const a = shapes(inputs.map((x) => x.clone())); // a forward that updates its input in place leaves the caller's alone
    const b = shapes(inputs.map((x) => (x.ndim ? cat([x, narrow(x, 0, 0, 1)], 0) : x)));
    return a.map((s, i) => s.flatMap((d, k) => (b[i]?.[k] !== d ? [k] : [])));
  }));
}

/** The graph a forward traces to (exportModel encodes it). */
export function traceModel(model: Module, exampleInputs: Tensor | Tensor[], opts: ExportOptions = {}): OnnxModel {
  if (!(model instanceof Module)) throw new TypeError('exportModel: the first argument must be an nn.Module');
  for (const k of Object.keys(opts)) if (!OPTION_KEYS.has(k)) throw new Error(`exportModel: unknown option '${k}' (options: ${[...OPTION_KEYS].join(', ')})`);
  for (const [k, v] of Object.entries(opts.metadata ?? {})) if (typeof v !== 'string') throw new TypeError(`exportModel: metadata '${k}' must be a string, got ${typeof v}`);
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 17 || opset > 20) throw new RangeError(`exportModel: opset must be 17, 18, 19 or 20, got ${opset}`);
  const inputs = exampleInputs instanceof Tensor ? [exampleInputs] : exampleInputs;
  if (!Array.isArray(inputs) || !inputs.length || !inputs.every((t) => t instanceof Tensor)) {
    throw new TypeError('exportModel: exampleInputs must be a tensor or a non-empty array of tensors');
  }
  const b = new GraphBuilder([...model.namedParameters(), ...model.namedBuffers()], opset);
  const inNames = names(opts.inputNames, inputs.length, 'input', 'inputNames');
  inNames.forEach((n) => b.reserve(n));

  const wasTraining = model.training;
  const hooked: [Module, boolean, Module['forward']][] = [];
  const containers: [string, Module][] = [];
  let inside = 0; // > 0 while a layer with an exporter runs its own forward
  const where = (): string => (containers.length ? `the forward of '${containers.at(-1)![0] || '(root)'}' (${containers.at(-1)![1].constructor.name})` : 'the caller');
  // A tensor's graph value: what an op or layer made, a parameter or buffer (an initializer), or else a
  // tensor made without any op (nb.tensor, nb.ones in a forward), written as a Constant with its values.
  const valueOf = (t: Tensor, user: string): string => {
    const v = b.valueOf(t);
    if (v !== undefined && b.writtenSinceBound(t)) {
      // the in-place op ran its out-of-place form (traced) and wrote the result into t's storage, which the graph cannot follow
      throw new Error(`exportModel: ${user} gets a tensor ${[...t.shape].join('×') || 'scalar'} in ${where()} that was updated in place (x.op_(…)) after ` +
        'the op that made it; in-place updates are not exported: write it out of place (x = x.mul(2), not x.mul_(2))');
    }
    if (v !== undefined) return v;
    if (b.isParam(t)) return b.param(t, `${containers.at(-1)?.[0] ?? ''}.param`);
    // Floating inputs require grad during the trace (see below), so a tensor with a gradFn that the
    // trace did not see depends on the inputs or the weights: writing its values would bake one batch's result.
    if (t.gradFn) {
      throw new Error(`exportModel: ${user} gets a tensor ${[...t.shape].join('×') || 'scalar'} computed by op '${t.gradFn.name}' in ${where()}, which the trace did not see ` +
        '(computed before exportModel was called, or outside the op table); it is refused rather than written as a constant that would not follow the inputs');
    }
    const c = b.constant(containers.at(-1)?.[0] ?? '', onnxDType(t, user), [...t.shape], Array.from(t.dataSync() as ArrayLike<number>, Number));
    b.bind(t, c);
    return c;
  };
  let growing: number[][] = [];
  let prevTracer: ReturnType<typeof setTracer> = null, traced = false, forwarding = false;
  try {
    model.eval();
    // The dims of each output that follow dim 0 of the inputs (for the default dynamic axes): one more
    // forward with every input one longer there, before any hook is installed.
    if (opts.dynamicAxes === undefined) growing = outputDimsFollowingBatch(model, inputs);
    for (const [path, m] of model.namedModules()) {
      const orig = m.forward;
      const exporter = exporterFor(m);
      hooked.push([m, Object.prototype.hasOwnProperty.call(m, 'forward'), orig]);
      m.forward = function (this: Module, ...args: unknown[]) {
        if (inside > 0) return orig.apply(this, args);
        if (!exporter) {
          containers.push([path, this]);
          try {
            return orig.apply(this, args);
          } finally {
            containers.pop();
          }
        }
        const ins = flattenTensors(args).map((t) => valueOf(t, `module '${path}' (${m.constructor.name})`));
        inside++;
        let out: unknown;
        try {
          out = orig.apply(this, args);
        } finally {
          inside--;
        }
        const outs = flattenTensors(out);
        // any tensor op an exporter runs (reordering weights) is its own business, not the model's
        inside++;
        let vals: string[];
        try {
          vals = exporter(b, m, { path, inputs: ins, args, out });
        } finally {
          inside--;
        }
        if (vals.length !== outs.length) throw new Error(`exportModel: internal: ${m.constructor.name} wrote ${vals.length} outputs for ${outs.length}`);
        outs.forEach((t, i) => b.bind(t, vals[i]!));
        return out;
      } as Module['forward'];
    }
    // Ops a container's forward calls itself (depth 0, not inside a layer with an exporter) become nodes.
    prevTracer = setTracer((e) => {
      if (!forwarding) return; // the inputs' copies below, made before the forward
      if (inside > 0 || e.depth > 0) return;
      const exp = OP_EXPORTERS.get(e.op);
      if (!exp) {
        throw new Error(`exportModel: op '${e.op}' in ${where()} has no ONNX mapping ` +
          `(mapped ops: ${[...OP_EXPORTERS.keys()].sort().join(', ')}; nn layers are exported whole)`);
      }
      const path = containers.at(-1)?.[0] ?? '';
      const vals = exp(b, { op: e.op, path, args: e.args, outputs: e.outputs, val: (t) => valueOf(t, `op '${e.op}'`) });
      if (vals.length !== e.outputs.length) throw new Error(`exportModel: internal: op '${e.op}' wrote ${vals.length} outputs for ${e.outputs.length}`);
      e.outputs.forEach((t, i) => b.bind(t, vals[i]!));
    });
    traced = true;
    return scope(() => enableGrad(() => {
      // The traced forward sees each floating input as a copy computed from a leaf that requires grad, so
      // any value computed from it outside the trace carries a gradFn and valueOf refuses it. Copies, so that
      // an in-place update of an input meets valueOf's error (not autograd's about leaves) and the caller's stays.
      const traceInputs = inputs.map((x) => (x.dtype === 'float32' || x.dtype === 'float64' ? x.detach().requiresGrad_().mul(1) : x.clone()));
      traceInputs.forEach((x, i) => b.bind(x, inNames[i]!));
      forwarding = true;
      const result = model.forward(...traceInputs);
      const outs = flattenTensors(result);
      if (!outs.length) throw new Error('exportModel: the forward returned no tensor');
      const outNames = names(opts.outputNames, outs.length, 'output', 'outputNames');
      outs.forEach((t, i) => {
        const v = valueOf(t, `output ${i} of the model (${model.constructor.name})`);
        b.reserve(outNames[i]!);
        b.nodes.push({ name: b.fresh(`/output_${i}/Identity`), opType: 'Identity', domain: '', inputs: [v], outputs: [outNames[i]!], attrs: {} });
      });
      const dyn: Record<string, Record<number, string>> = opts.dynamicAxes === false ? {} : opts.dynamicAxes ?? Object.fromEntries([
        ...inNames.map((n) => [n, { 0: 'batch' }]),
        ...outNames.map((n, i) => [n, Object.fromEntries((growing[i] ?? []).map((d) => [d, 'batch']))]),
      ]);
      for (const k of Object.keys(dyn)) if (!inNames.includes(k) && !outNames.includes(k)) throw new Error(`exportModel: dynamicAxes names '${k}', which is neither an input (${inNames.join(', ')}) nor an output (${outNames.join(', ')})`);
      const info = (name: string, t: Tensor): OnnxValueInfo => ({
        name, dtype: onnxDType(t, name), shape: t.shape.map((d, i): OnnxDim => dyn[name]?.[i] ?? d),
      });
      return {
        irVersion: 8, opsets: [{ domain: '', version: opset }], producerName: 'nabla', producerVersion: '0.1.0',
        docString: opts.docString ?? '', metadata: { ...opts.metadata },
        graph: {
          name: model.constructor.name, nodes: b.nodes, initializers: b.initializers,
          inputs: inputs.map((t, i) => info(inNames[i]!, t)), outputs: outs.map((t, i) => info(outNames[i]!, t)),
        },
      };
    }));
  } finally {
    if (traced) setTracer(prevTracer);
    for (const [m, own, orig] of hooked) {
      if (own) m.forward = orig;
      else delete (m as { forward?: unknown }).forward;
    }
    model.train(wasTraining);
  }
}

/**
 * The model as ONNX bytes (opset 17, weights as initializers under their stateDict keys, dim 0
 * dynamic), traced from one forward in eval mode on `exampleInputs`. A layer or op without an ONNX
 * mapping fails with its name and module path.
 */
export function exportModel(model: Module, exampleInputs: Tensor | Tensor[], opts: ExportOptions = {}): Uint8Array {
  return encodeModel(traceModel(model, exampleInputs, opts));
}
