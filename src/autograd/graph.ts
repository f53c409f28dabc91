// The autograd graph: nodes recorded by ops, gradient mode, and the iterative backward walk.
// Backward rules are ordinary ops, so with createGraph the walk itself is recorded (grads of grads).

import type { Tensor } from '../tensor/tensor.js';
import type { Holder } from '../tensor/memory.js';

/** The outputs of one graph that backward() consumed, released together at a later step boundary. */
export interface Generation {
  holders: Holder[];
  released: boolean;
}

/** Where a leaf that requires grad receives its gradient (shared by the leaf and its aliases). */
export class AccumulateGrad {
  /** @internal graphs through this leaf consumed since its last step boundary (autograd/release.ts) */
  current: Generation[] = [];
  /** @internal … and in the interval before that */
  previous: Generation[] = [];
  /** @internal an optimizer updates this leaf: its step boundaries are optimizer.step() calls */
  managed = false;
  constructor(readonly leaf: Tensor) {}
}

export type Edge = Node | AccumulateGrad | null;
/**
 * A backward rule: the output's gradient and the saved tensors in, one gradient per input out.
 * `needs[i]` says whether input i wants a gradient (like PyTorch's needs_input_grad): a rule may
 * skip the work for the others and return null there.
 */
export type BackwardFn = (g: Tensor, saved: Tensor[], needs: readonly boolean[]) => (Tensor | null | undefined)[];

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (like torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with gradient recording on (inside noGrad, like torch.enable_grad()). */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** One recorded op: its input edges, the tensors its backward needs, and the rule itself. */
export class Node {
  refs = 0;
  /** @internal the holder of the tensor this op produced (set when the tensor takes the node) */
  output: Holder | null = null;
  /**
   * @internal pending results a fused rewrite took over (a conv2d result a ReLU folded into): never
   * computed unless read, they go with this node's output at a step boundary (release.ts)
   */
  absorbed: Holder[] | null = null;
  /** @internal the nodes recorded with this one as an input, until a backward consumes it (release.ts) */
  consumers: Node[] | null = [];
  /** @internal tensors this node produced that keep their gradient (retainGrad), filled by backward() */
  retained: Tensor[] | null = null;
  private savedFreed = false;
  constructor(
    readonly name: string,
    readonly edges: Edge[],
    private saved: Tensor[],
    private readonly fn: BackwardFn,
  ) {
    for (const e of edges) {
      if (e instanceof Node) {
        e.refs++;
        e.consumers?.push(this);
      }
    }
  }

  apply(g: Tensor): (Tensor | null | undefined)[] {
    if (this.savedFreed) {
      throw new Error(
        `backward: the graph through '${this.name}' was already freed by an earlier backward(); ` +
          'pass {retainGraph: true} to the first backward() to go through it again',
      );
    }
    for (const t of this.saved) {
      const b = t._buf;
      if (b && b.version !== t._savedVersion) throw modifiedError(this.name, t, b.version, b.lastWrite);
    }
    return this.fn(g, this.saved, this.edges.map((e) => e !== null));
  }

  /** Frees the saved tensors (after a backward without retainGraph); the structure stays. */
  freeSaved(): void {
    if (this.savedFreed) return;
    this.savedFreed = true;
    for (const t of this.saved) t._releaseAlias();
    this.saved = [];
  }

  /** @internal sets the saved tensors once the node exists (saved outputs point back at it). */
  setSaved(saved: Tensor[]): void {
    this.saved = saved;
  }

  retain(): void {
    this.refs++;
  }

  /** Drops one reference; the last one frees saved tensors and releases the inputs' nodes. */
  release(): void {
    if (--this.refs > 0) return;
    // Iterative, so freeing a 100,000-op chain cannot overflow the stack.
    const stack: Node[] = [this];
    while (stack.length) {
      const n = stack.pop()!;
      n.freeSaved();
      for (const e of n.edges) if (e instanceof Node && --e.refs === 0) stack.push(e);
    }
  }
}

const TYPE_NAMES: Record<string, string> = { float32: 'Float', float64: 'Double', int32: 'Int', bool: 'Bool' };

/** PyTorch's error for a saved tensor written in place after it was saved, naming both ops. */
function modifiedError(node: string, t: Tensor, version: number, by: string): Error {
  return new Error(
    `backward: one of the variables needed for gradient computation has been modified by an inplace operation: ` +
      `[${TYPE_NAMES[t.dtype] ?? t.dtype} [${t.shape.join(', ')}]], saved by '${node}' and then written by '${by}', ` +
      `is at version ${version}; expected version ${t._savedVersion} instead. Write to a clone() instead, or do the ` +
      `update out of place (x = x.add(y) rather than x.add_(y)).`,
  );
}

export function edgeOf(t: Tensor): Edge {
  return t._node ?? t._acc ?? null;
}

/**
 * Topological order of the nodes reachable from root (inputs after the nodes that use them),
 * by an iterative depth-first search.
 */
export function topoOrder(root: Node): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>();
  const stack: [Node, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.edges.length) {
      top[1]++;
      const e = node.edges[i];
      if (e instanceof Node && !visited.has(e)) {
        visited.add(e);
        stack.push([e, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}
