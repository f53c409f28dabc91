// nb.apps: the applications' training, baselines and scoring written on the public loop (fit) —
// tabular data (and healthcare), recommendation, volatility forecasting, image folders.

export * as tabular from './tabular.js';
export * as recommend from './recommend.js';
export * as forecast from './forecast.js';
export * as images from './images.js';
export * as plots from './plots.js';
