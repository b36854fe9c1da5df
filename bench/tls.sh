#!/usr/bin/env bash
# HTTPS cost (issue 19 acceptance 3): `dhttp start --workers 1 --threads 1 --tls-cert …`
# against nginx terminating TLS (one worker process, same certificate, key and protocol) in
# front of the same kind of worker over a Unix socket, as `dhttp start` reaches its own.
#   keepalive: GET /ping over 50 keep-alive HTTPS connections (req/s);
#   close:     GET /ping with `Connection: close`, one TLS handshake per request (handshakes/s).
# Paired interleaved rounds (A B, B A, …), both servers pinned to CPU 0 and wrk (one thread)
# to CPU 1, so req/s ≈ requests per server CPU-second; the ratio is the median of per-round
# ratios. Both sides at --log-level warn (nginx's access log is off). The negotiated protocol
# and cipher of each side are printed (openssl s_client) so a mismatch is visible.
#
#   npm run build && bash bench/tls.sh [--rounds 3] [--duration 5] [--connections 50]
#
# Writes its output to bench/results/<UTC stamp>-tls.txt as well. Needs wrk, nginx, openssl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=3 DURATION=5 CONNS=50 PORT=18140
while (($#)); do
  case "$1" in
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --duration) DURATION="${2:?}"; shift 2 ;;
    --connections) CONNS="${2:?}"; shift 2 ;;
    *) echo "bench/tls.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk nginx openssl curl taskset setsid; do
  command -v "$tool" >/dev/null || { echo "bench/tls.sh: $tool is missing (bash scripts/install-bench-deps.sh)" >&2; exit 2; }
done
OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ)-tls.txt
mkdir -p bench/results
exec > >(tee "$OUT") 2>&1
DIR=$(mktemp -d)
chmod 755 "$DIR"
PGID=""
stop_target() {
  if [[ -n "$PGID" ]]; then
    kill -TERM -- "-$PGID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$PGID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$PGID" 2>/dev/null || true
    PGID=""
  fi
}
trap 'stop_target; rm -rf "$DIR"' EXIT

# One P-256 certificate for both sides.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>/dev/null
chmod 644 "$DIR/key.pem"

cat >"$DIR/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $DIR/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path $DIR/client_body;
  proxy_temp_path $DIR/proxy;
  fastcgi_temp_path $DIR/fastcgi;
  uwsgi_temp_path $DIR/uwsgi;
  scgi_temp_path $DIR/scgi;
  keepalive_timeout 5s;
  keepalive_requests 100000000;
  upstream backend {
    server unix:$DIR/w1.sock;
    keepalive 128;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:$PORT ssl backlog=4096;
    ssl_certificate $DIR/cert.pem;
    ssl_certificate_key $DIR/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF

# start_target NAME: the server group in its own session (so one kill stops all of it), on CPU 0.
start_target() {
  case $1 in
    dhttp)
      setsid taskset -c 0 node dist/src/cli/main.js start --port "$PORT" --host 127.0.0.1 --workers 1 --threads 1 \
        --log-level warn --tls-cert "$DIR/cert.pem" --tls-key "$DIR/key.pem" >"$DIR/dhttp.log" 2>&1 &
      ;;
    nginx)
      rm -f "$DIR/w1.sock"
      setsid taskset -c 0 bash -c "node dist/src/cli/main.js worker --host 127.0.0.1 --port 0 --unix-socket '$DIR/w1.sock' \
        --threads 1 --log-level warn >/dev/null & for _ in \$(seq 100); do [ -S '$DIR/w1.sock' ] && break; sleep 0.1; done
        chmod 666 '$DIR/w1.sock'; exec nginx -c '$DIR/nginx.conf' -p '$DIR'" >"$DIR/nginx.log" 2>&1 &
      ;;
  esac
  PGID=$!
  for _ in $(seq 200); do
    [[ $(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "https://127.0.0.1:$PORT/ping" 2>/dev/null) == 200 ]] && return 0
    sleep 0.1
  done
  echo "bench/tls.sh: $1 did not answer on https://127.0.0.1:$PORT/ping" >&2
  cat "$DIR/$1.log" >&2
  exit 1
}

cat >"$DIR/report.lua" <<'EOF'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT %.1f %d %d\n', summary.requests * 1e6 / summary.duration,
    latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
EOF

# measure NAME MODE: prints "req/s p99_us errors"
measure() {
  local extra=()
  [[ $2 == close ]] && extra=(-H "Connection: close")
  taskset -c 1 wrk -t1 -c"$CONNS" -d1s "${extra[@]}" "https://127.0.0.1:$PORT/ping" >/dev/null 2>&1 || true
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" --timeout 2s -s "$DIR/report.lua" "${extra[@]}" \
    "https://127.0.0.1:$PORT/ping" 2>&1 | sed -n 's/^RESULT //p'
}

echo "# bench/tls.sh: dhttp start (TLS) vs nginx (TLS) → worker over a Unix socket; $ROUNDS rounds × ${DURATION}s, c=$CONNS, server on CPU 0, wrk -t1 on CPU 1"
for name in dhttp nginx; do
  start_target "$name"
  neg=$(openssl s_client -connect "127.0.0.1:$PORT" -servername localhost </dev/null 2>/dev/null | grep -m1 -E '^New, ' || true)
  echo "# $name negotiates: ${neg:-unknown}"
  stop_target
done

declare -A RPS
for mode in keepalive close; do
  for ((r = 1; r <= ROUNDS; r++)); do
    order=(dhttp nginx)
    ((r % 2 == 0)) && order=(nginx dhttp)
    for name in "${order[@]}"; do
      start_target "$name"
      read -r rps p99 errs <<<"$(measure "$name" "$mode")"
      stop_target
      RPS[$mode,$name,$r]=$rps
      printf '  %-9s %-5s round %d: %9.0f req/s  p99 %7.2f ms  errors %s\n' "$mode" "$name" "$r" "$rps" \
        "$(awk -v x="$p99" 'BEGIN{print x/1000}')" "$errs"
    done
  done
  ratios=()
  for ((r = 1; r <= ROUNDS; r++)); do
    ratios+=("$(awk -v a="${RPS[$mode,dhttp,$r]}" -v b="${RPS[$mode,nginx,$r]}" 'BEGIN{printf "%.3f", (b > 0 ? a / b : 0)}')")
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END{print (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2)}')
  echo "ratio $mode dhttp/nginx = $median (per round: ${ratios[*]})"
done
echo "# written to $OUT"
