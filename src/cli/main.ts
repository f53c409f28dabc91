// The `nabla` command: train, eval, predict, info, bench. Uses only the public API and the Node
// platform layer. Bad usage, missing files and broken checkpoints print one line and exit 2.

import { readFileSync } from 'node:fs';
import * as nb from '../index.js';
import { UsageError } from './args.js';
import { TRAIN_HELP, trainCommand } from './train.js';
import { EVAL_HELP, PREDICT_HELP, evalCommand, predictCommand } from './eval-predict.js';
import { SERVE_HELP, serveCommand } from './serve.js';

const USAGE = `Usage: nabla <command> [options]

Commands:
  train [fashion-mnist]        train a classifier (--model mlp|cnn|resnet-small), with progress, checkpoints and report.html
  eval CHECKPOINT              accuracy, per-class precision/recall and the confusion matrix on the test set
  predict CHECKPOINT IMG.png…  top classes with probabilities for PNG images
  info                         version, backend, threads, SIMD features
  bench                        the benchmarks against TensorFlow.js (and PyTorch where installed)
  serve                        the playground page (train in the browser) on http://127.0.0.1:8080

nabla <command> --help shows a command's options.`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function info(log: (s: string) => void): number {
  const b = nb.getBackend();
  log(`nabla ${version()} · Node ${process.version}`);
  log(`backend: ${b.name} (available: ${nb.listBackends().join(', ')})`);
  for (const [k, v] of Object.entries(b.info())) if (k !== 'backend' && k !== 'name') log(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return 0;
}

async function bench(argv: string[]): Promise<number> {
  const { spawnSync } = await import('node:child_process');
  const script = new URL('../../bench/run.ts', import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script.pathname, ...argv], { stdio: 'inherit' });
  return r.status ?? 1;
}

export async function main(argv: string[], log: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const [cmd, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  try {
    switch (cmd) {
      case undefined: case 'help': case '--help': case '-h':
        log(USAGE);
        return cmd === undefined ? 2 : 0;
      case '--version': case 'version':
        log(version());
        return 0;
      case 'train':
        if (wantsHelp) return log(TRAIN_HELP), 0;
        return await trainCommand(rest, log);
      case 'eval':
        if (wantsHelp) return log(EVAL_HELP), 0;
        return await evalCommand(rest, log);
      case 'predict':
        if (wantsHelp) return log(PREDICT_HELP), 0;
        return await predictCommand(rest, log);
      case 'info':
        return info(log);
      case 'serve':
        if (wantsHelp) return log(SERVE_HELP), 0;
        return await serveCommand(rest, log);
      case 'bench':
        return await bench(rest); // bench/run.ts has its own --help
      default:
        throw new UsageError(`unknown command '${cmd}' (commands: train, eval, predict, info, bench, serve; see nabla --help)`);
    }
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`nabla: ${err.message.split('\n')[0]}\n`);
    if (process.env.NABLA_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
