// The backends every op test runs on: those registered by src/index.ts, plus the wasm backend
// (created here when the index does not register it yet); closeBackends() stops its workers.

import * as nb from '../../src/index.js';

let created: { close(): void } | null = null;

export async function testBackends(): Promise<string[]> {
  if (!nb.listBackends().includes('wasm') && process.env.NABLA_TEST_BACKENDS !== 'js') {
    try {
      const { createWasmBackend } = await import('../../src/backend/wasm/index.js');
      const b = await createWasmBackend({ threads: Number(process.env.NABLA_TEST_THREADS ?? 2) });
      nb.registerBackend(b);
      created = b;
    } catch (e) {
      // the wasm build may be missing (npm run build:wasm); say so rather than silently test less
      console.warn(`op tests: wasm backend unavailable, testing ${nb.listBackends().join(', ')} only: ${(e as Error).message}`);
    }
  }
  const only = process.env.NABLA_TEST_BACKENDS;
  const all = nb.listBackends();
  return only ? all.filter((b) => only.split(',').includes(b)) : all;
}

export function closeBackends(): void {
  created?.close();
  created = null;
}
