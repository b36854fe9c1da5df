#!/usr/bin/env bash
# Issue 3, acceptance 4: the engine (and the full worker) serving GET /ping against
# node:http in the same run, with ../shared/bench/run.sh (wrk, c=50, server pinned to
# one core). Three modes: keep-alive, Connection: close, pipelining depth 10.
# Usage: bash bench/engine.sh [ROUNDS]   (needs: bash scripts/install-bench-deps.sh; npm run build)
# DURATION=S (default 5) sets the seconds per sample: on a machine that drifts between fast
# and slow phases, prefer more, shorter rounds (e.g. DURATION=3 bash bench/engine.sh 8) and
# read the paired per-round ratio engine / node-http that each mode ends with.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
DURATION=${DURATION:-5}
RUN=../shared/bench/run.sh
OUT=bench/results; mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
ENGINE="cmd:dhttp-engine=node dist/bench/servers/engine-ping.js@18090"
WORKER="cmd:dhttp-worker=node dist/src/cli/main.js worker --port 18092 --host 127.0.0.1 --threads 1 --log-level info@18092"
for mode in keepalive close pipeline; do
  case $mode in
    keepalive) extra=() ;;
    close) extra=(--close) ;;
    pipeline) extra=(--pipeline 10) ;;
  esac
  echo "== $mode ==" >&2
  bash $RUN --rounds "$ROUNDS" --duration "$DURATION" --max-other 25 --label "engine-$mode" "${extra[@]}" --ratio "$ENGINE" node-http "$WORKER" \
    | tee "$OUT/$STAMP-engine-$mode.txt"
done
