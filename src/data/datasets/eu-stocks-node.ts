// Daily closing prices of four European stock indices, 1991–1998 (R's datasets::EuStockMarkets,
// from Debian's r-base-core: 1,860 business days of DAX, SMI, CAC and FTSE), exported once and cached.

import { readFileSync } from 'node:fs';
import { readRawCsv } from '../tabular/table.js';
import { rExportedCsv } from './r-export-node.js';

export const EU_STOCK_INDICES = ['DAX', 'SMI', 'CAC', 'FTSE'] as const;

export interface EuStocks {
  /** the time of each day as a decimal year (R's time(EuStockMarkets)) */
  time: Float64Array;
  /** closing prices by index name */
  prices: Record<(typeof EU_STOCK_INDICES)[number], Float64Array>;
  source: string;
}

export const EU_STOCKS_EXPORT = {
  file: 'eu-stock-markets.csv',
  code: 'write.csv(data.frame(time = as.numeric(time(EuStockMarkets)), EuStockMarkets), out, row.names = FALSE)',
  packages: 'r-base-core',
};

/** Loads the prices (default: the export of datasets::EuStockMarkets), checking every row. */
export function euStocks(opts: { path?: string; cacheDir?: string } = {}): EuStocks {
  const path = opts.path ?? rExportedCsv(EU_STOCKS_EXPORT, { cacheDir: opts.cacheDir });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  const t = readRawCsv(text, { name: path });
  const cols = ['time', ...EU_STOCK_INDICES].map((c) => {
    const j = t.columns.indexOf(c);
    if (j < 0) throw new Error(`${path}: no column ${JSON.stringify(c)} (columns: ${t.columns.join(', ')}); expected the EuStockMarkets export`);
    return j;
  });
  const n = t.rows.length;
  if (n < 100) throw new Error(`${path}: only ${n} days; expected the 1,860 of EuStockMarkets`);
  const series = cols.map(() => new Float64Array(n));
  for (let r = 0; r < n; r++) {
    cols.forEach((j, k) => {
      const v = Number(t.rows[r]![j]);
      if (!Number.isFinite(v) || (k > 0 && v <= 0)) throw new Error(`${path}: line ${t.lines[r]}, column ${t.columns[j]}: ${JSON.stringify(t.rows[r]![j])} is not a positive number`);
      series[k]![r] = v;
    });
    if (r > 0 && !(series[0]![r]! > series[0]![r - 1]!)) throw new Error(`${path}: line ${t.lines[r]}: time ${series[0]![r]} does not come after ${series[0]![r - 1]}`);
  }
  return { time: series[0]!, prices: { DAX: series[1]!, SMI: series[2]!, CAC: series[3]!, FTSE: series[4]! }, source: path };
}
