// Your own pictures: a folder with one sub-folder per class of PNG/JPEG files, resized to --size,
// a small CNN trained on a stratified 80% and scored on the rest.
// Run: npm run build && node --import tsx examples/image-folder.ts path/to/images --size 32 --epochs 10
import * as nb from 'nabla';
import { imageFolder } from 'nabla/node';

const root = process.argv[2];
const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
if (!root || root.startsWith('--')) throw new Error('usage: image-folder.ts FOLDER [--size 32] [--epochs 10] [--lr 0.003] [--gray]');
const d = imageFolder(root, { size: Number(arg('size', '32')), channels: process.argv.includes('--gray') ? 1 : 3 });
console.log(`${d.n} images in ${d.classes.length} classes (${d.classes.join(', ')})${d.skipped.length ? `; left out ${d.skipped.length} non-image file(s) such as ${d.skipped[0]}` : ''}`);
const { train, test } = nb.apps.images.splitImages(d, 0.2, 1);
const model = await nb.apps.images.trainImages(train, { epochs: Number(arg('epochs', '10')), lr: Number(arg('lr', '0.003')), seed: 1, verbose: true });
console.log(`held-out accuracy ${(100 * nb.apps.images.accuracyOf(nb.apps.images.predictImages(model, test), test.labels, d.classes.length)).toFixed(1)}% on ${test.n} images`);
