// Volatility forecasting on R's EuStockMarkets (Debian's r-base-core, exported with Rscript): the data
// checked; no look-ahead — forecasts for day τ (baselines and a trained LSTM) do not change when every
// price from day τ on is replaced, which would fail if a window or a statistic read the future; and
// on the last 300 days the LSTM's MSE beats the last-value baseline (stated bar).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import { euStocks, type EuStocks } from '../src/node.js';

const Fc = nb.apps.forecast;
const cacheDir = mkdtempSync(join(tmpdir(), 'nabla-eu-'));
let eu: EuStocks;

test('EuStockMarkets: 1,860 days of DAX, SMI, CAC and FTSE from 1991.5', () => {
  eu = euStocks({ cacheDir });
  assert.equal(eu.time.length, 1860);
  assert.deepEqual([eu.prices.DAX[0], eu.prices.SMI[0], eu.prices.CAC[0], eu.prices.FTSE[0]], [1628.75, 1678.1, 1772.8, 2443.6]);
  assert.ok(Math.abs(eu.time[0]! - 1991.4962) < 1e-3);
  rmSync(cacheDir, { recursive: true });
});

/** The prices with every day from `from` on replaced by nonsense (×3 and shuffled). */
function corruptFrom(p: EuStocks['prices'], from: number): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(p)) out[k] = Float64Array.from(v, (x, t) => (t >= from ? 3 * v[v.length - 1 - (t - from)]! + t : x));
  return out;
}

test('no look-ahead: corrupting prices from day τ on leaves every forecast for day τ unchanged', async () => {
  const ret = Fc.logReturns(eu.prices);
  const window = 20, tau = 600;
  // Return τ−1 is ln(P[τ] / P[τ−1]); the forecast for |r_τ| may use returns up to τ − 1, i.e. prices up to day τ.
  const leaked = Fc.logReturns(corruptFrom(eu.prices, tau + 1));
  assert.notEqual(leaked.r[tau * 4], ret.r[tau * 4], 'the target itself changes');
  for (const b of ['last', 'rolling-mean', 'ewma'] as const) {
    assert.deepEqual(Fc.baselineForecast(leaked, [tau], b), Fc.baselineForecast(ret, [tau], b), b);
  }
  const fold = { testStart: tau, testEnd: tau + 1 };
  const opts = { model: 'lstm' as const, window, epochs: 2, lr: 0.003, batchSize: 64, hidden: 8, seed: 1 };
  const a = await Fc.trainAndForecast(ret, fold, opts);
  const b = await Fc.trainAndForecast(leaked, fold, opts);
  assert.deepEqual(b.forecast, a.forecast, 'the LSTM forecast for day τ');
  assert.notDeepEqual(b.realised, a.realised);
  // …and the check has teeth: corrupting the price of day τ itself (what the forecast may use) changes it.
  const c = await Fc.trainAndForecast(Fc.logReturns(corruptFrom(eu.prices, tau)), fold, opts);
  assert.notDeepEqual(c.forecast, a.forecast);
});

test('walk-forward on the last 300 days: LSTM MSE below the last-value baseline; RiskMetrics below it too', async () => {
  const ret = Fc.logReturns(eu.prices);
  const folds = Fc.walkForwardFolds(ret.days, { folds: 2, firstTest: 1 - 300 / ret.days, window: 20 });
  assert.equal(folds[1]!.testEnd - folds[0]!.testStart, 300);
  const forecasts: number[] = [], realised: number[] = [], targets: number[] = [];
  for (const f of folds) {
    assert.ok(f.testStart >= 20);
    const r = await Fc.trainAndForecast(ret, f, { model: 'lstm', window: 20, epochs: 4, lr: 0.003, batchSize: 64, hidden: 16, seed: 1 });
    forecasts.push(...r.forecast); realised.push(...r.realised); targets.push(...r.targets);
  }
  const lstm = Fc.forecastErrors(forecasts, realised);
  const last = Fc.forecastErrors(Fc.baselineForecast(ret, targets, 'last'), realised);
  const ewma = Fc.forecastErrors(Fc.baselineForecast(ret, targets, 'ewma'), realised);
  assert.ok(lstm.mse < last.mse, `LSTM ${lstm.mse}, last value ${last.mse}`);
  assert.ok(ewma.mse < last.mse, `EWMA ${ewma.mse}, last value ${last.mse}`);
});

test('TCN: each output sees only the past (a causal convolution)', () => {
  nb.manualSeed(2);
  const m = new nb.models.TCNForecaster(3, 2, { channels: 4, dilations: [1, 2] });
  m.eval();
  const x = nb.randn([1, 12, 3]);
  const y = nb.noGrad(() => m.forward(x));
  // change only the last time step: the forecast (made from the last step) may change…
  const xs = x.dataSync().slice();
  xs[11 * 3] += 5;
  assert.notDeepEqual(nb.noGrad(() => m.forward(nb.tensor(xs, { shape: [1, 12, 3] }))).dataSync(), y.dataSync());
  // …but a model over the first 11 steps gives the same hidden output whatever step 12 holds.
  const first = nb.noGrad(() => (m.blocks.forward(nb.tensor(xs, { shape: [1, 12, 3] }).transpose(1, 2)) as nb.Tensor).narrow(2, 0, 11).dataSync());
  const orig = nb.noGrad(() => (m.blocks.forward(x.transpose(1, 2)) as nb.Tensor).narrow(2, 0, 11).dataSync());
  assert.deepEqual(first, orig);
  assert.equal(m.receptiveField, 1 + 2 * 2 * 3);
});
