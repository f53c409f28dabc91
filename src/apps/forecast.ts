// Volatility forecasting on daily prices: percent log returns, rolling windows of past returns, the
// next day's absolute return as the target, walk-forward folds (train on everything before a test
// block, never after), the RiskMetrics/rolling-mean/last-value baselines, and training with fit.

import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { manualSeed } from '../tensor/random.js';
import { noGrad } from '../autograd/graph.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { TensorDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { fit } from '../train/fit.js';
import { mseLoss } from '../nn/loss.js';
import { Adam } from '../optim/index.js';
import { LSTMForecaster, TCNForecaster } from '../models/forecast.js';

/** Percent log returns, row-major [days − 1, series]: r[τ][s] = 100·ln(P[τ+1] / P[τ]). */
export interface Returns { r: Float64Array; days: number; series: number; names: string[] }

export function logReturns(prices: Record<string, Float64Array>): Returns {
  const names = Object.keys(prices);
  const n = prices[names[0]!]!.length;
  for (const k of names) if (prices[k]!.length !== n) throw new Error(`logReturns: series ${k} has ${prices[k]!.length} prices, ${names[0]} has ${n}`);
  const S = names.length, r = new Float64Array((n - 1) * S);
  for (let t = 0; t + 1 < n; t++) names.forEach((k, s) => (r[t * S + s] = 100 * Math.log(prices[k]![t + 1]! / prices[k]![t]!)));
  return { r, days: n - 1, series: S, names };
}

/** One walk-forward fold in target days τ: train on targets in [window, testStart), test on [testStart, testEnd). */
export interface Fold { testStart: number; testEnd: number }

/** `folds` equal test blocks covering the days after `firstTest` (a fraction of the series). */
export function walkForwardFolds(days: number, opts: { folds: number; firstTest: number; window: number }): Fold[] {
  const start = Math.max(opts.window + 20, Math.floor(days * opts.firstTest));
  if (!(opts.folds >= 1) || start >= days) throw new Error(`walkForwardFolds: no room for ${opts.folds} test blocks after day ${start} of ${days}`);
  const size = Math.floor((days - start) / opts.folds);
  return Array.from({ length: opts.folds }, (_, k) => ({ testStart: start + k * size, testEnd: k === opts.folds - 1 ? days : start + (k + 1) * size }));
}

/** Per-feature statistics of the training windows' inputs (returns and absolute returns of each series). */
export interface FeatureStats { mean: Float64Array; std: Float64Array }

function feature(ret: Returns, t: number, f: number): number {
  const S = ret.series;
  const v = ret.r[t * S + (f % S)]!;
  return f < S ? v : Math.abs(v);
}

/** Mean and std of the 2·series input features over days [0, until) — the days a fold may see. */
export function featureStats(ret: Returns, until: number): FeatureStats {
  const F = 2 * ret.series, mean = new Float64Array(F), std = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    let s = 0, q = 0;
    for (let t = 0; t < until; t++) { const v = feature(ret, t, f); s += v; q += v * v; }
    mean[f] = s / until;
    std[f] = Math.sqrt(Math.max(q / until - mean[f]! ** 2, 1e-12));
  }
  return { mean, std };
}

/**
 * Windows for the target days τ in `targets`: inputs are days τ−window … τ−1 (returns and absolute
 * returns, standardised), the target the absolute returns of day τ — nothing from day τ or later.
 */
export function windows(ret: Returns, targets: readonly number[], window: number, stats: FeatureStats): { x: Float32Array; y: Float32Array; n: number } {
  const S = ret.series, F = 2 * S, n = targets.length;
  const x = new Float32Array(n * window * F), y = new Float32Array(n * S);
  targets.forEach((tau, i) => {
    if (tau - window < 0 || tau >= ret.days) throw new RangeError(`windows: target day ${tau} needs days ${tau - window}…${tau} of 0…${ret.days - 1}`);
    for (let w = 0; w < window; w++) {
      const t = tau - window + w;
      for (let f = 0; f < F; f++) x[(i * window + w) * F + f] = (feature(ret, t, f) - stats.mean[f]!) / stats.std[f]!;
    }
    for (let s = 0; s < S; s++) y[i * S + s] = Math.abs(ret.r[tau * S + s]!);
  });
  return { x, y, n };
}

const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);

// ---- baselines: each forecast for day τ uses days < τ only ----

export type BaselineName = 'last' | 'rolling-mean' | 'ewma';

/** Forecasts of |r_τ| for the target days: the last value, a `span`-day mean, or RiskMetrics σ·√(2/π) with λ. */
export function baselineForecast(ret: Returns, targets: readonly number[], kind: BaselineName, opts: { span?: number; lambda?: number } = {}): Float32Array {
  const S = ret.series, out = new Float32Array(targets.length * S);
  const span = opts.span ?? 20, lambda = opts.lambda ?? 0.94;
  let ewmaVar: Float64Array | null = null;
  if (kind === 'ewma') {
    // σ²_τ = λ·σ²_{τ−1} + (1 − λ)·r²_{τ−1}, started from the mean square of the first 20 days.
    ewmaVar = new Float64Array((ret.days + 1) * S);
    for (let s = 0; s < S; s++) {
      let v = 0;
      for (let t = 0; t < 20; t++) v += ret.r[t * S + s]! ** 2 / 20;
      ewmaVar[20 * S + s] = v;
      for (let t = 20; t < ret.days; t++) ewmaVar[(t + 1) * S + s] = lambda * ewmaVar[t * S + s]! + (1 - lambda) * ret.r[t * S + s]! ** 2;
    }
  }
  targets.forEach((tau, i) => {
    for (let s = 0; s < S; s++) {
      let f: number;
      if (kind === 'last') f = Math.abs(ret.r[(tau - 1) * S + s]!);
      else if (kind === 'rolling-mean') {
        f = 0;
        for (let t = tau - span; t < tau; t++) f += Math.abs(ret.r[t * S + s]!) / span;
      } else {
        if (tau <= 20) throw new RangeError(`baselineForecast: the EWMA forecast starts at day 21, asked for ${tau}`);
        f = Math.sqrt(ewmaVar![tau * S + s]!) * Math.sqrt(2 / Math.PI);
      }
      out[i * S + s] = f;
    }
  });
  return out;
}

// ---- models ----

export type ForecastModel = 'lstm' | 'tcn';

export interface ForecastTrainOptions { model: ForecastModel; window: number; epochs: number; lr: number; batchSize: number; hidden?: number; dropout?: number; seed: number; verbose?: boolean }

export function buildForecaster(kind: ForecastModel, series: number, opts: { hidden?: number; dropout?: number }): LSTMForecaster | TCNForecaster {
  return kind === 'lstm' ? new LSTMForecaster(2 * series, series, { hidden: opts.hidden ?? 32, dropout: opts.dropout })
    : new TCNForecaster(2 * series, series, { channels: opts.hidden ?? 16, dropout: opts.dropout });
}

/** Trains a fresh model on the target days before `fold.testStart` and forecasts the fold's test days. */
export async function trainAndForecast(ret: Returns, fold: Fold, opts: ForecastTrainOptions): Promise<{ forecast: Float32Array; realised: Float32Array; targets: number[]; model: Module; stats: FeatureStats }> {
  // Inputs of the training windows span days [0, testStart − 1): their statistics come from there.
  const stats = featureStats(ret, fold.testStart - 1);
  const trainTargets = range(opts.window, fold.testStart);
  const testTargets = range(fold.testStart, fold.testEnd);
  const tr = windows(ret, trainTargets, opts.window, stats);
  const F = 2 * ret.series;
  manualSeed(opts.seed);
  const model = buildForecaster(opts.model, ret.series, opts);
  const ds = new TensorDataset({ data: tr.x, shape: [tr.n, opts.window, F] }, { data: tr.y, shape: [tr.n, ret.series] });
  await fit(model, {
    train: new DataLoader(ds, { batchSize: opts.batchSize, shuffle: true, seed: opts.seed }), loss: (o: Tensor, y: Tensor) => mseLoss(o, y),
    optimizer: new Adam(model.parameters(), { lr: opts.lr }), epochs: opts.epochs, verbose: opts.verbose ? 'lines' : false,
  });
  const forecast = predictWindows(model, ret, testTargets, opts.window, stats);
  const te = windows(ret, testTargets, opts.window, stats);
  return { forecast, realised: te.y, targets: testTargets, model, stats };
}

/** The model's forecasts for target days (eval mode, no grad). */
export function predictWindows(model: Module, ret: Returns, targets: readonly number[], window: number, stats: FeatureStats): Float32Array {
  const w = windows(ret, targets, window, stats);
  model.eval();
  return scope(() => noGrad(() => Float32Array.from((model.forward(tensor(w.x, { shape: [w.n, window, 2 * ret.series] })) as Tensor).dataSync())));
}

/** Mean squared and absolute error of forecasts against realised values (all series pooled). */
export function forecastErrors(forecast: ArrayLike<number>, realised: ArrayLike<number>): { mse: number; mae: number } {
  if (forecast.length !== realised.length) throw new Error(`forecastErrors: ${forecast.length} forecasts, ${realised.length} realised values`);
  let se = 0, ae = 0;
  for (let i = 0; i < forecast.length; i++) { const d = forecast[i]! - realised[i]!; se += d * d; ae += Math.abs(d); }
  return { mse: se / forecast.length, mae: ae / forecast.length };
}
