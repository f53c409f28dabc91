// Tensor creation: from nested arrays or typed arrays, constant fills, ranges, identity, random.

import { currentBackend } from '../backend/default.js';
import { arrayFor, checkDType, dtypeOfArray, isFloat, type DType, type TypedArray } from './dtype.js';
import { blocksFor, normalArray, reserveBlocks, uniformArray, randomU32 } from './random.js';
import { Tensor, type NestedArray } from './tensor.js';
import { fmt, prod } from '../tensor/shape.js';
import { checkFits } from './memory.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

type ShapeArg = number | readonly number[];

function shapeFrom(op: string, args: readonly ShapeArg[]): number[] {
  const shape = args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new TypeError(`${op}: shape must hold non-negative integers, got ${JSON.stringify(shape)}`);
    }
  }
  return [...shape];
}

/** Checks an options object: an option not understood is an error, never silently ignored. */
function checkOptions<T extends object>(op: string, opts: T, extra: readonly string[] = []): T {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new TypeError(`${op}: options must be an object, got ${String(opts)}`);
  const known = ['dtype', 'requiresGrad', ...extra];
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new TypeError(`${op}: unknown option '${k}' (options: ${known.join(', ')})`);
  }
  const o = opts as CreateOptions;
  if (o.dtype !== undefined) checkDType(o.dtype, op);
  if (o.requiresGrad !== undefined && typeof o.requiresGrad !== 'boolean') throw new TypeError(`${op}: requiresGrad must be true or false, got ${String(o.requiresGrad)}`);
  return opts;
}

function finish(data: TypedArray, shape: readonly number[], dtype: DType, opts?: CreateOptions): Tensor {
  const b = currentBackend();
  const t = Tensor._fromStorage(b, b.fromArray(data, dtype), shape);
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(op: string, data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  void op;
  return shape;
}

/**
 * A tensor from nested arrays of numbers/booleans, or from a typed array (with `shape`, default
 * 1-D). The dtype is inferred like PyTorch's (bool, int32 for integers, float32) unless given.
 */
export function tensor(data: NestedArray | TypedArray | Tensor, opts: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  if (data instanceof Tensor) throw new TypeError('tensor: got a Tensor; use t.clone() or t.detach() to copy one');
  checkOptions('tensor', opts, ['shape']);
  if (ArrayBuffer.isView(data)) {
    const arr = data as TypedArray;
    const shape = opts.shape ? [...opts.shape] : [arr.length];
    if (prod(shape) !== arr.length) {
      throw new Error(`tensor: shape ${fmt(shape)} holds ${prod(shape)} elements but the typed array has ${arr.length}`);
    }
    const src = dtypeOfArray(arr);
    const dtype = opts.dtype ? checkDType(opts.dtype, 'tensor') : src;
    let out = arr;
    if (dtype !== src || !(arr instanceof Float32Array || arr instanceof Float64Array || arr instanceof Int32Array || arr instanceof Uint8Array)) {
      out = arrayFor(dtype, arr.length);
      for (let i = 0; i < arr.length; i++) out[i] = dtype === 'bool' ? (arr[i] ? 1 : 0) : dtype === 'int32' ? Math.trunc(arr[i]!) : arr[i]!;
    }
    return finish(out, shape, dtype, opts);
  }
  const shape = opts.shape ? [...opts.shape] : inferShape('tensor', data);
  const flat: (number | boolean)[] = [];
  let kind: 'bool' | 'int' | 'float' = 'bool';
  const walk = (v: NestedArray, d: number): void => {
    if (Array.isArray(v)) {
      if (opts.shape === undefined && v.length !== shape[d]) {
        throw new Error(`tensor: ragged nested array: expected ${shape[d]} elements at depth ${d}, got ${v.length}`);
      }
      for (const x of v) walk(x, d + 1);
      return;
    }
    if (opts.shape === undefined && d !== shape.length) throw new Error(`tensor: ragged nested array: a number at depth ${d}, expected depth ${shape.length}`);
    if (typeof v === 'boolean') {
      flat.push(v);
    } else if (typeof v === 'number') {
      if (kind === 'bool') kind = 'int';
      if (!Number.isInteger(v)) kind = 'float';
      flat.push(v);
    } else {
      throw new TypeError(`tensor: elements must be numbers or booleans, got ${typeof v}`);
    }
  };
  walk(data, 0);
  if (flat.length > 0 && flat.some((v) => typeof v === 'boolean') && kind !== 'bool') {
    throw new TypeError('tensor: mixes booleans and numbers');
  }
  if (prod(shape) !== flat.length) throw new Error(`tensor: shape ${fmt(shape)} holds ${prod(shape)} elements, got ${flat.length}`);
  const dtype = opts.dtype ? checkDType(opts.dtype, 'tensor') : flat.length === 0 ? 'float32' : kind === 'bool' ? 'bool' : kind === 'int' ? 'int32' : 'float32';
  const arr = arrayFor(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i]!;
    const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    arr[i] = dtype === 'bool' ? (n ? 1 : 0) : dtype === 'int32' ? Math.trunc(n) : n;
  }
  return finish(arr, shape, dtype, opts);
}

/** A 0-d tensor holding a number (used for scalar operands). */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  const arr = arrayFor(dtype, 1);
  arr[0] = dtype === 'bool' ? (value ? 1 : 0) : value;
  return finish(arr, [], dtype);
}

export function full(shape: readonly number[], value: number | boolean, opts: CreateOptions = {}): Tensor {
  checkOptions('full', opts);
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`full: the fill value must be a number or a boolean, got ${typeof value}`);
  const s = shapeFrom('full', [shape]);
  const dtype = opts.dtype ? checkDType(opts.dtype, 'full') : typeof value === 'boolean' ? 'bool' : 'float32';
  const b = currentBackend();
  const t = Tensor._fromStorage(b, b.fill(dtype, checkFits('full', s, dtype, b), Number(value)), s);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function shapeAndOpts(op: string, args: (ShapeArg | CreateOptions | undefined)[]): [number[], CreateOptions] {
  let opts: CreateOptions = {};
  const last = args[args.length - 1];
  if (last !== undefined && typeof last === 'object' && !Array.isArray(last)) {
    opts = checkOptions(op, last as CreateOptions);
    args = args.slice(0, -1);
  }
  return [shapeFrom(op, args as ShapeArg[]), opts];
}

/** zeros(2, 3) or zeros([2, 3], {dtype}) */
export function zeros(...args: (ShapeArg | CreateOptions)[]): Tensor {
  const [s, o] = shapeAndOpts('zeros', args);
  return full(s, 0, { dtype: 'float32', ...o });
}

export function ones(...args: (ShapeArg | CreateOptions)[]): Tensor {
  const [s, o] = shapeAndOpts('ones', args);
  return full(s, 1, { dtype: 'float32', ...o });
}

export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...opts });
}

export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...opts });
}

export function fullLike(t: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...opts });
}

/**
 * arange(end) | arange(start, end, step?) — int32 when all arguments are integers, as in PyTorch;
 * options ({dtype, requiresGrad}) may follow any of them: arange(5, {dtype: 'float32'}).
 */
export function arange(end: number, opts?: CreateOptions): Tensor;
export function arange(start: number, end: number, opts?: CreateOptions): Tensor;
export function arange(start: number, end?: number, step?: number, opts?: CreateOptions): Tensor;
export function arange(...args: (number | CreateOptions | undefined)[]): Tensor {
  let opts: CreateOptions = {};
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object') {
    opts = checkOptions('arange', last);
    args = args.slice(0, -1);
  }
  while (args.length > 1 && args[args.length - 1] === undefined) args = args.slice(0, -1);
  if (args.length < 1 || args.length > 3 || !args.every((a) => typeof a === 'number')) {
    throw new TypeError(`arange: expected (end), (start, end) or (start, end, step) as numbers, then options; got (${args.map((a) => (typeof a === 'number' || a === undefined ? String(a) : JSON.stringify(a))).join(', ')})`);
  }
  let [start, end, step = 1] = args as number[];
  if (end === undefined) {
    end = start!;
    start = 0;
  }
  if (step === 0) throw new RangeError('arange: step must be nonzero');
  if (![start, end, step].every(Number.isFinite)) throw new RangeError(`arange: start, end and step must be finite, got ${start}, ${end}, ${step}`);
  if ((end - start!) / step < 0) throw new RangeError(`arange: the range from ${start} to ${end} with step ${step} goes the wrong way`);
  const n = Math.max(0, Math.ceil((end - start!) / step));
  const allInt = [start, end, step].every(Number.isInteger);
  const dtype = opts.dtype ? checkDType(opts.dtype, 'arange') : allInt ? 'int32' : 'float32';
  checkFits('arange', [n], dtype, currentBackend());
  const arr = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) arr[i] = start! + i * step;
  return finish(arr, [n], dtype, opts);
}

export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  checkOptions('linspace', opts);
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = opts.dtype ? checkDType(opts.dtype, 'linspace') : 'float32';
  checkFits('linspace', [steps], dtype, currentBackend());
  const arr = arrayFor(dtype, steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // PyTorch fills the second half from the end, so the last element is exactly `end`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) arr[i] = steps === 1 ? start : i < half ? start + step * i : end - step * (steps - 1 - i);
  return finish(arr, [steps], dtype, opts);
}

export function eye(n: number, m: number | CreateOptions = n, opts: CreateOptions = {}): Tensor {
  if (typeof m === 'object') {
    opts = m;
    m = n;
  }
  checkOptions('eye', opts);
  const dtype = opts.dtype ? checkDType(opts.dtype, 'eye') : 'float32';
  const shape = shapeFrom('eye', [[n, m]]);
  checkFits('eye', shape, dtype, currentBackend());
  const arr = arrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) arr[i * m + i] = 1;
  return finish(arr, [n, m], dtype, opts);
}

function floatDType(op: string, opts: CreateOptions): DType {
  const d = opts.dtype ?? 'float32';
  if (!isFloat(d)) throw new TypeError(`${op}: dtype must be float32 or float64, got ${d}`);
  return d;
}

/** Uniform on [0, 1). */
export function rand(...args: (ShapeArg | CreateOptions)[]): Tensor {
  const [s, o] = shapeAndOpts('rand', args);
  const dtype = floatDType('rand', o);
  const b = currentBackend(), n = checkFits('rand', s, dtype, b), f64 = dtype === 'float64';
  const made = b.fused?.uniform;
  if (made && n > 0) {
    // the backend draws the generator's next numbers itself (the same ones, bit for bit)
    const t = Tensor._fromStorage(b, made(n, f64 ? 'float64' : 'float32', reserveBlocks(blocksFor(n, f64))), s);
    if (o.requiresGrad) t.requiresGrad_(true);
    return t;
  }
  const u = uniformArray(n, f64);
  return finish(dtype === 'float64' ? u : Float32Array.from(u), s, dtype, o);
}

/** Standard normal. */
export function randn(...args: (ShapeArg | CreateOptions)[]): Tensor {
  const [s, o] = shapeAndOpts('randn', args);
  const dtype = floatDType('randn', o);
  const u = normalArray(checkFits('randn', s, dtype, currentBackend()), dtype === 'float64');
  return finish(dtype === 'float64' ? u : Float32Array.from(u), s, dtype, o);
}

/** Integers uniform in [low, high) (int32): randint(low, high, shape) or, as PyTorch's randint(high, size), randint(high, shape). */
export function randint(high: number, shape: readonly number[], opts?: CreateOptions): Tensor;
export function randint(low: number, high: number, shape: readonly number[], opts?: CreateOptions): Tensor;
export function randint(a: number, b: number | readonly number[], c?: readonly number[] | CreateOptions, d: CreateOptions = {}): Tensor {
  if (Array.isArray(b)) return randint(0, a, b, (c ?? {}) as CreateOptions);
  const [low, high, shape, opts] = [a, b as number, c as readonly number[], d];
  checkOptions('randint', opts);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: need integers low < high, got ${low}, ${high}`);
  }
  const s = shapeFrom('randint', [shape]);
  const dtype = opts.dtype ? checkDType(opts.dtype, 'randint') : 'int32';
  const n = checkFits('randint', s, dtype, currentBackend());
  const u = new Uint32Array(n);
  randomU32(u);
  const range = high - low;
  const arr = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) arr[i] = low + Math.floor((u[i]! / 4294967296) * range);
  return finish(arr, s, dtype, opts);
}

export function randLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return rand([...t.shape], { dtype: isFloat(t.dtype) ? t.dtype : 'float32', ...opts });
}

export function randnLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return randn([...t.shape], { dtype: isFloat(t.dtype) ? t.dtype : 'float32', ...opts });
}

export function randintLike(t: Tensor, low: number, high: number): Tensor {
  return randint(low, high, t.shape);
}

export { type NestedArray };
