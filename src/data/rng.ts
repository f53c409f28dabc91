// Drawing from nabla's one generator under a private stream: a seeded DataLoader or randomSplit
// gets the same numbers for the same seed without moving (or being moved by) the global stream.

import { getRngState, manualSeed, setRngState, type RngState } from '../tensor/random.js';

/** Runs fn with the generator seeded by `seed` (or set to `state`), then restores the global state. */
export function withRng<T>(seedOrState: number | RngState, fn: () => T): T {
  return withRngState(seedOrState, fn).result;
}

/** Like withRng, and also returns the private stream's state after fn (to continue it later). */
export function withRngState<T>(seedOrState: number | RngState, fn: () => T): { result: T; state: RngState } {
  const saved = getRngState();
  try {
    if (typeof seedOrState === 'number') manualSeed(seedOrState);
    else setRngState(seedOrState);
    const result = fn();
    return { result, state: getRngState() };
  } finally {
    setRngState(saved);
  }
}

/** The state a generator seeded by `seed` starts from. */
export function seededState(seed: number): RngState {
  return withRngState(seed, () => undefined).state;
}
