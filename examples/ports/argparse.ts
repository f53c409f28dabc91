// The part of Python's argparse that pytorch/examples' programs use, so a port's argument lines read
// as the original's: add_argument('--batch-size', type=int, default=64) → addArgument('--batch-size',
// { type: int, default: 64 }), and the value is read as args.batchSize (Python's dest, camelCased).

/** Python's `type=int`: a whole number, or an error naming the option. */
export const int = (s: string, opt: string): number => {
  if (!/^[+-]?\d+$/.test(s.trim())) throw new Error(`argument ${opt}: invalid int value: '${s}'`);
  return Number(s);
};
/** Python's `type=float`. */
export const float = (s: string, opt: string): number => {
  const v = Number(s);
  if (s.trim() === '' || Number.isNaN(v) && s.trim().toLowerCase() !== 'nan') throw new Error(`argument ${opt}: invalid float value: '${s}'`);
  return v;
};
/** Python's `type=str`, and str(x) (String(x)). */
export const str = (s: unknown): string => String(s);

export interface ArgumentOptions {
  type?: (s: string, opt: string) => unknown;
  default?: unknown;
  help?: string;
  metavar?: string;
  /** 'store_true' as Python spells it (a flag without a value; false unless given) */
  action?: 'store_true';
}

interface Arg extends ArgumentOptions { flag: string; dest: string }

/** '--batch-size' / '--batch_size' → 'batchSize' (Python's dest, then camelCase). */
function destOf(flag: string): string {
  return flag.replace(/^-+/, '').replace(/[-_]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

export class ArgumentParser {
  private readonly args: Arg[] = [];
  constructor(readonly opts: { description?: string } = {}) {}

  addArgument(flag: string, opts: ArgumentOptions = {}): void {
    if (!flag.startsWith('--')) throw new Error(`addArgument: only long options ('--name') are supported, got '${flag}'`);
    this.args.push({ ...opts, flag, dest: destOf(flag) });
  }

  /** The usage text (what Python prints for --help). */
  formatHelp(): string {
    const lines = this.args.map((a) => `  ${a.flag}${a.action ? '' : ` ${a.metavar ?? a.dest.toUpperCase()}`}  ${a.help ?? ''}${a.default !== undefined ? ` (default: ${String(a.default)})` : ''}`);
    return `${this.opts.description ?? ''}\n\noptions:\n${lines.join('\n')}`;
  }

  /** parser.error(message): Python prints the usage and exits with status 2; here it throws, naming the program's rule. */
  error(message: string): never {
    throw new Error(`error: ${message}`);
  }

  /** Parses argv (default: process.argv without node and the script); an unknown or bad option throws. */
  parseArgs(argv: readonly string[] = process.argv.slice(2)): Record<string, any> {
    const out: Record<string, unknown> = {};
    // as Python's: a string default goes through `type` as if it had been given (default='1000', type=int)
    for (const a of this.args) {
      out[a.dest] = a.action === 'store_true' ? a.default ?? false : typeof a.default === 'string' && a.type ? a.type(a.default, a.flag) : a.default;
    }
    for (let i = 0; i < argv.length; i++) {
      const tok = argv[i]!;
      if (tok === '-h' || tok === '--help') {
        console.log(this.formatHelp());
        process.exit(0);
      }
      const eq = tok.indexOf('=');
      const name = eq > 0 ? tok.slice(0, eq) : tok;
      const a = this.args.find((x) => x.flag === name || destOf(x.flag) === destOf(name) && name.startsWith('--'));
      if (!a) throw new Error(`unrecognized arguments: ${tok} (known: ${this.args.map((x) => x.flag).join(', ')})`);
      if (a.action === 'store_true') {
        if (eq > 0) throw new Error(`argument ${a.flag}: ignored explicit argument '${tok.slice(eq + 1)}'`);
        out[a.dest] = true;
        continue;
      }
      const value = eq > 0 ? tok.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new Error(`argument ${a.flag}: expected one argument`);
      out[a.dest] = a.type ? a.type(value, a.flag) : value;
    }
    return out;
  }
}
