#!/usr/bin/env bash
# run-webunit.sh - unit tests of the web phone's pure modules (web/src/errors.js,
# web/src/sipbody.js): every tests/web/*.test.mjs under Node's own test
# runner (`node --test`, no npm package, no browser, no web/build.sh).
#
# Prints the runner's report (one line per test, failures with the expected
# and actual text), then "N passed, N failed" counting tests; exits 1 if any
# failed, if none ran, or if node is missing.
#
# WEBUNIT_TIMEOUT (seconds, default 60) bounds the run.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
limit=${WEBUNIT_TIMEOUT:-60}

summary_fail() {
	echo "webunit: FAIL $*"
	echo "0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null || summary_fail "node is missing (scripts/install-deps.sh)"
shopt -s nullglob
files=("$here"/web/*.test.mjs)
[ ${#files[@]} -gt 0 ] || summary_fail "no tests/web/*.test.mjs"

# The spec report for the reader, a TAP copy to count from.
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
timeout -k 5 "$limit" node --test \
	--test-reporter=spec --test-reporter-destination=stdout \
	--test-reporter=tap --test-reporter-destination="$tap" \
	"${files[@]}"
rc=$?

passed=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$tap" | tail -n1)
failed=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$tap" | tail -n1)
passed=${passed:-0}
failed=${failed:-0}
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && echo "webunit: timed out after ${limit}s"
	failed=1 # the runner failed outside a counted test
fi
[ "$passed" -gt 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
