# Writes fixtures/metrics-sklearn.json: ROC AUC, ROC curve, calibration curve, Brier score and NDCG@k
# computed by scikit-learn (Debian's python3-sklearn) on seeded scores with deliberate ties.
# Run with: /usr/bin/python3 scripts/gen_metric_fixtures.py

import json
import os

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, ndcg_score, roc_auc_score, roc_curve

rng = np.random.default_rng(16)
binary = []
for n, ties in [(40, False), (200, True), (7, True)]:
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1
    p = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    if ties:
        p = np.round(p * 10) / 10  # many equal scores, some exactly on the calibration bin edges
    p = p.astype(np.float32).astype(np.float64)  # float32-representable, so both sides hold the same numbers
    fpr, tpr, thr = roc_curve(y, p, drop_intermediate=False)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy='uniform')
    binary.append({
        'labels': y.tolist(), 'scores': p.tolist(),
        'auc': roc_auc_score(y, p), 'fpr': fpr.tolist(), 'tpr': tpr.tolist(),
        'thresholds': [None if np.isinf(t) else float(t) for t in thr],
        'calibration': {'fraction_positive': prob_true.tolist(), 'mean_predicted': prob_pred.tolist()},
        'brier': brier_score_loss(y, p),
    })

ranking = []
for queries, cands, k in [(30, 100, 10), (12, 20, 5)]:
    scores = np.round(rng.normal(0, 1, (queries, cands)) * 3) / 3  # ties
    target = rng.integers(0, cands, queries)
    truth = np.zeros_like(scores)
    truth[np.arange(queries), target] = 1
    ranking.append({'scores': scores.flatten().tolist(), 'candidates': cands, 'target': target.tolist(), 'k': k,
                    'ndcg': ndcg_score(truth, scores, k=k, ignore_ties=False)})

out = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'metrics-sklearn.json')
with open(out, 'w') as f:
    json.dump({'sklearn': sklearn.__version__, 'binary': binary, 'ranking': ranking}, f)
print('wrote', out)
