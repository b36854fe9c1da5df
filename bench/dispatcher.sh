#!/usr/bin/env bash
# Issue 5, acceptance 5: `dhttp start --workers 1` serving GET /ping through the
# dispatcher vs nginx proxying to the same kind of worker, same run, ../shared/bench/run.sh
# (wrk c=50, everything pinned to one server core). Then the dispatcher's added latency:
# p50 through the cluster vs the worker direct at c=1 (not saturated).
# Logging: --log-level warn on both sides (the nginx peer has access_log off).
# Usage: bash bench/dispatcher.sh [ROUNDS]   (needs scripts/install-bench-deps.sh; npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
# Seconds per sample; see bench/engine.sh on machines that drift (DURATION=3 with 8 rounds).
DURATION=${DURATION:-5}
source bench/proxy-targets.sh
WORKER="cmd:dhttp-worker=node dist/src/cli/main.js worker --port 18120 --host 127.0.0.1 --threads 1 --log-level warn@18120"
echo "== throughput, c=50 ==" >&2
bash $RUN --rounds "$ROUNDS" --duration "$DURATION" --max-other 25 --label dispatcher-vs-nginx --ratio "$CLUSTER" "$NGINX" | tee "$OUT/$STAMP-dispatcher-c50.txt"
echo "== added latency, c=1 ==" >&2
bash $RUN --rounds "$ROUNDS" --duration "$DURATION" --connections 1 --label dispatcher-latency "$CLUSTER" "$WORKER" "$NGINX" | tee "$OUT/$STAMP-dispatcher-c1.txt"
