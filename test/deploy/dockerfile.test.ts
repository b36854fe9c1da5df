/**
 * Dockerfile checks (hadolint is not installable here; these are the rules that matter for
 * this image): the base image is pinned and overridable, the final stage runs as a numeric
 * non-root user, has a HEALTHCHECK and exec-form ENTRYPOINT/CMD, every COPY source exists
 * and survives .dockerignore (an allow-list, so a new file must be let in), and no stage
 * installs with a floating `npm install`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { PROJECT_ROOT } from '../helpers/processes.js';

const text = readFileSync(new URL('Dockerfile', PROJECT_ROOT), 'utf8');
const ignore = readFileSync(new URL('.dockerignore', PROJECT_ROOT), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

/** .dockerignore semantics for plain patterns: the last matching line wins; a directory's rule covers its contents. */
function ignored(path: string): boolean {
  let out = false;
  for (const raw of ignore) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/\/+$/, '');
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    if (re.test(path)) out = !negate;
  }
  return out;
}

function check(source: string): void {
  const df = DockerfileParser.parse(source);
  const froms = df.getFROMs();
  assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
  const arg = df.getInstructions().find((i) => i.getKeyword() === 'ARG' && i.getArgumentsContent()?.startsWith('BASE_IMAGE='));
  const base = arg?.getArgumentsContent()?.split('=')[1] ?? '';
  assert.match(base, /^[\w./-]+:\d+[\w.-]*$/, `BASE_IMAGE defaults to a pinned tag: ${base}`);
  for (const f of froms) assert.match(f.getArgumentsContent() ?? '', /^\$\{BASE_IMAGE\}/, 'every stage starts from BASE_IMAGE');
  const final = df.getInstructions().filter((i) => i.getRange().start.line > froms[froms.length - 1].getRange().start.line);
  const last = (keyword: string): Instruction | undefined => final.filter((i) => i.getKeyword() === keyword).at(-1);
  const user = last('USER')?.getArgumentsContent() ?? '';
  assert.match(user, /^[1-9]\d*(:\d+)?$/, `the final stage runs as a numeric non-root user: ${user}`);
  assert.ok(last('HEALTHCHECK'), 'a HEALTHCHECK');
  for (const k of ['ENTRYPOINT', 'CMD']) assert.match(last(k)?.getArgumentsContent() ?? '', /^\[/, `${k} in exec form`);
  for (const run of df.getInstructions().filter((i) => i.getKeyword() === 'RUN')) {
    assert.doesNotMatch(run.getArgumentsContent() ?? '', /npm (i|install)\b/, 'npm ci, never npm install');
  }
  for (const copy of df.getInstructions().filter((i) => i.getKeyword() === 'COPY')) {
    if (/--from=/.test(source.split('\n')[copy.getRange().start.line])) continue;
    const args = (copy.getArguments() ?? []).map((a) => a.getValue());
    for (const src of args.slice(0, -1).filter((a) => !a.startsWith('--'))) {
      assert.ok(existsSync(new URL(src, PROJECT_ROOT)), `COPY ${src}: exists`);
      assert.equal(ignored(src), false, `COPY ${src}: not excluded by .dockerignore`);
    }
  }
}

describe('Dockerfile', () => {
  it('passes the image rules', () => {
    check(text);
    for (const kept of ['node_modules', 'dist', '.git', 'data', 'test', 'bench'])
      assert.ok(ignored(kept), `${kept} stays out of the context`);
  });

  it('a broken Dockerfile fails them (the checks can fail)', () => {
    assert.throws(() => check(text.replace('USER 1000:1000', 'USER root')), /non-root/);
    assert.throws(() => check(text.replace('COPY www ./www', 'COPY docs ./docs')), /docs: not excluded/);
    assert.throws(() => check(text.replace(/^HEALTHCHECK.*$/m, '')), /HEALTHCHECK/);
  });
});
