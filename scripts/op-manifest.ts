// Prints the op records as JSON for the fixture generator (scripts/gen_op_fixtures.py): each
// record's name, kind, PyTorch spelling, test domains, which dtypes it takes and its exemptions.
import { records } from '../src/ops/registry.js';

const out = records().map((r) => {
  const k = r.kernel as { int?: unknown; bool?: boolean; out?: string; index?: boolean };
  const t = r.def.test ?? {};
  const d = t.domain ?? 'any';
  return {
    name: r.kernel.name, kind: r.kind, torch: r.def.torch,
    domains: r.kind === 'binary' ? (typeof d === 'string' ? [d, d] : [...d]) : [typeof d === 'string' ? d : d[0]],
    int: k.int !== undefined, bool: k.bool === true, boolOut: k.out === 'bool', index: k.index === true,
    logical: (r.def as { logical?: boolean }).logical === true, intDivisor: (r.def as { intDivisor?: boolean }).intDivisor === true,
    differentiable: r.kind === 'reduction' ? !!r.def.grad : !!r.def.grad && k.out !== 'bool',
    exempt: t.exempt ?? {},
  };
});
process.stdout.write(JSON.stringify(out));
