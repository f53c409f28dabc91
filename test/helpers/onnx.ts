// ONNX test helpers: run a model in ONNX Runtime (onnxruntime-node) and check a file with
// onnx.checker (Debian's python3-onnx, full check with shape inference) by spawning /usr/bin/python3.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Tensor } from '../../src/index.js';

const ORT_TYPE = { float32: 'float32', float64: 'float64', int32: 'int32', bool: 'bool' } as const;

/** Runs ONNX bytes in ONNX Runtime on nabla tensors (fed in order of the graph's inputs); outputs in graph order. */
export async function ortRun(bytes: Uint8Array, inputs: Tensor[]): Promise<{ dims: number[]; data: Float32Array | Float64Array | Int32Array }[]> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    session.inputNames.forEach((n, i) => {
      const t = inputs[i]!;
      feeds[n] = new ort.Tensor(ORT_TYPE[t.dtype], t.dataSync() as Float32Array, [...t.shape]);
    });
    const res = await session.run(feeds);
    return session.outputNames.map((n) => ({ dims: [...res[n]!.dims], data: res[n]!.data as Float32Array }));
  } finally {
    await session.release();
  }
}

export const PYTHON = '/usr/bin/python3';
export const hasOnnxPython = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;

/** onnx.checker.check_model(full_check=True) on the bytes; returns '' when it passes, else the error. */
export function onnxCheck(bytes: Uint8Array): string {
  const code = 'import sys, onnx\nm = onnx.load_from_string(sys.stdin.buffer.read())\nonnx.checker.check_model(m, full_check=True)\nprint("ok")';
  const r = spawnSync(PYTHON, ['-c', code], { input: bytes, encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'ok' ? '' : (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join('\n');
}

/** The largest |value| (at least 1e-30): the scale that "relative to the output" tolerances use. */
export function absMax(a: ArrayLike<number>): number {
  let m = 1e-30;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
