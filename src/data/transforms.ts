// Sample transforms for images [C, H, W] or [H, W] (a float tensor or a {data, shape} array):
// toTensor/toFloat, normalize, random crop, flips, random affine, random erasing, compose.
// Randomness comes from nabla's one generator (manualSeed), so augmentation is reproducible.

import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { randomInt, uniformArray, normalArray } from '../tensor/random.js';
import { isArraySample, type ArraySample } from './dataset.js';

/** What a transform takes: a tensor, or an array with a shape (typed-array pipelines make no tensors). */
export type Image = Tensor | ArraySample;
/** A transform returns the same kind it was given: a tensor for a tensor, a {data, shape} array for an array. */
export type Transform = <T extends Image>(x: T) => T;

interface Img {
  data: Float32Array;
  c: number;
  h: number;
  w: number;
  shape: number[];
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Reads a sample as a fresh float32 copy (never the caller's array); geometric transforms take any dtype. */
function read(name: string, x: Image, floatOnly = false): Img {
  let data: Float32Array;
  let shape: readonly number[];
  if (x instanceof Tensor) {
    if (floatOnly && x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${name}: expected a float image, got a ${x.dtype} tensor; convert it with toTensor() first`);
    const d = x.dataSync();
    data = d instanceof Float32Array ? d : Float32Array.from(d);
    shape = x.shape;
  } else if (isArraySample(x)) {
    data = Float32Array.from(x.data as ArrayLike<number>);
    shape = x.shape;
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`${name}: shape ${fmt(shape)} holds ${n} elements but the array has ${data.length}`);
  } else {
    throw new TypeError(`${name}: expected a tensor or a {data, shape} image, got ${typeof x}`);
  }
  if (shape.length !== 2 && shape.length !== 3) throw new Error(`${name}: expected an image [C, H, W] or [H, W], got shape ${fmt(shape)}`);
  const [c, h, w] = shape.length === 3 ? shape : [1, ...shape];
  return { data, c: c!, h: h!, w: w!, shape: [...shape] };
}

function write<T extends Image>(like: T, data: Float32Array, shape: readonly number[]): T {
  if (like instanceof Tensor) return tensor(data, { shape, dtype: like.dtype }) as T;
  return { data, shape: [...shape] } as unknown as T;
}

const uniform = (lo: number, hi: number): number => lo + (hi - lo) * uniformArray(1, true)[0]!;

function pair(name: string, what: string, v: number | readonly [number, number]): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every(Number.isFinite)) throw new Error(`${name}: ${what} must be a number or a pair of numbers, got ${String(v)}`);
  return p;
}

/** Applies transforms in order. */
export function compose(transforms: readonly ((x: never) => unknown)[]): <I, O = I>(x: I) => O {
  return ((x: unknown) => transforms.reduce((acc, t) => (t as (v: unknown) => unknown)(acc), x)) as <I, O = I>(x: I) => O;
}

function scaleToUnit(name: string, x: Image | ArrayBufferView, shape?: readonly number[]): { data: Float32Array; shape: readonly number[] } {
  if (x instanceof Tensor) {
    const d = x.dataSync();
    const isFloat = x.dtype === 'float32' || x.dtype === 'float64';
    return { data: Float32Array.from(d, (v) => (isFloat ? v : v / 255)), shape: x.shape };
  }
  const s = isArraySample(x) ? x : { data: x as ArraySample['data'], shape: shape ?? [(x as ArraySample['data']).length] };
  if (!ArrayBuffer.isView(s.data)) throw new TypeError(`${name}: expected a tensor, a typed array or a {data, shape} image`);
  const n = s.shape.reduce((a, b) => a * b, 1);
  if (n !== s.data.length) throw new Error(`${name}: shape ${fmt(s.shape)} holds ${n} elements but the array has ${s.data.length}`);
  const isFloat = s.data instanceof Float32Array || s.data instanceof Float64Array;
  return { data: Float32Array.from(s.data as ArrayLike<number>, (v) => (isFloat ? v : v / 255)), shape: s.shape };
}

/**
 * Integer pixels 0..255 (uint8 arrays, int tensors) → a float32 tensor in [0, 1], like
 * torchvision's ToTensor for grayscale/planar data; float input is kept as is. A bare typed array
 * takes its shape from `opts.shape` (e.g. [1, 28, 28]).
 */
export function toTensor(opts: { shape?: readonly number[] } = {}): (x: Image | ArrayBufferView) => Tensor {
  return (x) => {
    const { data, shape } = scaleToUnit('toTensor', x, opts.shape);
    return tensor(data, { shape });
  };
}

/** Like toTensor, but gives a {data: Float32Array, shape} array (no tensor per sample). */
export function toFloat(opts: { shape?: readonly number[] } = {}): (x: Image | ArrayBufferView) => ArraySample {
  return (x) => {
    const { data, shape } = scaleToUnit('toFloat', x, opts.shape);
    return { data, shape: [...shape] };
  };
}

/** (x − mean[c]) / std[c] per channel (one number applies to every channel). */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const means = typeof mean === 'number' ? [mean] : [...mean];
  const stds = typeof std === 'number' ? [std] : [...std];
  if (stds.some((s) => !(s !== 0) || !Number.isFinite(s))) throw new Error(`normalize: std must be finite and non-zero, got [${stds.join(', ')}]`);
  return <T extends Image>(x: T): T => {
    const im = read('normalize', x, true);
    const pick = (arr: number[], what: string, c: number): number => {
      if (arr.length !== 1 && arr.length !== im.c) throw new Error(`normalize: ${arr.length} ${what} values for an image with ${im.c} channels (shape ${fmt(im.shape)})`);
      return arr.length === 1 ? arr[0]! : arr[c]!;
    };
    const plane = im.h * im.w;
    for (let c = 0; c < im.c; c++) {
      const m = pick(means, 'mean', c), s = pick(stds, 'std', c);
      for (let k = c * plane; k < (c + 1) * plane; k++) im.data[k] = (im.data[k]! - m) / s;
    }
    return write(x, im.data, im.shape);
  };
}

export interface RandomCropOptions {
  /** Border added before cropping: n on every side, [left/right, top/bottom], or [left, top, right, bottom]. */
  padding?: number | readonly [number, number] | readonly [number, number, number, number];
  /** Value of the padding (default 0). */
  fill?: number;
}

/** A random size×size (or [h, w]) window, after padding (torchvision's RandomCrop). */
export function randomCrop(size: number | readonly [number, number], opts: RandomCropOptions = {}): Transform {
  const [ch, cw] = pair('randomCrop', 'size', size);
  const p = opts.padding ?? 0;
  const [pl, pt, pr, pb] = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : [p[0], p[1], p[2], p[3]];
  if (![ch, cw].every((v) => Number.isInteger(v) && v > 0)) throw new Error(`randomCrop: size must be positive integers, got ${String(size)}`);
  if (![pl, pt, pr, pb].every((v) => Number.isInteger(v) && v! >= 0)) throw new Error(`randomCrop: padding must be non-negative integers, got ${String(p)}`);
  const fill = opts.fill ?? 0;
  return <T extends Image>(x: T): T => {
    const im = read('randomCrop', x);
    const H = im.h + pt! + pb!, W = im.w + pl! + pr!;
    if (ch > H || cw > W) throw new Error(`randomCrop: crop [${ch}, ${cw}] is larger than the padded image [${H}, ${W}]`);
    const top = randomInt(H - ch + 1), left = randomInt(W - cw + 1);
    const out = new Float32Array(im.c * ch * cw);
    for (let c = 0; c < im.c; c++) {
      for (let i = 0; i < ch; i++) {
        const sy = top + i - pt!;
        for (let j = 0; j < cw; j++) {
          const sx = left + j - pl!;
          out[(c * ch + i) * cw + j] = sy >= 0 && sy < im.h && sx >= 0 && sx < im.w ? im.data[(c * im.h + sy) * im.w + sx]! : fill;
        }
      }
    }
    return write(x, out, im.shape.length === 3 ? [im.c, ch, cw] : [ch, cw]);
  };
}

function flip(name: string, p: number, horizontal: boolean): Transform {
  if (!(p >= 0 && p <= 1)) throw new Error(`${name}: p must be in [0, 1], got ${p}`);
  return <T extends Image>(x: T): T => {
    if (!(uniform(0, 1) < p)) return x;
    const im = read(name, x);
    const out = new Float32Array(im.data.length);
    for (let c = 0; c < im.c; c++) {
      for (let i = 0; i < im.h; i++) {
        for (let j = 0; j < im.w; j++) {
          const si = horizontal ? i : im.h - 1 - i, sj = horizontal ? im.w - 1 - j : j;
          out[(c * im.h + i) * im.w + j] = im.data[(c * im.h + si) * im.w + sj]!;
        }
      }
    }
    return write(x, out, im.shape);
  };
}

/** Mirrors left–right with probability p (default 0.5). */
export const randomHorizontalFlip = (p = 0.5): Transform => flip('randomHorizontalFlip', p, true);
/** Mirrors top–bottom with probability p (default 0.5). */
export const randomVerticalFlip = (p = 0.5): Transform => flip('randomVerticalFlip', p, false);

export interface RandomAffineOptions {
  /** Rotation in degrees, counter-clockwise: d means uniform in [−d, d]; or [min, max]. */
  degrees: number | readonly [number, number];
  /** Largest shift as fractions of [width, height]: shifts are uniform and rounded to whole pixels. */
  translate?: readonly [number, number];
  /** Scale factor range [min, max]. */
  scale?: readonly [number, number];
  interpolation?: 'nearest' | 'bilinear';
  /** Value where the source falls outside the image (default 0). */
  fill?: number;
}

/**
 * Rotation about the centre, scaling and translation (torchvision's RandomAffine without shear):
 * each output pixel samples the input at the inverse-mapped point (pixel centres, as
 * affine_grid with alignCorners false), nearest or bilinear, `fill` outside.
 */
export function randomAffine(opts: RandomAffineOptions): Transform {
  const deg = typeof opts.degrees === 'number' ? (opts.degrees < 0 ? NaN : [-opts.degrees, opts.degrees] as const) : opts.degrees;
  if (typeof deg === 'number' || !deg.every(Number.isFinite)) throw new Error(`randomAffine: degrees must be a non-negative number or [min, max], got ${String(opts.degrees)}`);
  const tr = opts.translate;
  if (tr && !tr.every((v) => v >= 0 && v <= 1)) throw new Error(`randomAffine: translate fractions must be in [0, 1], got [${tr.join(', ')}]`);
  const sc = opts.scale;
  if (sc && !(sc[0] > 0 && sc[1] >= sc[0])) throw new Error(`randomAffine: scale must be [min, max] with 0 < min ≤ max, got [${sc.join(', ')}]`);
  const mode = opts.interpolation ?? 'nearest';
  const fill = opts.fill ?? 0;
  return <T extends Image>(x: T): T => {
    const im = read('randomAffine', x);
    const angle = uniform(deg[0], deg[1]);
    const tx = tr ? Math.round(uniform(-tr[0] * im.w, tr[0] * im.w)) : 0;
    const ty = tr ? Math.round(uniform(-tr[1] * im.h, tr[1] * im.h)) : 0;
    const s = sc ? uniform(sc[0], sc[1]) : 1;
    return write(x, affine(im, angle, tx, ty, s, mode, fill), im.shape);
  };
}

export interface AffineParams {
  /** Degrees, counter-clockwise. */
  angle: number;
  /** Shift [x, y] in pixels (right, down). */
  translate?: readonly [number, number];
  scale?: number;
  interpolation?: 'nearest' | 'bilinear';
  fill?: number;
}

/** The fixed affine map that randomAffine draws (like torchvision's F.affine without shear). */
export function affineImage<T extends Image>(x: T, p: AffineParams): T {
  const im = read('affineImage', x);
  const [tx, ty] = p.translate ?? [0, 0];
  const s = p.scale ?? 1;
  if (!(s > 0)) throw new Error(`affineImage: scale must be positive, got ${s}`);
  return write(x, affine(im, p.angle, tx, ty, s, p.interpolation ?? 'nearest', p.fill ?? 0), im.shape);
}

/** Applies one affine map (angle in degrees, counter-clockwise; shifts in pixels; scale) to an image. */
function affine(im: Img, angle: number, tx: number, ty: number, s: number, mode: 'nearest' | 'bilinear', fill: number): Float32Array {
  const th = (angle * Math.PI) / 180;
  const cos = Math.cos(th), sin = Math.sin(th);
  const cx = (im.w - 1) / 2, cy = (im.h - 1) / 2;
  const out = new Float32Array(im.data.length);
  const { c: C, h: H, w: W, data } = im;
  const at = (c: number, y: number, x: number): number => (y >= 0 && y < H && x >= 0 && x < W ? data[(c * H + y) * W + x]! : fill);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const dx = x - cx - tx, dy = y - cy - ty;
      // Inverse of "rotate counter-clockwise on screen (y down) and scale": R(θ)⁻¹ / s.
      const sx = (cos * dx - sin * dy) / s + cx;
      const sy = (sin * dx + cos * dy) / s + cy;
      for (let c = 0; c < C; c++) {
        let v: number;
        if (mode === 'nearest') {
          v = at(c, Math.round(sy), Math.round(sx));
        } else {
          const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
          v = (1 - fy) * ((1 - fx) * at(c, y0, x0) + fx * at(c, y0, x0 + 1)) + fy * ((1 - fx) * at(c, y0 + 1, x0) + fx * at(c, y0 + 1, x0 + 1));
        }
        out[(c * H + y) * W + x] = v;
      }
    }
  }
  return out;
}

export interface RandomErasingOptions {
  /** Probability of erasing (default 0.5). */
  p?: number;
  /** Range of the erased area as a fraction of the image (default [0.02, 0.33]). */
  scale?: readonly [number, number];
  /** Range of the rectangle's aspect ratio h/w, drawn log-uniformly (default [0.3, 3.3]). */
  ratio?: readonly [number, number];
  /** Fill: a number, one per channel, or 'random' (standard normal noise). Default 0. */
  value?: number | readonly number[] | 'random';
}

/** Blanks a random rectangle (torchvision's RandomErasing: up to 10 tries to fit one, else unchanged). */
export function randomErasing(opts: RandomErasingOptions = {}): Transform {
  const p = opts.p ?? 0.5;
  const [s0, s1] = opts.scale ?? [0.02, 0.33];
  const [r0, r1] = opts.ratio ?? [0.3, 3.3];
  if (!(p >= 0 && p <= 1)) throw new Error(`randomErasing: p must be in [0, 1], got ${p}`);
  if (!(s0 >= 0 && s1 >= s0 && s1 <= 1)) throw new Error(`randomErasing: scale must be [min, max] within [0, 1], got [${s0}, ${s1}]`);
  if (!(r0 > 0 && r1 >= r0)) throw new Error(`randomErasing: ratio must be [min, max] with 0 < min ≤ max, got [${r0}, ${r1}]`);
  const value = opts.value ?? 0;
  return <T extends Image>(x: T): T => {
    if (!(uniform(0, 1) < p)) return x;
    const im = read('randomErasing', x);
    const area = im.h * im.w;
    for (let attempt = 0; attempt < 10; attempt++) {
      const eraseArea = area * uniform(s0, s1);
      const aspect = Math.exp(uniform(Math.log(r0), Math.log(r1)));
      const h = Math.round(Math.sqrt(eraseArea * aspect));
      const w = Math.round(Math.sqrt(eraseArea / aspect));
      if (!(h < im.h && w < im.w)) continue;
      const noise = value === 'random' ? normalArray(im.c * h * w, false) : null;
      const i = randomInt(im.h - h + 1), j = randomInt(im.w - w + 1);
      const vals = typeof value === 'number' ? [value] : value === 'random' ? [] : [...value];
      if (vals.length > 1 && vals.length !== im.c) throw new Error(`randomErasing: ${vals.length} fill values for ${im.c} channels`);
      for (let c = 0; c < im.c; c++) {
        for (let y = 0; y < h; y++) {
          for (let xx = 0; xx < w; xx++) {
            im.data[(c * im.h + i + y) * im.w + j + xx] = noise ? noise[(c * h + y) * w + xx]! : vals.length === 1 ? vals[0]! : vals[c]!;
          }
        }
      }
      return write(x, im.data, im.shape);
    }
    return x;
  };
}
