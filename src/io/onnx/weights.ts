// splitWeights: an ONNX model as a graph without its float weights (they become graph inputs) and
// those weights as tensors — the graph can be kept apart from weights stored elsewhere (a nabla
// checkpoint) and joined again by importModel(graph, {weights}).

import { Tensor } from '../../tensor/tensor.js';
import { tensor } from '../../tensor/create.js';
import { decodeModel, encodeModel } from './proto.js';

export function splitWeights(bytes: Uint8Array, name?: string): { graph: Uint8Array; weights: Record<string, Tensor> } {
  const m = decodeModel(bytes, name);
  const g = m.graph;
  const isWeight = (dtype: string): boolean => dtype === 'float32' || dtype === 'float64';
  const split = g.initializers.filter((t) => isWeight(t.dtype));
  const weights: Record<string, Tensor> = {};
  for (const t of split) weights[t.name] = tensor(t.data as Float32Array, { shape: t.dims, dtype: t.dtype as 'float32' | 'float64' });
  const graph = encodeModel({
    ...m,
    graph: {
      ...g,
      // Weights as graph inputs (their dtype and shape), after the model's own inputs.
      inputs: [...g.inputs.filter((v) => !weights[v.name]), ...split.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.dims] }))],
      initializers: g.initializers.filter((t) => !isWeight(t.dtype)),
    },
  });
  return { graph, weights };
}
