// Storing a vector of 4 tiles' values into the GEMM's B-panel layout (panels of 8 tiles), for the
// Winograd input transforms (winograd.ts, winograd4.ts). Not exported from index.ts: inlined only.

// @ts-ignore: decorator
@inline export function putLanes(p: usize, t: i32, n: i32, v: v128, pstep: usize): void {
  // tiles t..t+n-1 (n ≤ 4, t a multiple of 4 when n is 4): p is tile t's slot; a panel of 8
  // tiles spans pstep bytes
  // One vector store when the 4 slots share a panel: with n < 4 the extra lanes land on later
  // tiles of the same panel (a later row's leftovers, written after this) or on its padding.
  if ((t & 7) <= 4) { v128.store(p, v); return; }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p + laneOff(t, 1, pstep), f32x4.extract_lane(v, 1));
  if (n > 2) store<f32>(p + laneOff(t, 2, pstep), f32x4.extract_lane(v, 2));
  if (n > 3) store<f32>(p + laneOff(t, 3, pstep), f32x4.extract_lane(v, 3));
}

// Byte distance from tile t's slot to tile t+d's slot in the panel layout.
// @ts-ignore: decorator
@inline export function laneOff(t: i32, d: i32, pstep: usize): usize {
  return <usize>(((t + d) >> 3) - (t >> 3)) * pstep + (<usize>((t + d) & 7) << 2) - (<usize>(t & 7) << 2);
}
