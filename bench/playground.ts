// What cross-origin isolation is worth in the playground page: the same page and model in headless
// Chromium, served by `nabla serve` (COOP/COEP: wasm on every core) and by a plain static server
// (no headers: the js backend on one thread), interleaved; the median step time each page measured.
// Run: npm run build && node --import tsx bench/playground.ts [--model mlp|cnn] [--steps N] [--rounds R]

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: o } = parseArgs({ options: { model: { type: 'string', default: 'mlp' }, steps: { type: 'string', default: '60' }, rounds: { type: 'string', default: '2' } } });
if (o.model !== 'mlp' && o.model !== 'cnn') throw new Error(`--model must be mlp or cnn, got ${o.model}`);
const STEPS = Number(o.steps), ROUNDS = Number(o.rounds), WARMUP = 10;
const root = resolve(import.meta.dirname, '..');

async function server(cmd: string, args: string[], re: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    const on = (d: Buffer) => { out += d; const m = re.exec(out); if (m) ok(m[1]!); };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', () => fail(new Error(`${cmd} exited: ${out}`)));
  });
  return { child, url };
}

const isolated = await server(process.execPath, ['bin/nabla.js', 'serve', '--port', '0'], /(http:\/\/127\.0\.0\.1:\d+\/\S*)/);
const plain = await server('/usr/bin/python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root], /\((http:\/\/127\.0\.0\.1:\d+\/)\)/);
const profile = mkdtempSync(join(tmpdir(), 'nabla-bench-pg-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** Trains WARMUP + STEPS steps in a fresh page; the median of the timed steps' ms (measured in the worker). */
async function measure(url: string): Promise<{ backend: string; threads: number; ms: number }> {
  const page = await ctx.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction("globalThis.playground?.status === 'ready'", null, { timeout: 60_000 });
    await page.selectOption('#model', o.model!);
    await page.click('#run');
    await page.waitForFunction(`globalThis.playground.step >= ${WARMUP + STEPS}`, null, { timeout: 0, polling: 200 });
    await page.click('#run');
    const s = await page.evaluate('globalThis.playground') as { facts: { backend: string; threads: number }; steps: { step: number; ms: number }[] };
    const ms = s.steps.filter((p) => p.step > WARMUP && p.step <= WARMUP + STEPS).map((p) => p.ms).sort((a, b) => a - b);
    return { backend: s.facts.backend, threads: s.facts.threads, ms: ms[ms.length >> 1]! };
  } finally {
    await page.close();
  }
}

console.log(`playground ${o.model}, batch 64: median step time over steps ${WARMUP + 1}–${WARMUP + STEPS}, ${ROUNDS} interleaved rounds · ` +
  `${cpus()[0]?.model} × ${cpus().length} · load average ${loadavg()[0]!.toFixed(2)} at the start`);
try {
  const rows: { isolated: number; plain: number }[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const a = await measure(isolated.url);
    const b = await measure(`${plain.url}examples/playground/`);
    rows.push({ isolated: a.ms, plain: b.ms });
    console.log(`round ${r}: nabla serve (${a.backend}, ${a.threads} threads) ${a.ms.toFixed(2)} ms/step · plain server (${b.backend}, ${b.threads} thread) ${b.ms.toFixed(2)} ms/step · ${(b.ms / a.ms).toFixed(1)}×`);
  }
  const med = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
  console.log(`isolated page ${(med(rows.map((x) => x.plain / x.isolated))).toFixed(1)}× faster (median of the rounds' ratios) · load average ${loadavg()[0]!.toFixed(2)} at the end`);
} finally {
  await ctx.close();
  isolated.child.kill('SIGINT');
  plain.child.kill('SIGTERM');
  rmSync(profile, { recursive: true, force: true });
}
