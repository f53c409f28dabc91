// Property-based fuzzing of every file reader (fast-check): random bytes, mutated valid files and
// round trips. The contract: a reader returns a result consistent with its input, or throws an
// Error that names the file — never another kind of crash, never a hang. Shared by
// test/fuzz-readers.test.ts (a bounded run in npm test) and scripts/fuzz-readers.ts (long runs).

import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import pngjs from 'pngjs';
import { decodeSafetensors, encodeSafetensors, type TensorRecord } from '../../src/io/safetensors.js';
import { decodeCheckpoint, encodeCheckpoint, type Json } from '../../src/io/checkpoint.js';
import { optimizerFromCheckpoint, loadOptimizerFromCheckpoint } from '../../src/io/state.js';
import { parseIdx, encodeIdx, type IdxType } from '../../src/data/formats/idx.js';
import { parseNpy, encodeNpy } from '../../src/data/formats/npy.js';
import { parseCsv } from '../../src/data/formats/csv.js';
import { decodePng } from '../../src/data/formats/png-node.js';
import { maybeGunzip } from '../../src/data/formats/idx-node.js';
import { gunzipWeb } from '../../src/data/formats/gzip.js';
import type { DType } from '../../src/tensor/dtype.js';
import * as nb from '../../src/index.js';

/** The file name every reader is given: each error must contain it. */
export const NAME = 'fuzz-input.bin';

/** Hostile inputs each reader accepted and refused (for the long-run report). */
export const outcomes: Record<string, { ok: number; error: number }> = {};
function count(what: string, k: 'ok' | 'error'): 'ok' | 'error' {
  (outcomes[what] ??= { ok: 0, error: 0 })[k]++;
  return k;
}

/** Runs a reader on hostile input: 'ok' or 'error' (an Error naming the file); anything else throws. */
export function contract<T>(what: string, read: () => T, check?: (v: T) => void): 'ok' | 'error' {
  let v: T;
  try {
    v = read();
  } catch (e) {
    if (!(e instanceof Error)) throw new Error(`${what}: threw a non-Error ${String(e)}`);
    if (!e.message.includes(NAME)) throw new Error(`${what}: the error does not name the file: ${e.name}: ${e.message}`);
    return count(what, 'error');
  }
  check?.(v);
  return count(what, 'ok');
}

export async function contractAsync<T>(what: string, read: () => Promise<T>, check?: (v: T) => void): Promise<'ok' | 'error'> {
  let v: T;
  try {
    v = await read();
  } catch (e) {
    if (!(e instanceof Error)) throw new Error(`${what}: threw a non-Error ${String(e)}`);
    if (!e.message.includes(NAME)) throw new Error(`${what}: the error does not name the file: ${e.name}: ${e.message}`);
    return count(what, 'error');
  }
  check?.(v);
  return count(what, 'ok');
}

// ---- generators ----

const dtypes: DType[] = ['float32', 'float64', 'int32', 'bool'];
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

function dataFor(dtype: DType, n: number, seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s);
  switch (dtype) {
    case 'float32': return Float32Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * 100);
    case 'float64': return Float64Array.from({ length: n }, () => (next() / 2 ** 32 - 0.5) * 1e6);
    case 'int32': return Int32Array.from({ length: n }, () => next() | 0);
    case 'bool': return Uint8Array.from({ length: n }, () => next() & 1);
  }
}

const recordArb: fc.Arbitrary<TensorRecord> = fc.record({ dtype: fc.constantFrom(...dtypes), shape: shapeArb, seed: fc.integer() })
  .map(({ dtype, shape, seed }) => ({ dtype, shape, data: dataFor(dtype, shape.reduce((a, b) => a * b, 1), seed) }));
const keyArb = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__metadata__' && !k.startsWith('__optimizer__.'));
const recordsArb = fc.dictionary(keyArb, recordArb, { maxKeys: 5 });
const metadataArb = fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => !k.startsWith('nabla.')), fc.string({ maxLength: 16 }), { maxKeys: 3 });

/** Mutations of a valid file: flipped, overwritten, inserted and deleted bytes, truncation. */
export function mutated(base: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 31 - 1), fc.nat({ max: 0xffffffff }), fc.integer({ min: 1000, max: 100_000 })) }),
  );
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([b, edits]) => {
    let out = Uint8Array.from(b);
    for (const e of edits) {
      const at = out.length ? e.at % out.length : 0;
      if (e.kind === 'set' && out.length) out[at] = e.byte;
      else if (e.kind === 'flip' && out.length) out[at]! ^= 1 << e.bit;
      else if (e.kind === 'cut') out = out.slice(0, at);
      else if (e.kind === 'insert') out = Uint8Array.from([...out.slice(0, at), ...e.bytes, ...out.slice(at)]);
      else if (e.kind === 'delete') out = Uint8Array.from([...out.slice(0, at), ...out.slice(at + e.n)]);
      else if (e.kind === 'u32' && out.length >= 4) new DataView(out.buffer).setUint32(Math.min(at, out.length - 4), e.value, at % 2 === 0);
    }
    return out;
  });
}

const bytesArb = fc.uint8Array({ maxLength: 512 });
const sameRecord = (a: TensorRecord, b: TensorRecord): boolean =>
  a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]) &&
  a.data.length === b.data.length && a.data.every((v, i) => Object.is(v, b.data[i]) || (Number.isNaN(v) && Number.isNaN(b.data[i]!)));
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
function checkRecords(rs: Record<string, TensorRecord>): void {
  for (const [k, r] of Object.entries(rs)) if (r.data.length !== numel(r.shape)) throw new Error(`record ${k}: ${r.data.length} elements for shape [${r.shape}]`);
}

// ---- the properties, one group per reader ----

type Prop = fc.IProperty<never> | fc.IAsyncProperty<never>;
export interface ReaderProperty { reader: string; name: string; prop: Prop }

function p<T>(reader: string, name: string, arb: fc.Arbitrary<T>, f: (v: T) => unknown): ReaderProperty {
  return { reader, name, prop: fc.property(arb, (v) => { f(v); }) as unknown as Prop };
}
function pa<T>(reader: string, name: string, arb: fc.Arbitrary<T>, f: (v: T) => Promise<unknown>): ReaderProperty {
  return { reader, name, prop: fc.asyncProperty(arb, async (v) => { await f(v); }) as unknown as Prop };
}

const validSafetensors = fc.tuple(recordsArb, metadataArb).map(([r, m]) => encodeSafetensors(r, m));
const validCheckpoint = fc.record({ model: recordsArb, epoch: fc.nat({ max: 1000 }), opt: recordsArb }).map(({ model, epoch, opt }) =>
  encodeCheckpoint({ model, epoch, optimizer: { tensors: opt, state: { lr: 0.1 } }, rng: [1, 2, 3] }));
const idxTypes: IdxType[] = ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'];
const idxArb = fc.record({ type: fc.constantFrom(...idxTypes), shape: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }), seed: fc.integer() }).map(({ type, shape, seed }) => {
  const n = numel(shape);
  const raw = dataFor('float64', n, seed) as Float64Array;
  const data = type === 'float32' ? Float32Array.from(raw) : type === 'float64' ? raw
    : type === 'uint8' ? Uint8Array.from(raw, (v) => Math.abs(Math.round(v)) % 256) : type === 'int8' ? Int8Array.from(raw, (v) => Math.round(v) % 128)
      : type === 'int16' ? Int16Array.from(raw, (v) => Math.round(v) % 32768) : Int32Array.from(raw, (v) => Math.round(v));
  return { type, shape, data };
});
const npyArb = recordArb.filter((r) => r.dtype !== 'bool' || true);
const pngArb = fc.record({ w: fc.integer({ min: 1, max: 6 }), h: fc.integer({ min: 1, max: 6 }), seed: fc.integer() }).map(({ w, h, seed }) => {
  const png = new pngjs.PNG({ width: w, height: h });
  const d = dataFor('int32', w * h * 4, seed) as Int32Array;
  for (let i = 0; i < d.length; i++) png.data[i] = d[i]! & 255;
  return new Uint8Array(pngjs.PNG.sync.write(png));
});
const csvCell = fc.oneof(fc.integer().map(String), fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.constantFrom('true', 'false', '', 'NaN', 'x y', '"q""uoted"', '"a,b"'));
const csvText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.array(fc.array(csvCell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }).map((rows) => rows.map((r) => r.join(',')).join(fc.sample(fc.constantFrom('\n', '\r\n'), 1)[0])),
  fc.array(fc.constantFrom('a', ',', '"', '\n', '\r', '1', '.', 'e', '-', ' ', '\t'), { maxLength: 100 }).map((cs) => cs.join('')),
);
const jsonArb: fc.Arbitrary<Json> = fc.jsonValue() as fc.Arbitrary<Json>;

/** An Adam state for two parameters of shape [2, 3], as a checkpoint holds it, with a few things changed. */
const adamPart = fc.tuple(
  fc.array(fc.record({ path: fc.constantFrom('state.0.step', 'state.0.exp_avg', 'state.0.exp_avg_sq', 'state.1', 'param_groups.0.lr',
    'param_groups.0.betas', 'param_groups.0.eps', 'param_groups.0.params', 'param_groups.0.weight_decay', 'param_groups.0.amsgrad',
    'param_groups.0.extra', 'param_groups', 'state', 'tensor.0.exp_avg'), value: fc.oneof(jsonArb, fc.constant(undefined), fc.constantFrom(-1, 1, 2, 1e-9, 0.5, [0.9, 1], [0.9, 0.999], [0, 1], true)) }), { maxLength: 3 }),
  fc.constantFrom([2, 3], [3, 2], [6], [2, 3]),
).map(([edits, shape]) => {
  const rec = (): TensorRecord => ({ dtype: 'float32', shape, data: new Float32Array(numel(shape)) });
  const tensors: Record<string, TensorRecord> = { '0.exp_avg': rec(), '0.exp_avg_sq': rec(), '1.exp_avg': rec(), '1.exp_avg_sq': rec() };
  const root: Record<string, unknown> = {
    state: { 0: { step: 3, exp_avg: { $tensor: '0.exp_avg' }, exp_avg_sq: { $tensor: '0.exp_avg_sq' } }, 1: { step: 3, exp_avg: { $tensor: '1.exp_avg' }, exp_avg_sq: { $tensor: '1.exp_avg_sq' } } },
    param_groups: [{ params: [0, 1], lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false }],
  };
  for (const { path, value } of edits) {
    const keys = path.split('.');
    if (keys[0] === 'tensor') { tensors[keys.slice(1).join('.')] = { dtype: 'float32', shape: [7], data: new Float32Array(7) }; continue; }
    let o = root as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      const next = o[k];
      if (next === null || typeof next !== 'object') { o = {}; break; } // an earlier edit replaced it
      o = next as Record<string, unknown>;
    }
    if (value === undefined) delete o[keys.at(-1)!];
    else o[keys.at(-1)!] = structuredClone(value); // constantFrom hands out the same object each time
  }
  return { tensors, state: root as Json };
});

export function readerProperties(): ReaderProperty[] {
  return [
    // safetensors
    p('safetensors', 'round trip', fc.tuple(recordsArb, metadataArb), ([r, m]) => {
      const d = decodeSafetensors(encodeSafetensors(r, m), NAME);
      for (const [k, v] of Object.entries(r)) if (!sameRecord(d.tensors[k]!, v)) throw new Error(`safetensors: ${k} changed in a round trip`);
      if (Object.keys(d.tensors).length !== Object.keys(r).length) throw new Error('safetensors: tensors appeared or vanished');
    }),
    p('safetensors', 'random bytes', bytesArb, (b) => contract('safetensors', () => decodeSafetensors(b, NAME), (d) => checkRecords(d.tensors))),
    p('safetensors', 'mutated files', mutated(validSafetensors), (b) => contract('safetensors', () => decodeSafetensors(b, NAME), (d) => checkRecords(d.tensors))),
    // checkpoints (safetensors + JSON metadata), and the optimizer state in them
    p('checkpoint', 'mutated files', mutated(validCheckpoint), (b) => contract('checkpoint', () => decodeCheckpoint(b, NAME), (d) => checkRecords(d.model))),
    p('checkpoint', 'random optimizer state JSON', fc.tuple(jsonArb, recordsArb), ([state, tensors]) => contract('optimizer state', () => {
      const sd = optimizerFromCheckpoint({ tensors, state }, NAME);
      for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (v instanceof nb.Tensor) v.dispose();
    })),
    p('checkpoint', 'near-valid Adam states into an optimizer', adamPart, (part) => contract('optimizer state', () => {
      const ps = [nb.zeros([2, 3]).requiresGrad_(), nb.zeros([2, 3]).requiresGrad_()];
      const opt = new nb.optim.Adam(ps);
      try {
        loadOptimizerFromCheckpoint(opt, part, NAME);
        // a state the optimizer took must be one it can step with
        for (const q of ps) q.grad = nb.ones([2, 3]);
        opt.step();
      } finally {
        opt.dispose();
        for (const q of ps) q.dispose();
      }
    })),
    // IDX (MNIST's format)
    p('idx', 'round trip', idxArb, (a) => {
      const d = parseIdx(encodeIdx(a), NAME);
      if (d.type !== a.type || d.shape.join() !== a.shape.join() || !d.data.every((v, i) => Object.is(v, a.data[i]))) throw new Error('IDX: changed in a round trip');
    }),
    p('idx', 'random bytes', bytesArb, (b) => contract('IDX', () => parseIdx(b, NAME), (d) => { if (d.data.length !== numel(d.shape)) throw new Error('IDX: size mismatch'); })),
    p('idx', 'mutated files', mutated(idxArb.map(encodeIdx)), (b) => contract('IDX', () => parseIdx(b, NAME), (d) => { if (d.data.length !== numel(d.shape)) throw new Error('IDX: size mismatch'); })),
    // NPY
    p('npy', 'round trip', npyArb, (r) => {
      const d = parseNpy(encodeNpy(r), NAME);
      if (!sameRecord({ dtype: d.dtype, shape: d.shape, data: d.data }, r)) throw new Error('NPY: changed in a round trip');
    }),
    p('npy', 'random bytes', bytesArb, (b) => contract('NPY', () => parseNpy(b, NAME))),
    p('npy', 'mutated files', mutated(npyArb.map((r) => encodeNpy(r))), (b) => contract('NPY', () => parseNpy(b, NAME), (d) => { if (d.data.length !== numel(d.shape)) throw new Error('NPY: size mismatch'); })),
    // CSV
    p('csv', 'random text', csvText, (t) => contract('CSV', () => parseCsv(t, { name: NAME }), (tb) => {
      for (const c of tb.columns) if (c.values.length !== tb.rows) throw new Error(`CSV: column ${c.name} has ${c.values.length} values for ${tb.rows} rows`);
    })),
    p('csv', 'numbers round trip', fc.array(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 20 }), (rows) => {
      const t = parseCsv(['a,b,c', ...rows.map((r) => r.join(','))].join('\n'), { name: NAME });
      for (const [j, n] of ['a', 'b', 'c'].entries()) {
        const v = t.column(n).values;
        if (!rows.every((r, i) => v[i] === r[j])) throw new Error(`CSV: column ${n} changed`);
      }
    }),
    // PNG
    p('png', 'round trip', pngArb, (b) => { decodePng(b, { name: NAME }); }),
    p('png', 'random bytes', bytesArb, (b) => contract('PNG', () => decodePng(b, { name: NAME }))),
    p('png', 'mutated files', mutated(pngArb), (b) => contract('PNG', () => decodePng(b, { name: NAME }))),
    // gzip, in Node (zlib) and the web platform's DecompressionStream
    p('gzip', 'round trip and mutations (zlib)', fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean()), ([raw, mutate]) => {
      const gz = new Uint8Array(gzipSync(raw));
      if (!mutate) {
        const back = maybeGunzip(gz, NAME);
        if (back.length !== raw.length || back.some((v, i) => v !== raw[i])) throw new Error('gzip: changed in a round trip');
        return;
      }
      const bad = fc.sample(mutated(fc.constant(gz)), 1)[0]!;
      contract('gzip', () => maybeGunzip(bad, NAME, 4096));
    }),
    pa('gzip', 'round trip and mutations (DecompressionStream)', fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean()), async ([raw, mutate]) => {
      const gz = new Uint8Array(gzipSync(raw));
      if (!mutate) {
        const back = await gunzipWeb(gz, NAME);
        if (back.length !== raw.length || back.some((v, i) => v !== raw[i])) throw new Error('gzip: changed in a round trip');
        return;
      }
      const bad = fc.sample(mutated(fc.constant(gz)), 1)[0]!;
      await contractAsync('gzip', () => gunzipWeb(bad, NAME, 4096));
    }),
  ];
}
