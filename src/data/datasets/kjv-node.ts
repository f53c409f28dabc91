// Node-only: finds the King James text — an explicit file, $NABLA_DATA/kjv/kjv.txt, the cache
// (~/.cache/nabla/kjv/kjv.txt) — or builds it once from Debian's `bible` program (bible-kjv) into the cache.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { saveFileAtomicSync } from '../../io/node-files.js';
import { nablaCacheDir } from './fashion-mnist-node.js';
import { formatKjv, parseKjv, splitKjv, KJV_SPLITS, type KjvChapter, type KjvSplitText } from './kjv.js';

export interface KjvOptions {
  /** A text file in nabla's format or the `bible` program's output; when given, nothing else is searched. */
  file?: string;
  /** The cache directory (default ~/.cache/nabla; null: neither read nor write a cache). */
  cacheDir?: string | null;
  /** The program that prints the text (default 'bible', from Debian's bible-kjv). */
  bibleCommand?: string;
  /** Held-out books (default KJV_SPLITS). */
  splits?: typeof KJV_SPLITS;
}

export interface KjvCorpus extends KjvSplitText {
  chapters: KjvChapter[];
  /** where the text came from: the file read, or the command run */
  location: string;
  source: 'file' | 'env' | 'cache' | 'bible';
}

const HOW = 'install Debian\'s bible-kjv (apt install bible-kjv), or put the text in $NABLA_DATA/kjv/kjv.txt';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`kjv: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Runs the `bible` program for the whole text (one verse per line) and parses it. */
export function kjvFromBibleProgram(command = 'bible'): KjvChapter[] {
  const r = spawnSync(command, ['-l100000', 'gen1:1-rev22:21'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(`kjv: ${missing ? `the '${command}' program is not installed` : `running '${command}' failed: ${r.error.message}`}; ${HOW}`);
  }
  if (r.status !== 0) throw new Error(`kjv: '${command} -l100000 gen1:1-rev22:21' exited with ${r.status}: ${(r.stderr || '').trim().slice(0, 200)}`);
  return parseKjv(r.stdout, `the output of '${command}'`);
}

/**
 * The KJV split into training text and held-out books. The first call runs `bible` and caches
 * nabla's text (about 4.2 MB); later calls read the cache. Every load is validated.
 */
export function kjv(opts: KjvOptions = {}): KjvCorpus {
  const splits = opts.splits ?? KJV_SPLITS;
  const done = (chapters: KjvChapter[], location: string, source: KjvCorpus['source']): KjvCorpus =>
    ({ chapters, location, source, ...splitKjv(chapters, splits) });
  if (opts.file !== undefined) return done(parseKjv(readText(opts.file), opts.file), opts.file, 'file');
  const env = process.env.NABLA_DATA;
  if (env) {
    const p = join(env, 'kjv', 'kjv.txt');
    if (existsSync(p)) return done(parseKjv(readText(p), p), p, 'env');
  }
  const cache = opts.cacheDir === undefined ? nablaCacheDir() : opts.cacheDir;
  const cached = cache ? join(cache, 'kjv', 'kjv.txt') : null;
  if (cached && existsSync(cached)) return done(parseKjv(readText(cached), cached), cached, 'cache');
  const command = opts.bibleCommand ?? 'bible';
  const chapters = kjvFromBibleProgram(command);
  if (cached) {
    mkdirSync(dirname(cached), { recursive: true });
    saveFileAtomicSync(cached, new TextEncoder().encode(formatKjv(chapters)));
  }
  return done(chapters, `${command} (cached in ${cached ?? 'nowhere'})`, 'bible');
}
