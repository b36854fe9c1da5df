#!/usr/bin/env bash
# What issue 5's 0.8x target asks of a Node proxy on this machine: the same paired run as
# bench/dispatcher.sh, with a third target that only copies bytes between each client
# connection and its own upstream connection (bench/peers/pipe-proxy.mjs: no HTTP parsing,
# no rewriting, no balancing). Its ratio to nginx-proxy is the ceiling of any proxy written
# on node:net here; `dhttp start`'s ratio to it is what our HTTP work costs. A fourth target,
# bench/peers/bare-dispatcher.mjs (our engine and raw client with no forwarding logic), splits
# that cost between our HTTP parts and the dispatcher's own logic.
# Usage: bash bench/proxy-floor.sh [ROUNDS]   (needs scripts/install-bench-deps.sh; npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-8}
source bench/proxy-targets.sh
PIPE="cmd:pipe-proxy-worker=bash bench/peers/pipe-proxy-worker.sh@18130"
BARE="cmd:bare-dispatcher-worker=env PROXY=bare-dispatcher.mjs bash bench/peers/pipe-proxy-worker.sh@18140"
# Short samples, many rounds: this kind of machine drifts between fast and slow phases
# lasting seconds, so only adjacent (paired) samples compare. The chain, step by step:
# nginx-proxy → byte pipe (Node's socket I/O) → bare dispatcher (our engine + raw client)
# → dhttp start (the forwarding logic, metrics, upstream state), then the end to end ratio.
for pair in "$PIPE|$NGINX" "$BARE|$PIPE" "$CLUSTER|$BARE" "$CLUSTER|$NGINX"; do
  bash $RUN --rounds "$ROUNDS" --duration 3 --max-other 25 --label proxy-floor --ratio "${pair%%|*}" "${pair##*|}"
done | tee "$OUT/$STAMP-proxy-floor.txt"
