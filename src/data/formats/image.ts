// Decoded images (RGBA bytes, as PNG decoders and canvases give them) to float arrays, browser-safe:
// grayscale or RGB, [0, 1] scaling, optional alpha compositing, inversion and bilinear resizing.

export interface FloatImage {
  /** Values in [0, 1]; layout 'chw' (default, what conv layers take) or 'hwc'. */
  data: Float32Array;
  shape: [number, number, number];
  layout: 'chw' | 'hwc';
  width: number;
  height: number;
  channels: 1 | 3;
}

export interface ImageOptions {
  /** 1: grayscale by ITU-R 601-2 luma (what PIL's convert('L') computes), 3: RGB. Default 1. */
  channels?: 1 | 3;
  layout?: 'chw' | 'hwc';
  /** Composite transparent pixels over this gray level (0..255); default: ignore alpha, as PIL does. */
  background?: number;
  /** 1 − value: dark-on-light pictures → light-on-dark, as Fashion-MNIST is drawn. */
  invert?: boolean;
  /** Resize to [height, width] by bilinear interpolation (PyTorch's interpolate, align_corners=False). */
  resize?: [number, number];
  name?: string;
}

/** PIL's 'L' conversion: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16, i.e. R·299/1000 + G·587/1000 + B·114/1000 rounded. */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/** Converts row-major RGBA bytes (width × height × 4) into a float image. */
export function rgbaToFloatImage(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, opts: ImageOptions = {}): FloatImage {
  const where = opts.name ? `image ${opts.name}` : 'image';
  const channels = opts.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new Error(`${where}: channels must be 1 or 3, got ${channels}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new Error(`${where}: bad size ${width}×${height}`);
  if (rgba.length !== width * height * 4) throw new Error(`${where}: ${width}×${height} RGBA needs ${width * height * 4} bytes, got ${rgba.length}`);
  const bg = opts.background;
  if (bg !== undefined && !(bg >= 0 && bg <= 255)) throw new Error(`${where}: background must be in 0..255, got ${bg}`);
  const hw = width * height;
  let planes: Float32Array = new Float32Array(channels * hw); // chw while we work
  for (let p = 0; p < hw; p++) {
    let r = rgba[4 * p], g = rgba[4 * p + 1], b = rgba[4 * p + 2];
    if (bg !== undefined) {
      const a = rgba[4 * p + 3] / 255;
      r = Math.round(r * a + bg * (1 - a)); g = Math.round(g * a + bg * (1 - a)); b = Math.round(b * a + bg * (1 - a));
    }
    if (channels === 1) planes[p] = luma(r, g, b) / 255;
    else { planes[p] = r / 255; planes[hw + p] = g / 255; planes[2 * hw + p] = b / 255; }
  }
  let h = height, w = width;
  if (opts.resize) {
    const [oh, ow] = opts.resize;
    if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh <= 0 || ow <= 0) throw new Error(`${where}: bad resize target ${oh}×${ow}`);
    planes = resizeBilinear(planes, channels, h, w, oh, ow);
    h = oh; w = ow;
  }
  if (opts.invert) for (let i = 0; i < planes.length; i++) planes[i] = 1 - planes[i];
  const layout = opts.layout ?? 'chw';
  let data: Float32Array = planes;
  if (layout === 'hwc' && channels === 3) {
    data = new Float32Array(planes.length);
    const n = h * w;
    for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) data[3 * p + c] = planes[c * n + p];
  }
  const shape: [number, number, number] = layout === 'chw' ? [channels, h, w] : [h, w, channels];
  return { data, shape, layout, width: w, height: h, channels };
}

/**
 * Bilinear resize of [c, h, w] planes, the same arithmetic as PyTorch's
 * F.interpolate(mode='bilinear', align_corners=False, antialias=False).
 */
export function resizeBilinear(src: Float32Array, c: number, h: number, w: number, oh: number, ow: number): Float32Array {
  // Float32 arithmetic step by step (Math.fround), as PyTorch's CPU kernel does, so results agree to rounding.
  const f = Math.fround;
  const out = new Float32Array(c * oh * ow);
  const ys = axis(oh, h), xs = axis(ow, w);
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    for (let y = 0; y < oh; y++) {
      const { i0: y0, i1: y1, w0: wy0, w1: wy1 } = ys[y];
      for (let x = 0; x < ow; x++) {
        const { i0: x0, i1: x1, w0: wx0, w1: wx1 } = xs[x];
        const top = f(f(wx0 * src[base + y0 * w + x0]) + f(wx1 * src[base + y0 * w + x1]));
        const bot = f(f(wx0 * src[base + y1 * w + x0]) + f(wx1 * src[base + y1 * w + x1]));
        out[(ch * oh + y) * ow + x] = f(f(wy0 * top) + f(wy1 * bot));
      }
    }
  }
  return out;
}

/** Source indices and weights along one axis: src = max(scale·(o + ½) − ½, 0), scale = in/out. */
function axis(n: number, size: number): { i0: number; i1: number; w0: number; w1: number }[] {
  const f = Math.fround;
  const scale = f(size / n);
  const r: { i0: number; i1: number; w0: number; w1: number }[] = [];
  for (let o = 0; o < n; o++) {
    const s = Math.max(f(f(scale * f(o + 0.5)) - 0.5), 0);
    const i0 = Math.min(Math.floor(s), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    const t = Math.min(Math.max(f(s - i0), 0), 1);
    r.push({ i0, i1, w0: f(1 - t), w1: t });
  }
  return r;
}
