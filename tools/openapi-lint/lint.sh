#!/usr/bin/env bash
# Lints an OpenAPI document with Spectral, the repository's ruleset (.spectral.yaml: spectral:oas
# and the OWASP API Security ruleset). Installs the pinned packages (package-lock.json) into
# tools/openapi-lint/node_modules (git-ignored) when missing or when the lock changed.
# Usage: tools/openapi-lint/lint.sh DOCUMENT [spectral options...]   (exit 1 on an error finding)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
document="$1"
shift
stamp="$here/node_modules/.installed-lock"
if [ ! -x "$here/node_modules/.bin/spectral" ] || ! cmp -s "$here/package-lock.json" "$stamp"; then
  (cd "$here" && SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  cp "$here/package-lock.json" "$stamp"
fi
# The ruleset (at the repository root) names the OWASP ruleset by package: resolve it here.
export NODE_PATH="$here/node_modules"
exec "$here/node_modules/.bin/spectral" lint --ruleset "$root/.spectral.yaml" --fail-severity error "$document" "$@"
