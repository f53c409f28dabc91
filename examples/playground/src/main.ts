// The playground page's thread: controls, live curves, the drawing pad and the isolation banner.
// Nabla itself runs in worker.ts, so nothing here waits for a training step.

import { LineChart, decimalsFor, type Series } from './chart.js';
import { SketchPad, paint28, heat, type PadImage } from './sketch.js';
import type { BackendFacts, FromWorker, RunConfig, StepPoint, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const ISOLATION_FIX = 'Cross-Origin-Opener-Policy: same-origin\nCross-Origin-Embedder-Policy: require-corp';
const fmtInt = (n: number) => n.toLocaleString('en-US');
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** What the page knows, also readable from the console (and by the browser test) as `playground`. */
const state = {
  facts: null as BackendFacts | null,
  classes: [] as string[],
  status: 'loading' as 'loading' | 'ready' | 'running' | 'paused' | 'error',
  started: false,
  step: 0,
  steps: [] as StepPoint[],
  evals: [] as { step: number; accuracy: number; loss: number }[],
  prediction: null as { probs: number[]; top: string; inverted: boolean } | null,
  saved: null as { fileName: string; step: number; accuracy: number; size: number } | null,
  error: null as string | null,
};
(globalThis as unknown as { playground: typeof state }).playground = state;

// The banner: shown at once when the page itself is not isolated, completed with the backend's facts.
function showIsolationBanner(facts: BackendFacts | null): void {
  const b = $('banner');
  const running = facts ? `<b>${facts.backend}</b> backend on <b>${facts.threads} thread${facts.threads === 1 ? '' : 's'}</b>` : 'the js backend on one thread';
  b.innerHTML = `<b>This page is not cross-origin isolated, so training runs on the slow path:</b> ${running}, ` +
    `not the wasm backend on all ${navigator.hardwareConcurrency} cores. Browsers give a page shared memory between threads ` +
    `only when it is served with these two headers:<pre>${ISOLATION_FIX}</pre>` +
    'Serve it with <code>npx nabla serve</code> (it sends both), or add the headers to your own server.';
  b.hidden = false;
}

function showError(message: string): void {
  state.status = 'error';
  state.error = message;
  const b = $('banner');
  b.classList.add('error');
  b.textContent = `Error: ${message}`;
  b.hidden = false;
}

if (!crossOriginIsolated) showIsolationBanner(null);

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
worker.onerror = (e) => showError(`the training worker failed to start: ${e.message || 'see the console'}`);

// Curves: the loss of every step (light), its running mean (bold); batch and test accuracy.
const lossRaw: Series = { label: 'loss per step', color: '#a9c1f5', points: [], width: 1 };
const lossAvg: Series = { label: 'running mean', color: '#2456d3', points: [], width: 2 };
const accTrain: Series = { label: 'train (running mean)', color: '#e39b2d', points: [], width: 2 };
const accTest: Series = { label: 'test', color: '#146c2e', points: [], width: 2, dots: true };
const lossChart = new LineChart($<HTMLCanvasElement>('lossChart'), { yLabel: 'cross-entropy loss', format: (y, step) => y.toFixed(decimalsFor(step)) });
const accChart = new LineChart($<HTMLCanvasElement>('accChart'), { yLabel: 'accuracy', yMin: 0, yMax: 1, format: (y, step) => `${(100 * y).toFixed(decimalsFor(100 * step))}%` });
lossChart.series = [lossRaw, lossAvg];
accChart.series = [accTrain, accTest];
let emaLoss = 0, emaAcc = 0;

function config(): RunConfig {
  const lr = Number($<HTMLInputElement>('lr').value), seed = Number($<HTMLInputElement>('seed').value);
  if (!(lr > 0)) throw new Error(`the learning rate must be a positive number, got '${$<HTMLInputElement>('lr').value}'`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`the seed must be a whole number ≥ 0, got '${$<HTMLInputElement>('seed').value}'`);
  return {
    model: $<HTMLSelectElement>('model').value as RunConfig['model'],
    optimizer: $<HTMLSelectElement>('optimizer').value as RunConfig['optimizer'],
    lr, batchSize: Number($<HTMLSelectElement>('batch').value), seed,
  };
}

// The learning rate follows the optimizer's usual value (as `nabla train`'s defaults) until the user edits it.
let lrEdited = false;
$('lr').addEventListener('input', () => { lrEdited = true; });
$('optimizer').addEventListener('change', () => {
  if (!lrEdited) $<HTMLInputElement>('lr').value = $<HTMLSelectElement>('optimizer').value === 'sgd' ? '0.05' : '0.003';
});

function setStatus(s: typeof state.status): void {
  state.status = s;
  const run = $<HTMLButtonElement>('run');
  run.textContent = s === 'running' ? 'Pause' : s === 'paused' ? 'Resume' : 'Train';
  run.disabled = s === 'loading' || s === 'error';
  $<HTMLButtonElement>('reset').disabled = !state.started;
  $<HTMLButtonElement>('save').disabled = !state.started;
  $<HTMLButtonElement>('testImage').disabled = s === 'loading';
  for (const id of ['model', 'optimizer', 'lr', 'batch', 'seed']) $<HTMLInputElement>(id).disabled = state.started;
}

$('run').addEventListener('click', () => {
  try {
    if (state.status === 'running') { send({ type: 'pause' }); $<HTMLButtonElement>('run').disabled = true; return; }
    if (state.status === 'paused') { send({ type: 'resume' }); setStatus('running'); return; }
    send({ type: 'start', config: config() });
  } catch (e) {
    showError((e as Error).message);
    setStatus('ready');
  }
});

$('reset').addEventListener('click', () => {
  send({ type: 'pause' });
  state.started = false;
  state.step = 0;
  state.steps = [];
  state.evals = [];
  emaLoss = emaAcc = 0;
  for (const s of [lossRaw, lossAvg, accTrain, accTest]) s.points = [];
  lossChart.update();
  accChart.update();
  $('step').textContent = '0';
  $('loss').textContent = $('acc').textContent = '–';
  setStatus('ready');
});

$('save').addEventListener('click', () => send({ type: 'save' }));

// The drawing pad and its predictions.
let lastImage: PadImage | null = null, caption = '';
// A file that is not an image is a note beside the pad, not a stop.
const badImage = (e: Error) => { $('note').textContent = e.message; };
const pad = new SketchPad($<HTMLCanvasElement>('pad'), (img) => predict(img), badImage);
function predict(img: PadImage, about = ''): void {
  lastImage = img;
  caption = about;
  paint28($<HTMLCanvasElement>('seen'), img.pixels, (v) => [v * 255, v * 255, v * 255]);
  if (!state.started) { $('note').textContent = 'Train first (press Train), then draw.'; return; }
  send({ type: 'predict', pixels: img.pixels });
}
$('clear').addEventListener('click', () => { pad.clear(); $('predictions').replaceChildren(); $('note').textContent = 'Draw a garment.'; });
$('testImage').addEventListener('click', () => send({ type: 'testImage' }));
$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) pad.load(f).catch(badImage);
});

function showPrediction(probs: number[], saliency: Float32Array): void {
  const order = probs.map((p, i) => [i, p] as const).sort((a, b) => b[1] - a[1]).slice(0, 5);
  const top = state.classes[order[0]![0]]!;
  state.prediction = { probs, top, inverted: lastImage?.inverted ?? false };
  $('predictions').replaceChildren(...order.map(([i, p], k) => {
    const li = document.createElement('li');
    if (k === 0) li.className = 'top';
    li.innerHTML = `<span></span><div class="bar" style="width:${(100 * p).toFixed(1)}%"></div><span class="pct">${pct(p)}</span>`;
    li.firstElementChild!.textContent = state.classes[i]!;
    return li;
  }));
  $('note').textContent = lastImage?.inverted ? 'The image looked dark-on-light, so it was inverted.' : caption;
  const max = Math.max(...saliency) || 1;
  paint28($<HTMLCanvasElement>('saliency'), saliency.map((v) => v / max), heat);
}

function onSaved(m: Extract<FromWorker, { type: 'saved' }>): void {
  const url = URL.createObjectURL(new Blob([m.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = m.fileName;
  a.textContent = m.fileName;
  state.saved = { fileName: m.fileName, step: m.step, accuracy: m.accuracy, size: m.bytes.length };
  const box = $('saved');
  box.innerHTML = `Saved after ${fmtInt(m.step)} steps (test accuracy ${pct(m.accuracy)}, ${fmtInt(m.bytes.length)} bytes): <span></span>. ` +
    `Check it with the command line: <code>npx nabla eval ${m.fileName} --sample</code>`;
  box.querySelector('span')!.append(a);
  box.hidden = false;
  a.click();
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready': {
      state.facts = m.facts;
      state.classes = m.classes;
      const f = m.facts, fast = f.backend === 'wasm' && f.crossOriginIsolated;
      const el = $('backend');
      el.textContent = `backend ${f.backend} · ${f.threads} thread${f.threads === 1 ? '' : 's'} of ${f.cores} cores` +
        (f.backend === 'wasm' ? ` · ${f.relaxedSimd ? 'relaxed SIMD' : 'SIMD'}` : '') + (f.crossOriginIsolated ? ' · cross-origin isolated' : ' · not isolated');
      el.className = `backend ${fast ? 'fast' : 'slow'}`;
      $('dataset').textContent = `Fashion-MNIST sample: ${fmtInt(m.trainSize)} training, ${fmtInt(m.testSize)} test images`;
      if (!f.crossOriginIsolated) showIsolationBanner(f);
      else if (f.backend !== 'wasm') showError(`the wasm backend did not start (is WebAssembly SIMD enabled?), so nabla runs on ${f.backend} with ${f.threads} thread; see the console`);
      setStatus('ready');
      break;
    }
    case 'started':
      state.started = true;
      $('summary').textContent = `${m.config.model.toUpperCase()} · ${fmtInt(m.parameters)} parameters · ${m.config.optimizer} lr ${m.config.lr} · batch ${m.config.batchSize}`;
      setStatus('running');
      break;
    case 'steps':
      if (!state.started) break; // the last steps of a run the user started over
      for (const p of m.points) {
        // Exponential means with Adam's bias correction, so the first steps are not pulled towards 0.
        emaLoss = 0.95 * emaLoss + 0.05 * p.loss;
        emaAcc = 0.95 * emaAcc + 0.05 * p.acc;
        const meanLoss = emaLoss / (1 - 0.95 ** p.step), meanAcc = emaAcc / (1 - 0.95 ** p.step);
        state.steps.push(p);
        lossRaw.points.push({ x: p.step, y: p.loss });
        lossAvg.points.push({ x: p.step, y: meanLoss });
        accTrain.points.push({ x: p.step, y: meanAcc });
      }
      state.step = m.points.at(-1)?.step ?? state.step;
      $('step').textContent = fmtInt(state.step);
      $('epoch').textContent = String(m.epoch);
      $('loss').textContent = (lossAvg.points.at(-1)?.y ?? NaN).toFixed(3);
      if (state.facts) $('speed').textContent = `${m.msPerStep.toFixed(1)} ms/step · ${fmtInt(Math.round(1000 * Number($<HTMLSelectElement>('batch').value) / m.msPerStep))} images/s`;
      lossChart.update();
      accChart.update();
      break;
    case 'eval':
      if (!state.started) break;
      state.evals.push({ step: m.step, accuracy: m.accuracy, loss: m.loss });
      accTest.points.push({ x: m.step, y: m.accuracy });
      $('acc').textContent = pct(m.accuracy);
      accChart.update();
      break;
    case 'paused':
      setStatus(state.started ? 'paused' : 'ready');
      break;
    case 'prediction': return showPrediction(m.probs, m.saliency);
    case 'testImage':
      pad.show(m.pixels);
      predict({ pixels: m.pixels, inverted: false }, `Test image ${m.index}: a ${state.classes[m.label]}.`);
      break;
    case 'saved': return onSaved(m);
    case 'error': return showError(m.message);
  }
};

lossChart.draw();
accChart.draw();
