#!/usr/bin/env bash
# Two servers in turn (A B / B A …), each started fresh and pinned to CPU 0, loaded by
# `wrk -t1 -c50` on CPU 1 for WARMUP seconds and then measured for DURATION seconds:
# req/s, and the CPU time (user + system, from /proc) per request of the server's whole
# process tree - the process and every process below it, detached ones included, which
# run.sh's req/cpu-s misses (`dhttp start`'s workers run in their own process group) - so
# that a proxy chain's cost is seen whole. Prints one line per round and the ratio A/B of
# req/s in that round.
#
#   bash bench/tree-cpu-pairs.sh ROUNDS 'CMD A' 'CMD B'
#
# Each CMD runs with PORT in its environment, from the repository's root, and answers
# GET /ping there, e.g.
#   bash bench/tree-cpu-pairs.sh 6 \
#     'node dist/src/cli/main.js start --port $PORT --host 127.0.0.1 --workers 1 --threads 1 --log-level warn' \
#     'env UPSTREAM=unix bash bench/peers/nginx-proxy-worker.sh'
# DURATION [5], WARMUP [3], CONNS [50], PORT_A [18730], PORT_B [18740].
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:?rounds}
A=${2:?command A}
B=${3:?command B}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-50}
LEAD=""
trap '[[ -n "$LEAD" ]] && kill -INT -- "-$LEAD" 2>/dev/null; exit 130' INT TERM

source bench/process-tree.sh

# sample CMD PORT: prints "req/s µs-per-request"
sample() {
  local cmd=$1 port=$2 tree t0 t1 n
  PORT=$port setsid taskset -c 0 bash -c "exec $cmd" >/dev/null 2>&1 &
  LEAD=$!
  for _ in $(seq 200); do curl -fsS -o /dev/null "http://127.0.0.1:$port/ping" 2>/dev/null && break; sleep 0.05; done
  timeout $((WARMUP + 20)) taskset -c 1 wrk -t1 -c"$CONNS" -d"${WARMUP}s" "http://127.0.0.1:$port/ping" >/dev/null
  tree=$(descendants "$LEAD")
  t0=$(cpu_ticks $tree)
  n=$(timeout $((DURATION + 20)) taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$port/ping" | awk '/requests in/ { print $1 }')
  t1=$(cpu_ticks $tree)
  kill -INT -- "-$LEAD" 2>/dev/null || true
  wait "$LEAD" 2>/dev/null || true
  LEAD=""
  # A cluster's detached workers stop with their dispatcher; give them the moment.
  sleep 1
  awk -v n="${n:-0}" -v d="$DURATION" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f %.1f", n / d, (n > 0 ? t * 1e6 / hz / n : 0) }'
}

for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2)); then
    a=$(sample "$A" "${PORT_A:-18730}")
    b=$(sample "$B" "${PORT_B:-18740}")
  else
    b=$(sample "$B" "${PORT_B:-18740}")
    a=$(sample "$A" "${PORT_A:-18730}")
  fi
  read -r ra ca <<<"$a"
  read -r rb cb <<<"$b"
  awk -v r="$round" -v ra="$ra" -v ca="$ca" -v rb="$rb" -v cb="$cb" \
    'BEGIN { printf "round %d | A %6d req/s %6.1f µs/req | B %6d req/s %6.1f µs/req | A/B req/s %.3f, CPU %.3f\n", r, ra, ca, rb, cb, (rb > 0 ? ra / rb : 0), (cb > 0 ? ca / cb : 0) }'
done
