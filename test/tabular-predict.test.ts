// Prediction on raw CSV rows with the preprocessing saved in the checkpoint: a model trained on the
// breast-cancer data, saved (weights + preprocessing JSON) and loaded into a fresh model, gives on the
// raw text of held-out rows — columns in another order, no target — the probabilities it gave in training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import { breastCancer, saveCheckpoint, loadCheckpoint } from '../src/node.js';

test('predict on raw rows through a saved checkpoint repeats training-time predictions', async () => {
  const t = breastCancer();
  const spec = nb.data.tabular.inferSpec(t, { target: 'diagnosis' });
  const split = nb.data.trainTestSplit(t.rows.length, { testFraction: 0.2, seed: 3, stratify: t.rows.map((r) => Number(r[30])) });
  const { pp, train, others: [held] } = nb.apps.tabular.encodeSplit(t, spec, split.train, [split.test]);
  const { model } = await nb.apps.tabular.trainTabular(pp, train, { hidden: [16], dropout: 0.2, epochs: 5, seed: 1 });
  const before = nb.apps.tabular.predictTabular(model, pp, held!);

  const dir = mkdtempSync(join(tmpdir(), 'nabla-tab-'));
  const path = join(dir, 'best.safetensors');
  await saveCheckpoint(path, { model: nb.toRecords(model.stateDict()), config: { task: 'tabular', preprocess: JSON.parse(JSON.stringify(pp)) } });
  const ck = await loadCheckpoint(path);
  rmSync(dir, { recursive: true });
  const pp2 = nb.data.tabular.checkPreprocessor((ck.config as { preprocess: unknown }).preprocess, path);
  const fresh = new nb.models.TabularModel(pp2, { hidden: [16], dropout: 0.2 });
  fresh.loadStateDict(nb.fromRecords(ck.model));

  // The held-out rows as a user's CSV: columns reversed, the diagnosis left out.
  const cols = [...t.columns.slice(0, 30)].reverse();
  const csv = [cols.map((c) => `"${c}"`).join(','), ...split.test.map((r) => cols.map((c) => t.rows[r]![t.columns.indexOf(c)]).join(','))].join('\n');
  const raw = nb.data.tabular.readRawCsv(csv, { name: 'new-patients.csv' });
  const enc = nb.data.tabular.transformRows(pp2, raw);
  assert.equal(enc.y, undefined);
  const after = nb.apps.tabular.predictTabular(fresh, pp2, enc);
  assert.deepEqual(after.labels, before.labels);
  after.probs!.forEach((p, i) => assert.ok(Math.abs(p - before.probs![i]!) < 1e-6, `probability ${i}: ${p} vs ${before.probs![i]}`));
  assert.deepEqual(pp2.classNames, ['malignant', 'benign']);
});
