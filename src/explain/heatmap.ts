// Attribution maps as pictures, browser-safe: a [C, H, W] attribution reduced to one value per
// pixel (Captum's visualisation signs), normalised by a percentile, coloured, and blended over the
// input; the RGBA bytes go to a canvas in a page or a PNG file in Node (heatmap-node.ts).

import { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { zeros } from '../tensor/create.js';

export type HeatmapSign = 'absolute' | 'positive' | 'negative' | 'all';

export interface HeatmapOptions {
  /** which part of the attribution to show (default 'absolute'); 'all' shows both signs in a diverging map */
  sign?: HeatmapSign;
  /** the map is scaled so that this percentile of |value| is full colour (default 98: the top 2% saturate, as Captum's outlier_perc = 2) */
  percentile?: number;
  /** opacity of the colours over the image (default 0.6) */
  alpha?: number;
  /** each pixel becomes scale × scale pixels (default: the smallest that makes the picture ≥ 224 px wide) */
  scale?: number;
}

export interface RgbaImage {
  width: number;
  height: number;
  /** row-major RGBA bytes */
  data: Uint8ClampedArray;
}

/** One value per pixel from an attribution [H, W], [C, H, W] or [1, C, H, W]: the channels summed after the sign is applied. */
export function pixelMap(attribution: Tensor, sign: HeatmapSign = 'absolute'): { values: Float64Array; height: number; width: number } {
  const s = attribution.shape;
  const dims = s.length === 4 && s[0] === 1 ? s.slice(1) : s.length === 3 ? s : s.length === 2 ? [1, ...s] : null;
  if (!dims) throw new Error(`heatmap: expected one attribution map [H, W], [C, H, W] or [1, C, H, W], got ${fmt(s)}`);
  const [c, h, w] = dims as [number, number, number];
  const a = attribution.dataSync();
  const values = new Float64Array(h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < h * w; i++) {
      const v = a[ch * h * w + i]!;
      values[i] += sign === 'absolute' ? Math.abs(v) : sign === 'positive' ? Math.max(v, 0) : sign === 'negative' ? Math.max(-v, 0) : v;
    }
  }
  return { values, height: h, width: w };
}

/** The value at the given percentile of |values| (linear interpolation between ranks). */
export function percentileAbs(values: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`heatmap: percentile must be in [0, 100], got ${p}`);
  const sorted = Float64Array.from(values, Math.abs).sort();
  if (!sorted.length) return 0;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

// Matplotlib's 'inferno' at nine evenly spaced points (perceptually uniform, readable in grey print).
const INFERNO: [number, number, number][] = [
  [0, 0, 4], [31, 12, 72], [85, 15, 109], [136, 34, 106], [186, 54, 85], [227, 89, 51], [249, 140, 10], [249, 201, 50], [252, 255, 164],
];
// Blue – white – red for signed maps ('RdBu' reversed, 5 points).
const DIVERGING: [number, number, number][] = [[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]];

function lookup(table: [number, number, number][], t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (table.length - 1);
  const i = Math.min(table.length - 2, Math.floor(x)), f = x - i;
  const a = table[i]!, b = table[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * The attribution coloured over the image: image [C, H, W] (or [1, C, H, W], values in [0, 1],
 * shown in grey) and an attribution of the same spatial size. Positive-only maps use 'inferno' with
 * transparency rising with the value; sign 'all' uses blue (negative) – red (positive).
 */
export function heatmapOverlay(image: Tensor | null, attribution: Tensor, opts: HeatmapOptions = {}): RgbaImage {
  const sign = opts.sign ?? 'absolute';
  if (!['absolute', 'positive', 'negative', 'all'].includes(sign)) throw new Error(`heatmap: unknown sign '${String(sign)}' (absolute, positive, negative, all)`);
  const alpha = opts.alpha ?? 0.6;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`heatmap: alpha must be in [0, 1], got ${alpha}`);
  const { values, height: h, width: w } = pixelMap(attribution, sign);
  const grey = image ? pixelGrey(image, h, w) : new Float64Array(h * w);
  const scale = opts.scale ?? Math.max(1, Math.ceil(224 / w));
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`heatmap: scale must be a positive integer, got ${scale}`);
  const top = percentileAbs(values, opts.percentile ?? 98) || 1;
  const W = w * scale, H = h * scale;
  const data = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = Math.max(-1, Math.min(1, values[i]! / top));
      // The picture under the colours is dimmed so that bright colours show on bright pixels too.
      const g = grey[i]! * (alpha > 0 ? 160 : 255);
      const [r, gg, b] = sign === 'all' ? lookup(DIVERGING, (v + 1) / 2) : lookup(INFERNO, v);
      // The colour fades out where there is nothing to see (|value| → 0).
      const a = alpha * Math.abs(v);
      const px = [g + (r - g) * a, g + (gg - g) * a, g + (b - g) * a];
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const o = ((y * scale + dy) * W + x * scale + dx) * 4;
          data[o] = px[0]!; data[o + 1] = px[1]!; data[o + 2] = px[2]!; data[o + 3] = 255;
        }
      }
    }
  }
  return { width: W, height: H, data };
}

/** The image as grey levels in [0, 1] (channels averaged), checked to match the map's size. */
function pixelGrey(image: Tensor, h: number, w: number): Float64Array {
  const s = image.shape;
  const dims = s.length === 4 && s[0] === 1 ? s.slice(1) : s.length === 3 ? s : s.length === 2 ? [1, ...s] : null;
  if (!dims || dims[1] !== h || dims[2] !== w) throw new Error(`heatmap: the image ${fmt(s)} does not match the attribution's ${h}×${w} pixels`);
  const c = dims[0]!;
  const d = image.dataSync();
  const out = new Float64Array(h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[i] += Math.min(1, Math.max(0, d[ch * h * w + i]!)) / c;
  return out;
}

/** Pictures next to each other (same height), with a gap of `gap` white pixels. */
export function sideBySide(images: readonly RgbaImage[], gap = 4): RgbaImage {
  if (!images.length) throw new Error('sideBySide: no images');
  const height = Math.max(...images.map((i) => i.height));
  const width = images.reduce((a, i) => a + i.width, 0) + gap * (images.length - 1);
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  let x0 = 0;
  for (const im of images) {
    for (let y = 0; y < im.height; y++) data.set(im.data.subarray(y * im.width * 4, (y + 1) * im.width * 4), (y * width + x0) * 4);
    x0 += im.width + gap;
  }
  return { width, height, data };
}

/** The image alone in grey (channels averaged), scaled like heatmapOverlay's pictures. */
export function greyImage(image: Tensor, scale?: number): RgbaImage {
  const s = image.shape;
  const h = s[s.length - 2]!, w = s[s.length - 1]!;
  const z = zeros([h, w]);
  try {
    return heatmapOverlay(image, z, { alpha: 0, scale });
  } finally {
    z.dispose();
  }
}
