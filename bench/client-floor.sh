#!/usr/bin/env bash
# Issue 18, acceptance 4, against a server faster than one load-generator core: what each
# client costs per request. One `dhttp worker --threads 1` (access log off) on CPU 0; in
# turn on CPU 1, each alone: `wrk -t1`, `dhttp bench -t 1`, and bench/peers/minimal-client.mjs
# (Node's floor: onread into one buffer and one write per answer, nothing else). For each:
# req/s, and the client's CPU per request (user + system from /proc over the middle of the
# run), with the user part alone: the kernel's loopback TCP work is the same for all three;
# the user part is what a client adds.
#
# Each client runs WARMUP + DURATION seconds (dhttp bench with --warmup, as its per-second
# series climbs for about 3 s on Node 20); its CPU is sampled over the DURATION after the
# warm-up, less half a second at each end.
#
#   bash bench/client-floor.sh [ROUNDS]      (DURATION [5] s, WARMUP [3] s, CONNS [50]; needs wrk, a build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-50}
PORT=${PORT:-18330}
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d)
GROUP=""
stop() { if [[ -n "$GROUP" ]]; then kill -- "-$GROUP" 2>/dev/null || true; wait "$GROUP" 2>/dev/null || true; GROUP=""; fi; rm -rf "$TMP"; }
trap stop EXIT
trap 'exit 130' INT TERM
setsid taskset -c 0 node dist/src/cli/main.js worker --host 127.0.0.1 --port "$PORT" --threads 1 --access-log off >/dev/null 2>&1 &
GROUP=$!
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ping" 2>/dev/null && break; sleep 0.1; done
wrk -t1 -c10 -d2s "http://127.0.0.1:$PORT/ping" >/dev/null # the worker's JIT
field() { awk -v f="$2" '{ print $f }' "/proc/$1/stat" 2>/dev/null || echo 0; }
URL="http://127.0.0.1:$PORT/ping"
for ((round = 1; round <= ROUNDS; round++)); do
  for client in wrk dhttp-bench node-minimal; do
    case $client in
      wrk) taskset -c 1 wrk -t1 -c"$CONNS" -d"$((WARMUP + DURATION))s" "$URL" >"$TMP/out" & ;;
      dhttp-bench) taskset -c 1 node dist/src/cli/main.js bench "$URL" -c "$CONNS" -t 1 --warmup "${WARMUP}s" -d "${DURATION}s" --json >"$TMP/out" 2>/dev/null & ;;
      node-minimal) taskset -c 1 node bench/peers/minimal-client.mjs "$PORT" "$((WARMUP + DURATION))" "$CONNS" >"$TMP/out" & ;;
    esac
    pid=$!
    sleep "$WARMUP.5"
    u0=$(field $pid 14) s0=$(field $pid 15) t0=$(date +%s.%N)
    sleep $((DURATION - 1))
    u1=$(field $pid 14) s1=$(field $pid 15) t1=$(date +%s.%N)
    wait $pid
    if [[ $client == wrk ]]; then rps=$(awk '/Requests\/sec/ { print $2 }' "$TMP/out"); else
      rps=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).requests_per_second)' "$TMP/out"); fi
    awk -v c="$client" -v r="$round" -v rps="$rps" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v d="$(echo "$t1 - $t0" | bc)" -v hz="$HZ" 'BEGIN {
      printf "round %d  %-13s %7.0f req/s  cpu %3.0f%%  %5.1f us/req  (user %4.1f, system %4.1f)\n",
        r, c, rps, 100 * (u + s) / hz / d, 1e6 * (u + s) / hz / d / rps, 1e6 * u / hz / d / rps, 1e6 * s / hz / d / rps }'
  done
done
