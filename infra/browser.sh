#!/usr/bin/env bash
# Installs what the web UI's browser tests need when it is missing: Debian's Chromium (driven by
# Playwright for .NET with ExecutablePath=/usr/bin/chromium) and the Noto CJK fonts; and IPAex Gothic,
# the TrueType-outline Japanese font the decision record PDF embeds (PDFsharp cannot embed Noto CJK's CFF).
set -euo pipefail
SUDO=""
[[ $EUID -eq 0 ]] || SUDO=sudo
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# grep reads all of fc-list's output: with -q it stops early and pipefail counts the SIGPIPE as a miss.
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
[[ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ]] || missing+=(fonts-ipaexfont-gothic)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "browser: installing ${missing[*]} (apt)"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
echo "browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium missing')"
