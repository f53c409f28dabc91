// The leak watch (DESIGN.md decision 5): a loop whose live tensors grow step after step gets one
// warning that names the lines creating the tensors nothing releases (sampled creation stacks).

import { liveHandleCount, memory, setCreationHook, type Owner } from './memory.js';

/** Steps (backward() calls) before watching, and the window over which growth is measured. */
const WATCH_WARMUP = 20, WATCH_WINDOW = 250;
/** Steps after sampling before the sampled tensors are checked (graph outputs are gone by then). */
const WATCH_CHECK_AFTER = 4;
const watch = { steps: 0, baseHandles: 0, baseBytes: 0, grewLast: false, warned: false, sampleStep: -1 };
let sampling: Map<Owner, string> | null = null;
let samples: Map<Owner, string> | null = null;
let watchGrowth = { perStep: 0, bytesPerStep: 0 };

/** V8's (Node's, Chromium's) stack depth setting; other engines ignore it. */
const V8Error = Error as { stackTraceLimit?: number };

function sampleCreation(t: Owner): void {
  const limit = V8Error.stackTraceLimit;
  V8Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  V8Error.stackTraceLimit = limit;
  sampling?.set(t, stack);
}

/** Where nabla's own modules live (frames there are not the user's line). */
const ownRoot = new URL('../', import.meta.url).href;

/** The first frame of a stack outside nabla and the runtime: "file.ts:12:5". */
export function userFrame(stack: string): string | null {
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file|https?):\/\/[^\s()]+|\/[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const file = m[1]!;
    const url = file.startsWith('/') ? `file://${file}` : file;
    if (url.startsWith(ownRoot) || url.includes('/node_modules/')) continue;
    return `${file.replace(/^file:\/\//, '')}:${m[2]}:${m[3]}`;
  }
  return null;
}

/**
 * Called once per training step (by backward()). When live tensors have grown by at least one per
 * two steps over two windows in a row, the tensors created during one step are sampled with their
 * creation stacks; those still live a few steps later are named in a one-time warning.
 */
export function noteStep(): void {
  if (watch.warned) return;
  const n = ++watch.steps;
  if (samples && n >= watch.sampleStep + WATCH_CHECK_AFTER) { reportLeaks(); return; }
  if (sampling && n > watch.sampleStep) { samples = sampling; sampling = null; setCreationHook(null); return; }
  if (n < WATCH_WARMUP || (n - WATCH_WARMUP) % WATCH_WINDOW !== 0) return;
  const bytes = memory().bytes;
  if (n > WATCH_WARMUP && !sampling && !samples) {
    const grown = liveHandleCount() - watch.baseHandles;
    const grows = grown * 2 >= WATCH_WINDOW;
    if (grows && watch.grewLast) {
      watchGrowth = { perStep: grown / WATCH_WINDOW, bytesPerStep: (bytes - watch.baseBytes) / WATCH_WINDOW };
      sampling = new Map();
      setCreationHook(sampleCreation);
      watch.sampleStep = n;
    }
    watch.grewLast = grows;
  }
  watch.baseHandles = liveHandleCount();
  watch.baseBytes = bytes;
}

function reportLeaks(): void {
  const sites = new Map<string, number>();
  for (const [t, stack] of samples!) {
    if (t.isDisposed) continue;
    const at = userFrame(stack) ?? '(no line outside nabla on the stack)';
    sites.set(at, (sites.get(at) ?? 0) + 1);
  }
  samples = null;
  if (sites.size === 0) return; // the growth was something else (kept or collected): keep watching
  watch.warned = true;
  const list = [...sites].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([at, k]) => `${at} (${k} per step)`).join(', ');
  const mb = (watchGrowth.bytesPerStep * 1000) / 2 ** 20;
  console.warn(
    `nabla: live tensors grow by ${watchGrowth.perStep.toFixed(1)} per step (${mb.toFixed(1)} MiB per 1,000 steps) in a loop ` +
      `that never releases them. Created at ${list} and still live ${WATCH_CHECK_AFTER} steps later. dispose() them, keep ` +
      'numbers instead (t.item()), or run the step inside nb.scope(() => …) or a DataLoader loop, whose step scope frees ' +
      "what a step creates. (Outputs of a graph that backward() consumed are freed by themselves; these tensors aren't " +
      "part of one: made under noGrad, or from tensors that don't require grad.) This warning is shown once.",
  );
}
