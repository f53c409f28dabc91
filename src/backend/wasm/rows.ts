// The wasm backend's fused row kernels (kernels/rows.ts): softmax and logSoftmax over the last dim
// (the causal mask applied by position), layer norm and exact GELU, forward and backward, float32
// (SIMD) and float64 — Backend.fused's softmaxRows … geluBackward.

import type { FusedKernels, RowsParams, Storage } from '../backend.js';
import type { KernelName } from './exports.gen.js';
import { Ctx, WasmStorage } from './context.js';

/** ns per element on one core: an exp (softmax) or an erf (GELU) each, or a few streaming passes (layer norm). */
const EXP_NS = 2, ERF_NS = 3, LN_NS = 1.5;

export type RowKernels = Pick<FusedKernels, 'softmaxRows' | 'softmaxRowsBackward' | 'layerNormRows' | 'layerNormRowsBackward' | 'gelu' | 'geluBackward'>;

export function rowKernels(ctx: Ctx): RowKernels {
  const float = (s: Storage, op: string): WasmStorage => {
    const w = ctx.use(s, op);
    if (w.dtype !== 'float32' && w.dtype !== 'float64') throw new TypeError(`wasm backend: fused ${op} takes float32 or float64, got ${w.dtype}`);
    return w;
  };
  /** The storages, checked: one dtype, the sizes given. */
  const take = (op: string, specs: [Storage | null, number][]): (WasmStorage | null)[] => {
    const out = specs.map(([s]) => (s ? float(s, op) : null));
    const dt = out.find((w) => w)!.dtype;
    out.forEach((w, i) => {
      if (!w) return;
      if (w.dtype !== dt) throw new TypeError(`wasm backend: fused ${op}: storages of ${dt} and ${w.dtype}`);
      if (w.size !== specs[i]![1]) throw new Error(`wasm backend: fused ${op}: a storage of ${w.size} elements where ${specs[i]![1]} were expected`);
    });
    return out;
  };
  const k = (base: string, w: WasmStorage) => `${base}_${w.dtype === 'float32' ? 'f32' : 'f64'}` as KernelName;
  const ptr = (w: WasmStorage | null) => (w ? w.ptr : 0);

  const softmaxRows = (xs: Storage, p: RowsParams): Storage => {
    const [x] = take('softmaxRows', [[xs, p.rows * p.c]]) as [WasmStorage];
    if (p.causal && p.log) throw new Error('wasm backend: fused softmaxRows: the causal mask is for softmax only');
    const y = ctx.alloc(x.dtype, x.size);
    ctx.parallel(k('softmax_rows', x), [x.ptr, y.ptr, p.c, (p.log ? 1 : 0) | (p.causal ? 2 : 0), p.causal ?? 0], p.rows, x.size * EXP_NS);
    return y;
  };

  const softmaxRowsBackward = (ys: Storage, gs: Storage, p: RowsParams): Storage => {
    const [y] = take('softmaxRowsBackward', [[ys, p.rows * p.c], [gs, p.rows * p.c]]) as [WasmStorage, WasmStorage];
    const g = ctx.use(gs, 'softmaxRowsBackward');
    const dx = ctx.alloc(y.dtype, y.size);
    ctx.parallel(k('softmax_rows_bwd', y), [y.ptr, g.ptr, dx.ptr, p.c, p.log ? 1 : 0], p.rows, y.size * (p.log ? EXP_NS : 1));
    return dx;
  };

  const layerNormRows = (xs: Storage, ws: Storage | null, bs: Storage | null, p: RowsParams & { eps: number }): [Storage, Storage, Storage] => {
    const [x, w, b] = take('layerNormRows', [[xs, p.rows * p.c], [ws, p.c], [bs, p.c]]);
    const y = ctx.alloc(x!.dtype, x!.size), mean = ctx.alloc(x!.dtype, p.rows), rstd = ctx.alloc(x!.dtype, p.rows);
    ctx.parallel(k('layer_norm', x!), [x!.ptr, ptr(w), ptr(b), y.ptr, mean.ptr, rstd.ptr, p.c, p.eps], p.rows, x!.size * LN_NS);
    return [y, mean, rstd];
  };

  const layerNormRowsBackward = (xs: Storage, ws: Storage | null, ms: Storage, rs: Storage, gs: Storage, p: RowsParams,
    wantW: boolean, wantB: boolean): [Storage, Storage | null, Storage | null] => {
    const n = p.rows * p.c;
    const [x, w, mean, rstd, g] = take('layerNormRowsBackward', [[xs, n], [ws, p.c], [ms, p.rows], [rs, p.rows], [gs, n]]);
    const dx = ctx.alloc(x!.dtype, n);
    ctx.parallel(k('layer_norm_bwd', x!), [x!.ptr, ptr(w ?? null), mean!.ptr, rstd!.ptr, g!.ptr, dx.ptr, p.c], p.rows, n * LN_NS);
    const dw = wantW ? ctx.alloc(x!.dtype, p.c) : null, db = wantB ? ctx.alloc(x!.dtype, p.c) : null;
    if (dw || db) {
      // columns in blocks of 4 (the SIMD width), every row summed per column
      ctx.parallel(k('layer_norm_wb', x!), [x!.ptr, mean!.ptr, rstd!.ptr, g!.ptr, ptr(dw), ptr(db), p.rows, p.c], p.c, n * LN_NS, 4);
    }
    return [dx, dw, db];
  };

  const gelu = (xs: Storage): Storage => {
    const x = float(xs, 'gelu');
    const y = ctx.alloc(x.dtype, x.size);
    ctx.parallel(k('gelu', x), [x.ptr, y.ptr], x.size, x.size * ERF_NS, 16);
    return y;
  };

  const geluBackward = (xs: Storage, gs: Storage): Storage => {
    const [x, g] = take('geluBackward', [[xs, xs.size], [gs, xs.size]]) as [WasmStorage, WasmStorage];
    const dx = ctx.alloc(x.dtype, x.size);
    ctx.parallel(k('gelu_bwd', x), [x.ptr, g.ptr, dx.ptr], x.size, x.size * (ERF_NS + EXP_NS), 16);
    return dx;
  };

  return { softmaxRows, softmaxRowsBackward, layerNormRows, layerNormRowsBackward, gelu, geluBackward };
}
