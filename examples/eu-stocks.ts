// Volatility forecasting on R's EuStockMarkets (DAX, SMI, CAC, FTSE 1991–1998): next-day absolute log
// return from 30-day windows, walk-forward over the second half in 5 blocks (each model trained only
// on the days before its block), an LSTM and a temporal convolution network beside the last-value,
// 20-day rolling-mean and RiskMetrics (λ = 0.94) baselines. Writes eu-stocks.html (forecast vs realised).
// Run: npm run build && node --import tsx examples/eu-stocks.ts
import { writeFileSync } from 'node:fs';
import * as nb from 'nabla';
import { euStocks } from 'nabla/node';

const Fc = nb.apps.forecast, { plots } = nb.apps;
const eu = euStocks();
const ret = Fc.logReturns(eu.prices);
const window = 30;
const folds = Fc.walkForwardFolds(ret.days, { folds: 5, firstTest: 0.5, window });
const targets = folds.flatMap((f) => Array.from({ length: f.testEnd - f.testStart }, (_, i) => f.testStart + i));
const realised = Fc.windows(ret, targets, window, Fc.featureStats(ret, folds[0]!.testStart - 1)).y;
console.log(`${ret.days} daily returns of ${ret.names.join(', ')}; ${targets.length} forecast days in ${folds.length} walk-forward blocks from day ${folds[0]!.testStart}`);

const results: [string, Float32Array, number][] = [];
for (const b of ['last', 'rolling-mean', 'ewma'] as const) results.push([{ last: 'last value', 'rolling-mean': '20-day rolling mean', ewma: 'RiskMetrics EWMA (λ = 0.94)' }[b], Fc.baselineForecast(ret, targets, b), 0]);
for (const [name, cfg] of [['LSTM (32 hidden)', { model: 'lstm', epochs: 20, hidden: 32 }], ['TCN (8 channels, dilations 1-2-4-8, dropout 0.2)', { model: 'tcn', epochs: 8, hidden: 8, dropout: 0.2 }]] as const) {
  const t0 = performance.now();
  const fc: number[] = [];
  for (const f of folds) fc.push(...(await Fc.trainAndForecast(ret, f, { ...cfg, window, lr: 0.003, batchSize: 64, seed: 1 })).forecast);
  results.push([name, Float32Array.from(fc), (performance.now() - t0) / 1000]);
}
const rows = results.map(([name, fc, s]) => { const e = Fc.forecastErrors(fc, realised); return [name, e.mse, e.mae, s ? s.toFixed(1) : '—'] as [string, number, number, string]; });
for (const r of rows) console.log(`${r[0]}: MSE ${r[1].toFixed(4)} · MAE ${r[2].toFixed(4)} (percent² and percent)${r[3] !== '—' ? ` · ${r[3]} s` : ''}`);
const best = rows.reduce((a, b) => (b[1] < a[1] ? b : a));
console.log(`lowest MSE: ${best[0]}`);

const S = ret.series, dax = (a: ArrayLike<number>): number[] => Array.from({ length: targets.length }, (_, i) => a[i * S]!);
writeFileSync(process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'eu-stocks.html', plots.htmlPage('nabla — EuStockMarkets volatility', [
  `<h2>Next-day |log return| (%), walk-forward over ${targets.length} days × ${S} indices</h2>`, plots.htmlTable(['forecast', 'MSE', 'MAE', 'seconds'], rows),
  `<p>Lowest MSE: ${best[0]}.</p>`,
  plots.lineChart([
    { name: 'realised |r| DAX', x: targets, y: dax(realised), color: '#bbb' },
    { name: 'LSTM', x: targets, y: dax(results[3]![1]) }, { name: 'TCN', x: targets, y: dax(results[4]![1]) },
    { name: 'RiskMetrics', x: targets, y: dax(results[2]![1]), dashed: true },
  ], { title: 'DAX: forecast against realised', xLabel: 'trading day', yLabel: '|log return| %', width: 900 }),
]));
