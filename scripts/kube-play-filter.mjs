#!/usr/bin/env node
// Rendered Kubernetes manifests (stdin) → what `podman kube play` runs (stdout), for
// scripts/compose-test.sh: the Deployments and the data PVC, names prefixed with a run's
// project name, one replica each, the locally built image, and no Secret reference (kube
// play has no Secret objects here; the token is optional). Usage: kube-play-filter.mjs PROJECT IMAGE
import { parseAllDocuments, stringify } from 'yaml';

const [project, image] = process.argv.slice(2);
if (!project || !image) {
  console.error('usage: kube-play-filter.mjs PROJECT IMAGE < manifests.yaml');
  process.exit(2);
}
let text = '';
for await (const chunk of process.stdin) text += chunk;
const out = [];
for (const doc of parseAllDocuments(text)) {
  const o = doc.toJS();
  if (o?.kind === 'PersistentVolumeClaim') {
    o.metadata = { name: `${project}-data` };
    delete o.spec.storageClassName;
    out.push(o);
  } else if (o?.kind === 'Deployment') {
    const role = o.metadata.name.replace(/^dhttp-/, '');
    o.metadata.name = `${project}-${role}`;
    o.spec.replicas = 1;
    const pod = o.spec.template.spec;
    delete pod.affinity;
    delete pod.topologySpreadConstraints;
    for (const c of pod.containers) {
      c.image = image;
      c.env = (c.env ?? []).filter((e) => e.valueFrom === undefined);
    }
    for (const v of pod.volumes ?? []) if (v.persistentVolumeClaim) v.persistentVolumeClaim.claimName = `${project}-data`;
    out.push(o);
  }
}
process.stdout.write(out.map((o) => stringify(o)).join('---\n'));
