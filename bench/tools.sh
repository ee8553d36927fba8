#!/usr/bin/env bash
# The load generator and the baseline proxy of bench/gateway.py: wrk and nginx, from Debian's
# packages. Installs them when missing and allowed (root with apt-get); otherwise says what
# is missing, and bench/gateway.py says what it skipped.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages) for the benchmarks"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "bench: ${missing[*]} not installed and cannot be installed here (needs root and apt-get);" \
       "the gateway figures that need them will be skipped" >&2
fi
