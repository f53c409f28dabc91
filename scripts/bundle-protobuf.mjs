// Replaces dist/io/onnx/protobuf.js (tsc's re-export of protobufjs/light, which is CommonJS) with an
// ES-module bundle of protobufjs/light and its long.js, so dist/ imports no CommonJS package: a page
// loading dist/ without a bundler, and Node, both get `nb.onnx` from the main entry.
// Run by `npm run build` after tsc.
import { build } from 'esbuild';
import { readFileSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/io/onnx/protobuf.js`;
const protobufLicense = readFileSync(`${root}node_modules/protobufjs/LICENSE`, 'utf8').replaceAll('*/', '* /');

const result = await build({
  absWorkingDir: root,
  stdin: { contents: "export { default } from 'protobufjs/light.js';", resolveDir: root, sourcefile: 'protobuf.js' },
  bundle: true,
  format: 'esm',
  // Browser globals only (protobufjs looks Buffer and the global object up itself, so Node works too).
  platform: 'browser',
  target: ['es2020'],
  // long.js's Apache-2.0 notice is a @license comment (kept); protobufjs's BSD-3-Clause text is its LICENSE file.
  legalComments: 'inline',
  banner: { js: `// protobufjs/light and long, bundled as an ES module by scripts/bundle-protobuf.mjs.\n/*! protobufjs LICENSE:\n${protobufLicense}*/` },
  write: false,
  minify: true,
  logLevel: 'warning',
});
const tmp = `${out}.${process.pid}.tmp`;
writeFileSync(tmp, result.outputFiles[0].contents);
renameSync(tmp, out);
// tsc's source map and declarations were of the re-export; the bundle has neither (its sources are
// not in the package), and nothing public uses protobufjs's types.
for (const f of ['protobuf.js.map', 'protobuf.d.ts']) rmSync(`${root}dist/io/onnx/${f}`, { force: true });
console.log(`bundle-protobuf: dist/io/onnx/protobuf.js (${(result.outputFiles[0].contents.length / 1024).toFixed(0)} KiB)`);
