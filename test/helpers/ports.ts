// Reads a port's PyTorch reference (fixtures/ports/<name>.safetensors, written by
// scripts/ports/port_fixture.py) and compares tensors and printed numbers to it. A tensor stored
// sampled (every `stride`-th element, with [sum, sum of squares] of all of them in `<key>.stats`) is
// compared on the sample and on both sums, so every element counts.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as nb from '../../src/index.js';
import { assertClose, type Tol } from './allclose.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface PortFixture { tensors: Record<string, nb.Tensor>; metadata: Record<string, string> }

export function loadPortFixture(name: string): PortFixture {
  const file = `fixtures/ports/${name}.safetensors`;
  const fx = nb.deserialize(readFileSync(new URL(`../../${file}`, import.meta.url)), file);
  for (const t of Object.values(fx.tensors)) nb.keep(t);
  return fx;
}

export function get(fx: PortFixture, key: string): nb.Tensor {
  const t = fx.tensors[key];
  if (!t) throw new Error(`port fixture: no tensor '${key}' (have ${Object.keys(fx.tensors).join(', ')})`);
  return t;
}

/** The state dict PyTorch started from (`init.<key>`), for model.loadStateDict(…, {strict: true}). */
export function initState(fx: PortFixture): Record<string, nb.Tensor> {
  const out: Record<string, nb.Tensor> = {};
  for (const [k, t] of Object.entries(fx.tensors)) if (k.startsWith('init.')) out[k.slice(5)] = t;
  return out;
}

export const scalars = (fx: PortFixture, key: string): number[] => Array.from(get(fx, key).dataSync());

/**
 * got ≈ fixture[key] with rtol and an atol of rtol × the largest |value| of the reference (float32
 * sums of many terms: an element near zero is judged on the tensor's scale).
 */
export function assertMatches(what: string, got: nb.Tensor, fx: PortFixture, key: string, rtol = 1e-4): void {
  const want = get(fx, key);
  const stats = fx.tensors[`${key}.stats`];
  const all = got.dataSync();
  const stride = Number(fx.metadata.stride);
  const sample = stats ? Float64Array.from({ length: Math.ceil(all.length / stride) }, (_, i) => all[i * stride]!) : all;
  const w = want.dataSync();
  let maxAbs = 0;
  for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
  const tol: Tol = { rtol, atol: rtol * maxAbs + 1e-12 };
  if (!stats) assert.deepEqual(got.shape, want.shape, `${what}: shape [${got.shape}], PyTorch's [${want.shape}]`);
  assertClose(`${what}${stats ? ` (every ${stride}th element)` : ''}`, sample, w, stats ? [w.length] : want.shape, tol);
  if (stats) {
    let sum = 0, sumSq = 0;
    for (const v of all) { sum += v; sumSq += v * v; }
    const [wSum, wSumSq] = stats.dataSync() as Float64Array;
    // the sum's scale is √(n·Σx²): cancellation leaves the sum itself near zero
    assert.ok(Math.abs(sum - wSum!) <= rtol * Math.sqrt(all.length * wSumSq!), `${what}: sum of all ${all.length} elements is ${sum}, PyTorch's ${wSum}`);
    assert.ok(Math.abs(sumSq - wSumSq!) <= rtol * wSumSq!, `${what}: sum of squares is ${sumSq}, PyTorch's ${wSumSq}`);
  }
}

/** Runs fn with console.log captured; returns what it printed, line by line. */
export async function captureLog(fn: () => unknown): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(...a.map(String).join(' ').split('\n'));
  try {
    await fn();
  } finally {
    console.log = log;
  }
  return lines;
}

/** The numbers after `label` in the printed lines, in order (e.g. 'Loss: '). */
export function printed(lines: string[], pattern: RegExp): number[] {
  return lines.flatMap((l) => [...l.matchAll(pattern)].map((m) => Number(m[1])));
}

export function assertNear(what: string, got: number[], want: number[], rtol: number, atol: number): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values printed, PyTorch has ${want.length}: [${got}]`);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= atol + rtol * Math.abs(want[i]!), `${what}[${i}]: ${g}, PyTorch's ${want[i]}`));
}

/** Runs an example's command line (node --import tsx examples/ports/<file> …) in cwd (default the repo) and returns its output. */
export function runExample(file: string, args: string[], cwd = REPO): string {
  const tsx = pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;
  return execFileSync(process.execPath, ['--import', tsx, join(REPO, 'examples/ports', file), ...args], { cwd, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
}
