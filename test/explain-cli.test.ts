// `nabla explain` and report.html's Explanations section, as a user meets them: a CNN trained by
// `nabla train` on the shipped sample, heatmap PNGs written by the spawned command for real images
// (the same pictures the library computes), the report's right and wrong images with their heatmaps,
// and one-line errors.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';
import * as nb from '../src/index.js';
import { encodePng, fashionMnistSync, FASHION_MNIST_SAMPLE_DIR } from '../src/node.js';
import { main } from '../src/cli/main.js';
import { loadRun } from '../src/cli/run-config.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'nabla-explain-'));
const run = async (argv: string[]): Promise<{ code: number; out: string[] }> => {
  const out: string[] = [];
  const code = await main(argv, (s) => out.push(s));
  return { code, out };
};
const cli = (args: string[]) => spawnSync(process.execPath, ['bin/nabla.js', ...args], { encoding: 'utf8' });
/** main() in this process with stderr captured (a spawned CLI costs seconds on a loaded machine). */
async function runErr(argv: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    return { status: await main(argv, () => {}), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('nabla explain and the report\'s explanations (a CNN trained on the shipped sample)', () => {
  let dir: string, ck: string, files: string[];
  const ds = fashionMnistSync({ split: 'test', root: FASHION_MNIST_SAMPLE_DIR, log: null });
  before(async () => {
    dir = tmp();
    const r = await run(['train', '--model', 'cnn', '--sample', '--epochs', '1', '--limit', '600', '--val-size', '100', '--batch-size', '32', '--out', dir, '--quiet']);
    assert.equal(r.code, 0, r.out.join('\n'));
    ck = join(dir, 'best.safetensors');
    files = [0, 1, 2].map((i) => {
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 784; p++) { const v = ds.images[i * 784 + p]!; png.data.set([v, v, v, 255], p * 4); }
      const f = join(dir, `test-${i}.png`);
      writeFileSync(f, PNG.sync.write(png));
      return f;
    });
  });

  test('report.html has an Explanations section: right and wrong test images, each with Grad-CAM and integrated gradients', () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const at = html.indexOf('<h2>Explanations</h2>');
    assert.ok(at > 0, 'an Explanations section');
    const section = html.slice(at, html.indexOf('<h2>', at + 5) > 0 ? html.indexOf('<h2>', at + 5) : undefined);
    assert.match(section, /<th>input<\/th><th>Grad-CAM<\/th><th>integrated gradients<\/th>/);
    const cell = '<td style="text-align:center"><img src="data:image\\/png;base64,[^"]+"[^>]*><\\/td>';
    const rows = [...section.matchAll(new RegExp(`<tr>${cell}${cell}${cell}<td style="text-align:left;color:(#[0-9a-f]+)">predicted [^<]*`, 'g'))];
    assert.ok(rows.length >= 4, `${rows.length} explained images`);
    assert.ok(rows.some((r) => r[1] === '#1a7f37') && rows.some((r) => r[1] === '#b42318'), 'both right (green) and wrong (red) predictions');
    const rightClasses = rows.filter((r) => r[1] === '#1a7f37').map((r) => /predicted ([^(]+) \(/.exec(r[0])![1]);
    assert.equal(new Set(rightClasses).size, rightClasses.length, `right answers of different classes: ${rightClasses.join(', ')}`);
    assert.ok(!/<script/i.test(html) && !/https?:\/\//.test(html), 'still no scripts and no network');
  });

  test('the spawned command writes one heatmap PNG per image and method — the pictures the library computes', async () => {
    const out = join(dir, 'maps');
    const r = cli(['explain', ck, ...files, '--method', 'integrated-gradients,grad-cam,occlusion,saliency', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    const { model, ctx } = await loadRun(ck, () => {});
    const meta = ctx.meta as { classes: string[]; mean: number; std: number };
    for (let i = 0; i < 3; i++) {
      const x = nb.tensor(Float32Array.from(ds.images.subarray(i * 784, (i + 1) * 784), (v) => (v / 255 - meta.mean) / meta.std), { shape: [1, 1, 28, 28] });
      const pred = nb.noGrad(() => (model.forward(x) as nb.Tensor).argmax(1).item());
      assert.match(lines[i]!, new RegExp(`test-${i}\\.png: predicted ${meta.classes[pred]!.replace('/', '\\/')} \\d+\\.\\d%; explaining ${meta.classes[pred]!.replace('/', '\\/')}: integrated gradients → `));
      const display = nb.tensor(Float32Array.from(ds.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255), { shape: [1, 28, 28] });
      for (const m of ['integrated-gradients', 'grad-cam'] as const) {
        const file = join(out, `test-${i}.${m}.png`);
        const a = nb.explain.runMethod(m, model, x, { target: pred, baseline: -meta.mean / meta.std });
        const want = encodePng(nb.explain.heatmapOverlay(display, a.select(0, 0), { sign: nb.explain.heatmapSign(m) }));
        const got = readFileSync(file);
        const img = PNG.sync.read(got);
        assert.equal(img.width, 224);
        assert.ok(Buffer.from(want).equals(got), `${file}: the command's picture is the library's`);
      }
      const occ = PNG.sync.read(readFileSync(join(out, `test-${i}.occlusion.png`)));
      const distinct = new Set<number>();
      for (let p = 0; p < occ.data.length; p += 4) distinct.add(occ.data.readUInt32BE(p));
      assert.ok(distinct.size > 20, 'the occlusion map is not flat');
    }
  });

  test('--target explains another class than the predicted one', async () => {
    const r = await run(['explain', ck, files[0]!, '--target', 'trouser', '--method', 'saliency', '--out', join(dir, 't')]);
    assert.equal(r.code, 0, r.out.join('\n'));
    assert.match(r.out[0]!, /explaining Trouser \(\d+\.\d%\): saliency → /);
  });

  test('bad usage is one line on stderr and status 2 (the first case spawned, the others in-process)', async () => {
    const cases: [string[], RegExp][] = [
      [['explain', ck, files[0]!, '--method', 'lime'], /^nabla: explain: unknown --method 'lime' \(methods: saliency, /],
      [['explain', ck, files[0]!, '--target', 'hat'], /^nabla: explain: --target 'hat' is neither a class nor an index below 10 \(classes: T-shirt\/top, /],
      [['explain', ck], /^nabla: explain: give at least one image after the checkpoint/],
      [['explain', ck, join(dir, 'nope.png')], /^nabla: explain: no image at .*nope\.png/],
    ];
    for (const [k, [args, re]] of cases.entries()) {
      const r = k === 0 ? cli(args) : await runErr(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

test('an MLP (no conv layer): the report and the verb show saliency where Grad-CAM would be; asking for Grad-CAM says why not', async () => {
  const dir = tmp();
  const r = await run(['train', '--model', 'mlp', '--sample', '--epochs', '1', '--limit', '300', '--val-size', '100', '--out', dir, '--quiet']);
  assert.equal(r.code, 0, r.out.join('\n'));
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<h2>Explanations<\/h2>.*Grad-CAM needs a conv layer.*<th>input<\/th><th>saliency<\/th><th>integrated gradients<\/th>/s);
  const ds = fashionMnistSync({ split: 'test', root: FASHION_MNIST_SAMPLE_DIR, log: null });
  const png = new PNG({ width: 28, height: 28 });
  for (let p = 0; p < 784; p++) { const v = ds.images[p]!; png.data.set([v, v, v, 255], p * 4); }
  const f = join(dir, 'img.png');
  writeFileSync(f, PNG.sync.write(png));
  const ok = await run(['explain', join(dir, 'best.safetensors'), f, '--out', dir]);
  assert.equal(ok.code, 0, ok.out.join('\n'));
  assert.match(ok.out[0]!, /: saliency → .*img\.saliency\.png, integrated gradients → .*img\.integrated-gradients\.png$/);
  const r2 = await runErr(['explain', join(dir, 'best.safetensors'), f, '--method', 'grad-cam']);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /^nabla: explain: the model has no layer with a spatial output \(\[N, C, H, W\]\) for Grad-CAM; name one with layer/);
});

