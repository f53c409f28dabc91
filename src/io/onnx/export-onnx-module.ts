// Exporting an imported model (OnnxModule), alone or inside a bigger one (a new head on imported
// features): its nodes are written again as they are, with its current weights as initializers.

import type { Tensor } from '../../tensor/tensor.js';
import type { Module } from '../../nn/module.js';
import type { GraphBuilder } from './builder.js';
import { unsupported, type LayerCall, type LayerExporter } from './export-layers.js';
import { OnnxModule } from './import.js';
import { flattenTensors } from './export.js';
import type { OnnxAttr } from './proto.js';

/**
 * A name of the imported graph under the module's scope ('/0' + '/Conv' → '/0/Conv'); at the root '/'
 * ('output' → '/output'), so the graph's names never take the exported model's input and output names.
 */
const under = (scope: string, name: string): string => (name.startsWith('/') ? scope + name : `${scope}/${name}`);

/** Ops whose attributes became inputs in opset 18 (of those the importer runs): axes of ReduceMean. */
const AXES_INPUT_SINCE_18 = new Set(['ReduceMean']);

function onnxModule(b: GraphBuilder, m: Module, call: LayerCall): string[] {
  const o = m as OnnxModule;
  if (o.opset > b.opset) throw unsupported(call.path, m, `was imported at opset ${o.opset}; export with opset ${o.opset} or newer`);
  const scope = call.path ? `/${call.path.replaceAll('.', '/')}` : '';
  const value = new Map<string, string>();
  o.inputs.forEach((v, i) => value.set(v.name, call.inputs[i]!));
  // The weights as they are now (trained or frozen) under the model's stateDict keys.
  for (const [k, p] of [...o.namedParameters(), ...o.namedBuffers()] as [string, Tensor][]) value.set(k, b.param(p, call.path ? `${call.path}.${k}` : k));
  for (const [k, c] of o.intConstants) value.set(k, b.derived(call.path ? `${call.path}.${k}` : k, 'int64', [...c.dims], [...c.data]));
  const get = (name: string): string => {
    if (!name) return '';
    const v = value.get(name);
    if (v === undefined) throw new Error(`exportModel: internal: value '${name}' of module '${call.path}' is not defined`);
    return v;
  };
  for (const n of o.nodes) {
    const inputs = n.inputs.map(get);
    let attrs: Record<string, OnnxAttr> = n.attrs;
    if (AXES_INPUT_SINCE_18.has(n.opType) && o.opset < 18 && b.opset >= 18 && attrs.axes) {
      const { axes, ...rest } = attrs;
      inputs[1] = b.ints(call.path, (axes as { value: number[] }).value);
      attrs = rest;
    }
    const name = b.fresh(under(scope, n.name || n.opType));
    const outputs = n.outputs.map((x) => {
      if (!x) return '';
      const v = b.fresh(under(scope, x));
      value.set(x, v);
      return v;
    });
    b.nodes.push({ name, opType: n.opType, domain: n.domain, inputs, outputs, attrs });
  }
  // forward hands integer outputs (int64, bool: host values) back as int32 tensors; the graph casts
  // them alike (a no-op for int32).
  const outs = flattenTensors(call.out);
  return o.outputNames.map((x, i) => (outs[i]?.dtype === 'int32' ? b.op(call.path, 'Cast', [get(x)], { to: 6 }) : get(x)));
}

export const ONNX_MODULE_EXPORTERS = new Map<Function, LayerExporter>([[OnnxModule, onnxModule]]);
