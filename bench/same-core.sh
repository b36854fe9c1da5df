#!/usr/bin/env bash
# Servers compared at the same moment: every command's server runs pinned to CPU 0 at once,
# each driven by its own `wrk -t1 -c50` pinned to CPU 1, and each server's CPU time (user +
# system, from /proc, of its process and all below it: a cluster's workers, nginx's worker
# process) is divided by the requests wrk got from it. The machine's slow and fast
# phases (which move whole samples by 20-40 % on these shared hosts, see docs/benchmarks.md)
# hit every server alike, so the ratios hold to a few percent where sequential samples need
# many rounds. The servers share the core, so the absolute µs include context switches;
# compare the ratios. Prints one line per round: req/s, µs of server CPU per request, and
# that cost relative to the first command's; then the share of the machine's time the
# hypervisor took for others meanwhile (steal, from /proc/stat), which tells a slow phase.
#
#   bash bench/same-core.sh ROUNDS CMD [CMD...]
#
# Each CMD runs with PORT in its environment, from the repository's root, and must answer
# GET /ping there, e.g.
#   bash bench/same-core.sh 3 'node ../shared/bench/peers/node-http.mjs $PORT' \
#     'node dist/src/cli/main.js worker --host 127.0.0.1 --port $PORT --threads 1'
# DURATION seconds per sample [5], WARMUP seconds before it [2], CONNS per server [50], BASE_PORT [18700],
# CLOSE=1: every request on a new connection (`Connection: close`); PIPELINE=N: N requests per write.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:?rounds}
shift
(($# > 0)) || { echo "usage: same-core.sh ROUNDS CMD [CMD...]" >&2; exit 2; }
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-50}
BASE_PORT=${BASE_PORT:-18700}
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d)
WRK=(wrk -t1 -c"$CONNS")
[[ "${CLOSE:-0}" == 1 ]] && WRK+=(-H "Connection: close")
if ((${PIPELINE:-1} > 1)); then
  printf 'local req\nfunction init(args) local r = {} for i = 1, %d do r[i] = wrk.format(nil, nil) end req = table.concat(r) end\nfunction request() return req end\n' \
    "$PIPELINE" >"$TMP/pipeline.lua"
  WRK+=(-s "$TMP/pipeline.lua")
fi
PIDS=()
# Each server runs in its own process group (setsid), stopped as a whole: a script such as
# bench/peers/nginx-proxy-worker.sh waits on nginx, which hears the signal only so.
stop() {
  for pid in "${PIDS[@]}"; do kill -INT -- "-$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
source bench/process-tree.sh

for ((round = 1; round <= ROUNDS; round++)); do
  PORTS=()
  for ((i = 0; i < $#; i++)); do
    cmd=${*:i+1:1}
    port=$((BASE_PORT + (round % 2) * 20 + i))
    PORTS+=("$port")
    PORT=$port setsid taskset -c 0 bash -c "exec $cmd" >/dev/null 2>&1 &
    PIDS+=($!)
  done
  for port in "${PORTS[@]}"; do
    for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/ping" 2>/dev/null && break; sleep 0.1; done
  done
  # Warm-up (the servers' JIT: each gets only its share of the core), not recorded.
  WRKS=()
  for port in "${PORTS[@]}"; do taskset -c 1 "${WRK[@]}" -d"$WARMUP"s "http://127.0.0.1:$port/ping" >/dev/null & WRKS+=($!); done
  wait "${WRKS[@]}"
  # Each server's processes, its workers or helpers included, counted once they all run.
  TREES=()
  for pid in "${PIDS[@]}"; do TREES+=("$(descendants "$pid")"); done
  BEFORE=()
  for tree in "${TREES[@]}"; do BEFORE+=("$(cpu_ticks $tree)"); done
  read -r _ s1 s2 s3 s4 s5 s6 s7 s8 _ </proc/stat
  STEAL_BEFORE=$s8 TOTAL_BEFORE=$((s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8))
  WRKS=()
  for ((i = 0; i < ${#PORTS[@]}; i++)); do
    timeout $((DURATION + 20)) taskset -c 1 "${WRK[@]}" -d"${DURATION}s" "http://127.0.0.1:${PORTS[i]}/ping" >"$TMP/wrk-$i" &
    WRKS+=($!)
  done
  wait "${WRKS[@]}"
  read -r _ s1 s2 s3 s4 s5 s6 s7 s8 _ </proc/stat
  steal=$(awk -v s=$((s8 - STEAL_BEFORE)) -v t=$((s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 - TOTAL_BEFORE)) 'BEGIN { printf "%.1f", (t > 0 ? 100 * s / t : 0) }')
  line="round $round"
  base=""
  for ((i = 0; i < ${#PIDS[@]}; i++)); do
    ticks=$(($(cpu_ticks ${TREES[i]}) - BEFORE[i]))
    requests=$(awk '/requests in/ { print $1 }' "$TMP/wrk-$i")
    us=$(awk -v t="$ticks" -v n="$requests" -v hz="$HZ" 'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }')
    base=${base:-$us}
    line+=$(awk -v n="$requests" -v d="$DURATION" -v us="$us" -v b="$base" \
      'BEGIN { printf " | %6.0f req/s %6.2f µs/req (%.3f)", n / d, us, (b > 0 ? us / b : 0) }')
  done
  stop
  echo "$line | steal $steal%"
done
