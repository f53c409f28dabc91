#!/usr/bin/env node
// The `nabla` command: runs the built CLI (dist/), or the TypeScript sources through tsx in a checkout.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/main.js', import.meta.url);
let mod;
if (existsSync(dist) && !process.env.NABLA_FROM_SOURCE) {
  mod = await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
const code = await mod.main(process.argv.slice(2));
process.exitCode = code;
