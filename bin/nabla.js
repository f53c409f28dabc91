#!/usr/bin/env node
// The `nabla` command. In a checkout (src/ present) it runs the TypeScript sources through tsx, so
// it never runs a stale build; an installed package runs the built dist/.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli/main.ts', import.meta.url);
const dist = new URL('../dist/cli/main.js', import.meta.url);
let mod;
if (existsSync(src) && !process.env.NABLA_FROM_DIST) {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(src.href);
} else {
  mod = await import(dist.href);
}
process.exitCode = await mod.main(process.argv.slice(2));
