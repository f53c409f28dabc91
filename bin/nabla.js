#!/usr/bin/env node
// The `nabla` command. In a checkout (tsconfig.json beside src/, and tsx installed) it runs the
// TypeScript sources through tsx, so it never runs a stale build; the installed package (which
// ships src/ only for its source maps) runs the built dist/.
import { existsSync } from 'node:fs';

// `nabla … | head`: when the reader goes away, stop quietly, as Unix tools do, instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const src = new URL('../src/cli/main.ts', import.meta.url);
const dist = new URL('../dist/cli/main.js', import.meta.url);
const checkout = existsSync(src) && existsSync(new URL('../tsconfig.json', import.meta.url)) && !process.env.NABLA_FROM_DIST;
let mod;
if (checkout) {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(src.href);
} else {
  mod = await import(dist.href);
}
process.exitCode = await mod.main(process.argv.slice(2));
