// The drawing pad: draw with the mouse, pen or finger, or drop an image file; either way the result
// becomes the 28×28 grey, light-on-dark image the network was trained on.

export interface PadImage {
  /** 784 values in [0, 1], light on dark like Fashion-MNIST. */
  pixels: Float32Array;
  /** Set when a dropped image looked dark-on-light and was inverted. */
  inverted: boolean;
}

export class SketchPad {
  private readonly ctx: CanvasRenderingContext2D;
  private drawing = false;
  private last: { x: number; y: number } | null = null;
  /** Stroke width in canvas pixels: about 2 of the 28 pixels, like the garments' outlines. */
  brush = 24;

  constructor(readonly canvas: HTMLCanvasElement, private readonly onImage: (img: PadImage) => void, onError: (e: Error) => void) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.drawing = true;
      this.last = this.at(e);
      this.stroke(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      const p = this.at(e);
      this.stroke(this.last!, p);
      this.last = p;
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.onImage({ pixels: this.read(), inverted: false });
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('dragover', (e) => { e.preventDefault(); canvas.classList.add('drop'); });
    canvas.addEventListener('dragleave', () => canvas.classList.remove('drop'));
    canvas.addEventListener('drop', (e) => {
      e.preventDefault();
      canvas.classList.remove('drop');
      const file = e.dataTransfer?.files[0];
      if (file) this.load(file).catch(onError);
    });
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  private at(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.canvas.width, y: ((e.clientY - r.top) / r.height) * this.canvas.height };
  }

  private stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const c = this.ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = this.brush;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(a.x, a.y);
    c.lineTo(b.x, b.y);
    c.stroke();
  }

  /** The pad as 28×28 grey values: the browser's smoothing averages each 10×10 block. */
  read(): Float32Array {
    return toGrey28(this.canvas);
  }

  /** Draws a decoded image file stretched over the pad (as `nabla predict` resizes), inverting dark-on-light images. */
  async load(file: Blob): Promise<void> {
    let bmp: ImageBitmap;
    try {
      bmp = await createImageBitmap(file);
    } catch {
      throw new Error(`cannot decode ${(file as File).name ?? 'the dropped file'} as an image`);
    }
    this.clear(); // transparent parts of the image stay black
    this.ctx.drawImage(bmp, 0, 0, this.canvas.width, this.canvas.height);
    bmp.close();
    let pixels = this.read();
    const inverted = looksDarkOnLight(pixels);
    if (inverted) {
      pixels = pixels.map((v) => 1 - v);
      this.show(pixels);
    }
    this.onImage({ pixels, inverted });
  }

  /** Shows a 28×28 image (e.g. from the test set) on the pad, scaled up. */
  show(pixels: Float32Array): void {
    const small = grey28ToCanvas(pixels, (v) => [v * 255, v * 255, v * 255]);
    this.ctx.imageSmoothingEnabled = false;
    this.ctx.drawImage(small, 0, 0, this.canvas.width, this.canvas.height);
    this.ctx.imageSmoothingEnabled = true;
  }
}

export function toGrey28(src: CanvasImageSource): Float32Array {
  const c = document.createElement('canvas');
  c.width = c.height = 28;
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(src, 0, 0, 28, 28);
  const d = ctx.getImageData(0, 0, 28, 28).data;
  const out = new Float32Array(784);
  for (let i = 0; i < 784; i++) out[i] = (0.299 * d[4 * i]! + 0.587 * d[4 * i + 1]! + 0.114 * d[4 * i + 2]!) / 255;
  return out;
}

/** Fashion-MNIST garments are light on a black background: a bright border means the image is the other way round. */
export function looksDarkOnLight(px: Float32Array): boolean {
  let sum = 0, n = 0;
  for (let i = 0; i < 28; i++) for (const j of [0, 27]) { sum += px[i * 28 + j]! + px[j * 28 + i]!; n += 2; }
  return sum / n > 0.5;
}

/** A 28×28 canvas of the values coloured by `color` (→ [r, g, b] in 0..255). */
export function grey28ToCanvas(px: Float32Array, color: (v: number) => [number, number, number]): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = 28;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const [r, g, b] = color(px[i]!);
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

/** Draws a 28×28 map scaled up without smoothing onto `target`. */
export function paint28(target: HTMLCanvasElement, px: Float32Array, color: (v: number) => [number, number, number]): void {
  const ctx = target.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(grey28ToCanvas(px, color), 0, 0, target.width, target.height);
}

/** A heat colour map for saliency in [0, 1]: black → red → yellow → white. */
export function heat(v: number): [number, number, number] {
  const t = Math.max(0, Math.min(1, v));
  return [Math.min(255, 3 * t * 255), Math.max(0, Math.min(255, (3 * t - 1) * 255)), Math.max(0, Math.min(255, (3 * t - 2) * 255))];
}
