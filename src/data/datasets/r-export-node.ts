// Data sets that ship inside R packages (Debian's r-base-core, r-cran-dslabs): exported once to CSV
// with Rscript and cached, so later runs read the CSV; a clear message when R is not installed.

import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { nablaCacheDir } from './fashion-mnist-node.js';

export interface RExport {
  /** the cached CSV's file name */
  file: string;
  /** R code writing the data set as CSV to the path in the variable `out` */
  code: string;
  /** Debian packages that provide it, for the error message */
  packages: string;
}

/** Where exported R data sets are cached: $NABLA_DATA_CACHE, else <nabla cache>/r. */
export function rCacheDir(): string {
  return process.env.NABLA_DATA_CACHE ?? join(nablaCacheDir(), 'r');
}

/** The cached CSV of an R data set, exporting it first when it is not cached yet. */
export function rExportedCsv(spec: RExport, opts: { cacheDir?: string; rscript?: string } = {}): string {
  const path = join(opts.cacheDir ?? rCacheDir(), spec.file);
  if (existsSync(path)) return path;
  const rscript = opts.rscript ?? process.env.NABLA_RSCRIPT ?? 'Rscript';
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const code = `out <- ${JSON.stringify(tmp)}\n${spec.code}`;
  const r = spawnSync(rscript, ['--vanilla', '-e', code], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) {
    rmSync(tmp, { force: true });
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${spec.file}: exporting it needs R, and '${rscript}' was not found: install ${spec.packages} (apt-get install ${spec.packages}), or put an exported ${spec.file} in ${dirname(path)}`);
    }
    throw new Error(`${spec.file}: running ${rscript} failed: ${r.error.message}`);
  }
  if (r.status !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    const why = (r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' / ');
    throw new Error(`${spec.file}: ${rscript} could not export it (exit ${r.status}): ${why} — are ${spec.packages} installed?`);
  }
  renameSync(tmp, path);
  return path;
}
