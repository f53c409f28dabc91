// The one counter-based random generator (Philox4x32-10), seeded by manualSeed: it drives init,
// dropout, shuffling and augmentation, so the same seed gives the same run on every backend.

let seedLo = 0x12345678;
let seedHi = 0x9abcdef0;
let counter = 0; // blocks of 4 × u32 drawn so far (a JS number: exact up to 2^53)

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

function mulhi(a: number, b: number): number {
  // High 32 bits of the 64-bit product of two u32, from 16-bit halves.
  const aH = a >>> 16, aL = a & 0xffff, bH = b >>> 16, bL = b & 0xffff;
  const lo = aL * bL;
  const mid1 = aH * bL;
  const mid2 = aL * bH;
  const carry = ((lo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (aH * bH + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

/** One Philox4x32-10 block for a 64-bit counter under the current key, into out[0..3]. */
function philoxBlock(ctr: number, out: Uint32Array): void {
  let c0 = ctr >>> 0;
  let c1 = Math.floor(ctr / 4294967296) >>> 0;
  let c2 = 0, c3 = 0;
  let k0 = seedLo >>> 0, k1 = seedHi >>> 0;
  for (let r = 0; r < 10; r++) {
    const h0 = mulhi(M0, c0), l0 = Math.imul(M0, c0) >>> 0;
    const h1 = mulhi(M1, c2), l1 = Math.imul(M1, c2) >>> 0;
    const n0 = (h1 ^ c1 ^ k0) >>> 0;
    const n2 = (h0 ^ c3 ^ k1) >>> 0;
    c0 = n0; c1 = l1; c2 = n2; c3 = l0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

const block = new Uint32Array(4);

/** Fills `out` with uniformly random u32, advancing the generator. */
export function randomU32(out: Uint32Array): void {
  let i = 0;
  while (i < out.length) {
    philoxBlock(counter++, block);
    for (let j = 0; j < 4 && i < out.length; j++) out[i++] = block[j]!;
  }
}

/** Seeds the generator (like torch.manual_seed); any integer, or a number with a fraction. */
export function manualSeed(seed: number | bigint): void {
  const big = BigInt.asUintN(64, typeof seed === 'bigint' ? seed : BigInt(Math.floor(seed)));
  seedLo = Number(big & 0xffffffffn);
  seedHi = Number(big >> 32n);
  counter = 0;
}

export interface RngState { seedLo: number; seedHi: number; counter: number }

/** The generator's state, for checkpoints. */
export function getRngState(): RngState {
  return { seedLo, seedHi, counter };
}

export function setRngState(s: RngState): void {
  if (![s.seedLo, s.seedHi, s.counter].every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`setRngState: invalid state ${JSON.stringify(s)}`);
  }
  seedLo = s.seedLo; seedHi = s.seedHi; counter = s.counter;
}

/** Philox blocks (4 words each) that n uniforms take: one word a float32, two a float64. */
export function blocksFor(n: number, f64: boolean): number {
  return Math.ceil((f64 ? 2 * n : n) / 4);
}

/**
 * The state to draw `blocks` blocks from, with the generator advanced past them: a backend that makes
 * the numbers itself (Backend.fused.uniform) draws exactly what randomU32 would have.
 */
export function reserveBlocks(blocks: number): RngState {
  const at = { seedLo, seedHi, counter };
  counter += blocks;
  return at;
}

/** n uniform numbers in [0, 1); 53-bit for float64, 24-bit (float32-exact) otherwise. */
export function uniformArray(n: number, f64: boolean): Float64Array {
  const out = new Float64Array(n);
  const u = new Uint32Array(f64 ? 2 * n : n);
  randomU32(u);
  if (f64) for (let i = 0; i < n; i++) out[i] = ((u[2 * i]! >>> 5) * 67108864 + (u[2 * i + 1]! >>> 6)) / 9007199254740992;
  else for (let i = 0; i < n; i++) out[i] = (u[i]! >>> 8) / 16777216;
  return out;
}

/** n standard normal numbers (Box–Muller on pairs of uniforms). */
export function normalArray(n: number, f64: boolean): Float64Array {
  const u = uniformArray(n + (n & 1), f64);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u[i]!));
    const th = 2 * Math.PI * u[i + 1]!;
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

/** A uniform integer in [0, n) (for shuffling): exact, no modulo bias for n ≤ 2^32. */
export function randomInt(n: number): number {
  const u = new Uint32Array(1);
  const limit = Math.floor(4294967296 / n) * n;
  for (;;) {
    randomU32(u);
    if (u[0]! < limit) return u[0]! % n;
  }
}
