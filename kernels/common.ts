// Shared helpers of the kernels: the multiply-add that is fused where relaxed SIMD exists, and the
// parameter block's slots.
// RELAXED is an integer constant given at build time (--use RELAXED=0|1).

// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  // @ts-ignore: RELAXED is defined by the build (asc --use RELAXED=…)
  if (RELAXED) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline export function imin(a: i32, b: i32): i32 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline export function imax(a: i32, b: i32): i32 { return a > b ? a : b; }

/** Slot i of a kernel's int32 parameter block (the slots are named in src/backend/wasm/slots.ts). */
// @ts-ignore: decorator
@inline export function P(prm: usize, i: i32): i32 { return load<i32>(prm + (<usize>i << 2)); }
