// Options objects (PyTorch's keyword arguments): a name that is not understood is an error, and a
// snake_case name is pointed at its camelCase spelling rather than silently ignored.

const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Throws if `opts` is not a plain object or has a key outside `known`; a key that is the snake_case
 * spelling of a known one (weight_decay for weightDecay) says so.
 */
export function checkOptions(where: string, opts: unknown, known: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${where}: options must be an object, got ${Array.isArray(opts) ? 'an array' : String(opts)}`);
  }
  for (const k of Object.keys(opts)) {
    if (known.includes(k)) continue;
    const c = camel(k);
    const hint = c !== k && known.includes(c) ? ` — did you mean '${c}'? (nabla spells PyTorch's options in camelCase)` : '';
    throw new Error(`${where}: unknown option '${k}'${hint} (options: ${known.join(', ')})`);
  }
}
