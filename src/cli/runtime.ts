// What the CLI reports about the machine and backend, the --threads setting, the version, and how
// metric values are written.

import { readFileSync } from 'node:fs';
import * as nb from '../index.js';
import type { AnyTask } from '../tasks/index.js';

export function backendFacts(): Record<string, unknown> {
  const b = nb.getBackend();
  const info = b.info();
  const out: Record<string, unknown> = { backend: b.name };
  for (const k of ['threads', 'simd', 'relaxedSimd']) if (k in info) out[k] = info[k];
  return out;
}

export async function setThreads(n: number): Promise<void> {
  const b = nb.getBackend() as { setNumThreads?: (n: number) => Promise<void> };
  if (b.setNumThreads) await b.setNumThreads(n);
}

export function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Accuracy-like values as percents (2 decimals), others with 4 decimals, unless the task says otherwise. */
export function metricFormatter(task: AnyTask): (name: string, v: number) => string {
  return (name, v) => {
    if (!Number.isFinite(v)) return String(v);
    if (task.formatMetric) return task.formatMetric(name, v);
    return /acc|precision|recall|f1|auc|hit|hr/i.test(name) ? `${(100 * v).toFixed(2)}%` : v.toFixed(4);
  };
}

/** "accuracy 92.28%, f1 0.9213" */
export function metricsLine(names: readonly string[], logs: Record<string, number>, fmt: (n: string, v: number) => string): string {
  return names.filter((n) => logs[n] !== undefined).map((n) => `${n} ${fmt(n, logs[n]!)}`).join(', ');
}
