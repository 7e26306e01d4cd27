#!/usr/bin/env bash
# The README's test command: starts PostgreSQL and RabbitMQ on loopback when they are not
# running (installing them on a plain Debian machine), then runs the whole test suite.
# Ends with one line "N passed, N failed"; the exit code is dotnet test's.
# Tests marked [Trait("Category", "Long")] (fault variants that take a minute or more each) run
# only with --long:  bash infra/test.sh --long
set -uo pipefail
cd "$(dirname "$0")/.."

bash infra/services.sh start || { echo "0 passed, 1 failed"; exit 1; }
# The browser tests drive Debian's Chromium (Playwright cannot download a browser here), with
# Japanese fonts so that pages and screenshots render as a person sees them.
bash infra/browser.sh || { echo "0 passed, 1 failed"; exit 1; }
# The OpenAPI lint (Spectral, tools/openapi-lint) runs on Node; the machine's own when it has one.
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
eval "$(bash infra/services.sh env)"

filter=(--filter "Category!=Long")
if [ "${1:-}" = "--long" ]; then
  filter=()
fi

results=TestResults
rm -rf "$results"
dotnet test AomoriReform.sln "${filter[@]}" --logger "trx" --results-directory "$results" --logger "console;verbosity=minimal"
status=$?

passed=0 failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or the test host failed before any test could fail.
  failed=1
fi
if [ $((passed + failed)) -eq 0 ]; then
  # No test ran at all (once seen: dotnet test ended after the first project's build with status 0): never green.
  failed=1 status=1
fi
echo "$passed passed, $failed failed"
exit "$status"
