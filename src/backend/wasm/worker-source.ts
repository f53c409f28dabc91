// The source of a kernel worker, as a string so that it runs the same from src/ (tsx), dist/
// and a bundle: Node starts it with { eval: true }, a page from a Blob URL.

/**
 * Control block layout, in Int32 slots per worker. C_SEQ is the wake-up word: a counter times two,
 * plus 1 when the worker is to claim parts of the shared table (one atomic word says both, so a
 * worker that wakes late never mixes one dispatch's mode with another's arguments).
 */
export const SLOT = 16;
export const C_SEQ = 0, C_DONE = 1, C_FN = 2, C_NARGS = 3, C_ERR = 4, C_READY = 5;
/** Float64 argument slots per worker. */
export const ARGS = 32;
/**
 * Work-claiming dispatch (Pool.runShared): the shared control words after the workers' slots
 * (G_NEXT = epoch << 16 | next part; parts are claimed by compare-exchange), the part table
 * (MAX_PARTS × ARGS float64) and the per-thread scratch pointers (float64, thread 0 = the caller).
 */
export const G_NEXT = 0, G_NPARTS = 1, G_FN = 2, G_NARGS = 3, G_SARG = 4, G_COMPLETED = 5, G_ERR = 6, G_WORDS = 8;
export const MAX_PARTS = 256;

const body = `
function nablaWorker(d, post) {
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory, abort() { throw new Error('wasm abort'); } }, Math });
  const fns = d.names.map((n) => inst.exports[n]);
  const c = new Int32Array(d.ctl), a = new Float64Array(d.args), g = new Int32Array(d.shared), t = new Float64Array(d.table);
  const base = d.slot * ${SLOT}, abase = d.slot * ${ARGS};
  const sc = d.maxParts * ${ARGS} + d.slot + 1; // this thread's scratch pointer in the table
  // Claims parts of the shared table until none is left (or a newer dispatch replaced it).
  function claim() {
    for (;;) {
      const v = Atomics.load(g, ${G_NEXT}), i = v & 0xffff;
      if (i >= g[${G_NPARTS}]) return;
      if (Atomics.compareExchange(g, ${G_NEXT}, v, v + 1) !== v) continue;
      // part i is ours, and its dispatch cannot end before we count it done
      const k = g[${G_NARGS}], sa = g[${G_SARG}], n = g[${G_NPARTS}], f = fns[g[${G_FN}]];
      const args = new Array(k);
      for (let j = 0; j < k; j++) args[j] = t[i * ${ARGS} + j];
      if (sa >= 0) args[sa] = t[sc];
      try { f.apply(null, args); } catch (e) { Atomics.store(g, ${G_ERR}, 1); }
      if (Atomics.add(g, ${G_COMPLETED}, 1) + 1 === n) Atomics.notify(g, ${G_COMPLETED});
    }
  }
  Atomics.store(c, base + ${C_READY}, 1);
  Atomics.notify(c, base + ${C_READY});
  post('ready');
  let last = 0;
  for (;;) {
    // Spin for up to d.spinMs (the next kernel of a training step usually comes within
    // microseconds), then sleep: a wake-up from Atomics.wait costs tens of microseconds.
    let s = Atomics.load(c, base + ${C_SEQ}), n = 0, until = 0;
    while (s === last) {
      if ((++n & 255) === 0) {
        const now = performance.now();
        if (until === 0) until = now + d.spinMs;
        else if (now > until) Atomics.wait(c, base + ${C_SEQ}, last);
      }
      s = Atomics.load(c, base + ${C_SEQ});
    }
    last = s;
    if (s < 0) break;
    if (s & 1) { claim(); continue; }
    try {
      const k = c[base + ${C_NARGS}];
      const args = new Array(k);
      for (let i = 0; i < k; i++) args[i] = a[abase + i];
      fns[c[base + ${C_FN}]].apply(null, args);
    } catch (e) {
      Atomics.store(c, base + ${C_ERR}, 1);
    }
    Atomics.store(c, base + ${C_DONE}, s);
    Atomics.notify(c, base + ${C_DONE});
  }
}
`;

// require where the eval'd source is CommonJS (the default); process.getBuiltinModule where the
// parent made eval'd code ES modules (node --input-type=module), which have no require.
export const nodeWorkerSource = `${body}
const { workerData, parentPort } = typeof require === 'function' ? require('node:worker_threads') : process.getBuiltinModule('node:worker_threads');
nablaWorker(workerData, (m) => parentPort.postMessage(m));
`;

export const webWorkerSource = `${body}
self.onmessage = (e) => nablaWorker(e.data, (m) => self.postMessage(m));
`;
