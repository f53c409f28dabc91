// The wasm backend's worker threads start under the flags a user gives node: V8's per-process
// flags (--expose-gc, --max-old-space-size) are refused by Node for a worker, and starting one with
// them used to throw inside the spawn loop, which then spawned forever until the heap ran out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const script = `
const nb = await import(${JSON.stringify(new URL('../src/index.js', import.meta.url).href)});
const t = nb.ones([3]).mul(2);
const info = nb.getBackend().info();
console.log(JSON.stringify({ values: t.toArray(), backend: info.backend, threads: info.threads, requested: info.threadsRequested }));
`;

for (const flags of [['--expose-gc'], ['--max-old-space-size=512'], ['--expose-gc', '--max-old-space-size=512']]) {
  test(`node ${flags.join(' ')}: the default wasm backend starts its workers and computes`, () => {
    const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, NABLA_THREADS: '2' },
    });
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-800)}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.deepEqual(out.values, [2, 2, 2]);
    assert.equal(out.backend, 'wasm');
    assert.equal(out.requested, 2);
    assert.equal(out.threads, 2, 'the worker thread started');
    assert.doesNotMatch(r.stderr, /could not start|did not start/);
  });
}
