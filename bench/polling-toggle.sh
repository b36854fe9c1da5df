#!/usr/bin/env bash
# The cost of watching the cluster, measured within one run (issue 20 acceptance 4, second
# method): one `dhttp start --workers 1 --threads 1 --log-level warn` (CPU 0) under
# `dhttp bench -c 50` (CPU 1) for SECONDS, while a poller (CPU 1) asks for /status and
# /metrics every 100 ms during every other BLOCK-second stretch. Each polled stretch is
# paired with the unpolled stretch before it; the result is the median of those ratios.
# Same processes throughout, so the machine's slow and fast phases (which move whole
# samples in bench/polling.sh) fall on both sides of each pair.
#
#   npm run build && bash bench/polling-toggle.sh [SECONDS=60] [BLOCK=2]
#
# POLL_PATHS (default "/status /metrics") changes what is polled: "/ping /ping" is the
# control, what the poller's own CPU on the load generator's core costs (two cores here).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TOTAL=${1:-60}
BLOCK=${2:-2}
PORT=18155
OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ)-polling-toggle${POLL_PATHS:+-control}.txt
mkdir -p bench/results
DIR=$(mktemp -d)
setsid taskset -c 0 node dist/src/cli/main.js start --port "$PORT" --host 127.0.0.1 --workers 1 --threads 1 --log-level warn >/dev/null 2>&1 &
GROUP=$!
trap 'kill -- -$GROUP 2>/dev/null || true; kill $POLLER 2>/dev/null || true; rm -rf "$DIR"' EXIT
POLLER=""
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/ready" && break; sleep 0.1; done
T0=$(node -e 'console.log(Date.now() + 300)')
taskset -c 1 env T0="$T0" BLOCK="$BLOCK" PORT="$PORT" POLL_PATHS="${POLL_PATHS:-/status /metrics}" node -e '
  const http = require("node:http");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const t0 = Number(process.env.T0), block = Number(process.env.BLOCK) * 1000;
  let polls = 0;
  setInterval(() => {
    const t = Date.now() - t0;
    if (t < 0 || Math.floor(t / block) % 2 === 0) return; // odd stretches are polled
    for (const path of process.env.POLL_PATHS.split(" "))
      http.get({ host: "127.0.0.1", port: Number(process.env.PORT), path, agent }, (r) => { r.resume(); polls++; }).on("error", () => {});
  }, 100);
  process.on("SIGTERM", () => { console.error(`poller: ${polls} answers`); process.exit(0); });
' &
POLLER=$!
sleep "$(node -e "console.log(Math.max(0, ($T0 - Date.now()) / 1000))")"
taskset -c 1 node dist/src/cli/main.js bench "http://127.0.0.1:$PORT/ping" -c 50 -d "${SECONDS_TOTAL}s" --json >"$DIR/bench.json"
kill $POLLER
wait $POLLER 2>/dev/null || true
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const block = Number(process.argv[2]);
  const stretches = [];
  for (const s of r.series) {
    const i = Math.floor((s.second - 1) / block);
    (stretches[i] ??= []).push(s.requests);
  }
  const rate = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratios = [];
  for (let i = 1; i < stretches.length; i += 2) {
    if (stretches[i]?.length === block && stretches[i - 1]?.length === block) ratios.push(rate(stretches[i]) / rate(stretches[i - 1]));
  }
  // The first pair includes the warm-up second: left out.
  const used = ratios.slice(1).sort((a, b) => a - b);
  const median = used.length % 2 ? used[(used.length - 1) / 2] : (used[used.length / 2 - 1] + used[used.length / 2]) / 2;
  console.log(`requests ${r.requests} in ${(r.duration_ms / 1000).toFixed(0)} s, errors ${r.errors.total}; ${used.length} pairs of ${block}-s stretches`);
  console.log(`per pair polled/unpolled: ${used.map((x) => x.toFixed(3)).join(" ")}`);
  console.log(`ratio polled/unpolled = ${median.toFixed(3)} (median; mean ${(used.reduce((a, b) => a + b, 0) / used.length).toFixed(3)})`);
' "$DIR/bench.json" "$BLOCK" | tee "$OUT"
