// Builds the WebAssembly kernels: generates kernels/gen/ from the op table, then kernels/index.ts →
// build/nabla-simd.wasm (plain SIMD) and build/nabla-relaxed.wasm (relaxed-SIMD fused multiply-add).
// Run: npm run build:kernels (asc is skipped when the outputs are newer than the sources; --force).
import { spawnSync } from 'node:child_process';
import { mkdirSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
if (!existsSync(asc)) {
  console.error('build-kernels: assemblyscript is not installed (run `npm ci` first)');
  process.exit(1);
}
mkdirSync(join(root, 'build'), { recursive: true });

// The kernels the op table implies (kernels/gen/, src/backend/wasm/exports.gen.ts): regenerated
// every time (it is quick and writes only what changed), so a stale copy cannot survive a build.
const gen = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'gen-kernels.ts')], { cwd: root, stdio: 'inherit' });
if (gen.status !== 0) { console.error('build-kernels: scripts/gen-kernels.ts failed'); process.exit(gen.status ?? 1); }

// Up to date? (outputs newer than every kernel source; --force rebuilds anyway)
const outputs = ['build/nabla-relaxed.wasm', 'build/nabla-simd.wasm'].map((f) => join(root, f));
const kernelFiles = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? kernelFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
const sources = [...kernelFiles(join(root, 'kernels')), join(root, 'src', 'backend', 'wasm', 'slots.ts'), join(root, 'scripts', 'build-kernels.mjs')];
if (!process.argv.includes('--force') && outputs.every(existsSync)) {
  const oldest = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  if (sources.every((f) => statSync(f).mtimeMs < oldest)) {
    console.log('build-kernels: build/*.wasm are up to date');
    process.exit(0);
  }
}

// 65536 pages = 4 GiB: the most a wasm32 memory can address.
const common = ['kernels/index.ts', '-O3', '--runtime', 'stub', '--importMemory', '--sharedMemory',
  '--initialMemory', '1', '--maximumMemory', '65536', '--enable', 'threads', '--enable', 'simd',
  '--noAssert', '--memoryBase', '16384', ...(process.env.NABLA_KERNELS_DEBUG ? ['--debug'] : [])];
// Memory map (src/backend/wasm/heap.ts): [1 KiB, 4 KiB) kernel parameter block, [16 KiB, 64 KiB)
// the kernels' constant tables (Mathf's), 64 KiB on the heap. The tables must fit below 64 KiB.
const builds = [
  { out: 'build/nabla-relaxed.wasm', extra: ['--enable', 'relaxed-simd', '--use', 'RELAXED=1'] },
  { out: 'build/nabla-simd.wasm', extra: ['--use', 'RELAXED=0'] },
];
for (const b of builds) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [asc, ...common, ...b.extra, '-o', b.out], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) { console.error(`build-kernels: asc failed for ${b.out}`); process.exit(r.status ?? 1); }
  const data = dataSectionBytes(readFileSync(join(root, b.out)));
  if (data > 65536 - 16384) { console.error(`build-kernels: ${b.out}: ${data} bytes of static data overflow into the heap`); process.exit(1); }
  console.log(`build-kernels: ${b.out} (${Date.now() - t0} ms, ${data} bytes of constant tables)`);
}

/** Size of a module's data section (id 11), read from the binary's section headers. */
function dataSectionBytes(bin) {
  let p = 8, total = 0;
  while (p < bin.length) {
    const id = bin[p++];
    let n = 0, shift = 0, c;
    do { c = bin[p++]; n |= (c & 127) << shift; shift += 7; } while (c & 128);
    if (id === 11) total += n;
    p += n;
  }
  return total;
}
