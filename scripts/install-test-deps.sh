#!/usr/bin/env bash
# Debian packages the test suite uses: chromium for the dashboard's browser test.
# Idempotent; the browser test skips itself (with a message) where chromium is absent.
set -euo pipefail

# ── TLS tests (issue 19): openssl makes the test certificates, curl is one of the HTTPS
# clients. Unlike chromium these are required: the TLS tests fail without them.
if ! command -v openssl >/dev/null || ! command -v curl >/dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-test-deps: openssl and curl are needed by the TLS tests; install them (not root or no apt-get here)" >&2
  else
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl curl ca-certificates >/dev/null
  fi
fi
# ── end of the TLS block
# --- promtool (Debian's `prometheus` package) -------------------------------------------
# test/dispatcher/admin/promtool.test.ts runs `promtool check metrics` on the dispatcher's
# and a worker's /metrics. Only promtool is wanted: the package's own service is neither
# enabled nor started (policy-rc.d refuses it while installing). Without root or apt-get
# the test skips itself with a message.
install_promtool() {
  if command -v promtool >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-test-deps: not root or no apt-get; skipping promtool (the promtool test will skip)" >&2
    return 0
  fi
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null || echo "install-test-deps: prometheus did not install" >&2
  if [ "$created" = 1 ]; then rm -f "$policy"; fi
}
install_promtool
# --- end promtool -----------------------------------------------------------------------

# ── scale-out (issue 21) ─────────────────────────────────────────────────────────────────
# iproute2 (`ip netns`: the multi-host tests), yamllint (.ci/run's deploy checks), and for
# scripts/compose-test.sh: podman with runc (crun fails on hybrid cgroup hosts), netavark
# and aardvark-dns (container DNS), iptables, podman-compose, debootstrap (the base image),
# catatonit (`podman kube play` builds its pause image around it; only recommended by podman,
# so --no-install-recommends leaves it out).
# Installed only where missing; without root or apt-get those tests and checks skip.
scaleout_deps() {
  local want="iproute2 yamllint podman runc netavark aardvark-dns iptables podman-compose debootstrap catatonit"
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
