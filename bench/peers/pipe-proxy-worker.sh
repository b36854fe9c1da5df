#!/usr/bin/env bash
# Peer for bench/proxy-floor.sh: a proxy from bench/peers/ in front of one dhttp worker on a
# Unix socket, as `dhttp start` reaches its workers. PROXY picks it: pipe-proxy.mjs (the
# default: bytes copied, no HTTP), minimal-relay.mjs or minimal-pipelined.mjs (see bench/proxy-floor.sh).
# Run by run.sh as a cmd: target, in its own process group, so stopping
# the group stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:?PORT must be set}
PROXY=${PROXY:-pipe-proxy.mjs}
DIR=$(mktemp -d)
SOCK="$DIR/w1.sock"
trap 'kill $WPID 2>/dev/null; rm -rf "$DIR"' EXIT
node dist/src/cli/main.js worker --host 127.0.0.1 --port 0 --unix-socket "$SOCK" --threads 1 --log-level "${LOG_LEVEL:-warn}" >/dev/null &
WPID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
node "bench/peers/$PROXY" "$PORT" "$SOCK" &
wait $!
