// The short-time Fourier transform of a real signal (torch.stft's framing, centring, padding and
// windows) through fft.js, returning the magnitude or power spectrogram [nFft/2 + 1, frames].

import FFT from 'fft.js';

export type WindowName = 'hann' | 'hamming' | 'rectangular';

export interface StftOptions {
  /** FFT size, a power of two ≥ 4 (fft.js's radix-4 transform needs one) */
  nFft: number;
  /** samples between frames (default nFft / 4, as torch.stft) */
  hopLength?: number;
  /** window length ≤ nFft, centred in the frame and zero-padded (default nFft) */
  winLength?: number;
  /** periodic window, as torch.hann_window / hamming_window with periodic=True (default 'hann') */
  window?: WindowName;
  /** pad nFft / 2 on both sides so frame t is centred on sample t·hop (default true) */
  center?: boolean;
  /** how centring pads: 'reflect' (default, torch's) or 'constant' (zeros) */
  padMode?: 'reflect' | 'constant';
  /** 1: |X| (magnitude), 2: |X|² (power, default) */
  power?: 1 | 2;
}

/** A spectrogram: `data` holds `shape[0]` rows (frequency bins or mel bands) of `shape[1]` frames. */
export interface Spectrogram {
  data: Float32Array;
  shape: [number, number];
}

const KNOWN = new Set(['nFft', 'hopLength', 'winLength', 'window', 'center', 'padMode', 'power']);

/** A periodic window of length n (the DFT-even form torch uses for spectral analysis). */
export function windowFunction(name: WindowName, n: number): Float64Array {
  if (name !== 'hann' && name !== 'hamming' && name !== 'rectangular') {
    throw new Error(`window: unknown window '${String(name)}' (hann, hamming or rectangular)`);
  }
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = (2 * Math.PI * i) / n;
    w[i] = name === 'hann' ? 0.5 - 0.5 * Math.cos(x) : name === 'hamming' ? 0.54 - 0.46 * Math.cos(x) : 1;
  }
  return w;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 4 && (n & (n - 1)) === 0;
}

/** Resolved options, checked once. */
export interface StftPlan {
  nFft: number; hop: number; win: Float64Array; center: boolean; reflect: boolean; power: 1 | 2; fft: FFT;
}

export function stftPlan(opts: StftOptions, who = 'stft'): StftPlan {
  for (const k of Object.keys(opts)) {
    if (!KNOWN.has(k)) throw new Error(`${who}: unknown option '${k}' (options: ${[...KNOWN].join(', ')})`);
  }
  const { nFft } = opts;
  if (!isPowerOfTwo(nFft)) throw new RangeError(`${who}: nFft must be a power of two ≥ 4, got ${nFft}`);
  const hop = opts.hopLength ?? Math.floor(nFft / 4);
  if (!Number.isInteger(hop) || hop < 1) throw new RangeError(`${who}: hopLength must be a positive integer, got ${hop}`);
  const winLength = opts.winLength ?? nFft;
  if (!Number.isInteger(winLength) || winLength < 1 || winLength > nFft) {
    throw new RangeError(`${who}: winLength must be an integer in 1 … nFft (${nFft}), got ${winLength}`);
  }
  const padMode = opts.padMode ?? 'reflect';
  if (padMode !== 'reflect' && padMode !== 'constant') throw new Error(`${who}: padMode must be 'reflect' or 'constant', got '${String(padMode)}'`);
  const power = opts.power ?? 2;
  if (power !== 1 && power !== 2) throw new Error(`${who}: power must be 1 (magnitude) or 2 (power), got ${String(power)}`);
  // torch.stft centres a shorter window in the nFft frame.
  const win = new Float64Array(nFft);
  win.set(windowFunction(opts.window ?? 'hann', winLength), Math.floor((nFft - winLength) / 2));
  return { nFft, hop, win, center: opts.center ?? true, reflect: padMode === 'reflect', power, fft: new FFT(nFft) };
}

/** The number of frames stft gives for a signal of n samples. */
export function stftFrames(n: number, plan: Pick<StftPlan, 'nFft' | 'hop' | 'center'>): number {
  const len = plan.center ? n + 2 * Math.floor(plan.nFft / 2) : n;
  return len < plan.nFft ? 0 : 1 + Math.floor((len - plan.nFft) / plan.hop);
}

/**
 * |STFT|^power of a real signal, shape [nFft/2 + 1, frames] like torch.stft(...).abs() ** power
 * (onesided, unnormalised). Reflect padding needs a signal longer than nFft / 2, as in torch.
 */
export function stft(signal: ArrayLike<number>, opts: StftOptions | StftPlan, who = 'stft'): Spectrogram {
  const plan = 'fft' in opts ? opts : stftPlan(opts, who);
  const { nFft, hop, win, fft, power } = plan;
  const n = signal.length;
  const pad = plan.center ? Math.floor(nFft / 2) : 0;
  if (plan.center && plan.reflect && n <= pad) {
    throw new RangeError(`${who}: reflect padding of ${pad} samples needs a signal longer than ${pad}, got ${n} (use padMode 'constant')`);
  }
  const frames = stftFrames(n, plan);
  const bins = nFft / 2 + 1;
  const out = new Float32Array(bins * frames);
  const frame = new Float64Array(nFft);
  const spec = fft.createComplexArray() as number[];
  // index into the padded signal → sample (reflect: mirrored without repeating the edge)
  const at = (j: number): number => {
    let i = j - pad;
    if (i < 0) { if (!plan.reflect) return 0; i = -i; }
    else if (i >= n) { if (!plan.reflect) return 0; i = 2 * (n - 1) - i; }
    return signal[i]!;
  };
  for (let f = 0; f < frames; f++) {
    const start = f * hop;
    const s0 = start - pad;
    if (s0 >= 0 && s0 + nFft <= n) for (let k = 0; k < nFft; k++) frame[k] = signal[s0 + k]! * win[k]!;
    else for (let k = 0; k < nFft; k++) frame[k] = at(start + k) * win[k]!;
    fft.realTransform(spec, frame);
    for (let b = 0; b < bins; b++) {
      const re = spec[2 * b]!, im = spec[2 * b + 1]!;
      const p = re * re + im * im;
      out[b * frames + f] = power === 2 ? p : Math.sqrt(p);
    }
  }
  return { data: out, shape: [bins, frames] };
}
