// A folder of images, one sub-folder per class, as a user would have it: real Fashion-MNIST pictures
// (the sample shipped with nabla) written as PNG files and as JPEG files (encoded by jpeg-js), read back
// at --size 16 in RGB, and a small CNN trained on them. Stated bar: ≥ 80% held-out accuracy on three
// classes (chance 33%). Bad folders and files get errors that name them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import * as nb from '../src/index.js';
import { fashionMnistSync, imageFolder, readImageFile } from '../src/node.js';

const root = mkdtempSync(join(tmpdir(), 'nabla-images-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A 28×28 grey picture as RGBA (dark on light, as photos of clothes are). */
function rgba(pixels: Uint8Array): Buffer {
  const out = Buffer.alloc(28 * 28 * 4);
  for (let p = 0; p < 784; p++) { const v = 255 - pixels[p]!; out[4 * p] = v; out[4 * p + 1] = v; out[4 * p + 2] = v; out[4 * p + 3] = 255; }
  return out;
}

const CLASSES = { 1: 'trouser', 5: 'sandal', 8: 'bag' } as Record<number, string>;
const fm = fashionMnistSync({ split: 'train', log: null, systemDir: null, cacheDir: null });
let written = 0;
for (const dir of Object.values(CLASSES)) mkdirSync(join(root, dir));
for (let i = 0, count: Record<number, number> = {}; i < fm.n; i++) {
  const c = fm.labels[i]!;
  if (!(c in CLASSES) || (count[c] ?? 0) >= 60) continue;
  count[c] = (count[c] ?? 0) + 1;
  const px = fm.images.subarray(i * 784, (i + 1) * 784);
  const name = join(root, CLASSES[c]!, `img${i}`);
  if (i % 2) {
    const png = new pngjs.PNG({ width: 28, height: 28 });
    rgba(px).copy(png.data);
    writeFileSync(`${name}.png`, pngjs.PNG.sync.write(png));
  } else {
    writeFileSync(`${name}.JPG`, jpeg.encode({ data: rgba(px), width: 28, height: 28 }, 90).data);
  }
  written++;
}
writeFileSync(join(root, 'bag', 'notes.txt'), 'not an image');

test('imageFolder reads PNG and JPEG files by class folder, resized, and names what it left out', () => {
  const d = imageFolder(root, { size: 16, channels: 3 });
  assert.equal(d.n, written);
  assert.equal(d.n, 180);
  assert.deepEqual(d.classes, ['bag', 'sandal', 'trouser']);
  assert.equal(d.x.length, 180 * 3 * 16 * 16);
  assert.deepEqual(d.skipped, [join(root, 'bag', 'notes.txt')]);
  assert.ok(d.files.some((f) => f.endsWith('.JPG')) && d.files.some((f) => f.endsWith('.png')));
  // The JPEG decodes to the picture it encoded (lossy: close, not equal); the PNG exactly.
  const i = d.files.findIndex((f) => f.endsWith('.JPG'));
  const src = Number(/img(\d+)/.exec(d.files[i]!)![1]);
  const full = readImageFile(d.files[i]!, { size: 28, channels: 1 }).data;
  let diff = 0;
  for (let p = 0; p < 784; p++) diff += Math.abs(full[p]! - (255 - fm.images[src * 784 + p]!) / 255) / 784;
  assert.ok(diff < 0.03, `JPEG mean abs difference ${diff}`);
  const j = d.files.findIndex((f) => f.endsWith('.png'));
  const srcP = Number(/img(\d+)/.exec(d.files[j]!)![1]);
  const png = readImageFile(d.files[j]!, { size: 28, channels: 1 }).data;
  for (let p = 0; p < 784; p++) assert.ok(Math.abs(png[p]! - (255 - fm.images[srcP * 784 + p]!) / 255) < 1e-6);
});

test('a small CNN on the folder: ≥ 80% accuracy on a stratified 25% hold-out', async () => {
  const d = imageFolder(root, { size: 16, channels: 3 });
  const { train, test: held } = nb.apps.images.splitImages(d, 0.25, 1);
  assert.equal(held.n, 45);
  const model = await nb.apps.images.trainImages(train, { epochs: 15, lr: 0.01, batchSize: 16, width: 16, seed: 1 });
  const acc = nb.apps.images.accuracyOf(nb.apps.images.predictImages(model, held), held.labels, 3);
  assert.ok(acc >= 0.8, `accuracy ${acc}`);
});

test('bad folders and files: errors that name them', () => {
  assert.throws(() => imageFolder(join(root, 'nope')), /image folder .*nope: cannot read it/);
  assert.throws(() => imageFolder(join(root, 'bag')), /needs one sub-folder per class \(at least 2\), found 0/);
  const empty = join(root, 'x');
  mkdirSync(join(empty, 'a'), { recursive: true });
  mkdirSync(join(empty, 'b'));
  writeFileSync(join(empty, 'a', '1.png'), 'garbage');
  assert.throws(() => imageFolder(empty), /class folder "b" holds no PNG or JPEG images/);
  writeFileSync(join(empty, 'b', '2.jpg'), 'garbage');
  assert.throws(() => imageFolder(empty), /PNG .*a\/1.png: cannot decode/);
  rmSync(join(empty, 'a', '1.png'));
  writeFileSync(join(empty, 'a', '1.jpeg'), 'garbage');
  assert.throws(() => imageFolder(empty), /JPEG .*a\/1.jpeg: cannot decode/);
  assert.throws(() => imageFolder(root, { size: 0 }), /size must be a whole number in 1…4096, got 0/);
});
