#!/usr/bin/env bash
# Does pipelining quick requests to a worker hurt a mixed load? `dhttp start --workers 1`
# (pinned to CPU 0) with --upstream-pipelining 16 (the default) and 1 (off), alternating:
# wrk (CPU 1, c=20, --latency) on GET /ping while 10 other clients loop on
# GET /sleep?seconds=0.2 (answered late: never pipelined). Prints /ping's req/s, p50, p99 and
# how many sleeps were answered for each. Needs wrk (scripts/install-bench-deps.sh) and a build.
# Usage: bash bench/pipelining-mixed.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
PORT=18210
run() {
  local depth=$1 log pid
  log=$(mktemp)
  setsid taskset -c 0 node dist/src/cli/main.js start --port $PORT --host 127.0.0.1 --workers 1 --threads 2 \
    --log-level warn --upstream-pipelining "$depth" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/ping" >/dev/null 2>&1 && break; sleep 0.1; done
  node -e '
    const stop = Date.now() + 8000; let n = 0;
    const loop = async (u) => { while (Date.now() < stop) { const r = await fetch(u); await r.arrayBuffer(); n++; } };
    Promise.all(Array.from({ length: 10 }, () => loop(process.argv[1]))).then(() => console.log(`sleeps answered ${n}`));
  ' "http://127.0.0.1:$PORT/sleep?seconds=0.2" >"$log.sleeps" &
  local sleeper=$!
  sleep 1
  local out
  out=$(taskset -c 1 wrk -t1 -c20 -d6s --latency "http://127.0.0.1:$PORT/ping")
  wait "$sleeper"
  printf 'pipelining %-2s  /ping %s req/s  p50 %s  p99 %s  %s\n' "$depth" \
    "$(awk '/Requests\/sec/{print $2}' <<<"$out")" "$(awk '$1=="50%"{print $2}' <<<"$out")" \
    "$(awk '$1=="99%"{print $2}' <<<"$out")" "$(cat "$log.sleeps")"
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "$log" "$log.sleeps"
}
for r in $(seq "$ROUNDS"); do run 16; run 1; done
