#!/usr/bin/env bash
# compose.yaml for real, with Debian's podman and podman-compose: 3 workers found by DNS,
# parallel jobs, the shared data volume, the containers' health checks, a worker SIGKILLed
# under load (no failed request), then everything torn down. Then, where `podman kube play`
# can start them, the Kubernetes manifests' pods: their containers start and answer their
# probes. Prints its figures; exits 0 when skipped (root and a working podman are needed),
# saying why. Run by .ci/run after `npm test` (it uses dist/ for the load client).
#
# Around podman-compose 1.0.3: it ignores --scale (compose.yaml sets deploy.replicas), runs
# health checks only under systemd (the test runs them itself: `podman healthcheck run`),
# ignores depends_on conditions (the test waits for the workers, as Docker Compose would),
# and ignores stop_grace_period on `down` (the test passes -t).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/lib/podman.sh

say() { echo "compose-test: $*"; }
skip() {
  say "SKIPPED: $*"
  exit 0
}
fail() {
  say "FAILED: $*"
  exit 1
}

[ "$(id -u)" = 0 ] || skip "not root (podman here runs rootful)"
podman_setup || skip "$PODMAN_UNAVAILABLE"
IMAGE=dhttp:0.1.0

# `compose-test.sh prepare`: only build the images (.ci/run starts it early, in the
# background, so that a base image built from nothing overlaps the test suite).
if [ "${1:-}" = prepare ]; then
  t0=$(date +%s)
  app_image "$IMAGE" || fail "image build"
  say "images ready in $(($(date +%s) - t0))s"
  exit 0
fi
[ -f dist/src/cli/main.js ] || npm run build >/dev/null

PROJECT="dhttpct$$"
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
URL="http://127.0.0.1:$PORT"
export DHTTP_PUBLISH="127.0.0.1:$PORT"
COMPOSE=(podman-compose -p "$PROJECT" -f "$ROOT/compose.yaml")
KUBE_FILE=""
started=$(date +%s)

cleanup() {
  set +e
  "${COMPOSE[@]}" down -t 25 -v >/dev/null 2>&1
  local left
  left=$(podman ps -aq --filter "label=io.podman.compose.project=$PROJECT")
  [ -n "$left" ] && podman rm -f -t 0 $left >/dev/null 2>&1
  podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1
  podman network ls -q --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman network rm -f >/dev/null 2>&1
  podman network rm -f "${PROJECT}_default" >/dev/null 2>&1
  if [ -n "$KUBE_FILE" ]; then
    timeout 60 podman kube down "$KUBE_FILE" >/dev/null 2>&1
    podman volume rm -f "${PROJECT}-data" >/dev/null 2>&1
    rm -f "$KUBE_FILE"
  fi
}
trap cleanup EXIT

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

json() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const j=JSON.parse(s);console.log(String($1))})"; }
get() { node -e "fetch(process.argv[1]).then(async r=>{const t=await r.text();if(!r.ok){console.error(r.status,t);process.exit(1)}process.stdout.write(t)},e=>{console.error(e.message);process.exit(1)})" "$1"; }

say "building the image (podman build --format docker on a local Debian base)"
t0=$(date +%s)
app_image "$IMAGE" || fail "image build"
build_s=$(($(date +%s) - t0))

say "podman-compose up (project $PROJECT, dispatcher on $URL)"
"${COMPOSE[@]}" up -d --no-build >/tmp/$PROJECT-up.log 2>&1 || { cat /tmp/$PROJECT-up.log; fail "podman-compose up"; }
rm -f /tmp/$PROJECT-up.log
t0=$(date +%s)
three_active() { get "$URL/workers" | json 'j.filter((w) => w.Active).length === 3 ? 1 : ""' | grep -q 1; }
wait_for 90 three_active || { get "$URL/workers" || true; podman logs "${PROJECT}_dispatcher_1" 2>&1 | tail -20; fail "3 workers found by DNS"; }
discover_s=$(($(date +%s) - t0))
addresses=$(get "$URL/workers" | json 'j.map((w) => w.Address).join(" ")')
say "DNS discovery: 3 workers active within ${discover_s}s: $addresses"

for c in $(podman ps -q --filter "label=io.podman.compose.project=$PROJECT"); do
  name=$(podman inspect -f '{{.Name}}' "$c")
  podman healthcheck run "$c" >/dev/null || fail "health check of $name"
done
say "health checks: every container healthy (podman healthcheck run)"

pi=$(get "$URL/montecarlo?points=12000000&seed=7" | json '`${j.pi} from ${j.workers} workers, ${j.chunks} chunks`')
case "$pi" in *"from 3 workers"* | *"from 2 workers"*) ;; *) fail "montecarlo spread over workers: $pi" ;; esac
counts=$(node -e "fetch(process.argv[1],{method:'POST',body:'alpha beta gamma alpha '.repeat(20000)}).then(r=>r.text()).then(t=>process.stdout.write(t))" "$URL/countwords")
[ "$counts" = '{"alpha":40000,"beta":20000,"gamma":20000}' ] || fail "countwords: $counts"
say "jobs: montecarlo pi $pi; countwords exact"

name="compose-test-$$.txt"
get "$URL/createfile?name=$name&content=red+green+red+&repeat=500" >/dev/null || fail "createfile"
from_file=$(get "$URL/countwords?file=$name")
[ "$from_file" = '{"green":500,"red":1000}' ] || fail "countwords?file= on the dispatcher: $from_file"
for c in $(podman ps -q --filter "label=io.podman.compose.project=$PROJECT" --filter "label=com.docker.compose.service=worker"); do
  podman exec "$c" test -s "/data/$name" || fail "worker $c does not see /data/$name"
done
get "$URL/deletefile?name=$name" >/dev/null || fail "deletefile"
say "shared data volume: a file written through a worker is read by the dispatcher and seen by every worker"

say "load: 8 connections for 8s; the process of ${PROJECT}_worker_2 SIGKILLed after 3s"
node dist/src/cli/main.js bench "$URL/fibonacci?num=40" -c 8 -d 8s --json >/tmp/$PROJECT-bench.json 2>/dev/null &
bench=$!
sleep 3
killed_at=$(date +%s%3N)
# From outside, as a crash: `podman kill` would count as a stop by the user, which the
# restart policy respects.
kill -KILL "$(podman inspect -f '{{.State.Pid}}' "${PROJECT}_worker_2")"
wait "$bench" || true
result=$(json '`${j.responses} responses, ${j.errors.total} errors ${JSON.stringify(j.errors.by_kind)} ${JSON.stringify(j.errors.by_status)}, p99 ${j.latency_us.p99 / 1000} ms, max ${j.latency_us.max / 1000} ms`' </tmp/$PROJECT-bench.json)
errors=$(json 'j.errors.total' </tmp/$PROJECT-bench.json)
rm -f /tmp/$PROJECT-bench.json
say "worker SIGKILLed under load: $result"
[ "$errors" = 0 ] || fail "requests failed while a worker was killed: $result"
# The restart policy brings it back; the dispatcher finds it again by DNS.
if wait_for 60 three_active; then
  say "the killed worker is back (restart policy + DNS) $(( ($(date +%s%3N) - killed_at) / 1000 ))s after the kill"
else
  fail "the killed worker did not come back"
fi

t0=$(date +%s)
"${COMPOSE[@]}" down -t 25 -v >/dev/null 2>&1 || fail "podman-compose down"
left=$(podman ps -aq --filter "label=io.podman.compose.project=$PROJECT")
[ -z "$left" ] || fail "containers left after down: $left"
say "torn down in $(($(date +%s) - t0))s"

# ── Kubernetes manifests under `podman kube play` ──────────────────────────────────────
# kube play runs Deployments, PVCs (as named volumes), securityContext, emptyDir and the
# liveness probe; it has no Services, so the dispatcher finds no worker there (its /ready
# answers 503, as it should, and the readiness probe is reported, not required).
if ! podman kube play --help >/dev/null 2>&1; then
  say "kube play: SKIPPED (this podman has no kube play)"
elif ! command -v kubectl >/dev/null 2>&1; then
  say "kube play: SKIPPED (kubectl, for kustomize, is not on PATH)"
else
  KUBE_FILE=$(mktemp /tmp/dhttp-kube-XXXXXX.yaml)
  kubectl kustomize deploy/k8s/base | node scripts/kube-play-filter.mjs "$PROJECT" "$IMAGE" >"$KUBE_FILE"
  if ! out=$(timeout 180 podman kube play "$KUBE_FILE" 2>&1); then
    echo "$out" | tail -n 5
    fail "podman kube play"
  fi
  summary=""
  for role in worker dispatcher; do
    # kube play names a Deployment's pod <name>-pod-0 and its container <pod>-<container>.
    ctr="$PROJECT-$role-pod-0-$role"
    podman container exists "$ctr" || fail "kube play: no container $ctr"
    if [ "$role" = worker ]; then port=8081 probes="/health /ping"; else port=8080 probes="/health /ready"; fi
    for probe in $probes; do
      code=000
      deadline=$(($(date +%s) + 30))
      while [ "$code" = 000 ] && [ "$(date +%s)" -lt "$deadline" ]; do
        code=$(podman exec "$ctr" node -e "fetch('http://127.0.0.1:$port$probe').then(r=>console.log(r.status),()=>console.log('000'))" 2>/dev/null || echo 000)
        [ "$code" = 000 ] && sleep 0.5
      done
      summary="$summary $role$probe=$code"
      # Without Services the dispatcher finds no worker: /ready answers 503, as it must.
      case "$probe:$code" in /health:200 | /ping:200 | /ready:503 | /ready:200) ;; *) fail "kube play: $role $probe answered $code" ;; esac
    done
    user=$(podman exec "$ctr" id -u)
    [ "$user" = 1000 ] || fail "kube play: $role runs as uid $user"
    podman exec "$ctr" sh -c 'touch /app/x' 2>/dev/null && fail "kube play: $role root filesystem is writable"
    podman exec "$ctr" sh -c 'touch /data/.probe && touch /tmp/.probe' || fail "kube play: $role cannot write /data and /tmp"
  done
  say "kube play: pods started, non-root, read-only root, probes:$summary"
fi

say "passed in $(($(date +%s) - started))s (image build ${build_s}s)"
