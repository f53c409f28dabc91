// The source of a kernel worker, as a string so that it runs the same from src/ (tsx), dist/
// and a bundle: Node starts it with { eval: true }, a page from a Blob URL.

/** Control block layout, in Int32 slots per worker. */
export const SLOT = 16;
export const C_SEQ = 0, C_DONE = 1, C_FN = 2, C_NARGS = 3, C_ERR = 4, C_READY = 5;
/** Float64 argument slots per worker. */
export const ARGS = 32;

const body = `
function nablaWorker(d, post) {
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory, abort() { throw new Error('wasm abort'); } } });
  const fns = d.names.map((n) => inst.exports[n]);
  const c = new Int32Array(d.ctl), a = new Float64Array(d.args);
  const base = d.slot * ${SLOT}, abase = d.slot * ${ARGS};
  Atomics.store(c, base + ${C_READY}, 1);
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

export const nodeWorkerSource = `${body}
const { workerData, parentPort } = require('node:worker_threads');
nablaWorker(workerData, (m) => parentPort.postMessage(m));
`;

export const webWorkerSource = `${body}
self.onmessage = (e) => nablaWorker(e.data, (m) => self.postMessage(m));
`;
