// The fused fast paths (DESIGN decision 2), as one rewrite table the dispatcher consults: for an op
// name, rules whose match() accepts the call run a backend's fused kernel instead of the composite.
// Filled in by the rewrite rules below; an op without rules runs its definition.

import type { Tensor } from '../tensor/tensor.js';

/** A rule's plan for one call: run() returns the op's result. */
export interface RewritePlan<R = unknown> { run(): R }

export interface Rewrite {
  /** what the rule is for (errors and tests) */
  readonly name: string;
  /** a plan when this call can take the fused path, else null */
  match(args: readonly unknown[], impl: (...a: never[]) => unknown): RewritePlan | null;
}

export const REWRITES: Readonly<Record<string, readonly Rewrite[]>> = {};

export type { Tensor };
