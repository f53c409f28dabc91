// The one place every op call passes through. An op is defined once with defineOp(name, impl); a
// call runs impl directly unless a tracer is set (setTracer: it sees every op with its arguments,
// tensor inputs and outputs — what an exporter turns into graph nodes) or the rewrite table
// (./rewrites.ts) has fused paths for the op, which are tried first.

import { Tensor } from '../tensor/tensor.js';
import { REWRITES, type Rewrite } from './rewrites.js';

export interface TraceEvent {
  /** the op's name, as defineOp was given it */
  readonly op: string;
  /** the arguments as given (tensors, numbers, option objects) */
  readonly args: readonly unknown[];
  /** the tensors among the arguments, in order (arrays of tensors flattened) */
  readonly inputs: readonly Tensor[];
  /** the tensors the op returned */
  readonly outputs: readonly Tensor[];
  /** 0 for an op the program called, 1 for an op called by that op (a composite's parts), … */
  readonly depth: number;
}
export type Tracer = (e: TraceEvent) => void;

let tracer: Tracer | null = null;
let depth = 0;

/** Installs fn to see every op call (null removes it); returns the tracer it replaced. */
export function setTracer(fn: Tracer | null): Tracer | null {
  const prev = tracer;
  tracer = fn;
  return prev;
}

/** An op: the function, with the name it is known by and its definition (what runs without a rewrite). */
export type OpFn<A extends unknown[], R> = ((...args: A) => R) & { readonly opName: string; readonly definition: (...args: A) => R };

/**
 * Defines the op `name` as impl, called through the dispatcher. `aux` is what the op's rewrite
 * rules may need from it (its backward pieces; src/ops/rewrites.ts says what each rule expects).
 */
export function defineOp<A extends unknown[], R>(name: string, impl: (...args: A) => R, aux?: unknown): OpFn<A, R> {
  const rules = REWRITES[name];
  const f = rules
    ? (...args: A): R => (tracer === null ? rewritten(rules, impl, args, aux) : traced(name, (...a: A) => rewritten(rules, impl, a, aux), args))
    : (...args: A): R => (tracer === null ? impl(...args) : traced(name, impl, args));
  return Object.defineProperties(f, { opName: { value: name, enumerable: true }, definition: { value: impl } }) as OpFn<A, R>;
}

/** The first rule whose match accepts the call runs it; else the definition. */
function rewritten<A extends unknown[], R>(rules: readonly Rewrite[], impl: (...args: A) => R, args: A, aux: unknown): R {
  for (const r of rules) {
    const run = r.match(args, aux, impl as (...a: unknown[]) => unknown);
    if (run) {
      const out = run();
      if (out !== undefined) return out as R;
    }
  }
  return impl(...args);
}

/** The tensors in an argument or result: itself, or those in an array or a plain object (one level). */
function tensorsIn(v: unknown, out: Tensor[]): void {
  if (v instanceof Tensor) {
    out.push(v);
  } else if (Array.isArray(v)) {
    for (const x of v) if (x instanceof Tensor) out.push(x);
  } else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) if (x instanceof Tensor) out.push(x);
  }
}

function traced<A extends unknown[], R>(name: string, impl: (...args: A) => R, args: A): R {
  const t = tracer!;
  depth++;
  let out: R;
  try {
    out = impl(...args);
  } finally {
    depth--;
  }
  const inputs: Tensor[] = [], outputs: Tensor[] = [];
  for (const a of args) tensorsIn(a, inputs);
  tensorsIn(out, outputs);
  t({ op: name, args, inputs, outputs, depth });
  return out;
}
