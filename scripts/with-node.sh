#!/usr/bin/env bash
# Runs a command with another Node.js major first on PATH: `with-node.sh 24 npm test`.
# Node comes from the npm registry (`npm i node@MAJOR` in a scratch directory, kept in
# $DHTTP_NODE_CACHE between runs), so nothing else needs to be reachable.
set -euo pipefail
major=$1
shift
cache=${DHTTP_NODE_CACHE:-/var/tmp/dhttp-node}
dir="$cache/node$major"
if ! "$dir/node_modules/.bin/node" --version 2>/dev/null | grep -q "^v$major\."; then
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && echo '{"private":true}' >package.json && npm i --no-audit --no-fund --silent "node@$major")
fi
export PATH="$dir/node_modules/.bin:$PATH"
echo "with-node: $(command -v node) $(node --version)"
exec "$@"
