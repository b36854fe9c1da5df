#!/usr/bin/env bash
# POST /countwords, two builds side by side: each round uploads FILE with `curl -T` to a fresh
# `dhttp worker` (default flags but --log-level warn) from each tree in turn, after a small
# warm-up request, and prints the MB/s, the worker's peak RSS (VmHWM), the CPU of its main
# thread and of its other threads (ticks, user+system), and whether the two answers are the
# same bytes. Ends with `wc -w` (C.UTF-8) on the same file.
#
#   bash bench/countwords-pair.sh OLD_TREE NEW_TREE FILE [ROUNDS]
#
# A tree is a built checkout (npx tsc -p tsconfig.json). FILE: any text, e.g. the corpus of
# bench/countwords-speed.ts. PORT [18600].
set -euo pipefail
OLD=${1:?old tree}
NEW=${2:?new tree}
FILE=${3:?text file}
ROUNDS=${4:-3}
PORT=${PORT:-18600}
OUT=$(mktemp -d)
W=""
trap 'if [[ -n "$W" ]]; then kill "$W" 2>/dev/null || true; fi; rm -rf "$OUT"' EXIT
BYTES=$(stat -c %s "$FILE")

ticks() { # ticks PID : "main other" user+system ticks of the main thread and of all others
  local main=0 other=0 t v
  for t in /proc/"$1"/task/*; do
    v=$(awk '{print $14 + $15}' "$t/stat")
    if [[ ${t##*/} == "$1" ]]; then main=$v; else other=$((other + v)); fi
  done
  echo "$main $other"
}

one() { # one TREE LABEL ROUND
  (cd "$1" && exec node dist/src/cli/main.js worker --host 127.0.0.1 --port "$PORT" --log-level warn >/dev/null 2>&1) &
  W=$!
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ping" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null -X POST --data-binary 'warm up the pool' "http://127.0.0.1:$PORT/countwords"
  read -r m0 o0 < <(ticks "$W")
  local t0 t1
  t0=$(date +%s.%N)
  curl -fsS -o "$OUT/$2" -X POST -T "$FILE" -H 'Content-Type: text/plain' "http://127.0.0.1:$PORT/countwords"
  t1=$(date +%s.%N)
  read -r m1 o1 < <(ticks "$W")
  local hwm
  hwm=$(awk '/VmHWM/ {print $2}' /proc/"$W"/status)
  kill "$W"
  wait "$W" 2>/dev/null || true
  W=""
  awk -v b="$BYTES" -v t0="$t0" -v t1="$t1" -v h="$hwm" -v l="$2" -v r="$3" -v m=$((m1 - m0)) -v o=$((o1 - o0)) \
    'BEGIN { printf "round %d %-4s %7.1f MB/s  peak RSS %6.1f MiB  CPU ticks main %4d other %4d\n", r, l, b / 1048576 / (t1 - t0), h / 1024, m, o }'
}

for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2 == 1)); then
    one "$OLD" old "$round"
    one "$NEW" new "$round"
  else
    one "$NEW" new "$round"
    one "$OLD" old "$round"
  fi
  if cmp -s "$OUT/old" "$OUT/new"; then echo "round $round answers: identical"; else echo "round $round answers: DIFFER"; fi
done
LC_ALL=C.UTF-8 wc -w "$FILE" >/dev/null # warms the page cache
t0=$(date +%s.%N)
LC_ALL=C.UTF-8 wc -w "$FILE" >/dev/null
t1=$(date +%s.%N)
awk -v b="$BYTES" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "wc -w      %7.1f MB/s\n", b / 1048576 / (t1 - t0) }'
