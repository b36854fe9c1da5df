#!/usr/bin/env bash
# Issue 18, acceptance 4: `dhttp bench -t 2` against `wrk -t 2` on the same targets (the
# shared node:http peer and a `dhttp worker --threads 1`, each pinned to CPU 0; both load
# generators unpinned, so their two threads may use both cores), the order alternating each
# round; the server is warmed up first, and dhttp bench, which starts fresh threads each run,
# gets the same warm-up of its own (--warmup, not recorded). Then --rate: the asked rate held
# against node:http, and the coordinated-omission check against a server that stalls its
# event loop for 1 s (bench/peers/stall-server.mjs): dhttp bench --rate, wrk (its own
# correction) and dhttp bench closed-loop, each on a fresh server.
# One JSON line per measurement to OUT. Usage: bash bench/load-client.sh [ROUNDS]
# (DURATION=S per sample [3], WARMUP=S [3], CONNS [50], RATE for the rate check [10000], CLIENT_CPUS to pin
# both load generators, e.g. 1 [unpinned]; needs wrk, a build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
DURATION=${DURATION:-3}
# Seconds of load before a sample: the fresh server's JIT (wrk), and dhttp bench's own
# (--warmup): its fresh threads compile while the server takes a core, and on Node 20 its
# per-second series climbs for about 3 s (e.g. 21.9k, 20.5k, 31.7k req/s after a 1-s warm-up).
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-50}
RATE=${RATE:-10000}
# CLIENT_CPUS: the load generators' CPUs (taskset -c), unpinned when empty.
CLIENT_CPUS=${CLIENT_CPUS:-}
CLIENT=()
if [[ -n "$CLIENT_CPUS" ]]; then CLIENT=(taskset -c "$CLIENT_CPUS"); fi
OUT=${OUT:-bench/results/$(date -u +%Y%m%dT%H%M%SZ)-load-client.jsonl}
mkdir -p "$(dirname "$OUT")"
: >"$OUT"
PORT=18310
GROUP=""
stop() { if [[ -n "$GROUP" ]]; then kill -- "-$GROUP" 2>/dev/null || true; wait "$GROUP" 2>/dev/null || true; GROUP=""; fi; }
trap stop EXIT
trap 'stop; exit 130' INT TERM
start() { # start COMMAND... : in its own process group on CPU 0, until GET /ping answers
  stop
  PORT=$((PORT + 1))
  setsid taskset -c 0 env PORT="$PORT" "$@" >/dev/null 2>&1 &
  GROUP=$!
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/ping" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "load-client.sh: $* did not answer on $PORT" >&2
  return 1
}
warm() { wrk -t1 -c10 -d"${WARMUP}s" "http://127.0.0.1:$PORT/ping" >/dev/null; } # the server's JIT, not recorded
wrk_json() { # wrk_json LABEL ROUND THREADS : one wrk run on the current server
  local out
  out=$(timeout $((DURATION + 20)) "${CLIENT[@]}" wrk -t"$3" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/ping")
  awk -v label="$1" -v round="$2" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = ms($2) } $1 == "Latency" && max == "" { max = ms($4) }
    END { printf "{\"target\":\"%s\",\"tool\":\"wrk\",\"round\":%d,\"rps\":%s,\"p99_ms\":%s,\"max_ms\":%s}\n", label, round, rps, p99, max }' <<<"$out" >>"$OUT"
}
bench_json() { # bench_json LABEL ROUND ARGS... : one dhttp bench run on the current server
  local label=$1 round=$2
  shift 2
  timeout $((DURATION + 30)) "${CLIENT[@]}" node dist/src/cli/main.js bench "http://127.0.0.1:$PORT/ping" -c "$CONNS" -d "${DURATION}s" --json "$@" 2>/dev/null |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = JSON.parse(s);
      console.log(JSON.stringify({ target: process.argv[1], tool: "dhttp-bench", round: Number(process.argv[2]), rps: r.requests_per_second,
        p99_ms: r.latency_us.p99 / 1000, max_ms: r.latency_us.max / 1000, rate: r.rate, requests: r.requests, duration_ms: r.duration_ms,
        errors: r.errors.total, series: r.series.map((x) => x.requests) }));
    })' "$label" "$round" >>"$OUT"
}
NODE_HTTP=(node ../shared/bench/peers/node-http.mjs)
WORKER=(bash -c 'exec node dist/src/cli/main.js worker --host 127.0.0.1 --port "$PORT" --threads 1')
for ((round = 1; round <= ROUNDS; round++)); do
  for target in node-http dhttp-worker; do
    if [[ $target == node-http ]]; then start "${NODE_HTTP[@]}"; else start "${WORKER[@]}"; fi
    echo "  $target round $round" >&2
    warm
    if ((round % 2 == 1)); then
      wrk_json "$target" "$round" 2
      bench_json "$target" "$round" -t 2 --warmup "${WARMUP}s"
    else
      bench_json "$target" "$round" -t 2 --warmup "${WARMUP}s"
      wrk_json "$target" "$round" 2
    fi
  done
done
echo "  --rate $RATE on node-http" >&2
start "${NODE_HTTP[@]}"
warm
bench_json rate-node-http 1 -t 2 --rate "$RATE" --warmup "${WARMUP}s"
echo "  1 s stall: dhttp bench --rate, wrk, dhttp bench closed loop" >&2
start env STALL_AT=1000 node bench/peers/stall-server.mjs
DURATION=4 CONNS=20 bench_json stall-rate 1 --rate 2000
start env STALL_AT=1000 node bench/peers/stall-server.mjs
DURATION=4 CONNS=20 wrk_json stall-wrk 1 1
start env STALL_AT=1000 node bench/peers/stall-server.mjs
DURATION=4 CONNS=20 bench_json stall-closed 1
stop
cat "$OUT"
