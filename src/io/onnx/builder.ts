// The graph an export writes: nodes, initializers (a module's parameters and buffers under their
// stateDict keys), constants, and the value each traced tensor is bound to.

import type { Tensor } from '../../tensor/tensor.js';
import type { OnnxAttr, OnnxData, OnnxDType, OnnxNode, OnnxTensor } from './proto.js';

export type AttrInput = number | string | number[] | string[] | OnnxAttr;

/** `{ints: [..]}`-free attribute writing: integers → int(s), other numbers → float(s), strings → string(s). */
function attr(v: AttrInput, floatHint: boolean): OnnxAttr {
  if (typeof v === 'object' && !Array.isArray(v)) return v;
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'number') return Number.isInteger(v) && !floatHint ? { type: 'int', value: v } : { type: 'float', value: v };
  if (v.length && typeof v[0] === 'string') return { type: 'strings', value: v as string[] };
  return (v as number[]).every(Number.isInteger) && !floatHint ? { type: 'ints', value: v as number[] } : { type: 'floats', value: v as number[] };
}

/** Attributes ONNX defines as float even when the value is integral. */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'momentum', 'gamma', 'value_float', 'ratio', 'bias', 'lambd']);

export function onnxDType(t: Tensor, where: string): OnnxDType {
  switch (t.dtype) {
    case 'float32': case 'float64': case 'int32': case 'bool': return t.dtype;
  }
  throw new Error(`${where}: dtype ${String(t.dtype)} has no ONNX mapping`);
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  /** stateDict key of each parameter and buffer of the model being exported */
  private readonly keyOf = new Map<Tensor, string>();
  private readonly initOf = new Map<Tensor, string>();
  private readonly bound = new Map<Tensor, string>();
  private readonly versionAt = new Map<Tensor, number>();
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(named: [string, Tensor][], readonly opset = 17) {
    for (const [k, t] of named) if (!this.keyOf.has(t)) this.keyOf.set(t, k);
  }

  /** A fresh value name from a hint ('/0/Gemm' → '/0/Gemm_output_0', then _1 …). */
  fresh(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    if (this.used.has(name)) throw new Error(`exportModel: the name '${name}' is used twice (input, output and parameter names must differ)`);
    this.used.add(name);
  }

  /** Appends a node; returns its output value names. `scope` is the module path it belongs to. */
  node(scope: string, op: string, inputs: string[], attrs: Record<string, AttrInput | undefined> = {}, outputs = 1): string[] {
    const base = `/${scope.replaceAll('.', '/')}${scope ? '/' : ''}${op}`;
    const name = this.fresh(base);
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(`${name}_output_${i}`));
    const a: Record<string, OnnxAttr> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = attr(v, FLOAT_ATTRS.has(k));
    this.nodes.push({ name, opType: op, domain: '', inputs, outputs: outs, attrs: a });
    return outs;
  }

  /** One-output node. */
  op(scope: string, op: string, inputs: string[], attrs: Record<string, AttrInput | undefined> = {}): string {
    return this.node(scope, op, inputs, attrs, 1)[0]!;
  }

  /** The initializer for a parameter or buffer of the model (its stateDict key), written once. */
  param(t: Tensor, fallbackName: string): string {
    const have = this.initOf.get(t);
    if (have) return have;
    const name = this.fresh(this.keyOf.get(t) ?? fallbackName);
    this.initializers.push({ name, dtype: onnxDType(t, name), dims: [...t.shape], data: t.dataSync() as Float32Array });
    this.initOf.set(t, name);
    return name;
  }

  /** A derived initializer (e.g. LSTM weights in ONNX's gate order: a trainable tensor on import; int64 ones stay constants). */
  derived(name: string, dtype: OnnxDType, dims: number[], data: OnnxData): string {
    const n = this.fresh(name);
    this.initializers.push({ name: n, dtype, dims, data });
    return n;
  }

  /** A Constant node (not a parameter on import). */
  constant(scope: string, dtype: OnnxDType, dims: number[], values: number[]): string {
    const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'float64' ? Float64Array.from(values) : values;
    return this.op(scope, 'Constant', [], { value: { type: 'tensor', value: { name: '', dtype, dims, data } } });
  }

  ints(scope: string, values: number[]): string {
    return this.constant(scope, 'int64', [values.length], values);
  }

  scalar(scope: string, dtype: OnnxDType, v: number): string {
    return this.constant(scope, dtype, [], [v]);
  }

  bind(t: Tensor, name: string): void {
    this.bound.set(t, name);
    this.versionAt.set(t, t._version);
  }

  /** Whether t's storage was written in place (x.mul_(…)) since t was bound: its value is no longer the bound node's. */
  writtenSinceBound(t: Tensor): boolean {
    const v = this.versionAt.get(t);
    return v !== undefined && t._version !== v;
  }

  valueOf(t: Tensor): string | undefined {
    return this.bound.get(t) ?? this.initOf.get(t);
  }

  isParam(t: Tensor): boolean {
    return this.keyOf.has(t);
  }
}
