/**
 * Unknown `DHTTP_*` variables. A misspelt variable would otherwise be ignored without a
 * word (the option keeps its default), so each one is reported once at start, with the
 * nearest real name. A variable of another command's option is known: one environment
 * often serves several roles (compose files, `dhttp start` and its workers).
 */
import { LIFELINE_ENV } from '../cluster/lifeline.js';
import { OPTIONS, envName } from '../config/schema.js';
import { closest } from './did-you-mean.js';

const PREFIX = 'DHTTP_';

/** Every DHTTP_ name dhttp reads: the options' twins and the cluster's own. */
const KNOWN: ReadonlySet<string> = new Set([...OPTIONS.map(envName), LIFELINE_ENV]);

/** One warning line per unknown DHTTP_ variable, in the environment's order. */
export function unknownEnvironment(env: NodeJS.ProcessEnv): string[] {
  const lines: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith(PREFIX) || KNOWN.has(name)) continue;
    const best = closest(name, KNOWN);
    lines.push(`unknown variable ${name}${best === undefined ? '' : `; did you mean ${best}?`} (ignored)`);
  }
  return lines;
}
