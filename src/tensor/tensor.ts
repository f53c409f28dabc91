// Tensor: a handle to a contiguous backend storage with a shape, a dtype and an autograd link.
// The op methods (x.add(y) is nb.add(x, y)) come from the op table: ./methods.ts installs them on
// this prototype when the first tensor is made (not on import).

import type { Backend, Storage } from '../backend/backend.js';
import { AccumulateGrad, Node } from '../autograd/graph.js';
import type { DType, TypedArray } from './dtype.js';
import { Buf, releaseHolder, trackCreated, trackDisposed, type Holder, type Scope } from './memory.js';
import { installMethods } from './methods.js';
import { rebaseView } from '../autograd/views.js';

let nextId = 1;
let methodsInstalled = false;

/**
 * @internal A result not computed yet (src/ops/pending.ts): a fused rewrite may still fold the next
 * op into it (conv2d + ReLU). Anything that reads the tensor computes it first.
 */
export interface Pending {
  /** what it holds, for the rewrite rules */
  readonly kind: string;
  /** whether the computed result records a graph node (decided when the op ran) */
  readonly requiresGrad: boolean;
  /** computes the storage, hands it to set(), then records the node on t; runs once */
  materialize(t: Tensor, set: (b: Buf) => void): void;
  /** releases what it holds when it is never computed */
  release(): void;
}

export class Tensor {
  /** Unique id, for debugging and maps. */
  readonly id = nextId++;
  /** @internal storage and graph link, shared with the finalizer (which must not see the tensor) */
  private readonly _h: TensorHolder;
  /** @internal where a leaf that requires grad accumulates */
  _acc: AccumulateGrad | null = null;
  /** @internal an alias owned by a graph node (not counted, not scoped) */
  private _isAlias = false;
  private _weakNode = false;
  /** @internal gradient of a leaf */
  private _grad: Tensor | null = null;
  private _retainsGrad = false;
  /** @internal the storage's version when this alias was saved for a backward (checked there) */
  _savedVersion = 0;
  /** @internal the tensor this one is a view of (a reshape sharing its storage), for in-place writes */
  _base: Tensor | null = null;
  /** @internal the storage version and base node this view's graph link was made for */
  _viewVersion = 0;
  _baseNode: Node | null = null;
  /** @internal the scope holding this handle (tensor/memory.ts) */
  _scope: Scope | null = null;
  _scopeIdx = 0;
  /** @internal registered with the finalizer (see _unowned) */
  private _fin = false;

  readonly shape: readonly number[];
  readonly dtype: DType;

  /** @internal use the creation functions (tensor, zeros, …) or ops */
  constructor(buf: Buf | null, shape: readonly number[], dtype: DType, alias = false, pending: Pending | null = null) {
    if (!methodsInstalled) {
      methodsInstalled = true;
      installMethods(Tensor.prototype);
    }
    this._h = { buf, node: null, pending, done: false, kept: false, revoked: false };
    // a frozen shape (another tensor's) is shared: freezing a copy per tensor costs more than the rest of the handle
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.dtype = dtype;
    this._isAlias = alias;
    if (!alias) trackCreated(this);
  }

  /** @internal the storage; null once disposed */
  get _buf(): Buf | null {
    return this._h.buf;
  }
  set _buf(b: Buf | null) {
    this._h.buf = b;
  }
  /** @internal the op that produced this tensor (non-leaf) */
  get _node(): Node | null {
    if (this._h.pending) this._materialize();
    // A view whose base was written in place since: its history is the base's new one (as PyTorch's).
    if (this._base !== null && this._h.buf !== null && this._viewVersion !== this._h.buf.version) rebaseView(this);
    return this._h.node as Node | null;
  }

  /** @internal what a pending result holds (null once computed) — for the rewrite rules only */
  get _pending(): Pending | null {
    return this._h.pending;
  }

  /** @internal computes a pending result */
  private _materialize(): void {
    const p = this._h.pending!;
    this._h.pending = null;
    p.materialize(this, (b) => { this._h.buf = b; });
  }
  set _node(n: Node | null) {
    this._h.node = n;
    // The op's node learns its output's holder, so a step boundary can release it (autograd/release.ts).
    if (n && !this._isAlias && n.output === null) n.output = this._h;
  }

  /** @internal what the finalizer and the step boundaries release for this handle (not the handle itself) */
  get _holder(): Holder {
    return this._h;
  }

  /**
   * @internal no scope holds this handle (made outside any, kept, or returned out of the last one):
   * the finalizer releases its storage if the program drops it undisposed. A scope's handles are
   * the scope's to release (memory.ts), so most handles never cost a registration.
   */
  _unowned(): void {
    if (this._fin || !finalizer) return;
    this._fin = true;
    finalizer.register(this, this._h, this);
  }

  /** @internal keep(): no step boundary releases this handle */
  _pin(): void {
    this._h.kept = true;
  }

  /** @internal a tensor owning a fresh storage */
  static _fromStorage(backend: Backend, storage: Storage, shape: readonly number[]): Tensor {
    return new Tensor(new Buf(backend, storage), shape, storage.dtype);
  }

  get ndim(): number {
    return this.shape.length;
  }

  numel(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  /** The backend's name (js, wasm). */
  get device(): string {
    return this._live('device').backend.name;
  }

  /** PyTorch's `_version`: how many in-place writes this tensor's storage has seen (shared with its views). */
  get _version(): number {
    return this._live('_version').version;
  }

  get isDisposed(): boolean {
    return this._h.buf === null && this._h.pending === null;
  }

  /** @internal the live buffer, or a clear error if this tensor was released. */
  _live(where: string): Buf {
    if (this._h.pending) this._materialize();
    if (this._buf === null && this._h.revoked) {
      throw new Error(
        `${where}: this tensor (shape [${this.shape.join(', ')}]) was already released: it is an output of a graph ` +
          'whose backward() ran two steps ago (optimizer.step() calls, or backward() calls for tensors no optimizer ' +
          'updates), and graph outputs are freed then. Call nb.keep(t), or keep t.detach() or t.item(), before then.',
      );
    }
    if (this._buf === null) {
      throw new Error(
        `${where}: this tensor (shape [${this.shape.join(', ')}]) was already released — by dispose(), ` +
          'by the end of a scope(), or by the DataLoader step that created it. Call nb.keep(t) on a tensor ' +
          'that must outlive its step or scope.',
      );
    }
    return this._buf;
  }

  /** @internal the storage for a kernel */
  _s(where = 'op'): Storage {
    return this._live(where).storage;
  }

  get requiresGrad(): boolean {
    if (this._h.pending) return this._h.pending.requiresGrad;
    return this._node !== null || this._acc !== null;
  }

  set requiresGrad(v: boolean) {
    this.requiresGrad_(v);
  }

  /** Marks a leaf as requiring grad (like PyTorch's requires_grad_). */
  requiresGrad_(v = true): this {
    if (this._node) {
      if (!v) throw new Error('requiresGrad_: only a leaf tensor can be changed; use detach() on a non-leaf');
      return this;
    }
    if (v && this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new TypeError(`requiresGrad_: only floating-point tensors can require grad, got ${this.dtype}`);
    }
    this._acc = v ? new AccumulateGrad(this) : null;
    return this;
  }

  get isLeaf(): boolean {
    return this._node === null;
  }

  /** The op that produced this tensor, or null for a leaf. */
  get gradFn(): { name: string } | null {
    return this._node ? { name: this._node.name } : null;
  }

  get grad(): Tensor | null {
    return this._grad;
  }

  set grad(g: Tensor | null) {
    if (g !== null) {
      if (g.shape.length !== this.shape.length || g.shape.some((d, i) => d !== this.shape[i])) {
        throw new Error(`grad: shape [${g.shape.join(', ')}] does not match the tensor's [${this.shape.join(', ')}]`);
      }
    }
    this._grad = g;
  }

  /**
   * Keep the .grad of a non-leaf during backward (like PyTorch's retain_grad): backward() adds its
   * gradient into .grad, as for a leaf. On a leaf it changes nothing (a leaf keeps its gradient).
   */
  retainGrad(): this {
    const n = this._node;
    if (n === null) {
      if (!this.requiresGrad) throw new Error("retainGrad: this tensor does not require grad (PyTorch: can't retain_grad on Tensor that has requires_grad=False)");
      return this;
    }
    if (this._retainsGrad) return this;
    this._retainsGrad = true;
    (n.retained ??= []).push(this);
    return this;
  }

  /** @internal a second handle to the same storage and graph position, owned by a graph node */
  _alias(weakNode = false): Tensor {
    const buf = this._live('autograd');
    const t = new Tensor(buf.retain(), this.shape, this.dtype, true);
    t._node = this._node;
    t._savedVersion = buf.version;
    // An op's saved output points at the op's own node without owning it (no reference cycle).
    t._weakNode = weakNode;
    if (t._node && !weakNode) t._node.retain();
    t._acc = this._acc;
    return t;
  }

  /** @internal releases an alias made by _alias() */
  _releaseAlias(): void {
    if (!this._buf) return;
    this._buf.release();
    this._buf = null;
    if (this._node) {
      const n = this._node;
      this._node = null;
      if (!this._weakNode) n.release();
    }
  }

  /** Releases this tensor's storage now (its gradient too). Using it afterwards throws. */
  dispose(): void {
    const p = this._h.pending;
    if (p) {
      this._h.pending = null;
      p.release();
      if (this._fin) finalizer!.unregister(this);
      this._h.done = true;
      trackDisposed(this);
      return;
    }
    if (this._buf === null) return;
    if (this._isAlias) {
      this._releaseAlias();
      return;
    }
    if (this._fin) finalizer!.unregister(this);
    this._h.done = true;
    trackDisposed(this);
    this._buf.release();
    this._buf = null;
    if (this._node) {
      const n = this._node;
      this._node = null;
      n.release();
    }
    if (this._grad) {
      this._grad.dispose();
      this._grad = null;
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal points this tensor at other's storage (in-place updates of parameters). */
  _assign(other: Tensor): void {
    const buf = this._live('assign');
    const ob = other._live('assign');
    if (other.dtype !== this.dtype) throw new TypeError(`assign: dtype ${other.dtype} differs from ${this.dtype}`);
    if (other.numel() !== this.numel()) {
      throw new Error(`assign: shape [${other.shape.join(', ')}] does not match [${this.shape.join(', ')}]`);
    }
    ob.retain();
    buf.release();
    this._buf = ob;
  }

  /**
   * @internal Module.to(dtype): this leaf takes other's storage and dtype in place (PyTorch's
   * `param.data = param.data.to(dtype)`), so every holder of this tensor sees the cast.
   */
  _retype(other: Tensor): void {
    if (this._node !== null) throw new Error('retype: only a leaf tensor can change its dtype in place');
    const buf = this._live('retype');
    const ob = other._live('retype');
    if (other.numel() !== this.numel()) throw new Error(`retype: shape [${other.shape.join(', ')}] does not match [${this.shape.join(', ')}]`);
    ob.retain();
    buf.release();
    this._buf = ob;
    (this as { dtype: DType }).dtype = other.dtype;
  }

  /** A new leaf sharing this tensor's storage, outside the graph. */
  detach(): Tensor {
    return new Tensor(this._live('detach').retain(), this.shape, this.dtype);
  }

  // ---- reading back ----

  /** A copy of the elements (bool as 0/1 bytes), row-major. */
  async data(): Promise<TypedArray> {
    const b = this._live('data');
    return b.backend.read(b.storage);
  }

  /** A copy of the elements, synchronously (every backend here allows it). */
  dataSync(): TypedArray {
    const b = this._live('dataSync');
    return b.backend.readSync(b.storage);
  }

  /** The elements as nested arrays (numbers; booleans for bool). */
  toArray(): NestedArray {
    const data = this.dataSync();
    const isBool = this.dtype === 'bool';
    const shape = this.shape;
    if (shape.length === 0) return isBool ? data[0] !== 0 : data[0]!;
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const n = shape[d]!;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) {
        if (d === shape.length - 1) {
          const v = data[pos++]!;
          out[i] = isBool ? v !== 0 : v;
        } else {
          out[i] = build(d + 1);
        }
      }
      return out;
    };
    return build(0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    const n = this.numel();
    if (n !== 1) throw new Error(`item: only a one-element tensor can be converted to a number, this one has ${n} elements (shape [${this.shape.join(', ')}])`);
    return this.dataSync()[0]!;
  }

  toString(): string {
    const n = this.numel();
    const body = n <= 100 ? JSON.stringify(this.toArray()) : `[${n} elements]`;
    return `tensor(${body}, shape=[${this.shape.join(', ')}], dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

export type NestedArray = number | boolean | NestedArray[];

/** memory.ts's holder, plus a result not computed yet (a pending result has no node, so no step boundary revokes it). */
interface TensorHolder extends Holder {
  pending: Pending | null;
}

/** The backstop: a handle the program dropped without dispose() releases what it held. */
const finalizer: FinalizationRegistry<TensorHolder> | null =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(releaseHolder) : null;
