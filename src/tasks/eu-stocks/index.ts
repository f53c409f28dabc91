// The eu-stocks task: next-day volatility (absolute percent log return) of DAX, SMI, CAC and FTSE from
// rolling windows of past returns (R's EuStockMarkets). The test set is one walk-forward block
// (--fold of --folds over the second half); the model trains only on days before it (the last tenth
// of them validating). Baselines by the same command: last value, 20-day mean, RiskMetrics (λ = 0.94).

import * as nb from '../../index.js';
import { euStocks } from '../../node.js';
import { UsageError } from '../../cli/args.js';
import type { Options, Task, TaskContext, TaskData, TaskIO } from '../task.js';

export interface EuStocksMeta {
  [k: string]: nb.train.JsonValue;
  window: number;
  series: string[];
  testStart: number;
  testEnd: number;
}
type Ctx = TaskContext<EuStocksMeta>;
const Fc = nb.apps.forecast;
const BASELINES = ['last', 'rolling-mean', 'ewma'] as const;

function load(o: Options, io: TaskIO, saved?: EuStocksMeta): TaskData<EuStocksMeta> {
  const eu = euStocks();
  const ret = Fc.logReturns(eu.prices);
  const window = saved?.window ?? (o.window as number);
  const folds = Fc.walkForwardFolds(ret.days, { folds: o.folds as number, firstTest: 0.5, window });
  if ((o.fold as number) > folds.length) throw new UsageError(`train: --fold ${o.fold} is not one of the ${folds.length} blocks`);
  const f = folds[(o.fold as number) - 1]!;
  const meta: EuStocksMeta = saved ?? { window, series: ret.names, testStart: f.testStart, testEnd: f.testEnd };
  // Inputs are standardised with statistics of the days before the test block only.
  const stats = Fc.featureStats(ret, meta.testStart - 1);
  const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
  const S = ret.series, F = 2 * S;
  const ds = (targets: number[]): nb.data.TensorDataset => {
    const w = Fc.windows(ret, targets, window, stats);
    const base = new Float32Array(targets.length * 3 * S);
    BASELINES.forEach((b, k) => { const fc = Fc.baselineForecast(ret, targets, b); for (let i = 0; i < targets.length; i++) base.set(fc.subarray(i * S, (i + 1) * S), (i * 3 + k) * S); });
    return new nb.data.TensorDataset({ data: w.x, shape: [w.n, window, F] }, { data: w.y, shape: [w.n, S] }, { data: base, shape: [w.n, 3 * S] });
  };
  const source = `${eu.source}: ${ret.days} daily returns of ${ret.names.join(', ')}; test block ${o.fold} of ${o.folds}: days ${meta.testStart}…${meta.testEnd - 1}`;
  const test = ds(range(meta.testStart, meta.testEnd));
  if (io.purpose === 'eval') return { train: new nb.data.ArrayDataset([]), val: null, test, meta, source };
  const first = Math.max(window, 21), valStart = meta.testStart - Math.floor((meta.testStart - first) / 10);
  io.log(`train on target days ${first}…${valStart - 1}, validate on ${valStart}…${meta.testStart - 1}, test on ${meta.testStart}…${meta.testEnd - 1} (nothing after a window's last day is in its input)`);
  return { train: ds(range(first, valStart)), val: ds(range(valStart, meta.testStart)), test, meta, source };
}

/** A baseline's forecasts, precomputed from past returns and carried in the batch's third column. */
class Precomputed extends nb.nn.Module {
  constructor(readonly index: number, readonly series: number) { super(); }
  override forward(x: nb.Tensor): nb.Tensor { return x; }
}

function forecastPlot(ctx: Ctx): ReturnType<NonNullable<Task['inspector']>> {
  const S = ctx.meta.series.length, out: number[] = [], real: number[] = [];
  return {
    update(output, target) {
      if (!output || !target) return;
      const o = output.dataSync(), t = target.dataSync();
      for (let i = 0; i < t.length / S; i++) { out.push(o[i * S]!); real.push(t[i * S]!); }
    },
    finish() {
      const days = out.map((_, i) => ctx.meta.testStart + i);
      const html = `<h2>${ctx.meta.series[0]}: forecast against realised (test block)</h2>` + nb.apps.plots.lineChart([
        { name: `realised |r| ${ctx.meta.series[0]}`, x: days, y: real, color: '#bbb' }, { name: 'forecast', x: days, y: out },
      ], { xLabel: 'trading day', yLabel: '|log return| %', width: 900 });
      return { lines: [], html };
    },
  };
}

export const euStocksTask: Task<EuStocksMeta> = {
  name: 'eu-stocks',
  summary: 'forecast next-day volatility of DAX, SMI, CAC and FTSE (R\'s EuStockMarkets, walk-forward)',
  flags: {
    window: { type: 'int', default: 30, min: 2, help: 'past days in each input window' },
    folds: { type: 'int', default: 5, min: 1, help: 'walk-forward test blocks over the second half of the series' },
    fold: { type: 'int', default: 1, min: 1, help: 'which block (1…folds) is the test set; the model trains on the days before it' },
    hidden: { type: 'int', default: 32, min: 1, help: 'LSTM hidden units, or TCN channels' },
    dropout: { type: 'number', default: 0, min: 0, help: 'dropout (before the LSTM head, inside the TCN blocks)' },
  },
  evalFlags: [],
  defaults: { model: 'lstm', epochs: 20, 'batch-size': 64, optimizer: 'adam', 'weight-decay': 0, schedule: 'constant' },
  models: { lstm: 'an LSTM over the window, its last state through a linear layer', tcn: 'a causal dilated temporal convolution network (dilations 1-2-4-8)' },
  check(o) { if ((o.dropout as number) >= 1) throw new UsageError(`train: --dropout must be below 1, got ${o.dropout}`); },
  data: load,
  model: (name, ctx: Ctx) => Fc.buildForecaster(name as 'lstm' | 'tcn', ctx.meta.series.length, { hidden: ctx.options.hidden as number, dropout: ctx.options.dropout as number }),
  trainStep(model, batch) {
    const [x, y] = batch as nb.Tensor[];
    const out = model.forward(x!) as nb.Tensor;
    return { loss: nb.F.mseLoss(out, y!), output: out.detach(), target: y! };
  },
  evalStep(model, batch) {
    const [x, y, b] = batch as nb.Tensor[];
    const out = model instanceof Precomputed ? b!.narrow(1, model.index * model.series, model.series) : (model.forward(x!) as nb.Tensor);
    return { loss: nb.F.mseLoss(out, y!), output: out, target: y! };
  },
  metrics: () => [new nb.train.RootMeanSquaredError(), new nb.train.MeanAbsoluteError()],
  formatMetric: (_n, v) => v.toFixed(4),
  monitor: 'valLoss',
  baselines: (_data, ctx: Ctx) => [
    { name: 'last value', about: "tomorrow's |r| is today's", model: new Precomputed(0, ctx.meta.series.length) },
    { name: '20-day mean', about: 'the mean |r| of the last 20 days', model: new Precomputed(1, ctx.meta.series.length) },
    { name: 'RiskMetrics EWMA', about: 'σ·√(2/π) with σ² an exponentially weighted mean of r² (λ = 0.94)', model: new Precomputed(2, ctx.meta.series.length) },
  ],
  inspector: (_data, ctx: Ctx) => forecastPlot(ctx),
};
