#!/usr/bin/env bash
# Peer for bench/polling.sh: `dhttp start --workers 1 --threads 1 --log-level warn` on PORT.
# Run by run.sh as a cmd: target, in its own process group, so stopping the group stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node dist/src/cli/main.js start --port "${PORT:?PORT must be set}" --host 127.0.0.1 --workers 1 --threads 1 --log-level warn >/dev/null
