// nn.utils.weightNorm and nn.utils.spectralNorm (and their removal), as PyTorch's: the parameter is
// replaced by weight_g / weight_v, or by weight_orig with the power-iteration buffers weight_u /
// weight_v, and a forward pre-hook recomputes module.weight from them before every forward.

import { Tensor } from '../tensor/tensor.js';
import { randn } from '../tensor/create.js';
import { noGrad } from '../autograd/graph.js';
import { scope } from '../tensor/memory.js';
import { fmt } from '../tensor/shape.js';
import { clamp, div, matmul, mul, permute, reshape, sqrt, sum } from '../ops/index.js';
import { copy_ } from '../ops/inplace.js';
import { clone } from '../ops/shape.js';
import { Module, Parameter } from './module.js';
import type { RemovableHandle } from './hooks.js';

type Fields = Record<string, unknown>;

type Kind = 'weightNorm' | 'spectralNorm';
/** What weightNorm / spectralNorm installed, per module and parameter name: the hook, and the weight's computation (no u, v update). */
interface Installed { kind: Kind; handle: RemovableHandle; weight: () => Tensor }
const installed = new WeakMap<Module, Map<string, Installed>>();

/** The Parameter a layer holds in the field `name` (what the layer's forward reads), checked. */
function fieldParameter(op: string, module: Module, name: string): Parameter {
  if (!(module instanceof Module)) throw new TypeError(`${op}: expected a Module, got ${typeof module}`);
  if (installed.get(module)?.has(name)) throw new Error(`${op}: ${module.constructor.name}.${name} already has ${installed.get(module)!.get(name)!.kind} applied`);
  const own = Object.getOwnPropertyDescriptor(module, name);
  if (!own || !(own.value instanceof Parameter) || !own.writable) {
    const names = module.namedParameters().filter(([k]) => !k.includes('.')).map(([k]) => k);
    throw new Error(`${op}: ${module.constructor.name} has no parameter field '${name}' that its forward reads (its parameters: ${names.join(', ') || 'none'})`);
  }
  return own.value;
}

function remember(module: Module, name: string, entry: Installed): void {
  let m = installed.get(module);
  if (!m) installed.set(module, (m = new Map()));
  m.set(name, entry);
}

/** ‖v‖₂ over every dim but dim, keeping dims ([n, 1, …] for dim 0); over all of v (0-d) for dim null. */
function normExceptDim(v: Tensor, dim: number | null): Tensor {
  const sq = mul(v, v);
  const dims = dim === null ? v.shape.map((_, i) => i) : v.shape.map((_, i) => i).filter((i) => i !== dim);
  return sqrt(sum(sq, dims, dim !== null));
}

export interface WeightNormOptions {
  /** the parameter to reparameterise (default 'weight') */
  name?: string;
  /** the dim whose slices get their own norm (default 0); null (or −1, as PyTorch) for one norm of the whole tensor */
  dim?: number | null;
}

/** weight = g · v/‖v‖ (PyTorch's torch.nn.utils.weight_norm): parameters name_g and name_v replace name. */
export function weightNorm<M extends Module>(module: M, opts: WeightNormOptions = {}): M {
  const op = 'weightNorm';
  const name = opts.name ?? 'weight';
  const weight = fieldParameter(op, module, name);
  const raw = opts.dim === undefined ? 0 : opts.dim;
  let dim: number | null = raw === null || raw === -1 ? null : raw;
  if (dim !== null) {
    if (!Number.isInteger(dim) || dim < -weight.ndim || dim >= weight.ndim) throw new RangeError(`${op}: dim ${raw} is out of range for ${name} of shape ${fmt(weight.shape)}`);
    dim = dim < 0 ? dim + weight.ndim : dim;
  }
  const d = dim;
  const g = noGrad(() => normExceptDim(weight, d));
  module.registerParameter(`${name}_g`, new Parameter(g));
  g.dispose();
  // The parameter object itself becomes v: PyTorch's weight_v holds the same data.
  module.registerParameter(`${name}_v`, weight);
  const fields = module as unknown as Fields;
  const compute = (): Tensor => scope(() => {
    const gp = fields[`${name}_g`] as Tensor, vp = fields[`${name}_v`] as Tensor;
    return mul(vp, div(gp, normExceptDim(vp, d)));
  });
  fields[name] = compute();
  const handle = module.registerForwardPreHook(() => {
    fields[name] = compute();
  });
  remember(module, name, { kind: 'weightNorm', handle, weight: compute });
  return module;
}

/** Undoes weightNorm: name is a Parameter again, holding g · v/‖v‖. */
export function removeWeightNorm<M extends Module>(module: M, opts: { name?: string } = {}): M {
  return removeHook('removeWeightNorm', module, opts.name ?? 'weight', 'weightNorm', [`_g`, `_v`], []);
}

export interface SpectralNormOptions {
  name?: string;
  /** power iterations per forward in training mode (default 1) */
  nPowerIterations?: number;
  /** added stability in normalising u and v (default 1e-12) */
  eps?: number;
  /** the dim of the output channels (default 0; 1 for ConvTranspose layers, as PyTorch) */
  dim?: number;
}

/**
 * weight = weight_orig / σ, σ ≈ the largest singular value of weight_orig as a [shape[dim], −1]
 * matrix, estimated by power iteration on the buffers weight_u, weight_v (updated in training mode
 * only). PyTorch's torch.nn.utils.spectral_norm, with the same parameter and buffer names.
 */
export function spectralNorm<M extends Module>(module: M, opts: SpectralNormOptions = {}): M {
  const op = 'spectralNorm';
  const name = opts.name ?? 'weight';
  const weight = fieldParameter(op, module, name);
  const iters = opts.nPowerIterations ?? 1;
  if (!Number.isInteger(iters) || iters < 1) throw new RangeError(`${op}: nPowerIterations must be a positive integer, got ${iters}`);
  const eps = opts.eps ?? 1e-12;
  if (!(eps > 0)) throw new RangeError(`${op}: eps must be > 0, got ${eps}`);
  const transposed = /^ConvTranspose[123]d$/.test(module.constructor.name);
  let dim = opts.dim ?? (transposed ? 1 : 0);
  if (!Number.isInteger(dim) || dim < -weight.ndim || dim >= weight.ndim) throw new RangeError(`${op}: dim ${opts.dim} is out of range for ${name} of shape ${fmt(weight.shape)}`);
  if (dim < 0) dim += weight.ndim;
  const d = dim;
  const toMatrix = (w: Tensor): Tensor => {
    const front = d === 0 ? w : permute(w, [d, ...w.shape.map((_, i) => i).filter((i) => i !== d)]);
    return reshape(front, [w.shape[d]!, -1]);
  };
  const h = weight.shape[d]!, wCols = weight.numel() / h;
  const normalize = (x: Tensor): Tensor => div(x, clamp(sqrt(sum(mul(x, x))), eps));
  const mv = (m: Tensor, x: Tensor): Tensor => reshape(matmul(m, reshape(x, [-1, 1])), [-1]);
  const [u0, v0] = noGrad(() => [normalize(randn([h], { dtype: weight.dtype })), normalize(randn([wCols], { dtype: weight.dtype }))]);
  module.registerParameter(`${name}_orig`, weight);
  const fields = module as unknown as Fields;
  fields[name] = weight.detach();
  module.registerBuffer(`${name}_u`, u0!);
  module.registerBuffer(`${name}_v`, v0!);
  const compute = (update: boolean): Tensor => scope(() => {
    const w = fields[`${name}_orig`] as Tensor;
    let u = fields[`${name}_u`] as Tensor, v = fields[`${name}_v`] as Tensor;
    const mat = toMatrix(w);
    if (update) {
      noGrad(() => {
        const mt = mat.t();
        for (let i = 0; i < iters; i++) {
          copy_(v, normalize(mv(mt, u)));
          copy_(u, normalize(mv(mat, v)));
        }
      });
      // Copies, so the next forward's in-place updates leave this forward's graph intact (as PyTorch).
      u = clone(u);
      v = clone(v);
    }
    const sigma = sum(mul(u, mv(mat, v)));
    return div(w, sigma);
  });
  const handle = module.registerForwardPreHook((m) => {
    fields[name] = compute(m.training);
  });
  remember(module, name, { kind: 'spectralNorm', handle, weight: () => compute(false) });
  return module;
}

/** Undoes spectralNorm: name is a Parameter again, holding weight_orig / σ with the current u, v. */
export function removeSpectralNorm<M extends Module>(module: M, opts: { name?: string } = {}): M {
  return removeHook('removeSpectralNorm', module, opts.name ?? 'weight', 'spectralNorm', ['_orig'], ['_u', '_v']);
}

function removeHook<M extends Module>(op: string, module: M, name: string, kind: Kind, params: string[], buffers: string[]): M {
  const entry = installed.get(module)?.get(name);
  if (!entry || entry.kind !== kind) throw new Error(`${op}: ${kind} of '${name}' not found in ${module.constructor.name}`);
  entry.handle.remove();
  installed.get(module)!.delete(name);
  const w = noGrad(entry.weight);
  for (const p of params) module.registerParameter(`${name}${p}`, null);
  for (const b of buffers) module.registerBuffer(`${name}${b}`, null);
  (module as unknown as Fields)[name] = new Parameter(w);
  w.dispose();
  return module;
}
