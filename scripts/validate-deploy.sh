#!/usr/bin/env bash
# The deploy files' checks that are not node tests: yamllint with the project's .yamllint,
# kustomize rendering of the base and the example overlay (kubectl kustomize), and the
# schema and policy tests of test/deploy/ (Kubernetes objects against their API schemas,
# compose.yaml against the Compose spec, the Dockerfile rules). Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
if command -v yamllint >/dev/null; then
  yamllint --strict . && echo "validate-deploy: yamllint: clean" || status=1
else
  echo "validate-deploy: yamllint not installed (scripts/install-test-deps.sh installs it)" >&2
  status=1
fi
if command -v kubectl >/dev/null; then
  for dir in deploy/k8s/base deploy/k8s/overlays/example; do
    n=$(kubectl kustomize "$dir" | grep -c '^kind:') && echo "validate-deploy: kustomize $dir: $n objects" || status=1
  done
else
  echo "validate-deploy: kubectl not on PATH: kustomize rendering left to test/deploy (which skips it too)"
fi
node scripts/test.mjs deploy || status=1
exit $status
