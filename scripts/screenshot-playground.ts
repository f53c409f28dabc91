// Makes README's picture of the playground (docs/playground.png): `nabla serve`, headless Chromium,
// the default CNN trained for 300 steps, then a test-set image opened through the page's file input.
// Run: npm run build && node --import tsx scripts/screenshot-playground.ts [steps]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { fashionMnistSync } from '../src/node.ts';

const root = resolve(import.meta.dirname, '..');
const steps = Number(process.argv[2] ?? 300);
const server = spawn(process.execPath, ['bin/nabla.js', 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((ok) => {
  let out = '';
  server.stdout!.on('data', (d) => {
    out += d;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out);
    if (m) ok(m[1]!);
  });
});
const tmp = mkdtempSync(join(tmpdir(), 'nabla-shot-'));
const ctx = await chromium.launchPersistentContext(join(tmp, 'profile'), {
  executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1150, height: 1000 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = ctx.pages()[0] ?? await ctx.newPage();
  await page.goto(url);
  await page.waitForFunction("globalThis.playground?.status === 'ready'", null, { timeout: 60_000 });
  await page.click('#run');
  await page.waitForFunction(`globalThis.playground.step >= ${steps}`, null, { timeout: 600_000 });
  await page.click('#run');
  await page.waitForFunction("globalThis.playground.status === 'paused'");
  // The first ankle boot of the test sample, as a PNG file the user opens.
  const ts = fashionMnistSync({ root: join(root, 'data/fashion-mnist-sample'), split: 'test' });
  const k = ts.labels.indexOf(9);
  const png = new PNG({ width: 28, height: 28 });
  for (let i = 0; i < 784; i++) { const v = ts.images[k * 784 + i]!; png.data.set([v, v, v, 255], 4 * i); }
  writeFileSync(join(tmp, 'ankle-boot.png'), PNG.sync.write(png));
  await page.setInputFiles('#file', join(tmp, 'ankle-boot.png'));
  await page.waitForFunction('globalThis.playground.prediction !== null');
  await page.screenshot({ path: join(root, 'docs/playground.png'), fullPage: true });
  const s = await page.evaluate('globalThis.playground') as { step: number; evals: { accuracy: number }[]; prediction: { top: string }; facts: unknown };
  console.log(`docs/playground.png: step ${s.step}, test accuracy ${(100 * s.evals.at(-1)!.accuracy).toFixed(1)}%, predicted ${s.prediction.top}`, s.facts);
} finally {
  await ctx.close();
  server.kill('SIGINT');
  rmSync(tmp, { recursive: true, force: true });
}
