#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner. Node 20
// takes no glob patterns, so the files are listed here; extra arguments go to `node --test`
// (e.g. `npm test -- --test-name-pattern=codec`), and paths under test/ narrow the run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'dist', 'test');

function list(d) {
  const out = [];
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) out.push(...list(p));
    // A compiled test whose source is gone (dist/ is not cleaned by tsc) does not run.
    else if (name.endsWith('.test.js') && existsSync(join(root, relative(join(root, 'dist'), p)).replace(/\.js$/, '.ts'))) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-')).map((a) => a.replace(/^(dist\/)?test\//, '').replace(/\.ts$/, ''));
const flags = args.filter((a) => a.startsWith('-'));
let files = list(dir);
if (filters.length > 0) files = files.filter((f) => filters.some((x) => relative(dir, f).startsWith(x)));
if (files.length === 0) {
  console.error(`no test files under ${relative(root, dir)}${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=240000', ...flags, ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
