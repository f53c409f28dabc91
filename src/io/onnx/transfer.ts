// Transfer learning from an imported model: find the value a classifier head reads (the input of the
// last Gemm/MatMul before an output), so importModel can end the graph there and a new head can follow.

import { decodeModel } from './proto.js';

/**
 * The value name feeding the model's head — the first input of the Gemm or MatMul that produces a
 * graph output (through Add/Identity/Softmax-like tails) — and its width.
 */
export function findHeadInput(bytes: Uint8Array, name?: string): { value: string; features: number; head: string[] } {
  const g = decodeModel(bytes, name).graph;
  const where = name ? `findHeadInput ${name}` : 'findHeadInput';
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  let cur: string | undefined = g.outputs[0]?.name;
  const passthrough = new Set(['Identity', 'Add', 'Softmax', 'LogSoftmax', 'Sigmoid']);
  for (let guard = 0; cur !== undefined && guard < g.nodes.length; guard++) {
    const n = producer.get(cur);
    if (!n) break;
    if (n.opType === 'Gemm' || n.opType === 'MatMul') {
      const w = inits.get(n.inputs[1]!);
      if (!w || w.dims.length !== 2) break;
      const transB = n.opType === 'Gemm' && n.attrs.transB?.type === 'int' && n.attrs.transB.value === 1;
      const head = [n.inputs[1]!, ...(n.inputs[2] && inits.has(n.inputs[2]) ? [n.inputs[2]] : [])];
      return { value: n.inputs[0]!, features: transB ? w.dims[1]! : w.dims[0]!, head };
    }
    if (!passthrough.has(n.opType)) break;
    cur = n.inputs.find((i) => i && !inits.has(i) && producer.has(i));
  }
  throw new Error(`${where}: no Gemm or MatMul with a weight initializer produces the first output '${g.outputs[0]?.name ?? '?'}' (give importModel's outputs option by hand)`);
}
