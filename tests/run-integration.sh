#!/usr/bin/env bash
# run-integration.sh BUILD_DIR - run every tests/integration/test_*.sh and
# test_*.py in name order, each under a time limit, against the daemon in
# BUILD_DIR. Each test starts its own rtcbridge and peers (see lib.sh).
# Prints PASS/FAIL per test and ends with "N passed, N failed" (N = test
# files); exits 1 if any failed.
#
#   INTEGRATION_TIMEOUT  seconds per test (default 300)
#   INTEGRATION_TESTS    space-separated file names to run only those
set -uo pipefail

build=${1:?usage: tests/run-integration.sh BUILD_DIR}
build=$(cd "$build" && pwd) || exit 1
here=$(cd "$(dirname "$0")/integration" && pwd)
limit=${INTEGRATION_TIMEOUT:-300}
export RTCBRIDGE_BUILD=$build
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree

shopt -s nullglob
tests=("$here"/test_*.sh "$here"/test_*.py)
mapfile -t tests < <(printf '%s\n' "${tests[@]}" | sort)

passed=0
failed=0
failed_names=()
ran=0
start_all=$SECONDS
for t in "${tests[@]}"; do
	name=$(basename "$t")
	if [ -n "${INTEGRATION_TESTS:-}" ] && [[ " $INTEGRATION_TESTS " != *" $name "* ]]; then
		continue
	fi
	ran=$((ran + 1))
	case $t in
	*.py) cmd=(python3 "$t" "$build") ;;
	*) cmd=(bash "$t" "$build") ;;
	esac
	echo "=== $name"
	t0=$SECONDS
	timeout -k 10 "$limit" "${cmd[@]}" </dev/null
	rc=$?
	dt=$((SECONDS - t0))
	if [ "$rc" -eq 0 ]; then
		echo "PASS $name (${dt}s)"
		passed=$((passed + 1))
	else
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "FAIL $name (timed out after ${limit}s)"
		else
			echo "FAIL $name (exit $rc, ${dt}s)"
		fi
		failed=$((failed + 1))
		failed_names+=("$name")
	fi
done

if [ "$ran" -eq 0 ]; then
	echo "run-integration: no tests in $here" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
echo "integration: $((SECONDS - start_all))s total"
[ ${#failed_names[@]} -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
