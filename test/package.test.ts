// The package as a user installs it: `npm pack`, unpacked into a project's node_modules. It imports as
// ESM (nb.onnx included, without protobufjs installed); require() loads it where Node can require()
// ES modules, else says it is one; every source map's sources are in the package; the installed
// `nabla` trains, evaluates and, for bench (dev-only), says where it runs. Needs npm run build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = resolve(new URL('..', import.meta.url).pathname);
const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? files(p) : [p];
});

test('npm pack, installed: ESM import, require() (or a helpful error), source maps that resolve, and the CLI', () => {
  assert.ok(existsSync(join(root, 'dist/index.js')), 'dist/ is missing: run npm run build before npm test');
  const project = mkdtempSync(join(tmpdir(), 'nabla-pkg-'));
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', project], { cwd: root, encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);
  const tarball = join(project, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
  mkdirSync(join(project, 'node_modules'));
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', join(project, 'node_modules')], { encoding: 'utf8' });
  assert.equal(untar.status, 0, untar.stderr);
  const pkg = join(project, 'node_modules/nabla');
  renameSync(join(project, 'node_modules/package'), pkg);
  // Its dependencies, as npm would install them (offline: the repository's copies).
  for (const dep of Object.keys((JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)) {
    symlinkSync(join(root, 'node_modules', dep), join(project, 'node_modules', dep));
  }

  // Every source map names sources that the package holds.
  const maps = files(pkg).filter((f) => f.endsWith('.map'));
  assert.ok(maps.length > 0);
  const missing: string[] = [];
  for (const m of maps) {
    for (const s of (JSON.parse(readFileSync(m, 'utf8')) as { sources: string[] }).sources) {
      if (!existsSync(resolve(dirname(m), s))) missing.push(`${m.slice(pkg.length + 1)} → ${s}`);
    }
  }
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} source-map sources are not in the package`);

  const node = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8', env: { ...process.env, NABLA_DATA: '' } });
  const esm = node(['--input-type=module', '-e', "import * as nb from 'nabla'; import { load } from 'nabla/node'; console.log(nb.tensor([1, 2, 3]).sum().item(), typeof load);"]);
  assert.equal(esm.status, 0, String(esm.stderr));
  assert.equal(String(esm.stdout).trim(), '6 function');
  // nb.onnx on the main entry, with no protobufjs installed (dist/ holds it bundled as ESM): export a
  // layer, import it back, same outputs.
  assert.ok(!existsSync(join(project, 'node_modules/protobufjs')), 'protobufjs is not a dependency of the package');
  const onnx = node(['--input-type=module', '-e', [
    "import * as nb from 'nabla';",
    'nb.manualSeed(0); const m = new nb.nn.Linear(3, 2); const x = nb.randn([4, 3]);',
    'const bytes = nb.onnx.exportModel(m, x); const back = nb.onnx.importModel(bytes);',
    'const a = m.forward(x).dataSync(), b = back.forward(x).dataSync();',
    "console.log(typeof nb.onnx.exportModel, bytes.length > 0, a.every((v, i) => v === b[i]), back.namedParameters().map(([k]) => k).join(','));",
  ].join('\n')]);
  assert.equal(onnx.status, 0, String(onnx.stderr));
  assert.equal(String(onnx.stdout).trim(), 'function true true weight,bias');
  // nabla has no top-level await (importing starts nothing): a Node that can require() an ES module
  // (20.19+, 22.12+) loads it from CommonJS; an older one says how to load it.
  const cjs = node(['-e', "const nb = require('nabla'); const { load } = require('nabla/node'); console.log(nb.tensor([1, 2, 3]).sum().item(), typeof load);"]);
  if ((process.features as { require_module?: boolean }).require_module) {
    assert.equal(cjs.status, 0, String(cjs.stderr));
    assert.equal(String(cjs.stdout).trim(), '6 function');
  } else {
    assert.notEqual(cjs.status, 0);
    assert.match(String(cjs.stderr), /nabla is an ES module: load it with `import \* as nb from 'nabla'`, or `const nb = await import\('nabla'\)` in CommonJS/);
  }

  const cli = (args: string[]): ReturnType<typeof spawnSync> => node([join(pkg, 'bin/nabla.js'), ...args]);
  const bench = cli(['bench']);
  assert.equal(bench.status, 2, String(bench.stderr));
  const lines = String(bench.stderr).trim().split('\n');
  assert.equal(lines.length, 1, String(bench.stderr));
  assert.match(lines[0]!, /bench: the benchmarks are not part of the installed package; they run from a checkout of the repository/);
  const train = cli(['train', '--model', 'mlp', '--sample', '--epochs', '1', '--limit', '300', '--val-size', '100', '--out', 'run', '--quiet']);
  assert.equal(train.status, 0, String(train.stderr));
  const acc = /test accuracy (\d+\.\d\d)%/.exec(String(train.stdout))![1];
  const ev = cli(['eval', 'run/best.safetensors']);
  assert.equal(ev.status, 0, String(ev.stderr));
  assert.match(String(ev.stdout), new RegExp(`^test accuracy ${acc}%`));
});
