#!/usr/bin/env bash
# The browser of tests/browser: Debian's Chromium (package chromium, /usr/bin/chromium),
# driven by Playwright's Python client, and a Korean font (fonts-noto-cjk) so that the
# Korean pages' screenshots show letters, not boxes. Installs what is missing when allowed
# (root with apt-get); otherwise says so, and the browser tests fail in CI and skip elsewhere
# (a missing font only makes the screenshots poorer).
set -euo pipefail
missing=()
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=ko 2>/dev/null)" ]; then
  missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" = 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages) for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "browser tests: ${missing[*]} not installed and cannot be installed here" \
       "(needs root and apt-get)" >&2
fi
