// gather / scatterAdd / indexSelect / indexAdd over [outer, r, inner] views (int32 indices,
// range-checked by the op layer). Work splits over `outer`, so no two threads touch one element.

// @ts-ignore: decorator
@inline function ld<T>(p: usize, i: i32): T { return load<T>(p + (<usize>i << alignof<T>())); }
// @ts-ignore: decorator
@inline function st<T>(p: usize, i: i32, v: T): void { store<T>(p + (<usize>i << alignof<T>()), v); }

function gather<T>(x: usize, idx: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void {
  for (let o = o0; o < o1; o++) for (let j = 0; j < k; j++) for (let i = 0; i < inner; i++) {
    const q = (o * k + j) * inner + i;
    st<T>(y, q, ld<T>(x, (o * r + load<i32>(idx + (<usize>q << 2))) * inner + i));
  }
}
export function gather_u8(x: usize, idx: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void { gather<u8>(x, idx, y, r, inner, k, o0, o1); }
export function gather_u32(x: usize, idx: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void { gather<u32>(x, idx, y, r, inner, k, o0, o1); }
export function gather_u64(x: usize, idx: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void { gather<u64>(x, idx, y, r, inner, k, o0, o1); }

// y already holds a copy of x; y[o, idx[o,j,i], i] += src[o,j,i]
function scatterAdd<T>(idx: usize, src: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void {
  for (let o = o0; o < o1; o++) for (let j = 0; j < k; j++) for (let i = 0; i < inner; i++) {
    const q = (o * k + j) * inner + i;
    const t = (o * r + load<i32>(idx + (<usize>q << 2))) * inner + i;
    st<T>(y, t, ld<T>(y, t) + ld<T>(src, q));
  }
}
export function scatter_add_f32(idx: usize, src: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void { scatterAdd<f32>(idx, src, y, r, inner, k, o0, o1); }
export function scatter_add_f64(idx: usize, src: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void { scatterAdd<f64>(idx, src, y, r, inner, k, o0, o1); }
export function scatter_add_i32(idx: usize, src: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void { scatterAdd<i32>(idx, src, y, r, inner, k, o0, o1); }

// y[o, j, :] = x[o, idx[j], :] — rows are contiguous: one memory.copy each. lg = log2 bytes.
export function index_select(x: usize, idx: usize, y: usize, r: i32, inner: i32, k: i32, lg: i32, o0: i32, o1: i32): void {
  const row = <usize>inner << lg;
  for (let o = o0; o < o1; o++) for (let j = 0; j < k; j++) {
    const s = <usize>(o * r + load<i32>(idx + (<usize>j << 2)));
    memory.copy(y + <usize>(o * k + j) * row, x + s * row, row);
  }
}

// y (a copy of x) [o, idx[j], :] += src[o, j, :]
function indexAdd<T>(idx: usize, src: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void {
  for (let o = o0; o < o1; o++) for (let j = 0; j < k; j++) {
    const t = (o * r + load<i32>(idx + (<usize>j << 2))) * inner, s = (o * k + j) * inner;
    for (let i = 0; i < inner; i++) st<T>(y, t + i, ld<T>(y, t + i) + ld<T>(src, s + i));
  }
}
export function index_add_f32(idx: usize, src: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void { indexAdd<f32>(idx, src, y, r, inner, k, o0, o1); }
export function index_add_f64(idx: usize, src: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void { indexAdd<f64>(idx, src, y, r, inner, k, o0, o1); }
export function index_add_i32(idx: usize, src: usize, y: usize, r: i32, inner: i32, k: i32, o0: i32, o1: i32): void { indexAdd<i32>(idx, src, y, r, inner, k, o0, o1); }
