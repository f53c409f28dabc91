// `nabla serve` as a user runs it (a spawned process): 127.0.0.1 only, the isolation headers on every
// answer, only the page / kernels / data sample served (no path escapes), Ctrl-C stops it cleanly;
// bad options are one-line errors. Also the playground's chart ticks (pure code, no browser).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { checkPlayground, resolveRequest, serveCommand } from '../src/cli/serve.ts';
import { main } from '../src/cli/main.ts';
import { niceTicks, decimalsFor } from '../examples/playground/src/chart.ts';
import { buildPlayground } from '../scripts/build-playground.mjs';

const root = resolve(import.meta.dirname, '..');

function get(port: number, path: string, method = 'GET', host = '127.0.0.1'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((ok, fail) => {
    const req = http.request({ host, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('nabla serve: isolation headers, only the page\'s folders, 127.0.0.1, stops on SIGINT', { timeout: 120_000 }, async () => {
  await buildPlayground({ quiet: true });
  const child = spawn(process.execPath, ['bin/nabla.js', 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const port = await new Promise<number>((ok, fail) => {
    const t = setInterval(() => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)\/examples\/playground\//.exec(out);
      if (m) { clearInterval(t); ok(Number(m[1])); }
    }, 50);
    child.once('exit', (c) => { clearInterval(t); fail(new Error(`serve exited ${c}: ${out}`)); });
  });
  try {
    const page = await get(port, '/examples/playground/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.match(page.headers['content-type']!, /^text\/html/);
    assert.match(page.body, /<script type="module" src="dist\/main\.js">/);
    const redirect = await get(port, '/');
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, '/examples/playground/');
    for (const [path, type] of [['/examples/playground/dist/worker.js', 'text/javascript'], ['/build/nabla-simd.wasm', 'application/wasm'],
      ['/data/fashion-mnist-sample/t10k-labels-idx1-ubyte.gz', 'application/octet-stream']]) {
      const r = await get(port, path!);
      assert.equal(r.status, 200, path);
      assert.ok(r.headers['content-type']!.startsWith(type!), `${path}: ${r.headers['content-type']}`);
      assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp', path);
    }
    // Nothing outside the three folders, however the path is spelled.
    for (const path of ['/package.json', '/src/index.ts', '/examples/playground/../../package.json', '/examples/playground/%2e%2e/%2e%2e/package.json',
      '/build/../package.json', '/examples/playground%2f..%2f..%2fpackage.json', '/data/fashion-mnist-sample/nope.gz', '/%ff']) {
      const r = await get(port, path);
      assert.equal(r.status, 404, `${path} answered ${r.status}`);
      assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
    }
    assert.equal((await get(port, '/examples/playground/', 'POST')).status, 405);
    // Only on the loopback address: another address of this machine is refused.
    const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (other) await assert.rejects(get(port, '/', 'GET', other.address), /ECONNREFUSED/);
  } finally {
    child.kill('SIGINT');
  }
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 0, out);
  assert.match(out, /nabla serve: stopped/);
});

test('nabla serve: bad usage is one line and exit 2; the port in use is named', async () => {
  // Spawned, as a user meets them: the one-line message and the exit status.
  const r = spawnSync(process.execPath, ['bin/nabla.js', 'serve', '--port', 'abc'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), "nabla: serve: --port needs a number, got 'abc'");
  const busy = http.createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
  const port = (busy.address() as { port: number }).port;
  const child = spawn(process.execPath, ['bin/nabla.js', 'serve', '--port', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const code = await new Promise((ok) => child.once('exit', ok));
  busy.close();
  assert.equal(code, 2);
  assert.match(err, new RegExp(`serve: port ${port} on 127.0.0.1 is in use \\(try --port 0`));
  // The rest through the same entry point, in this process.
  const log = () => {};
  await assert.rejects(serveCommand(['somewhere'], log), /serve: takes no arguments, got 'somewhere'/);
  await assert.rejects(serveCommand(['--port', '70000'], log), /--port must be at most 65535, got 70000/);
  await assert.rejects(serveCommand(['--host', '0.0.0.0'], log), /serve: unknown option '--host'/);
  const lines: string[] = [];
  assert.equal(await main(['--help'], (l) => lines.push(l)), 0);
  assert.equal(await main(['serve', '--help'], (l) => lines.push(l)), 0);
  assert.match(lines[0]!, /\n  serve +the playground page/);
  assert.match(lines[1]!, /Cross-Origin-Embedder-Policy/);
});

test('serve: resolveRequest maps only files inside the served folders', () => {
  assert.equal(resolveRequest(root, '/examples/playground/'), resolve(root, 'examples/playground/index.html'));
  assert.equal(resolveRequest(root, '/examples/playground/style.css?v=1'), resolve(root, 'examples/playground/style.css'));
  assert.equal(resolveRequest(root, '/examples/playground'), null, 'a folder is not a file');
  assert.equal(resolveRequest(root, '/examples/fashion-mlp.ts'), null);
  assert.equal(resolveRequest(root, '/build/'), null);
  assert.equal(resolveRequest(root, '/examples/playground/\0'), null);
});

test('serve: checkPlayground names what is missing, and in a checkout the sources newer than the bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-serve-'));
  try {
    const put = (f: string, text = '', time = 1_000_000) => {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), text);
      utimesSync(join(dir, f), time, time);
    };
    const logs: string[] = [];
    assert.match(checkPlayground(dir, (s) => logs.push(s))!, /the playground page is not built .*: run npm run build/);
    put('examples/playground/dist/main.js');
    put('examples/playground/dist/worker.js');
    assert.match(checkPlayground(dir, (s) => logs.push(s))!, /the wasm kernels are not built \(no build\/nabla-simd\.wasm\)/);
    put('build/nabla-simd.wasm');
    put('examples/playground/dist/inputs.json', JSON.stringify({ inputs: ['src/nn/a.ts', 'examples/playground/src/main.ts', 'src/gone.ts'] }));
    put('src/nn/a.ts', '', 2_000_000); // changed after the build
    put('examples/playground/src/main.ts', '', 500_000);
    assert.equal(checkPlayground(dir, (s) => logs.push(s)), null);
    assert.deepEqual(logs, [], 'an installed package (no src/cli) is not compared');
    put('src/cli/main.ts');
    assert.equal(checkPlayground(dir, (s) => logs.push(s)), null);
    assert.deepEqual(logs, ["nabla serve: the page's bundle is older than src/nn/a.ts: run npm run build to see the changes"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('playground charts: ticks are 1, 2 or 5 × 10^k and cover the range', () => {
  // Expected values from the rule: the smallest step in {1, 2, 5} × 10^k at least (hi − lo) / count.
  assert.deepEqual(niceTicks(0, 2.31, 4), [0, 1, 2, 3]); // 2.31 / 4 = 0.58 → step 1
  assert.deepEqual(niceTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0, 0.528, 4), [0, 0.2, 0.4, 0.6]); // the odd 0.528 becomes a round 0.6 top
  assert.deepEqual(niceTicks(0, 237, 5), [0, 50, 100, 150, 200, 250]);
  assert.deepEqual(niceTicks(0, 0, 4), [0, 0.5, 1]); // an empty range still gets an axis
  assert.equal(decimalsFor(0.2), 1);
  assert.equal(decimalsFor(0.05), 2);
  assert.equal(decimalsFor(50), 0);
});
