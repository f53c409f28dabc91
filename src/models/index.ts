// nb.models: model families of the applications — tables, recommenders, forecasters, image folders.

export { TabularModel, embeddingWidth, type TabularModelOptions } from './tabular.js';
export { MatrixFactorization, NeuralCF, type RecommenderShape } from './recommender.js';
export { LSTMForecaster, TCNForecaster } from './forecast.js';
export { imageCnn } from './image.js';
