#!/usr/bin/env bash
# Peer for bench/dispatcher.sh: nginx (the shared nginx-proxy template: 1 worker process,
# keep-alive upstream pool) in front of one dhttp worker on PORT+1. Run by run.sh as a
# cmd: target, in its own process group, so stopping the group stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:?PORT must be set}
UP=$((PORT + 1))
DIR=$(mktemp -d)
trap 'kill $WPID 2>/dev/null; rm -rf "$DIR"' EXIT
node dist/src/cli/main.js worker --host 127.0.0.1 --port "$UP" --threads 1 --log-level "${LOG_LEVEL:-warn}" >/dev/null &
WPID=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$UP/ping" >/dev/null 2>&1 && break; sleep 0.1; done
sed -e "s#@PORT@#$PORT#g" -e "s#@UPSTREAM@#$UP#g" -e "s#@DIR@#$DIR#g" ../shared/bench/peers/nginx-proxy.conf.tmpl >"$DIR/nginx.conf"
nginx -c "$DIR/nginx.conf" -p "$DIR" &
wait $!
