// The ONNX protobuf through protobufjs (onnx.proto as a JSON descriptor): bytes ⇄ plain typed
// objects, with every tensor's length, dtype and dims checked so bad files give errors that say where.

import protobuf from './protobuf.js';
import { ONNX_SCHEMA } from './schema.js';

/** The element types we read and write; others are named in errors. */
export type OnnxDType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8';
export type OnnxData = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | number[];

export interface OnnxTensor {
  name: string;
  dtype: OnnxDType;
  dims: number[];
  /** int64 data as JS numbers (|v| ≤ 2⁵³ checked) */
  data: OnnxData;
}

/** A dim is a number, a named symbol ('batch') or unknown (null). */
export type OnnxDim = number | string | null;
export interface OnnxValueInfo { name: string; dtype: OnnxDType; shape: OnnxDim[] | null }

export type OnnxAttr =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: OnnxTensor }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'graph'; value: null };

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxTensor[];
}

export interface OnnxModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString: string;
  graph: OnnxGraph;
  metadata: Record<string, string>;
}

// TensorProto.DataType codes (onnx.proto)
const CODE: Record<OnnxDType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };
const CODE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL',
  10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
};
const DTYPE_OF = Object.fromEntries(Object.entries(CODE).map(([k, v]) => [v, k])) as Record<number, OnnxDType>;
const BYTES: Record<OnnxDType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, bool: 1, uint8: 1, int8: 1 };
// AttributeProto.AttributeType codes
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

let types: { model: protobuf.Type } | null = null;
function modelType(): protobuf.Type {
  if (!types) types = { model: protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType('onnx.ModelProto') };
  return types.model;
}

export function dtypeCode(d: OnnxDType): number {
  return CODE[d];
}

// ---------------------------------------------------------------------------------------------
// Encoding

function tensorMessage(t: OnnxTensor): Record<string, unknown> {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) throw new Error(`onnx: tensor '${t.name}' has ${t.data.length} values for dims [${t.dims.join(', ')}] (${n})`);
  const raw = new Uint8Array(n * BYTES[t.dtype]);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) {
    const v = Number(t.data[i]);
    switch (t.dtype) {
      case 'float32': dv.setFloat32(i * 4, v, true); break;
      case 'float64': dv.setFloat64(i * 8, v, true); break;
      case 'int64': dv.setBigInt64(i * 8, BigInt(Math.trunc(v)), true); break;
      case 'int32': dv.setInt32(i * 4, v, true); break;
      case 'int8': dv.setInt8(i, v); break;
      case 'uint8': case 'bool': dv.setUint8(i, v); break;
    }
  }
  return { name: t.name, data_type: CODE[t.dtype], dims: t.dims, raw_data: raw };
}

function attrMessage(name: string, a: OnnxAttr): Record<string, unknown> {
  switch (a.type) {
    case 'float': return { name, type: ATTR.FLOAT, f: a.value };
    case 'int': return { name, type: ATTR.INT, i: a.value };
    case 'string': return { name, type: ATTR.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor': return { name, type: ATTR.TENSOR, t: tensorMessage(a.value) };
    case 'floats': return { name, type: ATTR.FLOATS, floats: a.value };
    case 'ints': return { name, type: ATTR.INTS, ints: a.value };
    case 'strings': return { name, type: ATTR.STRINGS, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'graph': throw new Error(`onnx: attribute '${name}': graph attributes are not written`);
  }
}

function valueInfoMessage(v: OnnxValueInfo): Record<string, unknown> {
  const dim = (v.shape ?? []).map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {}));
  return { name: v.name, type: { tensor_type: { elem_type: CODE[v.dtype], ...(v.shape ? { shape: { dim } } : {}) } } };
}

/** A model as ONNX protobuf bytes. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const g = m.graph;
  const msg = {
    ir_version: m.irVersion,
    opset_import: m.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    producer_name: m.producerName,
    producer_version: m.producerVersion,
    doc_string: m.docString,
    metadata_props: Object.entries(m.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        name: n.name, op_type: n.opType, domain: n.domain, input: n.inputs, output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, a]) => attrMessage(k, a)),
      })),
      input: g.inputs.map(valueInfoMessage),
      output: g.outputs.map(valueInfoMessage),
      initializer: g.initializers.map(tensorMessage),
    },
  };
  const T = modelType();
  const err = T.verify(msg);
  if (err) throw new Error(`onnx: internal: the model message is invalid (${err})`);
  return T.encode(T.fromObject(msg)).finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding: every field checked, errors name the place (graph input, node, initializer …)

type Obj = Record<string, unknown>;

function int(v: unknown, where: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`${where}: ${String(v)} is not an integer within ±2⁵³`);
  return n;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return String(v);
}

function dtypeOf(code: unknown, where: string): OnnxDType {
  const c = int(code ?? 0, where);
  const d = DTYPE_OF[c];
  if (!d) throw new Error(`${where}: element type ${CODE_NAMES[c] ?? c} is not supported (float, double, int64, int32, bool, uint8, int8 are)`);
  return d;
}

function decodeTensor(o: Obj, where: string): OnnxTensor {
  const name = text(o.name);
  const w = `${where}${name ? ` '${name}'` : ''}`;
  if (int(o.data_location ?? 0, w) === 1) throw new Error(`${w}: its data is stored in an external file, which is not supported (save the model as one file)`);
  if (o.segment) throw new Error(`${w}: segmented tensors are not supported`);
  const dtype = dtypeOf(o.data_type, w);
  const dims = ((o.dims as unknown[]) ?? []).map((d) => int(d, `${w}: a dim`));
  let n = 1;
  for (const d of dims) {
    if (d < 0) throw new Error(`${w}: negative dim ${d}`);
    n *= d;
  }
  if (!Number.isSafeInteger(n) || n > 2 ** 31) throw new Error(`${w}: dims [${dims.join(', ')}] hold too many elements (${n})`);
  const raw = o.raw_data as Uint8Array | undefined;
  let data: OnnxData;
  if (raw && raw.length > 0) {
    const size = BYTES[dtype];
    if (raw.length !== n * size) throw new Error(`${w}: raw_data has ${raw.length} bytes, dims [${dims.join(', ')}] of ${dtype} need ${n * size}`);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    switch (dtype) {
      case 'float32': { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = dv.getFloat32(i * 4, true); data = a; break; }
      case 'float64': { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = dv.getFloat64(i * 8, true); data = a; break; }
      case 'int32': { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = dv.getInt32(i * 4, true); data = a; break; }
      case 'int64': { const a = new Array<number>(n); for (let i = 0; i < n; i++) a[i] = int64(dv.getBigInt64(i * 8, true), w); data = a; break; }
      case 'int8': data = new Int8Array(raw.slice()); break;
      case 'uint8': case 'bool': data = new Uint8Array(raw.slice()); break;
    }
  } else {
    const field = dtype === 'float32' ? 'float_data' : dtype === 'float64' ? 'double_data' : dtype === 'int64' ? 'int64_data' : 'int32_data';
    const vals = (o[field] as unknown[] | undefined) ?? [];
    if (vals.length !== n) throw new Error(`${w}: ${field} has ${vals.length} values, dims [${dims.join(', ')}] need ${n}`);
    switch (dtype) {
      case 'float32': data = Float32Array.from(vals as number[]); break;
      case 'float64': data = Float64Array.from(vals as number[]); break;
      case 'int64': data = vals.map((v) => int(v, `${w}: int64_data`)); break;
      case 'int32': data = Int32Array.from(vals as number[]); break;
      case 'int8': data = Int8Array.from(vals as number[]); break;
      case 'uint8': case 'bool': data = Uint8Array.from(vals as number[]); break;
    }
  }
  return { name, dtype, dims, data };
}

function int64(v: bigint, where: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    // INT64_MAX/MIN are what exporters write for "to the end" in Slice: clamp those, reject the rest.
    if (v === 9223372036854775807n) return Number.MAX_SAFE_INTEGER;
    if (v === -9223372036854775808n) return Number.MIN_SAFE_INTEGER;
    throw new Error(`${where}: int64 value ${v} is beyond ±2⁵³`);
  }
  return Number(v);
}

/** Long-typed fields from protobufjs, as checked numbers (INT64 extremes clamped like raw data). */
function longs(vs: unknown, where: string): number[] {
  return ((vs as unknown[]) ?? []).map((v) => (typeof v === 'string' ? int64(BigInt(v), where) : int(v, where)));
}

function decodeAttr(a: Obj, where: string): [string, OnnxAttr] {
  const name = text(a.name);
  const w = `${where}, attribute '${name}'`;
  if (a.ref_attr_name) throw new Error(`${w}: attribute references (functions) are not supported`);
  const type = int(a.type ?? 0, w);
  switch (type) {
    case ATTR.FLOAT: return [name, { type: 'float', value: Number(a.f ?? 0) }];
    case ATTR.INT: return [name, { type: 'int', value: longs([a.i ?? 0], w)[0]! }];
    case ATTR.STRING: return [name, { type: 'string', value: text(a.s) }];
    case ATTR.TENSOR: return [name, { type: 'tensor', value: decodeTensor((a.t as Obj) ?? {}, `${w}: tensor`) }];
    case ATTR.GRAPH: return [name, { type: 'graph', value: null }];
    case ATTR.FLOATS: return [name, { type: 'floats', value: ((a.floats as number[]) ?? []).map(Number) }];
    case ATTR.INTS: return [name, { type: 'ints', value: longs(a.ints, w) }];
    case ATTR.STRINGS: return [name, { type: 'strings', value: ((a.strings as unknown[]) ?? []).map(text) }];
    default: throw new Error(`${w}: attribute type ${type} is not supported`);
  }
}

function decodeValueInfo(v: Obj, where: string): OnnxValueInfo {
  const name = text(v.name);
  const w = `${where} '${name}'`;
  const tt = ((v.type as Obj | undefined)?.tensor_type as Obj | undefined);
  if (!tt) throw new Error(`${w}: only tensor values are supported (no sequence, map or optional types)`);
  const dtype = dtypeOf(tt.elem_type, w);
  const shape = tt.shape ? (((tt.shape as Obj).dim as Obj[]) ?? []).map((d): OnnxDim =>
    d.dim_value !== undefined && d.dim_value !== null ? int(d.dim_value, `${w}: a dim`) : d.dim_param ? text(d.dim_param) : null) : null;
  return { name, dtype, shape };
}

/** Reads ONNX bytes into a checked model; `file` (a path) goes into error messages. */
export function decodeModel(bytes: Uint8Array, file?: string): OnnxModel {
  const where = file ? `onnx ${file}` : 'onnx';
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${where}: expected the model's bytes as a Uint8Array`);
  if (bytes.length === 0) throw new Error(`${where}: the file is empty`);
  const T = modelType();
  let o: Obj;
  try {
    o = T.toObject(T.decode(bytes), { longs: String, arrays: true }) as Obj;
  } catch (e) {
    throw new Error(`${where}: not a valid ONNX protobuf (${(e as Error).message})`, { cause: e });
  }
  const g = o.graph as Obj | undefined;
  if (!g) throw new Error(`${where}: the model has no graph`);
  const opsets = ((o.opset_import as Obj[]) ?? []).map((s) => ({ domain: text(s.domain), version: int(s.version ?? 0, `${where}: opset_import`) }));
  const graph: OnnxGraph = {
    name: text(g.name),
    nodes: ((g.node as Obj[]) ?? []).map((n, i) => {
      const nw = `${where}: node ${i} (${text(n.op_type) || '?'}${n.name ? ` '${text(n.name)}'` : ''})`;
      return {
        name: text(n.name), opType: text(n.op_type), domain: text(n.domain),
        inputs: ((n.input as unknown[]) ?? []).map(text), outputs: ((n.output as unknown[]) ?? []).map(text),
        attrs: Object.fromEntries(((n.attribute as Obj[]) ?? []).map((a) => decodeAttr(a, nw))),
      };
    }),
    inputs: ((g.input as Obj[]) ?? []).map((v) => decodeValueInfo(v, `${where}: graph input`)),
    outputs: ((g.output as Obj[]) ?? []).map((v) => decodeValueInfo(v, `${where}: graph output`)),
    initializers: ((g.initializer as Obj[]) ?? []).map((t, i) => decodeTensor(t, `${where}: initializer ${i}`)),
  };
  if ((g.sparse_initializer as unknown[] | undefined)?.length) throw new Error(`${where}: sparse initializers are not supported`);
  const metadata: Record<string, string> = {};
  for (const p of (o.metadata_props as Obj[]) ?? []) metadata[text(p.key)] = text(p.value);
  return {
    irVersion: int(o.ir_version ?? 0, `${where}: ir_version`), opsets,
    producerName: text(o.producer_name), producerVersion: text(o.producer_version), docString: text(o.doc_string),
    graph, metadata,
  };
}
