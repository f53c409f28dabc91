// onnx.importModel: an ONNX graph as an nn.Module whose parameters are the float initializers
// (under their names), run node by node on nabla ops — differentiable, trainable, freezable.

import { Tensor } from '../../tensor/tensor.js';
import { tensor } from '../../tensor/create.js';
import { scope } from '../../tensor/memory.js';
import { noGrad } from '../../autograd/graph.js';
import { Module, Parameter } from '../../nn/module.js';
import { decodeModel, type OnnxModel, type OnnxNode, type OnnxValueInfo } from './proto.js';
import { BASIC_OPS } from './import-ops.js';
import { NN_OPS } from './import-nn-ops.js';
import { RNN_OPS } from './import-rnn.js';
import { Ints, fmtDims, valueOfOnnx, type OpContext, type OpDef, type Value } from './import-values.js';

const OPS: Record<string, OpDef> = { ...BASIC_OPS, ...NN_OPS, ...RNN_OPS };
const MIN_OPSET = 13, MAX_OPSET = 20;

/** The operators importModel runs (default ONNX domain). */
export const SUPPORTED_OPS: readonly string[] = Object.keys(OPS).sort();

export interface ImportOptions {
  /** end the graph at these values instead of its outputs (e.g. the features before a classifier head); the module then takes only the graph inputs they need */
  outputs?: string[];
  /** a file name for error messages */
  name?: string;
  /**
   * Weights the file leaves out (see splitWeights): the graph inputs with these names become the
   * module's parameters (or buffers) holding these tensors, checked against the inputs' dtype and shape.
   */
  weights?: Record<string, Tensor>;
}

const IMPORT_OPTIONS = ['outputs', 'name', 'weights'];

interface Step { node: OnnxNode; def: OpDef; where: string }

const isDefault = (domain: string): boolean => domain === '' || domain === 'ai.onnx';

function describe(n: OnnxNode, i: number): string {
  return `node ${i} (${n.opType}${n.name ? ` '${n.name}'` : ''})`;
}

/** Which nodes computing `outputs` needs (walking back from them), and every value they read. */
export function neededNodes(nodes: readonly OnnxNode[], outputs: readonly string[]): { keep: boolean[]; needed: Set<string> } {
  const needed = new Set(outputs);
  const keep = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    keep[i] = true;
    for (const x of n.inputs) if (x) needed.add(x);
  }
  return { keep, needed };
}

/** An imported ONNX model. forward(...inputs) takes the graph's inputs in order. */
export class OnnxModule extends Module {
  readonly inputs: OnnxValueInfo[];
  readonly outputNames: string[];
  readonly opset: number;
  private readonly steps: Step[];
  private readonly consts = new Map<string, Value>();
  private readonly where: string;

  constructor(model: OnnxModel, opts: ImportOptions = {}) {
    super();
    const where = (this.where = opts.name ? `importModel ${opts.name}` : 'importModel');
    const g = model.graph;
    const opset = model.opsets.find((o) => isDefault(o.domain))?.version;
    if (opset === undefined) throw new Error(`${where}: the model imports no default-domain opset`);
    if (opset < MIN_OPSET || opset > MAX_OPSET) throw new Error(`${where}: opset ${opset} is not supported (${MIN_OPSET} to ${MAX_OPSET} are; re-export with a newer opset)`);
    this.opset = opset;
    const inits = new Map(g.initializers.map((t) => [t.name, t]));
    if (inits.size !== g.initializers.length) throw new Error(`${where}: two initializers share a name`);
    const weights = new Map(Object.entries(opts.weights ?? {}));
    for (const [k, t] of weights) {
      const v = g.inputs.find((i) => i.name === k);
      if (!v || inits.has(k)) throw new Error(`${where}: weights names '${k}', which is not a graph input (the inputs: ${g.inputs.filter((i) => !inits.has(i.name)).map((i) => i.name).join(', ')})`);
      if (!(t instanceof Tensor) || (t.dtype !== 'float32' && t.dtype !== 'float64')) throw new TypeError(`${where}: weights '${k}' must be a float32 or float64 tensor`);
      if (t.dtype !== v.dtype || (v.shape && (v.shape.length !== t.ndim || v.shape.some((d, i) => d !== t.shape[i])))) {
        throw new Error(`${where}: weights '${k}' is ${t.dtype} ${fmtDims(t.shape)}, the graph input is ${v.dtype} [${(v.shape ?? []).map((d) => d ?? '?').join(', ')}]`);
      }
    }
    this.outputNames = opts.outputs ? [...opts.outputs] : g.outputs.map((o) => o.name);
    if (!this.outputNames.length) throw new Error(`${where}: the graph has no outputs`);

    // Keep only the nodes the outputs need; list the unsupported ones before anything runs.
    const { keep, needed } = neededNodes(g.nodes, this.outputNames);
    // A graph ended early (outputs) takes only the inputs it needs: weight inputs of a cut-off head
    // (a graph from splitWeights) are not asked for.
    this.inputs = g.inputs.filter((v) => !inits.has(v.name) && !weights.has(v.name) && (!opts.outputs || needed.has(v.name)));
    const missing = new Map<string, number>();
    g.nodes.forEach((n, i) => {
      if (!keep[i]) return;
      const key = isDefault(n.domain) ? n.opType : `${n.domain}.${n.opType}`;
      if (!isDefault(n.domain) || !Object.prototype.hasOwnProperty.call(OPS, n.opType)) missing.set(key, (missing.get(key) ?? 0) + 1);
    });
    if (missing.size) {
      const list = [...missing].map(([k, c]) => `${k} ×${c}`).join(', ');
      throw new Error(`${where}: ${missing.size} operator type(s) are not supported: ${list}`);
    }

    // Check the order, the names and the attributes; collect the steps.
    const defined = new Set([...this.inputs.map((v) => v.name), ...inits.keys(), ...weights.keys()]);
    this.steps = [];
    g.nodes.forEach((n, i) => {
      if (!keep[i]) return;
      const w = `${where}: ${describe(n, i)}`;
      const def = OPS[n.opType]!;
      for (const a of Object.keys(n.attrs)) if (!def.attrs.includes(a)) throw new Error(`${w}: attribute '${a}' is not understood`);
      for (const x of n.inputs) if (x && !defined.has(x)) throw new Error(`${w}: input '${x}' is not produced by an earlier node, a graph input or an initializer (the graph must be topologically sorted)`);
      for (const o of n.outputs) if (o) defined.add(o);
      this.steps.push({ node: n, def, where: w });
    });
    for (const o of this.outputNames) if (!defined.has(o)) throw new Error(`${where}: output '${o}' is not a value of the graph`);

    // Initializers the kept nodes use: floats are parameters (BatchNormalization's running mean and
    // variance are buffers), integers stay on the host.
    const stats = new Set(this.steps.filter((s) => s.node.opType === 'BatchNormalization').flatMap((s) => s.node.inputs.slice(3, 5)));
    for (const [name, t] of [...inits, ...weights]) {
      if (!needed.has(name)) continue;
      // Given weights are copied: the module owns its parameters, whatever the caller does with theirs.
      const v = t instanceof Tensor ? noGrad(() => t.clone()) : valueOfOnnx(t);
      if (v instanceof Ints) this.consts.set(name, v);
      else if (stats.has(name)) this.registerBuffer(name, v);
      else {
        this.registerParameter(name, new Parameter(v));
        v.dispose();
      }
    }
  }

  /** The nodes forward runs, in order (those the outputs need). */
  get nodes(): readonly OnnxNode[] {
    return this.steps.map((s) => s.node);
  }

  /** The integer initializers the nodes use (shapes, axes, indices), which are not parameters. */
  get intConstants(): ReadonlyMap<string, { dims: number[]; data: number[] }> {
    return this.consts as ReadonlyMap<string, Ints>;
  }

  override extraRepr(): string {
    const counts = new Map<string, number>();
    for (const s of this.steps) counts.set(s.node.opType, (counts.get(s.node.opType) ?? 0) + 1);
    return `opset=${this.opset}, nodes: ${[...counts].map(([k, c]) => `${k}×${c}`).join(' ')}`;
  }

  private checkInput(t: unknown, v: OnnxValueInfo, i: number): void {
    const w = `${this.where}: input ${i} '${v.name}'`;
    if (!(t instanceof Tensor)) throw new TypeError(`${w}: expected a tensor, got ${t === null ? 'null' : typeof t}`);
    const intOk = (v.dtype === 'int64' || v.dtype === 'int32') && t.dtype === 'int32';
    if (!intOk && t.dtype !== v.dtype) throw new TypeError(`${w}: expected ${v.dtype === 'int64' ? 'int32 (for int64)' : v.dtype}, got ${t.dtype}`);
    if (v.shape) {
      const ok = v.shape.length === t.ndim && v.shape.every((d, k) => typeof d !== 'number' || d === t.shape[k]);
      if (!ok) throw new Error(`${w}: expected shape [${v.shape.map((d) => d ?? '?').join(', ')}], got ${fmtDims(t.shape)}`);
    }
  }

  /** Runs the graph on its inputs (in the graph's order): one output → a tensor, several → an array. */
  override forward(...xs: Tensor[]): Tensor | Tensor[] {
    if (xs.length !== this.inputs.length) {
      throw new Error(`${this.where}: the model takes ${this.inputs.length} input(s) (${this.inputs.map((v) => v.name).join(', ')}), got ${xs.length}`);
    }
    xs.forEach((t, i) => this.checkInput(t, this.inputs[i]!, i));
    return scope(() => {
      const env = new Map<string, Value>(this.consts);
      for (const [k, p] of this.ownParameters()) env.set(k, p);
      for (const [k, b] of this.ownBuffers()) env.set(k, b);
      this.inputs.forEach((v, i) => env.set(v.name, xs[i]!));
      for (const s of this.steps) {
        const ctx: OpContext = {
          node: s.node, where: s.where, training: this.training, opset: this.opset,
          setBuffer: (name, t) => this.setBuffer(name, t),
        };
        const ins = s.node.inputs.map((n) => (n ? env.get(n)! : null));
        let res: (Value | null)[] | Value;
        try {
          res = s.def.run(ctx, ins);
        } catch (e) {
          const m = (e as Error).message;
          throw m.startsWith(s.where) ? e : new Error(`${s.where}: ${m}`, { cause: e });
        }
        const outs = Array.isArray(res) ? res : [res];
        s.node.outputs.forEach((o, k) => {
          if (!o) return;
          const v = outs[k];
          if (!v) throw new Error(`${s.where}: output ${k} ('${o}') is not produced`);
          env.set(o, v);
        });
      }
      const outs = this.outputNames.map((n) => {
        const v = env.get(n)!;
        return v instanceof Tensor ? v : tensor(Int32Array.from(v.data), { shape: v.dims, dtype: 'int32' });
      });
      return outs.length === 1 ? outs[0]! : outs;
    });
  }
}

/** An ONNX model (bytes) as a trainable nn.Module; unsupported operators are listed before anything runs. */
export function importModel(bytes: Uint8Array, opts: ImportOptions = {}): OnnxModule {
  for (const k of Object.keys(opts)) if (!IMPORT_OPTIONS.includes(k)) throw new Error(`importModel: unknown option '${k}' (options: ${IMPORT_OPTIONS.join(', ')})`);
  return new OnnxModule(decodeModel(bytes, opts.name), opts);
}
