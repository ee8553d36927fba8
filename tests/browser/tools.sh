#!/usr/bin/env bash
# The browser of tests/browser: Debian's Chromium (package chromium, /usr/bin/chromium),
# driven by Playwright's Python client. Installs it when missing and allowed (root with
# apt-get); otherwise says so, and the browser tests fail in CI and skip elsewhere.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (Debian package) for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "browser tests: chromium is not installed and cannot be installed here" \
       "(needs root and apt-get)" >&2
fi
