// The wasm backend's indexing primitives: gather / scatterAdd, indexSelect / indexAdd (indices are
// checked by the op layer, so the kernels trust them).

import type { Kernels } from '../backend.js';
import { Ctx, LOG2, SUFFIX, WasmStorage } from './context.js';

const ELEM = { 0: 'u8', 2: 'u32', 3: 'u64' } as Record<number, string>;

export function indexingKernels(ctx: Ctx): Pick<Kernels, 'gather' | 'scatterAdd' | 'indexSelect' | 'indexAdd'> {
  const copyOf = (x: WasmStorage): WasmStorage => {
    const y = ctx.alloc(x.dtype, x.size);
    ctx.heap.u8.copyWithin(y.ptr, x.ptr, x.ptr + x.byteLength);
    return y;
  };
  const addable = (s: WasmStorage, op: string): string => {
    if (s.dtype === 'bool') throw new TypeError(`wasm backend: ${op} is not defined for bool`);
    return SUFFIX[s.dtype];
  };

  return {
    gather(xs, is, outer, r, inner, k) {
      const x = ctx.use(xs, 'gather'), idx = ctx.use(is, 'gather');
      const y = ctx.alloc(x.dtype, outer * k * inner);
      ctx.parallel(ctx.kernel(`gather_${ELEM[LOG2[x.dtype]]}`, 'gather'), [x.ptr, idx.ptr, y.ptr, r, inner, k], outer, y.size * 2);
      return y;
    },
    scatterAdd(xs, is, ss, outer, r, inner, k) {
      const x = ctx.use(xs, 'scatterAdd'), idx = ctx.use(is, 'scatterAdd'), src = ctx.use(ss, 'scatterAdd');
      const t = addable(x, 'scatterAdd');
      const y = copyOf(x);
      ctx.parallel(ctx.kernel(`scatter_add_${t}`, 'scatter_add'), [idx.ptr, src.ptr, y.ptr, r, inner, k], outer, outer * k * inner * 2);
      return y;
    },
    indexSelect(xs, is, outer, r, inner) {
      const x = ctx.use(xs, 'indexSelect'), idx = ctx.use(is, 'indexSelect');
      const k = idx.size;
      const y = ctx.alloc(x.dtype, outer * k * inner);
      ctx.parallel('index_select', [x.ptr, idx.ptr, y.ptr, r, inner, k, LOG2[x.dtype]], outer, y.size, 1);
      return y;
    },
    indexAdd(xs, is, ss, outer, r, inner) {
      const x = ctx.use(xs, 'indexAdd'), idx = ctx.use(is, 'indexAdd'), src = ctx.use(ss, 'indexAdd');
      const t = addable(x, 'indexAdd');
      const y = copyOf(x);
      ctx.parallel(ctx.kernel(`index_add_${t}`, 'index_add'), [idx.ptr, src.ptr, y.ptr, r, inner, idx.size], outer, outer * idx.size * inner * 2);
      return y;
    },
  };
}
