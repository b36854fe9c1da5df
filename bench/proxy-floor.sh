#!/usr/bin/env bash
# What issue 5's 0.8x target asks of a Node proxy on this machine: the same paired run as
# bench/dispatcher.sh, with three more proxies in front of the same worker (over its Unix
# socket, as `dhttp start` reaches it), each a step from nginx-proxy to `dhttp start`:
# - bench/peers/pipe-proxy.mjs: bytes copied between each client connection and its own
#   upstream connection, no HTTP at all - the ceiling of any proxy written on node:net;
# - bench/peers/minimal-relay.mjs: the least HTTP a proxy cannot skip (request heads checked
#   by our parser, response lengths found, upstream connections pooled), nothing else;
# Usage: bash bench/proxy-floor.sh [ROUNDS]   (needs scripts/install-bench-deps.sh; npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-8}
source bench/proxy-targets.sh
PIPE="cmd:pipe-proxy-worker=bash bench/peers/pipe-proxy-worker.sh@18130"
MINIMAL="cmd:minimal-relay-worker=env PROXY=minimal-relay.mjs bash bench/peers/pipe-proxy-worker.sh@18140"
# Short samples, many rounds: this kind of machine drifts between fast and slow phases
# lasting seconds, so only adjacent (paired) samples compare. The chain, step by step:
# nginx-proxy → byte pipe (Node's socket I/O) → minimal relay (the least HTTP) → dhttp start
# (our engine, client and the dispatcher's logic), then end to end.
for pair in "$PIPE|$NGINX" "$MINIMAL|$PIPE" "$CLUSTER|$MINIMAL" "$CLUSTER|$NGINX"; do
  bash $RUN --rounds "$ROUNDS" --duration 3 --max-other 25 --label proxy-floor --ratio "${pair%%|*}" "${pair##*|}"
done | tee "$OUT/$STAMP-proxy-floor.txt"
