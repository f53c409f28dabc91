// The small models of scripts/gen_explain_fixtures.py, built with nabla under PyTorch's parameter
// names, and fixtures/explain.json's tensors decoded — shared by the explain tests.

import { readFileSync } from 'node:fs';
import * as nb from '../../src/index.js';
import { decodeData, type Num } from './fixtures.js';

const { nn } = nb;
type DT = 'float32' | 'float64';

export function mlp(dtype: DT = 'float32'): nb.nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(6, 10, { dtype }), new nn.ReLU(), new nn.Linear(10, 8, { dtype }), new nn.Sigmoid(),
    new nn.Linear(8, 8, { dtype }), new nn.Tanh(), new nn.Linear(8, 3, { dtype }),
  );
}

export function mlp2(dtype: DT = 'float32'): nb.nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(6, 8, { dtype }), new nn.LeakyReLU(0.1), new nn.Linear(8, 8, { dtype }), new nn.ELU(),
    new nn.Linear(8, 8, { dtype }), new nn.Softplus(), new nn.Linear(8, 3, { dtype }),
  );
}

export class CNN extends nn.Module {
  features: nb.nn.Sequential;
  classifier: nb.nn.Sequential;
  constructor(dtype: DT = 'float32') {
    super();
    this.features = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1, dtype }), new nn.BatchNorm2d(4, { dtype }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(4, 6, 3, { padding: 1, dtype }), new nn.ReLU(), new nn.MaxPool2d(2),
    );
    this.classifier = new nn.Sequential(new nn.Flatten(), new nn.Linear(24, 3, { dtype }));
  }
  override forward(x: nb.Tensor): nb.Tensor {
    return this.classifier.forward(this.features.forward(x));
  }
}

export class TextLSTM extends nn.Module {
  emb: nb.nn.Embedding;
  lstm: nb.nn.LSTM;
  fc: nb.nn.Linear;
  constructor(dtype: DT = 'float32') {
    super();
    this.emb = new nn.Embedding(12, 5, { dtype });
    this.lstm = new nn.LSTM(5, 6, { batchFirst: true, dtype });
    this.fc = new nn.Linear(6, 3, { dtype });
  }
  fromEmbeddings(e: nb.Tensor): nb.Tensor {
    const [out] = this.lstm.forward(e);
    return this.fc.forward(out.select(1, -1));
  }
  override forward(ids: nb.Tensor): nb.Tensor {
    return this.fromEmbeddings(this.emb.forward(ids));
  }
}

export interface FxTensor { shape: number[]; dtype: 'float64' | 'int32'; data: Num[] }
export interface ExplainCase {
  name: string; model: string; method: string; opts: Record<string, unknown>; out: FxTensor; delta?: FxTensor;
}
export interface ExplainFixtures {
  torch: string;
  models: Record<string, Record<string, FxTensor>>;
  inputs: Record<string, FxTensor>;
  cases: ExplainCase[];
  quadrature: { n: number; nodes: number[]; weights: number[] }[];
  interpolate: { input: FxTensor; size: number[]; mode: 'nearest' | 'linear' | 'bilinear'; out: FxTensor }[];
}

export const fx = JSON.parse(readFileSync(new URL('../../fixtures/explain.json', import.meta.url), 'utf8')) as ExplainFixtures;

export function toT(t: FxTensor, dtype: DT): nb.Tensor {
  if (t.dtype === 'int32') return nb.tensor(decodeData(t.data, 'int32'), { dtype: 'int32', shape: t.shape });
  return nb.tensor(decodeData(t.data, dtype), { dtype, shape: t.shape });
}

export function want(t: FxTensor): Float64Array {
  return decodeData(t.data, 'float64') as Float64Array;
}

/** A model of the fixtures with its PyTorch weights, in eval mode, and what to hand to explain. */
export function fixtureModel(name: string, dtype: DT): { module: nb.nn.Module; model: nb.explain.ModelLike } {
  const kind = name.split('_')[0]!;
  const module = kind === 'mlp' ? mlp(dtype) : kind === 'mlp2' ? mlp2(dtype) : kind === 'cnn' ? new CNN(dtype) : new TextLSTM(dtype);
  const state = Object.fromEntries(Object.entries(fx.models[kind]!).map(([k, v]) => [k, toT(v, dtype)]));
  const { missingKeys, unexpectedKeys } = module.loadStateDict(state, { strict: false });
  const missing = missingKeys.filter((k) => !k.endsWith('num_batches_tracked'));
  if (missing.length || unexpectedKeys.length) throw new Error(`fixture model ${kind}: missing ${missing.join(', ')}; unexpected ${unexpectedKeys.join(', ')}`);
  for (const t of Object.values(state)) t.dispose();
  module.eval();
  const model = name === 'lstm_emb' ? (e: nb.Tensor) => (module as TextLSTM).fromEmbeddings(e) : module;
  return { module, model };
}
