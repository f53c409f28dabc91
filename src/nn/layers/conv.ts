// Convolution layers Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d with PyTorch's arguments,
// weight layout, paddingMode and default initialisation (Kaiming-uniform a = √5; bias U(−1/√fanIn, 1/√fanIn)).

import type { Tensor } from '../../tensor/tensor.js';
import { Module, type Parameter } from '../module.js';
import { convTranspose1d, type Pair } from '../../ops/conv.js';
import { conv1d, conv2d, convTranspose2d, pad } from '../../ops/index.js';
import * as init from '../init.js';
import { fmt } from '../../tensor/shape.js';
import { checkInt, expectFloat, expectInput, floatDType, newParam, pairText, type DTypeOption } from './util.js';

export interface ConvLayerOptions extends DTypeOption {
  stride?: Pair;
  /** a number, a pair, or 'valid' / 'same' (stride 1 only) */
  padding?: Pair | 'valid' | 'same';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  /** how the padding is filled: 'zeros' (default), or F.pad's 'reflect', 'replicate', 'circular' */
  paddingMode?: PaddingMode;
}

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface ConvTransposeLayerOptions extends DTypeOption {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  /** only 'zeros', as in PyTorch */
  paddingMode?: 'zeros';
}

function asPair(layer: string, name: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) throw new RangeError(`${layer}: ${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  return p;
}

/** What Conv1d/Conv2d/ConvTranspose2d share: channels, groups, weight, bias and their init. */
export abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  weight: Parameter;
  bias: Parameter | null;

  protected constructor(kind: string, inChannels: number, outChannels: number, kernelSize: number[], transposed: boolean, groups: number, bias: boolean, opts: DTypeOption & { paddingMode?: string }) {
    super();
    this.inChannels = checkInt(kind, 'inChannels', inChannels, 1);
    this.outChannels = checkInt(kind, 'outChannels', outChannels, 1);
    this.groups = checkInt(kind, 'groups', groups, 1);
    if (inChannels % groups !== 0) throw new Error(`${kind}: inChannels ${inChannels} must be divisible by groups ${groups}`);
    if (outChannels % groups !== 0) throw new Error(`${kind}: outChannels ${outChannels} must be divisible by groups ${groups}`);
    const mode = opts.paddingMode ?? 'zeros';
    if (transposed && mode !== 'zeros') throw new Error(`${kind}: paddingMode '${mode}' is not supported (only 'zeros', as in PyTorch)`);
    if (!PADDING_MODES.includes(mode as PaddingMode)) throw new Error(`${kind}: paddingMode must be one of ${PADDING_MODES.map((m) => `'${m}'`).join(', ')}, got '${mode}'`);
    this.paddingMode = mode as PaddingMode;
    this.kernelSize = kernelSize;
    const dtype = floatDType(kind, opts.dtype);
    const wShape = transposed ? [inChannels, outChannels / groups, ...kernelSize] : [outChannels, inChannels / groups, ...kernelSize];
    this.weight = newParam(wShape, dtype);
    this.bias = bias ? newParam([outChannels], dtype) : null;
    this.resetParameters();
  }

  /** PyTorch's reset_parameters: kaiming_uniform_(a=√5), bias U(−1/√fanIn, 1/√fanIn). */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  get label(): string {
    return `${this.constructor.name}(${this.inChannels}→${this.outChannels})`;
  }

  /**
   * F.pad's pads for a paddingMode other than 'zeros' (last dim first, [before, after] each), as
   * PyTorch's _reversed_padding_repeated_twice: 'same' splits the total with the odd extra after.
   */
  protected modePads(padding: readonly number[] | 'valid' | 'same', dilation: readonly number[]): number[] {
    const k = this.kernelSize;
    const per = k.map((kk, i): [number, number] => {
      if (padding === 'valid') return [0, 0];
      if (padding === 'same') {
        const t = dilation[i]! * (kk - 1);
        return [t >> 1, t - (t >> 1)];
      }
      return [padding[i]!, padding[i]!];
    });
    return per.reverse().flat();
  }

  /** The input padded by paddingMode, then convolved with no padding of its own; or null for 'zeros'. */
  protected modePadded(x: Tensor, padding: readonly number[] | 'valid' | 'same', dilation: readonly number[], conv: (xp: Tensor) => Tensor): Tensor | null {
    if (this.paddingMode === 'zeros') return null;
    const xp = pad(x, this.modePads(padding, dilation), { mode: this.paddingMode });
    const y = conv(xp);
    xp.dispose();
    return y;
  }

  protected modeRepr(): string {
    return this.paddingMode === 'zeros' ? '' : `, paddingMode='${this.paddingMode}'`;
  }
}

const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

export class Conv2d extends ConvNd {
  readonly stride: [number, number];
  readonly padding: [number, number] | 'valid' | 'same';
  readonly dilation: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: ConvLayerOptions = {}) {
    const k = asPair('Conv2d', 'kernelSize', kernelSize, 1, 1);
    super('Conv2d', inChannels, outChannels, k, false, opts.groups ?? 1, opts.bias ?? true, opts);
    this.stride = asPair('Conv2d', 'stride', opts.stride, 1, 1);
    this.padding = opts.padding === 'same' || opts.padding === 'valid' ? opts.padding : asPair('Conv2d', 'padding', opts.padding, 0, 0);
    this.dilation = asPair('Conv2d', 'dilation', opts.dilation, 1, 1);
    if (this.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) throw new Error(`Conv2d: padding='same' is not supported for strided convolutions`);
  }

  override forward(x: Tensor): Tensor {
    const c = this.inChannels;
    expectInput(this.label, x, (x.ndim === 4 && x.shape[1] === c) || (x.ndim === 3 && x.shape[0] === c), `[N, ${c}, H, W]`);
    expectFloat(this.label, x);
    const opts = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    return this.modePadded(x, this.padding, this.dilation, (xp) => conv2d(xp, this.weight, this.bias, opts)) ??
      conv2d(x, this.weight, this.bias, { ...opts, padding: this.padding });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${pairText(this.kernelSize)}, stride=${pairText(this.stride)}` +
      (this.padding === 'same' || this.padding === 'valid' ? `, padding='${this.padding}'` : this.padding.some((p) => p) ? `, padding=${pairText(this.padding)}` : '') +
      (this.dilation.some((d) => d !== 1) ? `, dilation=${pairText(this.dilation)}` : '') +
      (this.groups !== 1 ? `, groups=${this.groups}` : '') + (this.bias ? '' : ', bias=false') + this.modeRepr();
  }
}

function asOne(layer: string, name: string, v: Pair | undefined, dflt: number, min: number): number {
  const n = v === undefined ? dflt : typeof v === 'number' ? v : v[0];
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${layer}: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export class Conv1d extends ConvNd {
  readonly stride: number;
  readonly padding: number | 'valid' | 'same';
  readonly dilation: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: ConvLayerOptions = {}) {
    const k = asOne('Conv1d', 'kernelSize', kernelSize, 1, 1);
    super('Conv1d', inChannels, outChannels, [k], false, opts.groups ?? 1, opts.bias ?? true, opts);
    this.stride = asOne('Conv1d', 'stride', opts.stride, 1, 1);
    this.padding = opts.padding === 'same' || opts.padding === 'valid' ? opts.padding : asOne('Conv1d', 'padding', opts.padding, 0, 0);
    this.dilation = asOne('Conv1d', 'dilation', opts.dilation, 1, 1);
    if (this.padding === 'same' && this.stride !== 1) throw new Error(`Conv1d: padding='same' is not supported for strided convolutions`);
  }

  override forward(x: Tensor): Tensor {
    const c = this.inChannels;
    expectInput(this.label, x, (x.ndim === 3 && x.shape[1] === c) || (x.ndim === 2 && x.shape[0] === c), `[N, ${c}, L]`);
    expectFloat(this.label, x);
    const opts = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    const padding = typeof this.padding === 'number' ? [this.padding] : this.padding;
    return this.modePadded(x, padding, [this.dilation], (xp) => conv1d(xp, this.weight, this.bias, opts)) ??
      conv1d(x, this.weight, this.bias, { ...opts, padding: this.padding });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize[0]}, stride=${this.stride}` +
      (this.padding !== 0 ? `, padding=${typeof this.padding === 'string' ? `'${this.padding}'` : this.padding}` : '') +
      (this.dilation !== 1 ? `, dilation=${this.dilation}` : '') + (this.groups !== 1 ? `, groups=${this.groups}` : '') + (this.bias ? '' : ', bias=false') + this.modeRepr();
  }
}

export class ConvTranspose2d extends ConvNd {
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: ConvTransposeLayerOptions = {}) {
    const k = asPair('ConvTranspose2d', 'kernelSize', kernelSize, 1, 1);
    super('ConvTranspose2d', inChannels, outChannels, k, true, opts.groups ?? 1, opts.bias ?? true, opts);
    this.stride = asPair('ConvTranspose2d', 'stride', opts.stride, 1, 1);
    this.padding = asPair('ConvTranspose2d', 'padding', opts.padding, 0, 0);
    this.outputPadding = asPair('ConvTranspose2d', 'outputPadding', opts.outputPadding, 0, 0);
    this.dilation = asPair('ConvTranspose2d', 'dilation', opts.dilation, 1, 1);
  }

  /** outputSize ([H, W] or [N, C, H, W]) picks the outputPadding that reaches it, as in PyTorch. */
  override forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    const c = this.inChannels;
    expectInput(this.label, x, (x.ndim === 4 && x.shape[1] === c) || (x.ndim === 3 && x.shape[0] === c), `[N, ${c}, H, W]`);
    expectFloat(this.label, x);
    let outputPadding = this.outputPadding;
    if (outputSize) {
      const want = outputSize.slice(-2);
      const [h, w] = x.shape.slice(-2) as [number, number];
      const k = this.kernelSize;
      const min = [h, w].map((n, i) => (n - 1) * this.stride[i]! - 2 * this.padding[i]! + this.dilation[i]! * (k[i]! - 1) + 1);
      const op = want.map((s, i) => s - min[i]!) as [number, number];
      if (want.length !== 2 || op.some((p, i) => p < 0 || p >= Math.max(this.stride[i]!, this.dilation[i]!))) {
        const max = min.map((m, i) => m + Math.max(this.stride[i]!, this.dilation[i]!) - 1);
        throw new Error(`${this.label}: requested output size ${fmt(outputSize)} is not reachable from input ${fmt(x.shape)}: the spatial size must be between ${fmt(min)} and ${fmt(max)}`);
      }
      outputPadding = op;
    }
    return convTranspose2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, outputPadding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${pairText(this.kernelSize)}, stride=${pairText(this.stride)}` +
      (this.padding.some((p) => p) ? `, padding=${pairText(this.padding)}` : '') +
      (this.outputPadding.some((p) => p) ? `, outputPadding=${pairText(this.outputPadding)}` : '') +
      (this.dilation.some((d) => d !== 1) ? `, dilation=${pairText(this.dilation)}` : '') +
      (this.groups !== 1 ? `, groups=${this.groups}` : '') + (this.bias ? '' : ', bias=false');
  }
}

export class ConvTranspose1d extends ConvNd {
  readonly stride: number;
  readonly padding: number;
  readonly outputPadding: number;
  readonly dilation: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: ConvTransposeLayerOptions = {}) {
    const k = asOne('ConvTranspose1d', 'kernelSize', kernelSize, 1, 1);
    super('ConvTranspose1d', inChannels, outChannels, [k], true, opts.groups ?? 1, opts.bias ?? true, opts);
    this.stride = asOne('ConvTranspose1d', 'stride', opts.stride, 1, 1);
    this.padding = asOne('ConvTranspose1d', 'padding', opts.padding, 0, 0);
    this.outputPadding = asOne('ConvTranspose1d', 'outputPadding', opts.outputPadding, 0, 0);
    this.dilation = asOne('ConvTranspose1d', 'dilation', opts.dilation, 1, 1);
  }

  /** outputSize ([L] or [N, C, L]) picks the outputPadding that reaches it, as in PyTorch. */
  override forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    const c = this.inChannels;
    expectInput(this.label, x, (x.ndim === 3 && x.shape[1] === c) || (x.ndim === 2 && x.shape[0] === c), `[N, ${c}, L]`);
    expectFloat(this.label, x);
    let outputPadding = this.outputPadding;
    if (outputSize) {
      const want = outputSize[outputSize.length - 1]!;
      const min = (x.shape[x.ndim - 1]! - 1) * this.stride - 2 * this.padding + this.dilation * (this.kernelSize[0]! - 1) + 1;
      const max = min + Math.max(this.stride, this.dilation) - 1;
      if ((outputSize.length !== 1 && outputSize.length !== x.ndim) || !(want >= min && want <= max)) {
        throw new Error(`${this.label}: requested output size ${fmt(outputSize)} is not reachable from input ${fmt(x.shape)}: the length must be between ${min} and ${max}`);
      }
      outputPadding = want - min;
    }
    return convTranspose1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, outputPadding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize[0]}, stride=${this.stride}` +
      (this.padding ? `, padding=${this.padding}` : '') + (this.outputPadding ? `, outputPadding=${this.outputPadding}` : '') +
      (this.dilation !== 1 ? `, dilation=${this.dilation}` : '') + (this.groups !== 1 ? `, groups=${this.groups}` : '') + (this.bias ? '' : ', bias=false');
  }
}
