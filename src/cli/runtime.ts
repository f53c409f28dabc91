// What the CLI reports about the machine and backend, and the --threads setting.

import { getBackend } from '../backend/default.js';

export function backendFacts(): Record<string, unknown> {
  const b = getBackend();
  const info = b.info();
  const out: Record<string, unknown> = { backend: b.name };
  for (const k of ['threads', 'simd', 'relaxedSimd']) if (k in info) out[k] = info[k];
  return out;
}

export async function setThreads(n: number): Promise<void> {
  const b = getBackend() as { setNumThreads?: (n: number) => Promise<void> };
  if (b.setNumThreads) await b.setNumThreads(n);
}
