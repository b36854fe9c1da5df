#!/usr/bin/env bash
# The cost of watching the cluster (issue 20 acceptance 4): `dhttp start --workers 1
# --threads 1` under wrk (GET /ping, keep-alive c=50) with and without a poller asking for
# /status and /metrics every 100 ms over keep-alive (what the dashboard and a 10 Hz scraper
# do together). The two targets are the same command on two ports; the poller runs for the
# whole benchmark, outside the servers' process groups (so its CPU is not counted as
# theirs), pinned to CPU 1 with wrk, and asks only the "polled" port. Paired interleaved
# rounds through ../shared/bench/run.sh (servers on CPU 0); the last line is the ratio
# polled/unpolled (1.00 = free).
#
#   npm run build && bash bench/polling.sh [ROUNDS=8] [DURATION=5]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-8}
DURATION=${2:-5}
OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ)-polling.txt
mkdir -p bench/results
taskset -c 1 node -e '
  const http = require("node:http");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  let ok = 0, failed = 0;
  const get = (path) => http.get({ host: "127.0.0.1", port: 18150, path, agent }, (res) => {
    res.resume();
    res.on("end", () => (res.statusCode === 200 ? ok++ : failed++));
  }).on("error", () => failed++);
  setInterval(() => { get("/status"); get("/metrics"); }, 100);
  process.on("SIGTERM", () => { console.error(`poller: ${ok} answers, ${failed} failed (the target is down between samples)`); process.exit(0); });
' &
POLLER=$!
trap 'kill $POLLER 2>/dev/null || true' EXIT
bash ../shared/bench/run.sh --rounds "$ROUNDS" --duration "$DURATION" --max-other 25 --label polling --ratio \
  "cmd:polled=bash bench/peers/polled-start.sh@18150" \
  "cmd:unpolled=bash bench/peers/polled-start.sh@18152" 2>&1 | tee "$OUT"
kill $POLLER
wait $POLLER 2>/dev/null || true
