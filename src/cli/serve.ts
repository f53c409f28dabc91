// `nabla serve`: a static server on 127.0.0.1 for the playground page, sending the two headers
// (COOP same-origin, COEP require-corp) that make a page cross-origin isolated — which the wasm
// backend needs for SharedArrayBuffer, and so for running on every core.

import http from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, helpText, UsageError, type FlagSpec } from './args.js';

export const SERVE_FLAGS: Record<string, FlagSpec> = {
  port: { type: 'int', default: 8080, min: 0, help: 'port on 127.0.0.1 (0 picks a free one)' },
};
export const SERVE_HELP = helpText('serve', '[options]',
  'Serves the playground page (train a network in the browser) on http://127.0.0.1 with the\n' +
  'Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers the wasm backend needs.', SERVE_FLAGS);

/** The headers that make a page cross-origin isolated (and so give it SharedArrayBuffer and threads). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
});

const PAGE = '/examples/playground/';
/** Only these folders of the package are served: the page, the compiled kernels and the data sample. */
const SERVED = ['examples/playground/', 'build/', 'data/fashion-mnist-sample/'];
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml',
  '.gz': 'application/octet-stream', '.md': 'text/plain; charset=utf-8', '.ts': 'text/plain; charset=utf-8',
};

/** The package root: two folders up from src/cli/ (tsx) and dist/cli/ (installed) alike. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** Says what is missing for the page to work, or null; warns (through `log`) when the bundle is older than its sources. */
export function checkPlayground(root: string, log: (s: string) => void): string | null {
  const bundle = join(root, 'examples/playground/dist/main.js');
  if (!existsSync(bundle) || !existsSync(join(root, 'examples/playground/dist/worker.js'))) {
    return `the playground page is not built (no ${relative(process.cwd(), bundle) || bundle}): run npm run build`;
  }
  if (!existsSync(join(root, 'build/nabla-simd.wasm'))) return 'the wasm kernels are not built (no build/nabla-simd.wasm): run npm run build';
  // In a checkout, say when a source of the bundles (listed by the build) changed after they were built.
  // (Not in an installed package: it has no src/, and unpacking sets the page's files' times.)
  if (!existsSync(join(root, 'src/cli'))) return null;
  try {
    const { inputs } = JSON.parse(readFileSync(join(root, 'examples/playground/dist/inputs.json'), 'utf8')) as { inputs: string[] };
    const built = statSync(bundle).mtimeMs;
    const newer = inputs.filter((f) => existsSync(join(root, f)) && statSync(join(root, f)).mtimeMs > built);
    if (newer.length > 0) {
      log(`nabla serve: the page's bundle is older than ${newer.slice(0, 3).join(', ')}${newer.length > 3 ? ` and ${newer.length - 3} more` : ''}: run npm run build to see the changes`);
    }
  } catch {
    // No list of inputs (an older build): nothing to compare.
  }
  return null;
}

/** Maps a request path to a file under one of the served folders, or null (outside them, missing, or not a file). */
export function resolveRequest(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path.endsWith('/')) path += 'index.html';
  const file = resolve(root, '.' + path);
  const rel = relative(root, file).split(sep).join('/');
  if (rel.startsWith('..') || !SERVED.some((d) => rel.startsWith(d))) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

/** Creates the server (not listening yet). Every answer carries the isolation headers. */
export function createPlaygroundServer(root: string): http.Server {
  return http.createServer((req, res) => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/' || path === PAGE.slice(0, -1)) {
      res.writeHead(302, { Location: PAGE }).end();
      return;
    }
    const file = resolveRequest(root, path);
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${path}\n`);
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}

/** `nabla serve`: runs until SIGINT/SIGTERM, then closes the server and returns 0. */
export async function serveCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { positionals, flags } = parseArgs(argv, SERVE_FLAGS, 'serve');
  if (positionals.length > 0) throw new UsageError(`serve: takes no arguments, got '${positionals[0]}' (see nabla serve --help)`);
  const port = flags.port as number;
  if (port > 65535) throw new UsageError(`serve: --port must be at most 65535, got ${port}`);
  const root = packageRoot();
  const missing = checkPlayground(root, log);
  if (missing) throw new Error(`serve: ${missing}`);
  const server = createPlaygroundServer(root);
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE'
      ? new UsageError(`serve: port ${port} on 127.0.0.1 is in use (try --port 0 for any free port)`)
      : new Error(`serve: cannot listen on 127.0.0.1:${port}: ${e.message}`)));
    server.listen(port, '127.0.0.1', ok);
  });
  const { port: actual } = server.address() as { port: number };
  log(`Nabla playground: http://127.0.0.1:${actual}${PAGE}`);
  log(`serving ${SERVED.join(', ')} of ${root} with ${Object.entries(ISOLATION_HEADERS).map(([k, v]) => `${k}: ${v}`).join(', ')} · Ctrl-C stops`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => done());
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  log('nabla serve: stopped');
  return 0;
}
