// Module.summary(): a table of every layer (name, type, output shape from one forward pass without
// grad when an example input is given, parameter count) with totals. The shapes come from forward hooks.

import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/graph.js';
import { fmt } from '../tensor/shape.js';
import type { Module } from './module.js';

function disposeDeep(v: unknown): void {
  if (v instanceof Tensor) v.dispose();
  else if (Array.isArray(v)) v.forEach(disposeDeep);
}

export function summarize(root: Module, exampleInput?: Tensor): string {
  const shapes = new Map<Module, string>();
  if (exampleInput) {
    const handles = [...root.namedModules()].map(([, m]) => m.registerForwardHook((mod, _args, out) => {
      if (out instanceof Tensor) shapes.set(mod, fmt(out.shape));
      else if (Array.isArray(out) && out[0] instanceof Tensor) shapes.set(mod, fmt(out[0].shape));
    }));
    const wasTraining = root.training;
    root.eval();
    try {
      noGrad(() => disposeDeep(root.forward(exampleInput)));
    } finally {
      for (const h of handles) h.remove();
      root.train(wasTraining);
    }
  }
  const rows: string[][] = [['Layer', 'Type', 'Output shape', 'Params']];
  for (const [name, m] of root.namedModules()) {
    if (name === '') continue;
    const own = [...m.ownParameters()].reduce((a, [, p]) => a + p.numel(), 0);
    rows.push([name, m.constructor.name, shapes.get(m) ?? '', own.toLocaleString('en-US')]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const total = root.numParameters(), trainable = root.numParameters({ trainable: true });
  return [
    line(rows[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line),
    `Total params: ${total.toLocaleString('en-US')} (trainable ${trainable.toLocaleString('en-US')})`,
  ].join('\n');
}
