// nn.KVCache: the keys and values of the positions an attention layer has seen, for incremental decoding
// (nn.MultiheadAttention's `cache`; TransformerEncoder and TransformerDecoder make one per layer).

import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { adopt, currentScope, keep, openAncestor, scope, type Scope } from '../tensor/memory.js';
import { indexSelect, reshape } from '../ops/index.js';

/**
 * The keys and values of the positions seen so far, for generating token by token (incremental decoding):
 * pass the same cache to MultiheadAttention.forward on each step with only the new positions as the query,
 * key and value, and the layer projects just those, appends them and attends over everything held —
 * generating T tokens is then T one-token forwards, not T forwards over the whole prefix. With isCausal the
 * new positions see every held one and the new ones up to themselves. A `fixed` cache keeps the keys and
 * values of its first call and reuses them (the attention of a decoder to the encoder's output, which does
 * not grow). The cache's tensors belong to the scope the cache was made in (they outlive the forwards' own
 * scopes, and go with that scope; a cache made outside every scope keeps them until reset() or dispose()).
 * One cache per attention layer and batch of sequences (TransformerEncoder.makeCache and
 * TransformerDecoder.makeCache make one per layer); select() reorders its rows (beam search).
 */
export class KVCache {
  /** the projected keys held, [N·numHeads, S, headDim] (null before the first step) */
  keys: Tensor | null = null;
  /** the projected values held, [N·numHeads, S, headDim] */
  values: Tensor | null = null;
  /** keys and values made once, on the first call, and reused after (not grown) */
  readonly fixed: boolean;
  /** heads per batch row of the keys held (set by the attention layer that fills the cache) */
  heads = 0;
  private readonly home: Scope | null;

  constructor(opts: { fixed?: boolean } = {}) {
    this.fixed = opts.fixed ?? false;
    this.home = currentScope();
  }

  /** positions held */
  get length(): number {
    return this.keys ? this.keys.shape[1]! : 0;
  }

  /** Forgets the positions held and frees their tensors: the next call starts a new sequence. */
  reset(): void {
    this.keys?.dispose();
    this.values?.dispose();
    this.keys = null;
    this.values = null;
  }

  dispose(): void {
    this.reset();
  }

  [Symbol.dispose](): void {
    this.reset();
  }

  /**
   * A cache of the batch rows `rows` of this one (rows may repeat, in any order: the hypotheses beam search
   * keeps), made in the calling scope; this cache is left as it is.
   */
  select(rows: Int32Array | readonly number[]): KVCache {
    const c = new KVCache({ fixed: this.fixed });
    if (!this.keys || !this.values) return c;
    const H = this.heads, [NH, S, hd] = this.keys.shape as [number, number, number];
    const N = NH / H;
    for (const r of rows) if (!Number.isInteger(r) || r < 0 || r >= N) throw new RangeError(`KVCache.select: row ${r} is not one of the ${N} held`);
    const idx = tensor(Int32Array.from(rows), { dtype: 'int32' });
    const pick = (t: Tensor): Tensor => reshape(indexSelect(reshape(t, [N, H, S, hd]), 0, idx), [rows.length * H, S, hd]);
    scope(() => c._store(pick(this.keys!), pick(this.values!), H));
    return c;
  }

  /** @internal holds k and v from now on (in the cache's scope, out of the forward's), freeing what it held before */
  _store(k: Tensor, v: Tensor, heads: number): void {
    const ok = this.keys, ov = this.values;
    const home = openAncestor(this.home);
    this.keys = home ? (adopt(home, k), k) : keep(k);
    this.values = home ? (adopt(home, v), v) : keep(v);
    this.heads = heads;
    if (ok && ok !== k) ok.dispose();
    if (ov && ov !== v) ov.dispose();
  }
}
