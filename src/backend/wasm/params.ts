// The conv and pooling parameters as the kernels read them: written in the slot order of ./slots.ts.

import type { AdaptivePool2dParams, Conv2dParams, Pool2dParams } from '../backend.js';
import { Adaptive, Conv, Pool } from './slots.js';

export function convSlots(p: Conv2dParams, band = 0): number[] {
  const s = new Array<number>(Conv.COUNT).fill(0);
  s[Conv.n] = p.n; s[Conv.cIn] = p.cIn; s[Conv.h] = p.h; s[Conv.w] = p.w; s[Conv.cOut] = p.cOut;
  s[Conv.kh] = p.kh; s[Conv.kw] = p.kw; s[Conv.sh] = p.sh; s[Conv.sw] = p.sw; s[Conv.ph] = p.ph; s[Conv.pw] = p.pw;
  s[Conv.dh] = p.dh; s[Conv.dw] = p.dw; s[Conv.groups] = p.groups; s[Conv.oh] = p.oh; s[Conv.ow] = p.ow; s[Conv.band] = band;
  return s;
}

export function poolSlots(p: Pool2dParams): number[] {
  const s = new Array<number>(Pool.COUNT).fill(0);
  s[Pool.n] = p.n; s[Pool.c] = p.c; s[Pool.h] = p.h; s[Pool.w] = p.w; s[Pool.kh] = p.kh; s[Pool.kw] = p.kw;
  s[Pool.sh] = p.sh; s[Pool.sw] = p.sw; s[Pool.ph] = p.ph; s[Pool.pw] = p.pw; s[Pool.dh] = p.dh; s[Pool.dw] = p.dw;
  s[Pool.oh] = p.oh; s[Pool.ow] = p.ow; s[Pool.countIncludePad] = p.countIncludePad ? 1 : 0; s[Pool.divisorOverride] = p.divisorOverride || 0;
  return s;
}

export function adaptiveSlots(p: AdaptivePool2dParams): number[] {
  const s = new Array<number>(Adaptive.COUNT).fill(0);
  s[Adaptive.n] = p.n; s[Adaptive.c] = p.c; s[Adaptive.h] = p.h; s[Adaptive.w] = p.w; s[Adaptive.oh] = p.oh; s[Adaptive.ow] = p.ow;
  return s;
}
