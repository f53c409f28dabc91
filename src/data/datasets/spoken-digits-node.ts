// Node-only: builds the spoken-digits data set with espeak-ng (voices × variants, speeds, pitches,
// gaps) resampled to 8 kHz by sox, split by voice variant, cached and validated on every load.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { uniformArray } from '../../tensor/random.js';
import { withRng } from '../rng.js';
import { nablaCacheDir } from './fashion-mnist-node.js';
import { DIGIT_WORDS, MAX_DIGITS, SPEECH_FEATURES, type ClipInfo, type SpeechSplit, type SpokenDigitsSplit } from './spoken-digits.js';

/** The accents: espeak-ng's English language voices (each is crossed with the variants). */
export const ACCENTS = Object.freeze(['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029', 'en-us-nyc']);

export interface SpokenDigitsOptions {
  /** clips per split (default train 6000, val 400, test 1000) */
  clips?: Partial<Record<SpeechSplit, number>>;
  /** voice variants held out for val and test (default 10 and 20); the rest train */
  heldOutVoices?: { val: number; test: number };
  /** seed of the voice split and the clip parameters (default 15) */
  seed?: number;
  /** the cache root (default $NABLA_DATA/spoken-digits or ~/.cache/nabla/spoken-digits) */
  cacheDir?: string;
  /** progress lines while building (default: stderr; null for none) */
  log?: ((line: string) => void) | null;
}

/** 2: sox runs in repeatable mode (-R): its dither was seeded at random, so no two builds were the same audio. */
const FORMAT = 2;
const KNOWN = new Set(['clips', 'heldOutVoices', 'seed', 'cacheDir', 'log']);

interface Manifest {
  format: number;
  key: string;
  espeak: string;
  sampleRate: number;
  sha256: string;
  samples: number;
  voices: Record<SpeechSplit, string[]>;
  splits: Record<SpeechSplit, ClipInfo[]>;
}

function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`spoken-digits: cannot run ${cmd} (${what}): ${r.error.message} — install it (apt install espeak-ng sox)`);
  if (r.status !== 0) throw new Error(`spoken-digits: ${cmd} ${args.join(' ')} failed (${what}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** espeak-ng's voice variants (the files under voices/!v), as the -v lang+variant syntax takes them. */
export function espeakVariants(): string[] {
  const out = run('espeak-ng', ['--voices=variant'], 'listing voice variants');
  const names = out.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[4]).filter((f): f is string => !!f && f.startsWith('!v/'));
  return [...new Set(names.map((f) => f.slice(3)))].sort();
}

/**
 * Speaks one clip: espeak-ng's WAV on stdout, piped through sox to 16-bit 8 kHz mono raw PCM. sox
 * dithers when it resamples; -R seeds the dither with a fixed number, so a build is the same to the
 * bit every time (same seed, same data: training on it is then bit-identical between runs).
 */
function speak(c: ClipInfo): Promise<Int16Array> {
  return new Promise((resolve, reject) => {
    const text = [...c.digits].map((d) => DIGIT_WORDS[+d]).join(' ');
    const es = spawn('espeak-ng', ['-v', `${c.accent}+${c.variant}`, '-s', String(c.speed), '-p', String(c.pitch), '-g', String(c.gap), '--stdout', text]);
    const sx = spawn('sox', ['-R', '-q', '-t', 'wav', '-', '-t', 'raw', '-r', String(SPEECH_FEATURES.sampleRate), '-e', 'signed', '-b', '16', '-c', '1', '-L', '-']);
    es.stdout.pipe(sx.stdin);
    const chunks: Buffer[] = [];
    let err = '';
    sx.stdout.on('data', (b: Buffer) => chunks.push(b));
    es.stderr.on('data', (b: Buffer) => { err += b; });
    sx.stderr.on('data', (b: Buffer) => { err += b; });
    es.on('error', reject);
    sx.on('error', reject);
    sx.on('close', (code) => {
      const buf = Buffer.concat(chunks);
      if (code !== 0 || buf.length < 2) {
        reject(new Error(`spoken-digits: espeak-ng -v ${c.accent}+${c.variant} | sox gave no audio for '${text}' (exit ${code}): ${err.trim()}`));
        return;
      }
      const pcm = new Int16Array(buf.length >> 1);
      for (let i = 0; i < pcm.length; i++) pcm[i] = buf.readInt16LE(2 * i);
      resolve(pcm);
    });
  });
}

/** The clip parameters of every split, from the seed (nabla's generator under a private stream). */
function plan(seed: number, voices: Record<SpeechSplit, string[]>, counts: Record<SpeechSplit, number>): Record<SpeechSplit, ClipInfo[]> {
  return withRng(seed, () => {
    const out = {} as Record<SpeechSplit, ClipInfo[]>;
    for (const split of ['train', 'val', 'test'] as const) {
      out[split] = Array.from({ length: counts[split] }, () => {
        const u = uniformArray(6 + MAX_DIGITS, false);
        const n = 1 + Math.floor(u[0]! * MAX_DIGITS);
        let digits = '';
        for (let j = 0; j < n; j++) digits += String(Math.floor(u[6 + j]! * 10));
        const vs = voices[split];
        return {
          offset: 0, length: 0, digits,
          accent: ACCENTS[Math.floor(u[1]! * ACCENTS.length)]!,
          variant: vs[Math.floor(u[2]! * vs.length)]!,
          speed: 110 + Math.floor(u[3]! * 131),
          pitch: 20 + Math.floor(u[4]! * 61),
          gap: Math.floor(u[5]! * 4),
        };
      });
    }
    return out;
  });
}

/** Splits the variants: a seeded shuffle, the first `test` for test, the next `val` for val. */
function splitVoices(variants: string[], seed: number, held: { val: number; test: number }): Record<SpeechSplit, string[]> {
  if (held.val < 1 || held.test < 1 || held.val + held.test >= variants.length) {
    throw new RangeError(`spoken-digits: heldOutVoices val ${held.val} + test ${held.test} must leave voices for training (espeak-ng has ${variants.length})`);
  }
  const order = withRng(seed + 1, () => {
    const a = [...variants];
    const u = uniformArray(a.length, true);
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(u[i]! * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  });
  const sort = (a: string[]): string[] => a.sort();
  return { test: sort(order.slice(0, held.test)), val: sort(order.slice(held.test, held.test + held.val)), train: sort(order.slice(held.test + held.val)) };
}

/** Checks a cached manifest and PCM file; every problem names the file. */
function validate(dir: string, key: string): Manifest {
  const mf = join(dir, 'manifest.json');
  const pf = join(dir, 'audio.pcm');
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
  } catch (e) {
    throw new Error(`spoken-digits: ${mf} is not readable JSON (${(e as Error).message}); delete ${dir} to rebuild it`);
  }
  const bad = (what: string): never => { throw new Error(`spoken-digits: ${mf}: ${what}; delete ${dir} to rebuild it`); };
  if (m.format !== FORMAT) bad(`format ${String(m.format)}, expected ${FORMAT}`);
  if (m.key !== key) bad(`built for other options (key ${String(m.key)}, expected ${key})`);
  if (m.sampleRate !== SPEECH_FEATURES.sampleRate) bad(`sample rate ${m.sampleRate}, expected ${SPEECH_FEATURES.sampleRate}`);
  let next = 0;
  for (const split of ['train', 'val', 'test'] as const) {
    const clips = m.splits?.[split];
    if (!Array.isArray(clips)) bad(`no clip list for the ${split} split`);
    clips.forEach((c, i) => {
      if (c.offset !== next || !Number.isInteger(c.length) || c.length < 1) bad(`${split} clip ${i} has offset ${c.offset} and length ${c.length} (expected offset ${next})`);
      if (!/^[0-9]{1,7}$/.test(c.digits)) bad(`${split} clip ${i} has digits '${c.digits}' (1 to ${MAX_DIGITS} of 0–9 expected)`);
      if (!m.voices[split].includes(c.variant)) bad(`${split} clip ${i} is spoken by '${c.variant}', which is not a ${split} voice`);
      next += c.length;
    });
  }
  if (next !== m.samples) bad(`the clips hold ${next} samples but the manifest says ${m.samples}`);
  const overlap = m.voices.train.filter((v) => m.voices.test.includes(v) || m.voices.val.includes(v));
  if (overlap.length) bad(`voices ${overlap.join(', ')} are in training and held out`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(pf);
  } catch (e) {
    throw new Error(`spoken-digits: cannot read ${pf} (${(e as Error).message}); delete ${dir} to rebuild it`);
  }
  if (bytes.length !== 2 * m.samples) throw new Error(`spoken-digits: ${pf} has ${bytes.length} bytes, expected ${2 * m.samples} (2 per sample); delete ${dir} to rebuild it`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== m.sha256) throw new Error(`spoken-digits: ${pf} is damaged (SHA-256 ${sha.slice(0, 12)}…, the manifest says ${m.sha256.slice(0, 12)}…); delete ${dir} to rebuild it`);
  return m;
}

/**
 * The spoken-digits splits: found in the cache, or built with espeak-ng and sox (a minute or two for
 * the default 7400 clips) and cached. Test and val voices (variants) are never heard in training.
 */
export async function spokenDigits(opts: SpokenDigitsOptions = {}): Promise<Record<SpeechSplit, SpokenDigitsSplit>> {
  for (const k of Object.keys(opts)) if (!KNOWN.has(k)) throw new Error(`spokenDigits: unknown option '${k}' (options: ${[...KNOWN].join(', ')})`);
  const counts = { train: 6000, val: 400, test: 1000, ...opts.clips };
  for (const [s, n] of Object.entries(counts)) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`spokenDigits: clips.${s} must be a positive integer, got ${n}`);
  }
  const held = opts.heldOutVoices ?? { val: 10, test: 20 };
  const seed = opts.seed ?? 15;
  const log = opts.log === undefined ? (s: string) => process.stderr.write(s + '\n') : opts.log;
  const espeak = run('espeak-ng', ['--version'], 'version').trim();
  const variants = espeakVariants();
  const key = createHash('sha256').update(JSON.stringify({ FORMAT, counts, held, seed, espeak, variants, ACCENTS, SPEECH_FEATURES })).digest('hex').slice(0, 16);
  const root = opts.cacheDir ?? (process.env.NABLA_DATA ? join(process.env.NABLA_DATA, 'spoken-digits') : join(nablaCacheDir(), 'spoken-digits'));
  const dir = join(root, key);
  if (!existsSync(join(dir, 'manifest.json'))) await build(dir, key, espeak, variants, counts, held, seed, log);
  const m = validate(dir, key);
  const bytes = readFileSync(join(dir, 'audio.pcm'));
  const all = new Int16Array(m.samples);
  for (let i = 0; i < m.samples; i++) all[i] = bytes.readInt16LE(2 * i);
  const out = {} as Record<SpeechSplit, SpokenDigitsSplit>;
  for (const split of ['train', 'val', 'test'] as const) {
    const clips = m.splits[split];
    const start = clips[0]!.offset;
    const end = clips[clips.length - 1]!.offset + clips[clips.length - 1]!.length;
    out[split] = {
      split, sampleRate: m.sampleRate, audio: all.subarray(start, end),
      clips: clips.map((c) => ({ ...c, offset: c.offset - start })), voices: m.voices[split], location: dir,
    };
  }
  return out;
}

async function build(dir: string, key: string, espeak: string, variants: string[], counts: Record<SpeechSplit, number>,
  held: { val: number; test: number }, seed: number, log: ((s: string) => void) | null): Promise<void> {
  run('sox', ['--version'], 'version');
  const voices = splitVoices(variants, seed, held);
  const splits = plan(seed, voices, counts);
  const all = [...splits.train, ...splits.val, ...splits.test];
  log?.(`spoken-digits: speaking ${all.length} clips with ${espeak.split(' ').slice(0, 2).join(' ')} (${ACCENTS.length} accents × ${variants.length} voices) into ${dir} — once`);
  const pcm: Int16Array[] = new Array(all.length);
  let nextJob = 0, done = 0;
  const t0 = Date.now();
  const worker = async (): Promise<void> => {
    while (nextJob < all.length) {
      const i = nextJob++;
      pcm[i] = await speak(all[i]!);
      if (++done % 1000 === 0) log?.(`spoken-digits: ${done}/${all.length} clips (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(4, availableParallelism())) }, worker));
  let offset = 0;
  for (let i = 0; i < all.length; i++) {
    all[i]!.offset = offset;
    all[i]!.length = pcm[i]!.length;
    offset += pcm[i]!.length;
  }
  const bytes = Buffer.alloc(2 * offset);
  let o = 0;
  for (const p of pcm) for (let k = 0; k < p.length; k++, o += 2) bytes.writeInt16LE(p[k]!, o);
  const manifest: Manifest = {
    format: FORMAT, key, espeak, sampleRate: SPEECH_FEATURES.sampleRate,
    sha256: createHash('sha256').update(bytes).digest('hex'), samples: offset, voices, splits,
  };
  // Built beside the final place and renamed into it, so a half-built cache is never found.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'audio.pcm'), bytes);
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log?.(`spoken-digits: ${all.length} clips, ${(offset / SPEECH_FEATURES.sampleRate / 60).toFixed(1)} min of audio, built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
