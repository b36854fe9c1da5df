#!/usr/bin/env bash
# Worker CPU per request, two builds side by side: how a change moves the cost of GET /ping
# when req/s alone is too noisy to tell (this machine's speed drifts by a third between runs).
# Each round starts `dhttp worker --threads 1` (default flags) from each tree in turn, pinned
# to CPU 0, drives it with wrk on CPU 1, and reads the worker's user and system time from
# /proc over wrk's requests. Prints one line per sample and the old/new CPU ratio per round.
#
#   bash bench/cpu-per-request.sh OLD_TREE NEW_TREE [keepalive|close|pipeline] [ROUNDS]
#
# A tree is a built checkout (npx tsc -p tsconfig.json), e.g. a `git worktree` of the parent
# commit as OLD and this checkout as NEW. DURATION seconds per sample [4], PORT [18500].
set -euo pipefail
OLD=${1:?old tree}
NEW=${2:?new tree}
MODE=${3:-keepalive}
ROUNDS=${4:-3}
DURATION=${DURATION:-4}
PORT=${PORT:-18500}
HZ=$(getconf CLK_TCK)
LUA=$(mktemp --suffix .lua)
trap 'rm -f "$LUA"' EXIT
# Ten requests per write (wrk's pipelining recipe).
cat >"$LUA" <<'EOF'
init = function(args)
  local r = {}
  for i = 1, 10 do r[i] = wrk.format(nil, "/ping") end
  req = table.concat(r)
end
request = function() return req end
EOF
case $MODE in
  keepalive) ARGS=() ;;
  close) ARGS=(-H "Connection: close") ;;
  pipeline) ARGS=(-s "$LUA") ;;
  *) echo "mode must be keepalive, close or pipeline" >&2; exit 2 ;;
esac

# Prints "rps user_us sys_us" for the worker built in tree $1.
sample() {
  local tree=$1 pid before after out requests rps
  (cd "$tree" && exec taskset -c 0 node dist/src/cli/main.js worker --port "$PORT" --host 127.0.0.1 --threads 1 >/dev/null 2>&1) &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$PORT/ping" && break; sleep 0.1; done
  taskset -c 1 wrk -t1 -c50 -d2s "${ARGS[@]}" "http://127.0.0.1:$PORT/ping" >/dev/null
  before=$(awk '{print $14, $15}' "/proc/$pid/stat")
  out=$(taskset -c 1 wrk -t1 -c50 -d"${DURATION}s" "${ARGS[@]}" "http://127.0.0.1:$PORT/ping")
  after=$(awk '{print $14, $15}' "/proc/$pid/stat")
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  read -r u0 s0 <<<"$before"
  read -r u1 s1 <<<"$after"
  awk -v r="$rps" -v n="$requests" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$HZ" \
    'BEGIN { printf "%s %.2f %.2f\n", r, u * 1e6 / hz / n, s * 1e6 / hz / n }'
}

echo "mode $MODE, $ROUNDS rounds of ${DURATION}s; µs of worker CPU per request"
for round in $(seq "$ROUNDS"); do
  read -r orps ou os <<<"$(sample "$OLD")"
  read -r nrps nu ns <<<"$(sample "$NEW")"
  echo "round $round  old: $orps req/s, user $ou + sys $os  new: $nrps req/s, user $nu + sys $ns"
  awk -v a="$ou" -v b="$os" -v c="$nu" -v d="$ns" 'BEGIN { printf "  old/new CPU per request %.3f\n", (a + b) / (c + d) }'
done
