// Loads and compiles the kernels (build/nabla-*.wasm): the relaxed-SIMD build where the engine
// validates it, the plain-SIMD build otherwise. The only place that reads files or flags.

/** The parts of Node's worker_threads the pool uses (typed here: src/ does not depend on @types/node). */
export interface NodeWorkerThreads {
  Worker: new (code: string, opts: { eval: boolean; workerData: unknown; execArgv?: string[] }) => {
    unref(): void; terminate(): unknown;
    once(ev: 'message' | 'error', f: (e: Error) => void): void;
  };
}

// Module specifiers in variables keep bundlers and type checkers away from node: modules.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const nodeImport = (spec: string): Promise<any> => import(spec);
const proc = (globalThis as { process?: { versions?: { node?: string }; env: Record<string, string | undefined> } }).process;

export interface Compiled {
  module: WebAssembly.Module;
  relaxedSimd: boolean;
  file: string;
  nodeWorkers: NodeWorkerThreads | null;
  cores: number;
  env: (name: string) => string | undefined;
}

const isNode = !!proc?.versions?.node;

function kernelUrl(name: string): URL {
  // from src/backend/wasm/ (tsx) and dist/backend/wasm/ alike, the repo root is three up
  return new URL(`../../../build/${name}`, import.meta.url);
}

const missing = (file: string, e: unknown) => new Error(
  `wasm backend: cannot read the compiled kernels ${file} (${(e as Error).message}). ` +
  'Build them with `npm run build:kernels`.');

type Bytes = Uint8Array<ArrayBuffer>;

function pick(relaxed: Bytes | null, simd: Bytes, forcePlain: boolean): { bytes: Bytes; relaxedSimd: boolean; file: string } {
  if (!forcePlain && relaxed && WebAssembly.validate(relaxed)) return { bytes: relaxed, relaxedSimd: true, file: 'nabla-relaxed.wasm' };
  if (!WebAssembly.validate(simd)) throw new Error('wasm backend: this engine does not support WebAssembly SIMD (needed by the kernels)');
  return { bytes: simd, relaxedSimd: false, file: 'nabla-simd.wasm' };
}

async function nodeSetup(): Promise<{ wt: NodeWorkerThreads; cores: number }> {
  const v8 = await nodeImport('node:v8');
  // Node 20 keeps relaxed SIMD behind a flag; it must be set before compiling (workers inherit it).
  try { v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { /* newer engines: on by default */ }
  const wt = await nodeImport('node:worker_threads');
  const os = await nodeImport('node:os');
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return { wt, cores };
}

/** Node's built-in modules without an import (Node ≥ 20.16): what the synchronous start needs. */
function builtin<T>(name: string): T {
  const get = (proc as { getBuiltinModule?: (n: string) => unknown } | undefined)?.getBuiltinModule;
  if (!get) throw new Error('wasm backend: a synchronous start needs Node ≥ 20.16 (process.getBuiltinModule); await nb.ready() instead');
  return get(name) as T;
}

/** compileKernels without awaiting (Node only): the first op can start the backend. */
export function compileKernelsSync(): Compiled {
  const env = (name: string) => proc!.env[name];
  const v8 = builtin<{ setFlagsFromString(f: string): void }>('node:v8');
  try { v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { /* newer engines: on by default */ }
  const fs = builtin<{ readFileSync(f: string): Uint8Array }>('node:fs');
  const { fileURLToPath } = builtin<{ fileURLToPath(u: URL): string }>('node:url');
  const os = builtin<{ availableParallelism?: () => number; cpus(): unknown[] }>('node:os');
  const read = (n: string): Bytes => {
    const f = fileURLToPath(kernelUrl(n));
    try { return new Uint8Array(fs.readFileSync(f)) as Bytes; } catch (e) { throw missing(f, e); }
  };
  const simd = read('nabla-simd.wasm');
  let relaxed: Bytes | null = null;
  try { relaxed = read('nabla-relaxed.wasm'); } catch { /* the plain build is enough */ }
  const p = pick(relaxed, simd, env('NABLA_RELAXED_SIMD') === '0');
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return { module: new WebAssembly.Module(p.bytes), relaxedSimd: p.relaxedSimd, file: p.file, nodeWorkers: builtin<NodeWorkerThreads>('node:worker_threads'), cores, env };
}

export async function compileKernels(): Promise<Compiled> {
  const env = (name: string) => (isNode ? proc!.env[name] : undefined);
  const forcePlain = env('NABLA_RELAXED_SIMD') === '0';
  if (isNode) {
    const { wt, cores } = await nodeSetup();
    const fs = await nodeImport('node:fs/promises');
    const { fileURLToPath } = await nodeImport('node:url');
    const read = async (n: string): Promise<Bytes> => {
      const f = fileURLToPath(kernelUrl(n));
      try { return new Uint8Array(await fs.readFile(f)); } catch (e) { throw missing(f, e); }
    };
    const simd = await read('nabla-simd.wasm');
    const relaxed = await read('nabla-relaxed.wasm').catch(() => null);
    const p = pick(relaxed, simd, forcePlain);
    return { module: await WebAssembly.compile(p.bytes), relaxedSimd: p.relaxedSimd, file: p.file, nodeWorkers: wt, cores, env };
  }
  const get = async (n: string): Promise<Bytes> => {
    const u = kernelUrl(n);
    const r = await fetch(u);
    if (!r.ok) throw missing(u.href, new Error(`HTTP ${r.status}`));
    return new Uint8Array(await r.arrayBuffer());
  };
  const simd = await get('nabla-simd.wasm');
  const relaxed = await get('nabla-relaxed.wasm').catch(() => null);
  const p = pick(relaxed, simd, forcePlain);
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return { module: await WebAssembly.compile(p.bytes), relaxedSimd: p.relaxedSimd, file: p.file, nodeWorkers: null, cores, env };
}
