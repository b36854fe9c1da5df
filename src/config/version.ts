/**
 * The version of this dhttp, read from its package.json: the one file that states it, so
 * `--version` and anything reporting the build (metrics, logs) cannot disagree with npm.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * package.json's version. The file is looked for upwards from this module, which sits at
 * src/config/ under tsx and dist/src/config/ once compiled (and in the Docker image).
 */
export function dhttpVersion(): string {
  if (cached !== undefined) return cached;
  for (const up of ['../../', '../../../']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'dhttp' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // Not at this level; try the next one up.
    }
  }
  return (cached = 'unknown');
}

/** `dhttp 0.1.0 (node v24.1.0)`: what `dhttp --version` prints. */
export function versionLine(): string {
  return `dhttp ${dhttpVersion()} (node ${process.version})`;
}
