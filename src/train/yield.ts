// One turn of the event loop (a macrotask, not a microtask): what lets a long training loop see a
// signal (Ctrl-C), a timer or a UI event between steps, in Node and in a page or worker.

type Turn = () => Promise<void>;

function makeTurn(): Turn {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  // Node: setImmediate runs after the poll phase, where signals and I/O are handled.
  if (typeof g.setImmediate === 'function') return () => new Promise<void>((r) => void g.setImmediate!(r));
  // Browsers: a message is a macrotask without setTimeout's 4 ms clamp.
  if (typeof g.MessageChannel === 'function') {
    const ch = new g.MessageChannel();
    const waiting: (() => void)[] = [];
    ch.port1.onmessage = () => waiting.shift()?.();
    return () => new Promise<void>((r) => { waiting.push(r); ch.port2.postMessage(0); });
  }
  return () => new Promise<void>((r) => setTimeout(r, 0));
}

let turn: Turn | null = null;

/** Resolves after the event loop has run once (signals, timers, messages, I/O). */
export function eventLoopTurn(): Promise<void> {
  turn ??= makeTurn();
  return turn();
}
