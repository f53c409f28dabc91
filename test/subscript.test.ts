// x[…] reading and writing and the in-place ops against PyTorch (fixtures/subscript.json, written by
// scripts/gen_subscript_fixtures.py): values and gradients on every backend in float32 and float64,
// and a float64 finite-difference gradcheck of each case.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { decodeData, type Num } from './helpers/fixtures.js';
import { gradcheck } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

interface FxTensor { shape: number[]; dtype: 'float64' | 'int32' | 'bool'; data: Num[] }
type FxSpec = { int: number } | { slice: [number | null, number | null, number | null] } | { all: true } | { new: true } | { ell: true } | { idx: FxTensor } | { mask: FxTensor };
interface IndexCase { name: string; x: FxTensor; specs: FxSpec[]; out: FxTensor; cotangent: FxTensor; grad: FxTensor }
interface PutCase {
  name: string; how: 'set' | 'indexPut_'; accumulate: boolean; x: FxTensor; specs: FxSpec[]; value: FxTensor | number;
  out: FxTensor; cotangent: FxTensor; gradX: FxTensor; gradValue: FxTensor | null;
  /** why finite differences cannot agree with PyTorch's gradient here (null: they must) */
  gradcheck: string | null;
}
interface InplaceCase {
  name: string; op: string; x: FxTensor; view: number[] | null; args: (FxTensor | number)[]; kwargs: Record<string, number>;
  out: FxTensor; version: number; cotangent: FxTensor; grads: FxTensor[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/subscript.json', import.meta.url), 'utf8')) as {
  cases: { index: IndexCase[]; put: PutCase[]; inplace: InplaceCase[] };
};

type F = 'float32' | 'float64';
function toT(t: FxTensor, dtype: F, requiresGrad = false): nb.Tensor {
  if (t.dtype !== 'float64') return nb.tensor(decodeData(t.data, t.dtype), { dtype: t.dtype, shape: t.shape });
  return nb.tensor(decodeData(t.data, dtype), { dtype, shape: t.shape, requiresGrad });
}
function spec(s: FxSpec): nb.IndexSpec {
  if ('int' in s) return s.int;
  if ('slice' in s) return [s.slice[0], s.slice[1], s.slice[2] ?? 1];
  if ('all' in s) return null;
  if ('new' in s) return nb.newaxis;
  if ('ell' in s) return '...';
  return toT('idx' in s ? s.idx : s.mask, 'float64');
}
const want = (t: FxTensor) => decodeData(t.data, 'float64');
const TOLS = { float32: TOL.float32, float64: { rtol: 1e-12, atol: 1e-12 } };
const INPLACE: Record<string, string> = { masked_fill_: 'maskedFill_' };

/** y = x·1 (a non-leaf, as in the fixtures), written in place by the case's op (through a view when it has one). */
function runInplace(c: InplaceCase, x: nb.Tensor, args: (nb.Tensor | number)[]): nb.Tensor {
  const y = x.mul(1);
  const t = c.view ? y.view(c.view) : y;
  const op = (INPLACE[c.op] ?? c.op) as 'add_';
  const kw = Object.keys(c.kwargs).length ? [c.kwargs] : [];
  (t[op] as (...a: unknown[]) => nb.Tensor)(...args, ...kw);
  return y;
}

function runPut(c: PutCase, x: nb.Tensor, value: nb.Tensor | number): nb.Tensor {
  const y = x.mul(1);
  const specs = c.specs.map(spec);
  if (c.how === 'set') y.set(...specs, value);
  else y.indexPut_(specs as nb.Tensor[], value, c.accumulate);
  return y;
}

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) for (const dtype of ['float32', 'float64'] as const) {
  describe(`subscripts and in-place ops vs PyTorch (${dtype}) on ${backend}`, () => {
    for (const c of fx.cases.index) test(`index ${c.name}`, () => {
      nb.setBackend(backend);
      nb.scope(() => {
        const x = toT(c.x, dtype, true);
        const out = x.index(...c.specs.map(spec));
        assertShape(`${c.name} value`, out.shape, c.out.shape);
        assertClose(`${c.name} value`, out.dataSync(), want(c.out), c.out.shape, TOLS[dtype]);
        out.mul(toT(c.cotangent, dtype)).sum().backward();
        assertClose(`${c.name} grad`, x.grad!.dataSync(), want(c.grad), c.grad.shape, TOLS[dtype]);
      });
    });
    for (const c of fx.cases.put) test(`${c.how} ${c.name}`, () => {
      nb.setBackend(backend);
      nb.scope(() => {
        const x = toT(c.x, dtype, true);
        const v = typeof c.value === 'number' ? c.value : toT(c.value, dtype, true);
        const y = runPut(c, x, v);
        assertClose(`${c.name} value`, y.dataSync(), want(c.out), c.out.shape, TOLS[dtype]);
        assert.equal(y._version, 1);
        y.mul(toT(c.cotangent, dtype)).sum().backward();
        assertClose(`${c.name} grad of x`, x.grad!.dataSync(), want(c.gradX), c.gradX.shape, TOLS[dtype]);
        if (c.gradValue) assertClose(`${c.name} grad of the value`, (v as nb.Tensor).grad!.dataSync(), want(c.gradValue), c.gradValue.shape, TOLS[dtype]);
      });
    });
    for (const c of fx.cases.put) test(`${c.how === 'set' ? 'indexPutAt' : 'indexPut'} ${c.name} (out of place)`, () => {
      nb.setBackend(backend);
      nb.scope(() => {
        const x = toT(c.x, dtype, true);
        const v = typeof c.value === 'number' ? c.value : toT(c.value, dtype, true);
        const specs = c.specs.map(spec);
        const y = c.how === 'set' ? nb.indexPutAt(x, ...specs, v) : nb.indexPut(x, specs as nb.Tensor[], v, c.accumulate);
        assertClose(`${c.name} value`, y.dataSync(), want(c.out), c.out.shape, TOLS[dtype]);
        assert.equal(x._version, 0);
        y.mul(toT(c.cotangent, dtype)).sum().backward();
        assertClose(`${c.name} grad of x`, x.grad!.dataSync(), want(c.gradX), c.gradX.shape, TOLS[dtype]);
        if (c.gradValue) assertClose(`${c.name} grad of the value`, (v as nb.Tensor).grad!.dataSync(), want(c.gradValue), c.gradValue.shape, TOLS[dtype]);
      });
    });
    for (const c of fx.cases.inplace) test(`${c.op} ${c.name}`, () => {
      nb.setBackend(backend);
      nb.scope(() => {
        const x = toT(c.x, dtype, true);
        const args = c.args.map((a) => (typeof a === 'number' ? a : toT(a, dtype, a.dtype === 'float64')));
        const y = runInplace(c, x, args);
        assertClose(`${c.name} value`, y.dataSync(), want(c.out), c.out.shape, TOLS[dtype]);
        assert.equal(y._version, c.version, `${c.name}: version`);
        y.mul(toT(c.cotangent, dtype)).sum().backward();
        const leaves = [x, ...args.filter((a): a is nb.Tensor => a instanceof nb.Tensor && a.requiresGrad)];
        c.grads.forEach((g, i) => assertClose(`${c.name} grad ${i}`, leaves[i]!.grad!.dataSync(), want(g), g.shape, TOLS[dtype]));
      });
    });
  });
}

for (const backend of backends) describe(`subscripts and in-place ops: float64 gradcheck on ${backend}`, () => {
  for (const c of fx.cases.index) test(`index ${c.name}`, () => {
    nb.setBackend(backend);
    const specs = c.specs.map((s) => { const r = spec(s); return r instanceof nb.Tensor ? nb.keep(r) : r; });
    const cot = nb.keep(toT(c.cotangent, 'float64'));
    gradcheck(c.name, (x) => x.index(...specs).mul(cot).sum(), [toT(c.x, 'float64')]);
  });
  for (const c of fx.cases.put.filter((k) => k.gradcheck === null)) test(`${c.how} ${c.name}`, () => {
    nb.setBackend(backend);
    const cot = nb.keep(toT(c.cotangent, 'float64'));
    const inputs = [toT(c.x, 'float64'), ...(typeof c.value === 'number' ? [] : [toT(c.value, 'float64')])];
    const keepSpecs = { ...c };
    gradcheck(c.name, (x, v) => runPut(keepSpecs, x, v ?? (c.value as number)).mul(cot).sum(), inputs);
  });
  for (const c of fx.cases.inplace) test(`${c.op} ${c.name}`, () => {
    nb.setBackend(backend);
    const cot = nb.keep(toT(c.cotangent, 'float64'));
    const fixed = c.args.map((a) => (typeof a === 'number' ? a : nb.keep(toT(a, 'float64'))));
    const free = fixed.map((a, i) => (a instanceof nb.Tensor && (c.args[i] as FxTensor).dtype === 'float64' ? i : -1)).filter((i) => i >= 0);
    gradcheck(c.name, (x, ...vs) => {
      const args = fixed.map((a, i) => (free.includes(i) ? vs[free.indexOf(i)]! : a));
      return runInplace(c, x, args).mul(cot).sum();
    }, [toT(c.x, 'float64'), ...free.map((i) => toT(c.args[i] as FxTensor, 'float64'))]);
  });
});
