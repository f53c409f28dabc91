// The parameter slots of the conv and pooling kernels: one layout that the TypeScript side writes
// (./params.ts) and the AssemblyScript kernels read (they import this file), so neither spells out
// the order and no kernel reads a slot by a bare number.

/** conv2d's slots (Conv2dParams); band: the direct kernels' rows per band. */
export enum Conv { n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow, band, COUNT }

/** Pooling's slots (Pool2dParams); countIncludePad is 0/1, divisorOverride 0 for none. */
export enum Pool { n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, countIncludePad, divisorOverride, COUNT }

/** Adaptive average pooling's slots (AdaptivePool2dParams). */
export enum Adaptive { n, c, h, w, oh, ow, COUNT }
