// Node-only ONNX files: export a model to a path (written atomically) and import one from a path
// (errors name the file). The core (src/io/onnx) works on bytes, so it runs in a browser too.

import { readFile } from 'node:fs/promises';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { saveFileAtomic } from '../node-files.js';
import { exportModel, type ExportOptions } from './export.js';
import { importModel, type ImportOptions, type OnnxModule } from './import.js';

export async function exportModelFile(path: string, model: Module, exampleInputs: Tensor | Tensor[], opts: ExportOptions = {}): Promise<void> {
  await saveFileAtomic(path, exportModel(model, exampleInputs, opts));
}

export async function importModelFile(path: string, opts: Omit<ImportOptions, 'name'> = {}): Promise<OnnxModule> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`importModel ${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  return importModel(bytes, { ...opts, name: path });
}
