# Sourced by bench/dispatcher.sh and bench/proxy-floor.sh: the run.sh targets both compare, in
# one place so their figures always measure the same servers. Run from the project root.
RUN=../shared/bench/run.sh
OUT=bench/results; mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
CLUSTER="cmd:dhttp-start-w1=node dist/src/cli/main.js start --port 18100 --host 127.0.0.1 --workers 1 --threads 1 --log-level warn@18100"
NGINX="cmd:nginx-proxy-worker=bash bench/peers/nginx-proxy-worker.sh@18110"
