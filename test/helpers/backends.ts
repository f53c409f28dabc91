// The backends every op test runs on: the default backend (started here with nb.ready()), js, and
// wasm (created with NABLA_TEST_THREADS threads when the default did not start it); closeBackends()
// stops the workers of a wasm backend made here.

import * as nb from '../../src/index.js';

let created: { close(): void } | null = null;

export async function testBackends(): Promise<string[]> {
  await nb.ready();
  nb.getBackend('js');
  if (!nb.listBackends().includes('wasm') && process.env.NABLA_TEST_BACKENDS !== 'js') {
    try {
      const { createWasmBackend } = await import('../../src/backend/wasm/index.js');
      const b = await createWasmBackend({ threads: Number(process.env.NABLA_TEST_THREADS ?? 2) });
      nb.registerBackend(b);
      created = b;
    } catch (e) {
      // the wasm build may be missing (npm run build:kernels); say so rather than silently test less
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
