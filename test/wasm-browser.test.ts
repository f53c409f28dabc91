// The wasm backend in a real page: headless Chromium loads dist/ from a cross-origin-isolated
// localhost server, runs a 2-thread GEMM on Web Workers and posts back info() and the error
// against a plain JS dot product. Skipped when Chromium or dist/ (npm run build) is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';

const root = resolve(import.meta.dirname, '..');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const ready = chromium && existsSync(join(root, 'dist/backend/wasm/index.js')) && existsSync(join(root, 'build/nabla-simd.wasm'));

const page = `<!doctype html><script type="module">
import { createWasmBackend } from '/dist/backend/wasm/index.js';
const report = (o) => fetch('/result', { method: 'POST', body: JSON.stringify(o) });
try {
  const W = await createWasmBackend({ threads: 2 });
  const m = 300, k = 200, n = 260;
  const A = new Float32Array(m * k).map((_, i) => Math.sin(i)), B = new Float32Array(k * n).map((_, i) => Math.cos(i));
  const c = W.readSync(W.matmul(W.fromArray(A, 'float32'), W.fromArray(B, 'float32'),
    { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }));
  let err = 0;
  for (const [i, j] of [[0, 0], [299, 259], [150, 7], [2, 255]]) {
    let s = 0; for (let q = 0; q < k; q++) s += A[i * k + q] * B[q * n + j];
    err = Math.max(err, Math.abs(s - c[i * n + j]));
  }
  report({ ok: true, isolated: crossOriginIsolated, info: W.info(), maxErr: err });
} catch (e) { report({ ok: false, error: String((e && e.stack) || e) }); }
</script>`;

test('wasm backend in headless Chromium: Web Workers on shared memory, 2 threads, right GEMM', { skip: !ready && 'needs /usr/bin/chromium and npm run build', timeout: 60_000 }, async () => {
  let resolveResult!: (v: string) => void;
  const result = new Promise<string>((r) => { resolveResult = r; });
  const server = http.createServer((req, res) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === '/') { res.setHeader('Content-Type', 'text/html'); res.end(page); return; }
    if (url === '/result') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => { res.end('ok'); resolveResult(body); });
      return;
    }
    const f = resolve(root, '.' + decodeURIComponent(url));
    if (!f.startsWith(root + '/') || !existsSync(f)) { res.statusCode = 404; res.end(); return; }
    res.setHeader('Content-Type', f.endsWith('.js') ? 'text/javascript' : f.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream');
    res.end(readFileSync(f));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const profile = mkdtempSync(join(tmpdir(), 'nabla-chromium-'));
  const child = spawn(chromium!, ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`,
    `http://127.0.0.1:${port}/`], { stdio: 'ignore' });
  try {
    const timeout = new Promise<string>((_, rej) => setTimeout(() => rej(new Error('no result from the page within 45 s')), 45_000).unref());
    const r = JSON.parse(await Promise.race([result, timeout])) as { ok: boolean; error?: string; isolated: boolean; info: Record<string, unknown>; maxErr: number };
    assert.ok(r.ok, r.error);
    assert.equal(r.isolated, true);
    assert.equal(r.info.threads, 2, 'two threads: the page and one Web Worker');
    assert.equal(r.info.simd, true);
    assert.ok(r.maxErr < 1e-4, `GEMM error ${r.maxErr}`);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    server.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
});
