// Command-line parsing for `nabla`: flags with values, booleans, positionals, and errors that
// say which flag was wrong (the CLI turns them into one line and exit status 2).

export class UsageError extends Error {}

export interface FlagSpec {
  type: 'string' | 'number' | 'int' | 'boolean';
  default?: string | number | boolean;
  choices?: readonly string[];
  help: string;
  min?: number;
}

/** Positionals, every flag (given or defaulted), and the names of the flags given on the command line. */
export type Parsed = { positionals: string[]; flags: Record<string, string | number | boolean | undefined>; given: Set<string> };

/** Parses argv against the spec; `--name value`, `--name=value`, `--flag`, `--no-flag`. */
export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>, command: string): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  const given = new Set<string>();
  for (const [k, s] of Object.entries(spec)) flags[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) throw new UsageError(`${command}: unknown option '${a}' (see nabla ${command} --help)`);
      positionals.push(a);
      continue;
    }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let negated = false;
    if (!(name in spec) && name.startsWith('no-') && spec[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      negated = true;
    }
    const s = spec[name];
    if (!s) throw new UsageError(`${command}: unknown option '--${name}' (see nabla ${command} --help)`);
    given.add(name);
    if (s.type === 'boolean') {
      if (value !== undefined && !['true', 'false', '1', '0'].includes(value)) throw new UsageError(`${command}: --${name} takes no value (or true/false), got '${value}'`);
      flags[name] = negated ? false : value === undefined ? true : value === 'true' || value === '1';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${command}: --${name} needs a value`);
    }
    flags[name] = convert(command, name, s, value);
  }
  return { positionals, flags, given };
}

function convert(command: string, name: string, s: FlagSpec, value: string): string | number {
  if (s.type === 'string') {
    if (s.choices && !s.choices.includes(value)) throw new UsageError(`${command}: --${name} must be one of ${s.choices.join(', ')}, got '${value}'`);
    return value;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${command}: --${name} needs a number, got '${value}'`);
  if (s.type === 'int' && !Number.isInteger(n)) throw new UsageError(`${command}: --${name} needs a whole number, got '${value}'`);
  if (s.min !== undefined && n < s.min) throw new UsageError(`${command}: --${name} must be at least ${s.min}, got ${value}`);
  return n;
}

/** The --help text of a command. */
export function helpText(command: string, usage: string, about: string, spec: Record<string, FlagSpec>): string {
  return helpSections(command, usage, about, [['Options', spec]]);
}

/** The --help text of a command whose options come in groups (common flags, a task's flags). */
export function helpSections(command: string, usage: string, about: string, sections: [string, Record<string, FlagSpec>][]): string {
  const rowsOf = (spec: Record<string, FlagSpec>) => Object.entries(spec).map(([k, s]) => {
    const arg = s.type === 'boolean' ? `--${k}` : `--${k} ${s.choices ? s.choices.join('|') : s.type === 'string' ? 'VALUE' : 'N'}`;
    const dflt = s.default !== undefined && s.default !== false && !/\(default/.test(s.help) ? ` (default: ${s.default})` : '';
    return [arg, s.help + dflt] as const;
  });
  const all = sections.map(([t, spec]) => [t, rowsOf(spec)] as const);
  const w = Math.max(10, ...all.flatMap(([, rows]) => rows.map(([a]) => a.length)));
  const out = [`Usage: nabla ${command} ${usage}`, '', about];
  for (const [t, rows] of all) {
    if (!rows.length) continue;
    out.push('', `${t}:`, ...rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`));
  }
  out.push(`  ${'--help'.padEnd(w)}  show this help`);
  return out.join('\n');
}
