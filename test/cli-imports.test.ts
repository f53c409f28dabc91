// The CLI and the tasks use only the public API (DESIGN: src/cli "uses only the public API"): their
// imports are nabla's two entry points (src/index.ts, src/node.ts), each other, node: modules and npm packages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
});

test('src/cli and src/tasks import only nabla\'s public entry points, each other, node: modules and packages', () => {
  const allowed = [join(root, 'src/index.ts'), join(root, 'src/node.ts')];
  const own = [join(root, 'src/cli') + '/', join(root, 'src/tasks') + '/'];
  const bad: string[] = [];
  const checked = [...files(join(root, 'src/cli')), ...files(join(root, 'src/tasks'))];
  assert.ok(checked.length >= 10, `${checked.length} files`);
  for (const f of checked) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue; // node: modules and npm packages
      const target = resolve(dirname(f), spec).replace(/\.js$/, '.ts');
      if (allowed.includes(target) || own.some((d) => target.startsWith(d))) continue;
      bad.push(`${relative(root, f)} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});
