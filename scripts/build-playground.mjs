// Bundles the playground page (examples/playground/src → examples/playground/dist) with esbuild:
// the page's script and the training worker, each with the parts of nabla it imports.
// Run by `npm run build`; `node scripts/build-playground.mjs` alone rebuilds just the page.
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = `${root}examples/playground`;

/** Builds both bundles; resolves to the output files and their sizes. */
export async function buildPlayground({ quiet = false } = {}) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [`${dir}/src/main.ts`, `${dir}/src/worker.ts`],
    outdir: `${dir}/dist`,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Top-level await (nabla starts its backend on import) and module workers.
    target: ['chrome100', 'firefox100', 'safari16'],
    // The page imports nabla as a user would; in the repo that is the library's own sources.
    alias: { nabla: `${root}src/index.ts` },
    tsconfig: `${dir}/tsconfig.json`,
    minify: true,
    legalComments: 'none',
    write: false,
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
  });
  // Each file goes in whole (temp file + rename): a server or a test running now never reads half a bundle.
  mkdirSync(`${dir}/dist`, { recursive: true });
  // inputs.json lists the sources in the bundles, so `nabla serve` can tell when the bundles are stale.
  const inputs = new TextEncoder().encode(JSON.stringify({ inputs: Object.keys(result.metafile.inputs).sort() }, null, 1) + '\n');
  const files = [...result.outputFiles.map((f) => ({ path: f.path, contents: f.contents })), { path: `${dir}/dist/inputs.json`, contents: inputs }];
  const outputs = files.map((f) => {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
    return { file: relative(root, f.path), bytes: f.contents.length };
  });
  if (!quiet) for (const o of outputs) console.log(`build-playground: ${o.file} (${(o.bytes / 1024).toFixed(0)} KiB)`);
  return outputs;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildPlayground();
