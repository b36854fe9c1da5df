#!/usr/bin/env bash
# Debian packages the benchmarks in bench/ need (never the tests): wrk, nginx, HAProxy.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq wrk nginx-light haproxy curl >/dev/null
