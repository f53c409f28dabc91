// The `nabla` command: train, eval and the tasks' verbs (predict, …) on one loop, ONNX export and
// import, plus info, bench and serve.
// Uses only the public API (nabla, nabla/node). Bad usage, missing files and broken checkpoints print
// one line and exit 2.

import { existsSync } from 'node:fs';
import * as nb from '../index.js';
import { UsageError } from './args.js';
import { trainCommand, trainHelp } from './train.js';
import { evalCommand, evalHelp, taskVerbs, verbCommand, verbHelp } from './verbs.js';
import { TASKS } from '../tasks/index.js';
import { version } from './runtime.js';
import { SERVE_HELP, serveCommand } from './serve.js';
import { exportCommand, exportHelp, importCommand, importHelp } from './onnx.js';

function usage(): string {
  // Tasks that share a verb name may read different inputs: each summary with the tasks it is theirs.
  const verbs = [...taskVerbs()].map(([v]) => {
    const bySummary = new Map<string, string[]>();
    for (const t of TASKS) { const s = t.verbs?.[v]?.summary; if (s) bySummary.set(s, [...(bySummary.get(s) ?? []), t.name]); }
    return `  ${`${v} CHECKPOINT …`.padEnd(28)} ${[...bySummary].map(([s, ts]) => `${s} (${ts.join(', ')})`).join('; ')}`;
  });
  return `Usage: nabla <command> [options]

Commands:
  train [TASK] [options]       train a model for a task, with progress, checkpoints, Ctrl-C/--resume and report.html
  eval CHECKPOINT              the task's metrics (and its tables) on the test set
${verbs.join('\n')}
  export CHECKPOINT OUT.onnx   the model as an ONNX file (dynamic batch) for ONNX Runtime and other tools
  import MODEL.onnx --out CK   an ONNX model as a task's checkpoint (eval, predict, export read it)
  info                         version, backend, threads, SIMD features
  bench                        the benchmarks against TensorFlow.js and PyTorch (in a checkout of the repository)
  serve                        the playground page (train in the browser) on http://127.0.0.1:8080

Tasks: ${TASKS.map((t) => `${t.name} (${t.summary})`).join('; ')}

nabla <command> --help shows a command's options.`;
}

function info(log: (s: string) => void): number {
  const b = nb.getBackend();
  log(`nabla ${version()} · Node ${process.version}`);
  log(`backend: ${b.name} (available: ${nb.listBackends().join(', ')})`);
  for (const [k, v] of Object.entries(b.info())) if (k !== 'backend' && k !== 'name') log(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return 0;
}

/** The benchmarks are TypeScript under bench/ run by tsx: both are in a checkout, neither in the installed package. */
async function bench(argv: string[]): Promise<number> {
  const script = new URL('../../bench/run.ts', import.meta.url);
  let tsx = true;
  try {
    await import('tsx/esm/api');
  } catch {
    tsx = false;
  }
  if (!existsSync(script) || !tsx) {
    throw new UsageError('bench: the benchmarks are not part of the installed package; they run from a checkout of the repository: '
      + 'git clone the nabla repository, then npm ci && npm run build && npx nabla bench');
  }
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--import', 'tsx', script.pathname, ...argv], { stdio: 'inherit' });
  return r.status ?? 1;
}

export async function main(argv: string[], log: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const [cmd, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  try {
    // Importing nabla starts no backend: commands that run ops start it here (on any Node 20, where
    // the first op could start it only from 20.16 on), so `info` reports the one that runs.
    if (cmd !== undefined && !wantsHelp && !['help', '--help', '-h', '--version', 'version', 'bench', 'serve'].includes(cmd)) await nb.ready();
    switch (cmd) {
      case undefined: case 'help': case '--help': case '-h':
        log(usage());
        return cmd === undefined ? 2 : 0;
      case '--version': case 'version':
        log(version());
        return 0;
      case 'train':
        if (wantsHelp) return log(trainHelp(rest)), 0;
        return await trainCommand(rest, log);
      case 'eval':
        if (wantsHelp) return log(evalHelp()), 0;
        return await evalCommand(rest, log);
      case 'export':
        if (wantsHelp) return log(exportHelp()), 0;
        return await exportCommand(rest, log);
      case 'import':
        if (wantsHelp) return log(importHelp()), 0;
        return await importCommand(rest, log);
      case 'info':
        return info(log);
      case 'serve':
        if (wantsHelp) return log(SERVE_HELP), 0;
        return await serveCommand(rest, log);
      case 'bench':
        return await bench(rest); // bench/run.ts has its own --help
      default:
        if (taskVerbs().has(cmd)) {
          if (wantsHelp) return log(verbHelp(cmd)), 0;
          return await verbCommand(cmd, rest, log);
        }
        throw new UsageError(`unknown command '${cmd}' (commands: train, eval, ${[...taskVerbs().keys()].join(', ')}, export, import, info, bench, serve; see nabla --help)`);
    }
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`nabla: ${err.message.split('\n')[0]}\n`);
    if (process.env.NABLA_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
