// Mel filter banks (torchaudio.functional.melscale_fbanks: HTK or Slaney mel scale, optional Slaney
// area normalisation) and the (log-)mel spectrogram of a signal built on stft.

import { stft, stftPlan, type Spectrogram, type StftOptions, type StftPlan } from './stft.js';

export interface MelOptions {
  sampleRate: number;
  nMels: number;
  /** lowest frequency in Hz (default 0) */
  fMin?: number;
  /** highest frequency in Hz (default sampleRate / 2) */
  fMax?: number;
  /** 'htk' (default, torchaudio's): 2595·log10(1 + f/700); 'slaney': linear below 1 kHz, log above */
  melScale?: 'htk' | 'slaney';
  /** 'slaney': divide each triangle by its width in Hz (equal area); default none */
  norm?: 'slaney' | null;
  /**
   * Frequency warping (not torchaudio's): each filter reads the bin at warp·f, as if the spectrum were
   * stretched by 1/warp — vocal tract length perturbation for augmentation (default 1: none).
   */
  warp?: number;
}

function hzToMel(f: number, scale: 'htk' | 'slaney'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + f / 700);
  const fSp = 200 / 3, minLogHz = 1000, minLogMel = minLogHz / fSp, logStep = Math.log(6.4) / 27;
  return f >= minLogHz ? minLogMel + Math.log(f / minLogHz) / logStep : f / fSp;
}

function melToHz(m: number, scale: 'htk' | 'slaney'): number {
  if (scale === 'htk') return 700 * (10 ** (m / 2595) - 1);
  const fSp = 200 / 3, minLogHz = 1000, minLogMel = minLogHz / fSp, logStep = Math.log(6.4) / 27;
  return m >= minLogMel ? minLogHz * Math.exp(logStep * (m - minLogMel)) : fSp * m;
}

/**
 * Triangular filters [nFreqs, nMels] (nFreqs = nFft/2 + 1, bins at k·sampleRate/nFft) whose corners
 * are nMels + 2 points equally spaced in mel between fMin and fMax — torchaudio's melscale_fbanks.
 */
export function melFilterBank(nFreqs: number, opts: MelOptions): { data: Float32Array; shape: [number, number] } {
  const { sampleRate, nMels } = opts;
  if (!(sampleRate > 0)) throw new RangeError(`melFilterBank: sampleRate must be > 0, got ${sampleRate}`);
  if (!Number.isInteger(nMels) || nMels < 1) throw new RangeError(`melFilterBank: nMels must be a positive integer, got ${nMels}`);
  if (!Number.isInteger(nFreqs) || nFreqs < 2) throw new RangeError(`melFilterBank: nFreqs must be an integer ≥ 2, got ${nFreqs}`);
  const fMin = opts.fMin ?? 0, fMax = opts.fMax ?? sampleRate / 2;
  if (!(fMin >= 0 && fMin < fMax && fMax <= sampleRate / 2)) {
    throw new RangeError(`melFilterBank: need 0 ≤ fMin < fMax ≤ sampleRate/2 (${sampleRate / 2}), got fMin ${fMin}, fMax ${fMax}`);
  }
  const scale = opts.melScale ?? 'htk';
  if (scale !== 'htk' && scale !== 'slaney') throw new Error(`melFilterBank: melScale must be 'htk' or 'slaney', got '${String(scale)}'`);
  const norm = opts.norm ?? null;
  if (norm !== null && norm !== 'slaney') throw new Error(`melFilterBank: norm must be 'slaney' or null, got '${String(norm)}'`);
  const warp = opts.warp ?? 1;
  if (!(warp > 0)) throw new RangeError(`melFilterBank: warp must be > 0, got ${warp}`);
  const mMin = hzToMel(fMin, scale), mMax = hzToMel(fMax, scale);
  const fPts = Float64Array.from({ length: nMels + 2 }, (_, i) => melToHz(mMin + ((mMax - mMin) * i) / (nMels + 1), scale));
  const out = new Float32Array(nFreqs * nMels);
  for (let k = 0; k < nFreqs; k++) {
    const f = (warp * (sampleRate / 2) * k) / (nFreqs - 1);
    for (let m = 0; m < nMels; m++) {
      const down = (f - fPts[m]!) / (fPts[m + 1]! - fPts[m]!);
      const up = (fPts[m + 2]! - f) / (fPts[m + 2]! - fPts[m + 1]!);
      let v = Math.max(0, Math.min(down, up));
      if (norm === 'slaney') v *= 2 / (fPts[m + 2]! - fPts[m]!);
      out[k * nMels + m] = v;
    }
  }
  return { data: out, shape: [nFreqs, nMels] };
}

export interface MelSpectrogramOptions extends StftOptions, Omit<MelOptions, 'sampleRate'> {
  sampleRate: number;
  /** log(mel + logOffset) instead of mel (default: no log) */
  log?: boolean;
  /** added before the log so silence stays finite (default 1e-6) */
  logOffset?: number;
}

/** A reusable mel spectrogram: the STFT plan and the filter bank are built once. */
export class MelSpectrogram {
  readonly plan: StftPlan;
  readonly fb: Float32Array;
  readonly nMels: number;
  readonly nFreqs: number;
  readonly log: boolean;
  readonly logOffset: number;
  private readonly bankOpts: MelOptions;
  private readonly warped = new Map<number, Float32Array>();

  constructor(opts: MelSpectrogramOptions) {
    const { sampleRate, nMels, fMin, fMax, melScale, norm, log, logOffset, ...st } = opts;
    this.plan = stftPlan(st, 'melSpectrogram');
    this.nFreqs = this.plan.nFft / 2 + 1;
    this.nMels = nMels;
    this.bankOpts = { sampleRate, nMels, fMin, fMax, melScale, norm };
    this.fb = melFilterBank(this.nFreqs, this.bankOpts).data;
    this.log = log ?? false;
    this.logOffset = logOffset ?? 1e-6;
    if (!(this.logOffset > 0)) throw new RangeError(`melSpectrogram: logOffset must be > 0, got ${this.logOffset}`);
  }

  /** [nMels, frames]: filter bankᵀ · |STFT|^power, then log if asked; `warp` ≠ 1 warps the bank (see MelOptions). */
  compute(signal: ArrayLike<number>, warp = 1): Spectrogram {
    let fb = this.fb;
    if (warp !== 1) {
      fb = this.warped.get(warp) ?? melFilterBank(this.nFreqs, { ...this.bankOpts, warp }).data;
      if (this.warped.size < 64) this.warped.set(warp, fb);
    }
    const spec = stft(signal, this.plan, 'melSpectrogram');
    const frames = spec.shape[1];
    const out = new Float32Array(this.nMels * frames);
    const acc = new Float64Array(frames);
    for (let m = 0; m < this.nMels; m++) {
      acc.fill(0);
      for (let k = 0; k < this.nFreqs; k++) {
        const w = fb[k * this.nMels + m]!;
        if (w === 0) continue;
        const row = k * frames;
        for (let f = 0; f < frames; f++) acc[f] += w * spec.data[row + f]!;
      }
      const o = m * frames;
      for (let f = 0; f < frames; f++) out[o + f] = this.log ? Math.log(acc[f]! + this.logOffset) : acc[f]!;
    }
    return { data: out, shape: [this.nMels, frames] };
  }
}

/** The mel spectrogram [nMels, frames] of one signal (torchaudio.transforms.MelSpectrogram's numbers). */
export function melSpectrogram(signal: ArrayLike<number>, opts: MelSpectrogramOptions): Spectrogram {
  return new MelSpectrogram(opts).compute(signal);
}
