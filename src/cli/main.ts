#!/usr/bin/env node
/**
 * The `dhttp` executable. Parses and validates everything first (exit 2 with one line on a
 * bad value; a warning for each unknown DHTTP_ variable), then loads only the module of the
 * chosen role, so `dhttp bench` never pays for the server code and a role still being
 * written does not break the others. A server that cannot listen exits 1 with one line.
 */
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/errors.js';
import { StartError } from '../config/start-error.js';
import { unknownEnvironment } from './env-check.js';
import { parseCommand } from './options.js';
import { isEntryPoint } from '../common/entry-point.js';

export interface MainIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Where each command's code lives, relative to this file, and the function it exports. */
export const ENTRY_POINTS = Object.freeze({
  worker: { module: '../worker/main.js', run: 'runWorker' },
  dispatcher: { module: '../dispatcher/main.js', run: 'runDispatcher' },
  start: { module: '../cluster/start.js', run: 'runCluster' },
  bench: { module: './bench/bench.js', run: 'runBench' },
} as const);

type Runner = (config: unknown) => unknown;

/** The role's module is not there (a partial build); reported without a stack. */
class UnavailableError extends Error {}

async function loadRunner(command: keyof typeof ENTRY_POINTS): Promise<Runner> {
  const entry = ENTRY_POINTS[command];
  const url = new URL(entry.module, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    // Only the entry module itself being absent means "not built"; a missing import
    // inside it is a real bug and keeps its own stack.
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(fileURLToPath(url))) {
      throw new UnavailableError(`dhttp ${command} is not available: ${fileURLToPath(url)} is missing (is the build complete?)`);
    }
    throw err;
  }
  const run = mod[entry.run];
  if (typeof run !== 'function') throw new Error(`dhttp ${command}: ${entry.module} does not export ${entry.run}()`);
  return run as Runner;
}

/**
 * Runs one command. Resolves with the exit code to use once the command's run function
 * settles; servers keep the process alive themselves after that.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: MainIo = process): Promise<number> {
  try {
    const parsed = parseCommand(argv, env);
    if ('help' in parsed) {
      io.stdout.write(parsed.help);
      return 0;
    }
    if ('version' in parsed) {
      io.stdout.write(`${parsed.version}\n`);
      return 0;
    }
    for (const line of unknownEnvironment(env)) io.stderr.write(`dhttp: warning: ${line}\n`);
    const run = await loadRunner(parsed.command);
    const code = await run(parsed.config);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`dhttp: ${err.message}\n`);
      return 2;
    }
    if (err instanceof StartError) {
      io.stderr.write(`dhttp: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UnavailableError) {
      io.stderr.write(`${err.message}\n`);
      return 1;
    }
    io.stderr.write(`dhttp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

if (isEntryPoint(import.meta.url)) {
  // exitCode, not exit(): servers resolve once listening and must keep running.
  process.exitCode = await main(process.argv.slice(2), process.env);
}
