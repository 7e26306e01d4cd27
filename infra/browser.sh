#!/usr/bin/env bash
# Installs what the web UI's browser tests need when it is missing: Debian's Chromium (driven by
# Playwright for .NET with ExecutablePath=/usr/bin/chromium) and the Noto CJK fonts.
set -euo pipefail
SUDO=""
[[ $EUID -eq 0 ]] || SUDO=sudo
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "browser: installing ${missing[*]} (apt)"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
echo "browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium missing')"
