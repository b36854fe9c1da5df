#!/usr/bin/env bash
# Peer for bench/dispatcher.sh and bench/all.sh: nginx (the shared nginx-proxy template: 1
# worker process, keep-alive upstream pool) in front of one dhttp worker. The worker listens
# on PORT+1, or with UPSTREAM=unix on a Unix socket, as `dhttp start` reaches its workers.
# Run by run.sh as a cmd: target, in its own process group, so stopping the group stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:?PORT must be set}
UP=$((PORT + 1))
DIR=$(mktemp -d)
trap 'kill $WPID 2>/dev/null; rm -rf "$DIR"' EXIT
if [[ "${UPSTREAM:-tcp}" == unix ]]; then
  SOCK="$DIR/w1.sock"
  node dist/src/cli/main.js worker --host 127.0.0.1 --port 0 --unix-socket "$SOCK" --threads 1 --log-level "${LOG_LEVEL:-warn}" >/dev/null &
  WPID=$!
  for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
  # nginx started as root serves from an unprivileged user (www-data), which must reach the socket.
  chmod 755 "$DIR"
  chmod 666 "$SOCK"
  sed -e "s#@PORT@#$PORT#g" -e "s#server 127.0.0.1:@UPSTREAM@;#server unix:$SOCK;#" -e "s#@DIR@#$DIR#g" \
    ../shared/bench/peers/nginx-proxy.conf.tmpl >"$DIR/nginx.conf"
else
  node dist/src/cli/main.js worker --host 127.0.0.1 --port "$UP" --threads 1 --log-level "${LOG_LEVEL:-warn}" >/dev/null &
  WPID=$!
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$UP/ping" >/dev/null 2>&1 && break; sleep 0.1; done
  sed -e "s#@PORT@#$PORT#g" -e "s#@UPSTREAM@#$UP#g" -e "s#@DIR@#$DIR#g" ../shared/bench/peers/nginx-proxy.conf.tmpl >"$DIR/nginx.conf"
fi
grep -q "server unix:\|server 127.0.0.1:$UP;" "$DIR/nginx.conf" || { echo "nginx-proxy-worker.sh: upstream line not found in the template" >&2; exit 1; }
nginx -c "$DIR/nginx.conf" -p "$DIR" &
wait $!
