/**
 * deploy/k8s: every object is valid against the Kubernetes API schemas (kubernetes-models),
 * and the manifests keep what production needs - checked here so a later edit cannot drop
 * it quietly: non-root read-only containers without capabilities, startup/readiness/
 * liveness probes on declared ports, a preStop pause inside the grace period, resources,
 * IfNotPresent pulls, scrape annotations, the cluster token from a Secret, the shared
 * ReadWriteMany data volume, two dispatchers spread apart with a disruption budget, a worker
 * autoscaler, and a worker Service that the dispatchers' --discover names.
 *
 * The base is read file by file (its kustomization's resources); with kubectl on PATH the
 * base and the example overlay are also rendered by kustomize and checked the same way.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from '../helpers/processes.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, checked field by field below.
type Obj = Record<string, any>;

const ROOT = new URL('deploy/k8s/', PROJECT_ROOT).pathname;
const MODELS: Record<string, new (data: Obj) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};
/** The process's own --shutdown-timeout (DHTTP_SHUTDOWN_TIMEOUT) must fit in the grace period. */
const SHUTDOWN_S = 10;

function parseYaml(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
}

function baseObjects(): Obj[] {
  const k = parseYaml(readFileSync(join(ROOT, 'base/kustomization.yaml'), 'utf8'))[0];
  return (k.resources as string[]).flatMap((f) => parseYaml(readFileSync(join(ROOT, 'base', f), 'utf8')));
}

function kustomize(dir: string): Obj[] | undefined {
  try {
    return parseYaml(execFileSync('kubectl', ['kustomize', join(ROOT, dir)], { encoding: 'utf8', timeout: 30_000, stdio: 'pipe' }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const named = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(o, `${kind} ${name} is there`);
  return o;
};

const matches = (selector: Obj, labels: Obj): boolean => Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);

function seconds(duration: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(duration);
  assert.ok(m, `duration ${duration}`);
  return Number(m[1]) / (m[2] === 'ms' ? 1000 : m[2] === 'm' ? 1 / 60 : 1);
}

/** Everything a set of objects must satisfy, whether read from files or rendered. */
function checkAll(objs: Obj[], where: string): void {
  for (const o of objs) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    assert.ok(Model, `${where}: ${o.apiVersion} ${o.kind} has a schema here`);
    assert.doesNotThrow(() => new Model(o).validate(), `${where}: ${o.kind} ${o.metadata?.name} is valid`);
  }
  const deployments = objs.filter((o) => o.kind === 'Deployment');
  assert.equal(deployments.length, 2, `${where}: a worker and a dispatcher Deployment`);
  for (const d of deployments) checkWorkload(d, objs, `${where}: ${d.metadata.name}`);

  const worker = named(objs, 'Deployment', 'dhttp-worker');
  const dispatcher = named(objs, 'Deployment', 'dhttp-dispatcher');
  // Two dispatchers, kept on different nodes where possible, never both disrupted at once.
  assert.ok(dispatcher.spec.replicas >= 2, `${where}: two dispatcher replicas`);
  const anti = dispatcher.spec.template.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  assert.ok(
    anti.some(
      (t: Obj) =>
        t.podAffinityTerm.topologyKey === 'kubernetes.io/hostname' &&
        matches(t.podAffinityTerm.labelSelector, dispatcher.spec.template.metadata.labels),
    ),
    `${where}: dispatcher anti-affinity on its own pods`,
  );
  for (const d of [dispatcher, worker]) {
    const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget' && matches(o.spec.selector, d.spec.template.metadata.labels));
    assert.ok(pdb, `${where}: a PodDisruptionBudget for ${d.metadata.name}`);
    if (d === dispatcher) assert.ok(pdb.spec.minAvailable >= 1, `${where}: one dispatcher always stays`);
  }
  // The autoscaler scales the worker Deployment on CPU, which needs CPU requests.
  const hpa = objs.find((o) => o.kind === 'HorizontalPodAutoscaler');
  assert.equal(hpa?.spec.scaleTargetRef.name, 'dhttp-worker');
  assert.ok(
    hpa.spec.metrics.some((m: Obj) => m.resource?.name === 'cpu'),
    `${where}: HPA on CPU`,
  );
  assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
  // --discover names the headless worker Service and its port.
  const args: string[] = dispatcher.spec.template.spec.containers[0].args;
  const target = args[args.indexOf('--discover') + 1];
  const [host, port] = target.split(':');
  const svc = named(objs, 'Service', host);
  assert.equal(svc.spec.clusterIP, 'None', `${where}: the worker Service is headless (one A record per pod)`);
  assert.ok(matches({ matchLabels: svc.spec.selector }, worker.spec.template.metadata.labels), `${where}: it selects the workers`);
  assert.ok(svc.spec.ports.some((p: Obj) => String(p.port) === port));
  // The public Service selects the dispatchers.
  assert.ok(
    objs.some(
      (o) =>
        o.kind === 'Service' &&
        o.spec.clusterIP !== 'None' &&
        matches({ matchLabels: o.spec.selector }, dispatcher.spec.template.metadata.labels),
    ),
  );
}

function checkWorkload(d: Obj, objs: Obj[], where: string): void {
  const pod = d.spec.template.spec;
  assert.equal(
    d.spec.strategy?.rollingUpdate?.maxUnavailable,
    0,
    `${where}: rolling updates keep every replica until its successor is ready`,
  );
  assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: runAsNonRoot`);
  assert.ok(pod.securityContext?.runAsUser > 0, `${where}: a numeric non-root user`);
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0];
  assert.equal(c.imagePullPolicy, 'IfNotPresent', `${where}: imagePullPolicy`);
  assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${where}: read-only root filesystem`);
  assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where}: no privilege escalation`);
  assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${where}: no capabilities`);
  for (const kind of ['requests', 'limits']) {
    assert.ok(c.resources?.[kind]?.cpu !== undefined && c.resources?.[kind]?.memory !== undefined, `${where}: ${kind} for cpu and memory`);
  }
  const ports = new Map<string, number>(c.ports.map((p: Obj) => [p.name, p.containerPort]));
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const p = c[probe];
    assert.ok(p?.httpGet?.path?.startsWith('/'), `${where}: ${probe}`);
    assert.ok(ports.has(p.httpGet.port), `${where}: ${probe} on a declared port`);
  }
  const annotations = d.spec.template.metadata.annotations ?? {};
  assert.equal(annotations['prometheus.io/scrape'], 'true', `${where}: scrape annotation`);
  assert.ok([...ports.values()].includes(Number(annotations['prometheus.io/port'])), `${where}: scrape port is the container's`);
  assert.equal(annotations['prometheus.io/path'], '/metrics');
  const preStop = c.lifecycle?.preStop?.exec?.command as string[] | undefined;
  assert.ok(preStop?.[0] === 'sleep', `${where}: preStop pause`);
  const env = new Map<string, Obj>(c.env.map((e: Obj) => [e.name, e]));
  const token = env.get('DHTTP_CLUSTER_TOKEN')?.valueFrom?.secretKeyRef;
  assert.ok(token?.name && token.key, `${where}: the cluster token comes from a Secret`);
  const shutdown = env.get('DHTTP_SHUTDOWN_TIMEOUT')?.value ?? `${SHUTDOWN_S}s`;
  assert.ok(
    pod.terminationGracePeriodSeconds > Number(preStop[1]) + seconds(shutdown),
    `${where}: grace ${pod.terminationGracePeriodSeconds} s > preStop ${preStop[1]} s + shutdown ${shutdown}`,
  );
  // /data: the shared volume, ReadWriteMany; / is read-only, so /tmp is a volume too.
  const mounts = new Map<string, string>(c.volumeMounts.map((m: Obj) => [m.mountPath, m.name]));
  const data = pod.volumes.find((v: Obj) => v.name === mounts.get('/data'));
  const pvc = named(objs, 'PersistentVolumeClaim', data?.persistentVolumeClaim?.claimName);
  assert.deepEqual(pvc.spec.accessModes, ['ReadWriteMany'], `${where}: the data volume is shared`);
  assert.ok(pod.volumes.find((v: Obj) => v.name === mounts.get('/tmp'))?.emptyDir, `${where}: /tmp is writable`);
  assert.ok(c.args.includes('/data'), `${where}: --data-dir is the shared volume`);
}

describe('Kubernetes manifests', () => {
  it('the base, file by file: valid objects with everything production needs', () => {
    checkAll(baseObjects(), 'base');
  });

  it('kustomize renders the base and the example overlay into the same checked objects', (t) => {
    const base = kustomize('base');
    if (base === undefined) return t.skip('kubectl is not on PATH: kustomize rendering not checked');
    checkAll(base, 'rendered base');
    const overlay = kustomize('overlays/example');
    assert.ok(overlay);
    checkAll(overlay, 'rendered overlay');
    for (const o of overlay) if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'dhttp');
    const secret = overlay.find((o) => o.kind === 'Secret');
    assert.ok(secret?.data?.token, 'the overlay makes the token Secret');
    for (const d of overlay.filter((o) => o.kind === 'Deployment')) {
      const c = d.spec.template.spec.containers[0];
      assert.match(c.image, /^registry\.example\.com\/dhttp:/);
      const ref = c.env.find((e: Obj) => e.name === 'DHTTP_CLUSTER_TOKEN').valueFrom.secretKeyRef;
      assert.equal(ref.name, secret.metadata.name, 'the generated Secret name reaches the Deployments');
    }
    assert.ok(overlay.find((o) => o.kind === 'PersistentVolumeClaim')?.spec.storageClassName, 'the overlay names a storage class');
  });

  it('a broken manifest fails these checks (the checks can fail)', () => {
    const objs = baseObjects();
    const d = named(objs, 'Deployment', 'dhttp-worker');
    d.spec.template.spec.containers[0].imagePullPolicy = 'Always';
    assert.throws(() => checkAll(objs, 'mutated'), /imagePullPolicy/);
    const again = baseObjects();
    named(again, 'Deployment', 'dhttp-dispatcher').spec.replicas = 'two';
    assert.throws(() => checkAll(again, 'mutated'), /is valid/);
  });
});
