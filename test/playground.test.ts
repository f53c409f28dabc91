// The playground page in a real browser (Playwright driving Debian's headless Chromium): served by
// `nabla serve` as a user starts it, it trains 200 steps on the wasm backend with more than one
// thread, classifies a drawing with a saliency map, and saves a model that `nabla eval` reads; served
// by a plain static server (no isolation headers) it shows the banner with the fix.
// Screenshots go to test-results/ (CI keeps them). Skipped when Chromium is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium as pw, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { fashionMnistSync } from '../src/node.ts';
import { buildPlayground } from '../scripts/build-playground.mjs';

const root = resolve(import.meta.dirname, '..');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const skip = !chromium && 'needs Debian\'s chromium (/usr/bin/chromium)';
const results = join(root, 'test-results');

/** Starts a server process and resolves to the first URL it prints. */
async function startServer(cmd: string, args: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${cmd} ${args.join(' ')} printed no URL within 60 s:\n${out}`)), 60_000);
    const on = (d: Buffer) => {
      out += d;
      const m = pattern.exec(out);
      if (m) { clearTimeout(timer); ok(m[1]!); }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`${cmd} exited (${code}) before serving:\n${out}`)); });
  });
  return { child, url, out: () => out };
}

async function launch(): Promise<{ ctx: BrowserContext; page: Page; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'nabla-playground-'));
  const ctx = await pw.launchPersistentContext(profile, {
    executablePath: chromium!, headless: true, acceptDownloads: true, viewport: { width: 1150, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] ?? await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    ctx, page,
    close: async () => {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    },
  };
}

interface PageState {
  status: string; step: number; error: string | null;
  facts: { backend: string; threads: number; crossOriginIsolated: boolean } | null;
  classes: string[];
  steps: { step: number; loss: number; acc: number }[];
  evals: { step: number; accuracy: number; loss: number }[];
  prediction: { probs: number[]; top: string } | null;
  saved: { fileName: string; step: number; accuracy: number } | null;
}
const state = (page: Page) => page.evaluate(() => (globalThis as unknown as { playground: unknown }).playground) as Promise<PageState>;
const waitFor = (page: Page, fn: string, timeout = 120_000) =>
  page.waitForFunction(`(() => { const s = globalThis.playground; if (s && s.error) throw new Error(s.error); return ${fn}; })()`, null, { timeout });

/** How many pixels of a canvas are not black. */
const litPixels = (page: Page, id: string) => page.evaluate((id) => {
  const c = document.getElementById(id) as HTMLCanvasElement;
  const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > 30) n++;
  return n;
}, id);

test('playground page under nabla serve: wasm on >1 thread, trains 200 steps, draws, predicts, saves a model nabla eval reads',
  { skip, timeout: 600_000 }, async () => {
    await buildPlayground({ quiet: true });
    mkdirSync(results, { recursive: true });
    const server = await startServer(process.execPath, ['bin/nabla.js', 'serve', '--port', '0'], /(http:\/\/127\.0\.0\.1:\d+\/\S*)/);
    const tmp = mkdtempSync(join(tmpdir(), 'nabla-playground-save-'));
    const { page, close } = await launch();
    try {
      await page.goto(server.url);
      await waitFor(page, "s.status === 'ready'");
      let s = await state(page);
      assert.equal(s.facts?.backend, 'wasm');
      assert.equal(s.facts?.crossOriginIsolated, true);
      assert.ok(s.facts!.threads > 1, `threads: ${s.facts!.threads}`);
      assert.equal(await page.isVisible('#banner'), false, 'no banner on an isolated page');
      assert.match(await page.textContent('#backend') ?? '', new RegExp(`^backend wasm · ${s.facts!.threads} threads`));

      // The MLP with SGD (the learning rate field follows the optimizer to SGD's usual 0.05).
      await page.selectOption('#model', 'mlp');
      await page.selectOption('#optimizer', 'sgd');
      assert.equal(await page.inputValue('#lr'), '0.05');
      // While training runs the page keeps painting frames, and they show the step counter moving
      // (training on the page's thread would freeze both until it ended).
      // (A string, not a function: tsx would wrap a named inner function in a helper the page lacks.)
      await page.evaluate(`{
        globalThis.framesSeen = [];
        const tick = () => {
          const shown = document.getElementById('step').textContent;
          if (globalThis.playground.status === 'running' && globalThis.framesSeen.at(-1) !== shown) globalThis.framesSeen.push(shown);
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }`);
      await page.click('#run');
      await waitFor(page, 's.step >= 200', 300_000);
      await page.click('#run'); // Pause
      await waitFor(page, "s.status === 'paused'");
      const framesSeen = await page.evaluate(() => (globalThis as unknown as { framesSeen: string[] }).framesSeen);
      assert.ok(framesSeen.length >= 4, `frames during training showed only the step counts ${framesSeen.join(', ')}`);
      s = await state(page);
      assert.equal(await page.textContent('#step'), s.step.toLocaleString('en-US'));
      assert.equal(await page.textContent('#run'), 'Resume');
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const first = mean(s.steps.slice(0, 10).map((p) => p.loss)), last = mean(s.steps.slice(-20).map((p) => p.loss));
      assert.ok(last < first / 2, `loss ${first.toFixed(3)} (first 10 steps) → ${last.toFixed(3)} (last 20)`);
      const e0 = s.evals[0]!, e1 = s.evals.at(-1)!;
      assert.equal(e0.step, 0);
      assert.ok(e1.step >= 200, `last evaluation at step ${e1.step}`);
      assert.ok(e0.accuracy < 0.3 && e1.accuracy > 0.7, `test accuracy ${e0.accuracy} at step 0 → ${e1.accuracy} at step ${e1.step}`);

      // Resume runs on from where it paused.
      await page.click('#run');
      await waitFor(page, `s.step > ${s.step}`);
      await page.click('#run');
      await waitFor(page, "s.status === 'paused'");

      // Draw trousers (a waistband and two legs) on the pad.
      await page.click('#clear');
      const box = (await page.locator('#pad').boundingBox())!;
      const stroke = async (pts: [number, number][]) => {
        await page.mouse.move(box.x + pts[0]![0] * box.width, box.y + pts[0]![1] * box.height);
        await page.mouse.down();
        for (const [x, y] of pts.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 8 });
        await page.mouse.up();
      };
      for (const dy of [0.08, 0.14]) await stroke([[0.34, dy], [0.66, dy]]);
      for (const dx of [0, 0.04, 0.08]) await stroke([[0.36 + dx, 0.1], [0.32 + dx, 0.92]]);
      for (const dx of [0, 0.04, 0.08]) await stroke([[0.56 + dx, 0.1], [0.60 + dx, 0.92]]);
      await waitFor(page, 's.prediction !== null', 30_000);
      s = await state(page);
      // Filled trousers, light on dark: what the network learned as Trouser (the drawing path keeps orientation and scale).
      assert.equal(s.prediction!.top, 'Trouser', `drawn trousers read as ${s.prediction!.top}`);
      assert.ok(Math.abs(s.prediction!.probs.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'probabilities sum to 1');
      assert.equal(await page.textContent('#predictions li.top span'), s.prediction!.top);
      assert.ok(await litPixels(page, 'seen') > 0, 'the 28×28 input is shown');
      assert.ok(await litPixels(page, 'saliency') > 0, 'the saliency map is drawn');
      console.log(`# drawn trousers → ${s.prediction!.top} (${(100 * Math.max(...s.prediction!.probs)).toFixed(1)}%)`);

      // A test-set image through the same path.
      await page.evaluate(() => { (globalThis as unknown as { playground: { prediction: unknown } }).playground.prediction = null; });
      await page.click('#testImage');
      await waitFor(page, 's.prediction !== null', 30_000);
      assert.match((await page.textContent('#note'))!, /^Test image \d+: a .+\.$/);

      // A dark-on-light PNG (a test-set trouser, inverted) opened as a file, then dropped on the pad:
      // the page inverts it, says so, and the network sees light on dark.
      const ts = fashionMnistSync({ root: join(root, 'data/fashion-mnist-sample'), split: 'test' });
      const k = ts.labels.indexOf(1);
      const png = new PNG({ width: 28, height: 28 });
      for (let i = 0; i < 784; i++) png.data.set([255 - ts.images[k * 784 + i]!, 255 - ts.images[k * 784 + i]!, 255 - ts.images[k * 784 + i]!, 255], 4 * i);
      const pngPath = join(tmp, 'trouser-dark-on-light.png');
      writeFileSync(pngPath, PNG.sync.write(png));
      const cornerOfSeen = () => page.evaluate(() => Array.from((document.getElementById('seen') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 1, 1).data.slice(0, 3)));
      const clearPrediction = () => page.evaluate(() => { (globalThis as unknown as { playground: { prediction: unknown } }).playground.prediction = null; });
      await clearPrediction();
      await page.setInputFiles('#file', pngPath);
      await waitFor(page, 's.prediction !== null', 30_000);
      assert.equal(await page.textContent('#note'), 'The image looked dark-on-light, so it was inverted.');
      assert.deepEqual(await cornerOfSeen(), [0, 0, 0], 'the network sees a black background');
      await clearPrediction();
      const dropped = await page.evaluateHandle((b64) => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped.png', { type: 'image/png' }));
        return dt;
      }, readFileSync(pngPath).toString('base64'));
      await page.dispatchEvent('#pad', 'drop', { dataTransfer: dropped });
      await waitFor(page, 's.prediction !== null', 30_000);
      assert.equal(await page.textContent('#note'), 'The image looked dark-on-light, so it was inverted.');
      console.log(`# a test-set trouser, inverted to dark-on-light and dropped → ${(await state(page)).prediction!.top}`);
      // A file that is not an image: said beside the pad, and the page goes on working.
      await page.setInputFiles('#file', join(root, 'package.json'));
      await page.waitForFunction(() => document.getElementById('note')!.textContent!.startsWith('cannot decode'));
      assert.equal(await page.textContent('#note'), 'cannot decode package.json as an image');
      assert.equal((await state(page)).status, 'paused');

      await page.screenshot({ path: join(results, 'playground.png'), fullPage: true });

      // Save: the download is a checkpoint `nabla eval` reads, with the accuracy the page reported.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
      await waitFor(page, 's.saved !== null', 30_000);
      s = await state(page);
      const file = join(tmp, download.suggestedFilename());
      await download.saveAs(file);
      assert.match(download.suggestedFilename(), /^nabla-playground-mlp-step\d+\.safetensors$/);
      const ev = spawnSync(process.execPath, ['bin/nabla.js', 'eval', file, '--sample'], { cwd: root, encoding: 'utf8' });
      assert.equal(ev.status, 0, ev.stderr);
      const acc = Number(/test accuracy ([\d.]+)%/.exec(ev.stdout)?.[1]);
      assert.ok(Math.abs(acc - 100 * s.saved!.accuracy) <= 0.2, `nabla eval ${acc}% vs the page's ${100 * s.saved!.accuracy}%`);

      // Start over with the CNN (the page's default model): a few steps, then its file through nabla eval too.
      await page.click('#reset');
      await waitFor(page, "s.status === 'ready' && s.steps.length === 0");
      await page.selectOption('#model', 'cnn');
      await page.click('#run');
      await waitFor(page, 's.step >= 10');
      await page.click('#run');
      await waitFor(page, "s.status === 'paused'");
      s = await state(page);
      assert.ok(s.steps.every((p) => Number.isFinite(p.loss)) && s.evals[0]!.step === 0, 'the CNN run starts from step 0 with finite losses');
      const [cnnDownload] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
      const cnnFile = join(tmp, cnnDownload.suggestedFilename());
      await cnnDownload.saveAs(cnnFile);
      assert.match(cnnDownload.suggestedFilename(), /^nabla-playground-cnn-step\d+\.safetensors$/);
      const ev2 = spawnSync(process.execPath, ['bin/nabla.js', 'eval', cnnFile, '--sample'], { cwd: root, encoding: 'utf8' });
      assert.equal(ev2.status, 0, ev2.stderr);
      assert.match(ev2.stdout, /test accuracy [\d.]+% .* 1000 test examples/);
    } finally {
      await close();
      server.child.kill('SIGINT');
      const code = await new Promise((r) => server.child.once('exit', r));
      rmSync(tmp, { recursive: true, force: true });
      assert.equal(code, 0, `nabla serve stops on Ctrl-C:\n${server.out()}`);
    }
  });

test('playground page on a plain static server (no COOP/COEP): a visible banner with the fix, js on 1 thread', { skip, timeout: 300_000 }, async () => {
  await buildPlayground({ quiet: true });
  mkdirSync(results, { recursive: true });
  // Python's http.server, as a user might serve the folder: it sends no isolation headers.
  const server = await startServer('/usr/bin/python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root],
    /\((http:\/\/127\.0\.0\.1:\d+\/)\)/);
  const { page, close } = await launch();
  try {
    await page.goto(`${server.url}examples/playground/`);
    await waitFor(page, "s.status === 'ready'", 60_000);
    const s = await state(page);
    assert.deepEqual({ backend: s.facts?.backend, threads: s.facts?.threads, isolated: s.facts?.crossOriginIsolated }, { backend: 'js', threads: 1, isolated: false });
    assert.ok(await page.isVisible('#banner'), 'the banner is visible');
    const text = (await page.textContent('#banner'))!;
    for (const want of ['not cross-origin isolated', 'js backend on 1 thread', 'Cross-Origin-Opener-Policy: same-origin',
      'Cross-Origin-Embedder-Policy: require-corp', 'npx nabla serve']) assert.ok(text.includes(want), `banner lacks "${want}": ${text}`);
    assert.match((await page.textContent('#backend'))!, /^backend js · 1 thread of \d+ cores · not isolated$/);
    await page.screenshot({ path: join(results, 'playground-not-isolated.png') });
  } finally {
    await close();
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  }
});
