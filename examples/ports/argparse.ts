// A small stand-in for Python's argparse, so the ports' argument lines read as the originals':
// parser.addArgument('--batch-size', { type: 'int', default: 64, help }) → args.batchSize (camelCase).
// Only what the ports use: int/float/str values and store_true flags, --help, unknown or bad values refused.

export interface ArgumentOptions {
  type?: 'int' | 'float' | 'str';
  default?: number | string | boolean;
  action?: 'store_true';
  metavar?: string;
  help?: string;
}

const camel = (flag: string): string => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export class ArgumentParser {
  private readonly specs = new Map<string, ArgumentOptions>();
  constructor(readonly opts: { description?: string } = {}) {}

  addArgument(flag: string, opts: ArgumentOptions = {}): void {
    if (!flag.startsWith('--')) throw new Error(`ArgumentParser: only --long options are supported, got '${flag}'`);
    this.specs.set(flag, opts);
  }

  usage(): string {
    const lines = [...this.specs].map(([f, o]) => `  ${f}${o.action ? '' : ` ${o.metavar ?? 'VALUE'}`}  ${o.help ?? ''}`);
    return [this.opts.description ?? '', 'options:', ...lines].join('\n');
  }

  /** Parses argv (default: process.argv after the script); exits with the usage on --help. */
  parseArgs(argv: readonly string[] = process.argv.slice(2)): Record<string, any> {
    const out: Record<string, number | string | boolean> = {};
    for (const [f, o] of this.specs) out[camel(f)] = o.action === 'store_true' ? (o.default ?? false) : (o.default ?? '');
    for (let i = 0; i < argv.length; i++) {
      const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
      if (flag === '--help' || flag === '-h') {
        console.log(this.usage());
        process.exit(0);
      }
      const o = this.specs.get(flag);
      if (!o) throw new Error(`unrecognized argument '${flag}'\n${this.usage()}`);
      if (o.action === 'store_true') {
        out[camel(flag)] = true;
        continue;
      }
      const raw = inline ?? argv[++i];
      if (raw === undefined) throw new Error(`argument ${flag}: expected one value`);
      if (o.type === 'int' || o.type === 'float') {
        const v = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(v) || (o.type === 'int' && !Number.isInteger(v))) throw new Error(`argument ${flag}: invalid ${o.type} value '${raw}'`);
        out[camel(flag)] = v;
      } else {
        out[camel(flag)] = raw;
      }
    }
    return out;
  }
}
