#!/usr/bin/env bash
# Refreshes the vendored Digital Agency design tokens (@digital-go-jp/design-tokens, MIT)
# under src/Host/wwwroot/lib/design-tokens from the npm registry. Usage:
#   bash infra/refresh-design-tokens.sh [VERSION]     (default: the version in VERSION there)
set -euo pipefail
cd "$(dirname "$0")/.."
target=src/Host/wwwroot/lib/design-tokens
version="${1:-$(cat "$target/VERSION")}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@digital-go-jp/design-tokens@$version" >/dev/null && tar xzf ./*.tgz)
cp "$work/package/dist/tokens.css" "$work/package/LICENSE" "$target/"
echo "$version" > "$target/VERSION"
echo "design tokens $version -> $target"
