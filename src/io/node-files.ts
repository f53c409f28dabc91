// Node-only file layer for model files: atomic writes (temp file in the same directory, fsync,
// rename) so an interrupted save never leaves a broken file, and safetensors load/save by path.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointData } from './checkpoint.js';
import { decodeSafetensors, encodeSafetensors, type DecodedSafetensors, type TensorRecord } from './safetensors.js';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Best effort: makes the rename itself durable (not supported on every platform). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Directories cannot be opened or fsynced on some platforms (Windows); the rename still holds.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `bytes` to `path` atomically: readers see the old file or the complete new one, never a
 * partial one. The temporary file lives in the same directory so the rename stays on one device.
 */
export async function saveFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
        off += bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new Error(`saveFileAtomic: could not write ${path}: ${(e as Error).message}`, { cause: e });
  }
  syncDir(dirname(path));
}

/** Synchronous twin of saveFileAtomic (for exit handlers, where nothing async runs). */
export function saveFileAtomicSync(path: string, bytes: Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`saveFileAtomic: could not write ${path}: ${(e as Error).message}`, { cause: e });
  }
  syncDir(dirname(path));
}

/** Reads and validates a safetensors file; errors name the file. */
export async function loadSafetensorsFile(path: string): Promise<DecodedSafetensors> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`safetensors ${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  return decodeSafetensors(bytes, path);
}

/** Encodes and writes a safetensors file atomically. */
export async function saveSafetensorsFile(
  path: string,
  tensors: Record<string, TensorRecord>,
  metadata?: Record<string, string>,
): Promise<void> {
  await saveFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Writes a training checkpoint atomically (see checkpoint.ts for the layout). */
export async function saveCheckpoint(path: string, data: CheckpointData): Promise<void> {
  await saveFileAtomic(path, encodeCheckpoint(data));
}

/** Reads a checkpoint (or a plain safetensors file of weights); errors name the file. */
export async function loadCheckpoint(path: string): Promise<CheckpointData> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`checkpoint ${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  return decodeCheckpoint(bytes, path);
}
