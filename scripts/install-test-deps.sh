#!/usr/bin/env bash
# Debian packages the test suite uses: chromium for the dashboard's browser test.
# Idempotent; the browser test skips itself (with a message) where chromium is absent.
set -euo pipefail

# ── scale-out (issue 21) ─────────────────────────────────────────────────────────────────
# iproute2 (`ip netns`: the multi-host tests), yamllint (.ci/run's deploy checks), and for
# scripts/compose-test.sh: podman with runc (crun fails on hybrid cgroup hosts), netavark
# and aardvark-dns (container DNS), iptables, podman-compose, debootstrap (the base image).
# Installed only where missing; without root or apt-get those tests and checks skip.
scaleout_deps() {
  local want="iproute2 yamllint podman runc netavark aardvark-dns iptables podman-compose debootstrap"
  local missing="" p
  for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-test-deps: not root or no apt-get; not installing$missing (those tests skip)" >&2
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086 # the list is words
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; } ||
    echo "install-test-deps: could not install$missing (those tests skip)" >&2
}
scaleout_deps
# ── end scale-out ────────────────────────────────────────────────────────────────────────
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-test-deps: not root or no apt-get; skipping chromium (the dashboard browser test will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
