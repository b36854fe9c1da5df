#!/usr/bin/env bash
# The cost of compression (SPEC §6, issue 20 acceptance 3): requests/s and bytes on the wire
# for the dispatcher's /dashboard (compressed by the dispatcher, once per coding) and a
# ~100 KB JSON answer (/random, compressed by the worker for each answer), each asked for
# without compression (no Accept-Encoding), with gzip and with brotli, through
# `dhttp start --workers 1 --threads 1`. Rounds are interleaved (identity, gzip, br, then
# reversed) so drift hits every encoding alike. Not a test: run it on a quiet machine.
#
#   npm run build && bash bench/compression.sh [--duration 10s] [--connections 50] [--rounds 3]
#
# Prints one line per sample and a summary (median req/s per target and encoding, bytes per
# response including the head, ratio to identity); writes both to bench/results/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=10s CONNS=50 ROUNDS=3 PORT=18120
while (($#)); do
  case "$1" in
    --duration) DURATION="${2:?}"; shift 2 ;;
    --connections) CONNS="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --port) PORT="${2:?}"; shift 2 ;;
    *) echo "compression.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

DHTTP="node dist/src/cli/main.js"
OUT=bench/results; mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULT="$OUT/$STAMP-compression.txt"
LOG=$(mktemp)
TARGETS=("/dashboard" "/random?count=10000&min=0&max=1000000000")
ENCODINGS=(identity gzip br)

$DHTTP start --host 127.0.0.1 --port "$PORT" --workers 1 --threads 1 --log-level warn >/dev/null &
CLUSTER=$!
trap 'kill "$CLUSTER" 2>/dev/null; wait "$CLUSTER" 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null || { echo "compression.sh: the cluster did not start" >&2; exit 1; }

# One sample: prints "target encoding req/s bytes-per-response".
sample() {
  local target=$1 enc=$2 header=()
  [[ $enc != identity ]] && header=(-H "Accept-Encoding: $enc")
  # bench's progress goes to stderr: kept in a file, shown only when a sample fails.
  $DHTTP bench "http://127.0.0.1:$PORT$target" -c "$CONNS" -d "$DURATION" --warmup 1s "${header[@]}" --json 2>"$LOG" |
    node -e '
      const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
      if (r.errors.total > 0) { console.error("errors:", JSON.stringify(r.errors)); process.exit(1); }
      console.log(process.argv[1], process.argv[2], r.requests_per_second, Math.round(r.bytes_read / r.responses));
    ' "$target" "$enc" || { cat "$LOG" >&2; return 1; }
}

{
  echo "# compression bench $STAMP: dhttp start --workers 1 --threads 1, -c $CONNS -d $DURATION, $ROUNDS rounds"
  echo "# target encoding req/s bytes/response"
  for ((round = 0; round < ROUNDS; round++)); do
    order=("${ENCODINGS[@]}")
    ((round % 2 == 1)) && order=(br gzip identity)
    for target in "${TARGETS[@]}"; do
      for enc in "${order[@]}"; do sample "$target" "$enc"; done
    done
  done
} | tee "$RESULT.samples"

node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
  const by = new Map();
  for (const l of lines) {
    const [target, enc, rps, bytes] = l.split(" ");
    const k = `${target} ${enc}`;
    if (!by.has(k)) by.set(k, { target, enc, rps: [], bytes: Number(bytes) });
    by.get(k).rps.push(Number(rps));
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log("target".padEnd(44), "encoding".padEnd(9), "req/s".padStart(10), "bytes/resp".padStart(11), "req/s vs identity".padStart(18), "bytes vs identity".padStart(18));
  for (const v of by.values()) {
    const base = by.get(`${v.target} identity`);
    console.log(
      v.target.padEnd(44), v.enc.padEnd(9), median(v.rps).toFixed(0).padStart(10), String(v.bytes).padStart(11),
      (median(v.rps) / median(base.rps)).toFixed(2).padStart(18), (v.bytes / base.bytes).toFixed(3).padStart(18),
    );
  }
' "$RESULT.samples" | tee "$RESULT"
cat "$RESULT.samples" >> "$RESULT" && rm "$RESULT.samples"
echo "written: $RESULT"
