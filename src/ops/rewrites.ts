// The fused fast paths (DESIGN decision 2) as one rewrite table, consulted by the dispatcher
// (./dispatch.ts) and nowhere else: for an op's name, rules whose match() accepts the call run a
// backend's fused kernel instead of the op's definition, which stays the meaning (and what runs
// where no rule matches: another backend, another dtype, a graph the kernel cannot record).
// A rule's match gets the call's arguments and the op's `aux` (what the op gave defineOp: its
// backward pieces), and returns the run — whose undefined result declines after all — or null.

import { LAYER_RULES } from './fused/layers.js';
import { SEQUENCE_RULES } from './fused/sequences.js';
import { STEP_RULES } from './fused/steps.js';
import { ROW_RULES } from './fused/rows.js';
import { LOSS_RULES } from './fused/losses.js';
import { CHANNEL_RULES } from './fused/channels.js';

export interface Rewrite {
  /** what the rule does, for errors and tests */
  readonly name: string;
  /** the run for this call (its result replaces the op's), or null when the rule does not apply */
  match(args: readonly unknown[], aux: unknown, impl: (...a: unknown[]) => unknown): (() => unknown) | null;
}

export const REWRITES: Readonly<Record<string, readonly Rewrite[]>> = { ...LAYER_RULES, ...SEQUENCE_RULES, ...STEP_RULES, ...ROW_RULES, ...LOSS_RULES, ...CHANNEL_RULES };
