// The port of pytorch/examples word_language_model (examples/ports/word_language_model.ts) against the
// original run by PyTorch (scripts/ports/word_language_model_ref.py → fixtures/ports/word_language_model/):
// for every model type — RNN_TANH, RNN_RELU, LSTM, GRU, Transformer, tied weights, AdamW — the same
// corpus ids, PyTorch's initial weights loaded, the first batch's loss and every gradient, the weights
// after the port's own train() (3 clipped SGD or AdamW steps) and evaluate() on the validation split.
// Then the commands themselves (training, and generate.py's port) on a small slice of the real KJV.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import * as wlm from '../examples/ports/word_language_model.js';
import { assertClose } from './helpers/allclose.js';

const DIR = fileURLToPath(new URL('../fixtures/ports/word_language_model/', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOL = { rtol: 1e-4, atol: 1e-5 };

// The configurations of the reference script (its CONFIGS over BASE), as command-line options.
const CONFIGS: Record<string, string[]> = {
  RNN_TANH: ['--model', 'RNN_TANH'],
  RNN_RELU: ['--model', 'RNN_RELU'],
  LSTM: ['--model', 'LSTM'],
  GRU: ['--model', 'GRU'],
  Transformer: ['--model', 'Transformer'],
  LSTM_tied: ['--model', 'LSTM', '--tied'],
  GRU_adamw: ['--model', 'GRU', '--use-optimizer', '--lr', '0.01'],
};
const BASE = ['--emsize', '16', '--nhid', '16', '--nlayers', '2', '--lr', '20', '--clip', '0.25', '--batch_size', '4',
  '--bptt', '5', '--dropout', '0', '--nhead', '2', '--seed', '1111'];

/** PyTorch's key for a field of the port's own modules is snake_case (pos_encoder.pe); nabla's is the field's name. */
function ourKey(key: string, ours: Record<string, unknown>): string {
  if (key in ours) return key;
  const camel = key.split('.').map((s) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())).join('.');
  assert.ok(camel in ours, `PyTorch's ${key} (or ${camel}) is not in the port's stateDict: ${Object.keys(ours).join(', ')}`);
  return camel;
}

const values = (t: nb.Tensor): Float64Array => Float64Array.from(t.dataSync() as ArrayLike<number>);

for (const [name, opts] of Object.entries(CONFIGS)) {
  test(`word_language_model ${name}: corpus, loss, every gradient, train() and evaluate() agree with PyTorch`, () => {
    const fx = nb.deserialize(readFileSync(join(DIR, `${name}.safetensors`)), `${name}.safetensors`);
    const meta = fx.metadata;
    const argv = [...BASE, ...opts];
    if (opts.includes('--lr')) argv.splice(argv.indexOf('--lr'), 2);
    wlm.setup(['--data', DIR, ...argv]);
    const model = wlm.model;

    // data.py: the same dictionary order and ids
    assert.equal(wlm.ntokens, Number(meta.ntokens));
    for (const [split, t] of [['train', wlm.corpus.train], ['valid', wlm.corpus.valid], ['test', wlm.corpus.test]] as const) {
      assert.deepEqual([...t.dataSync()], [...fx.tensors[`ids.${split}`]!.dataSync()], `ids of ${split}.txt`);
    }

    // PyTorch's initial weights (and, for the Transformer, its positional-encoding buffer) into the port
    const sd = model.stateDict();
    const init: Record<string, nb.Tensor> = {};
    for (const [k, v] of Object.entries(fx.tensors)) if (k.startsWith('init.')) init[ourKey(k.slice(5), sd)] = v;
    if (name === 'Transformer') {
      // the port computes pe itself: it must be PyTorch's before anything is loaded over it
      assertClose('pos_encoder.pe', values(sd['posEncoder.pe']!), values(init['posEncoder.pe']!), sd['posEncoder.pe']!.shape, { rtol: 1e-5, atol: 2e-6 });
      // nn.Transformer's layers keep dropout 0.1 whatever --dropout says; off on both sides (see the script)
      for (const m of model.modules()) {
        if (m instanceof nb.nn.Dropout || m instanceof nb.nn.MultiheadAttention) Object.assign(m, m instanceof nb.nn.Dropout ? { p: 0 } : { dropout: 0 });
      }
    }
    model.loadStateDict(init);
    if (name === 'LSTM_tied') assert.equal((model as wlm.RNNModel).decoder.weight, (model as wlm.RNNModel).encoder.weight);

    // the first batch as train() computes it, before clipping
    model.train();
    const [data, targets] = wlm.getBatch(wlm.trainData, 0);
    const output = model instanceof wlm.TransformerModel
      ? model.forward(data).view(-1, wlm.ntokens)
      : model.forward(data, model.initHidden(4))[0];
    const loss = wlm.criterion.forward(output, targets);
    loss.backward();
    assertClose('loss', [loss.item()], [Number(meta.loss)], [], TOL);
    const named = model.namedParameters();
    const grads = Object.keys(fx.tensors).filter((k) => k.startsWith('grad.'));
    assert.equal(named.length, grads.length, `parameters: ${named.map(([k]) => k).join(', ')}`);
    for (const [k, p] of named) {
      const want = fx.tensors[`grad.${k.replace(/^posEncoder\./, 'pos_encoder.').replace(/^inputEmb\./, 'input_emb.')}`];
      assert.ok(want, `PyTorch has no gradient for ${k}`);
      assertClose(`grad of ${k}`, values(p.grad!), values(want), p.shape, TOL);
    }
    model.zeroGrad();

    // the port's own train(): one epoch of the 3 batches, then evaluate() on the validation split
    wlm.train();
    const after = model.stateDict();
    let compared = 0;
    for (const [k, v] of Object.entries(fx.tensors)) {
      if (!k.startsWith('step.')) continue;
      const ours = after[ourKey(k.slice(5), after)]!;
      assertClose(`${k.slice(5)} after train()`, values(ours), values(v), ours.shape, TOL);
      compared++;
    }
    assert.equal(compared, Object.keys(after).filter((k) => k !== 'posEncoder.pe').length);
    assertClose('evaluate(val_data)', [wlm.evaluate(wlm.valData)], [Number(meta.val_loss)], [], TOL);
  });
}

/** Runs a command to its end without blocking this process. */
function runCommand(cmd: string, argv: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('word_language_model: the command trains, saves, reloads and tests on the first 300 lines of each KJV split', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'nabla-wlm-'));
  const save = join(tmp, 'model.safetensors');
  const r = await runCommand(process.execPath, ['--import', 'tsx', 'examples/ports/word_language_model.ts',
    '--kjv-lines', '300', '--model', 'GRU', '--emsize', '16', '--nhid', '16', '--epochs', '2', '--save', save,
    '--onnx-export', join(tmp, 'model.onnx')], { ...process.env, XDG_CACHE_HOME: tmp });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| end of epoch {3}2 \| time: +[\d.]+s \| valid loss +[\d.]+ \| valid ppl +[\d.]+/);
  const test = /\| End of training \| test loss +([\d.]+) \| test ppl +([\d.]+)/.exec(r.stdout);
  assert.ok(test, r.stdout);
  const dir = join(tmp, 'nabla', 'kjv-word-lm', 'first-300-lines');
  const words = readFileSync(join(dir, 'train.txt'), 'utf8');
  assert.ok(words.startsWith('Genesis 1\n1 In the beginning God created the heaven and the earth.\n'), words.slice(0, 80));
  assert.equal(words.trimEnd().split('\n').length, 300);
  assert.ok(existsSync(save) && existsSync(join(tmp, 'model.onnx')));
  // it learnt something: below the loss of a uniform guess over the whole dictionary (all three splits' words)
  const vocab = new Set(['<eos>', ...['train', 'valid', 'test'].flatMap((f) => readFileSync(join(dir, `${f}.txt`), 'utf8').split(/\s+/).filter(Boolean))]).size;
  assert.ok(Number(test[1]) < Math.log(vocab) - 0.2, `test loss ${test[1]} vs ${Math.log(vocab).toFixed(2)} = log(${vocab}) for a uniform guess`);

  // generate.py's port samples 45 words from the saved model, 20 a line, every one from the dictionary
  const outf = join(tmp, 'generated.txt');
  const g = await runCommand(process.execPath, ['--import', 'tsx', 'examples/ports/word_language_model_generate.ts',
    '--kjv-lines', '300', '--checkpoint', save, '--words', '45', '--outf', outf, '--log-interval', '20'], { ...process.env, XDG_CACHE_HOME: tmp });
  assert.equal(g.status, 0, g.stderr);
  assert.equal(g.stdout, '| Generated 0/45 words\n| Generated 20/45 words\n| Generated 40/45 words\n');
  const lines = readFileSync(outf, 'utf8').split('\n');
  assert.deepEqual(lines.map((l) => l.trim().split(' ').length), [20, 20, 5]);
  const dictionary = new Set(['<eos>', ...['train', 'valid', 'test'].flatMap((f) => readFileSync(join(dir, `${f}.txt`), 'utf8').split(/\s+/))]);
  for (const w of lines.join(' ').trim().split(' ')) assert.ok(dictionary.has(w), `'${w}' is not a word of the corpus`);
});

test('word_language_model: a Transformer trained one batch (--dry-run) is saved and generate.py\'s port samples from it', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'nabla-wlm-t-'));
  const save = join(tmp, 'model.safetensors'), outf = join(tmp, 'generated.txt');
  const r = await runCommand(process.execPath, ['--import', 'tsx', 'examples/ports/word_language_model.ts', '--data', DIR,
    '--model', 'Transformer', '--emsize', '16', '--nhid', '16', '--batch_size', '4', '--bptt', '5', '--epochs', '1', '--dry-run', '--save', save], process.env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| End of training \| test loss +[\d.]+ \| test ppl +[\d.]+/);
  const g = await runCommand(process.execPath, ['--import', 'tsx', 'examples/ports/word_language_model_generate.ts', '--data', DIR,
    '--checkpoint', save, '--words', '12', '--outf', outf, '--temperature', '0.5'], process.env);
  assert.equal(g.status, 0, g.stderr);
  const words = readFileSync(outf, 'utf8').trim().split(' ');
  assert.equal(words.length, 12);
  const dictionary = new Set(['<eos>', ...['train', 'valid', 'test'].flatMap((f) => readFileSync(join(DIR, `${f}.txt`), 'utf8').split(/\s+/))]);
  for (const w of words) assert.ok(dictionary.has(w), `'${w}' is not a word of the corpus`);
  // parser.error's rule, as generate.py's
  const bad = await runCommand(process.execPath, ['--import', 'tsx', 'examples/ports/word_language_model_generate.ts', '--data', DIR,
    '--checkpoint', save, '--temperature', '0.0001'], process.env);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--temperature has to be greater or equal 1e-3\./);
});
