#!/usr/bin/env bash
# run-unit.sh BUILD_DIR - run every unit test program BUILD_DIR/tests/*/test_*
# (cmocka), each under a time limit, and print one summary line.
#
# Counts are cmocka test cases, read from each program's "[  PASSED  ] N"
# and "[  FAILED  ] N" lines, plus one failed case per "[  ERROR   ] name"
# (a case whose setup or teardown failed: the leak check is a teardown). A
# program that exits non-zero without saying how many cases failed (crash,
# sanitizer report, timeout) counts as one failed case. Ends with
# "N passed, N failed"; exits 1 if any failed or if there is no test
# program at all.
#
# UNIT_TIMEOUT (seconds per program, default 300) bounds each run.
set -uo pipefail

build=${1:?usage: tests/run-unit.sh BUILD_DIR}
limit=${UNIT_TIMEOUT:-300}
export CMOCKA_MESSAGE_OUTPUT=${CMOCKA_MESSAGE_OUTPUT:-stdout}
# Sanitizer builds: fail hard, report leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

shopt -s nullglob
programs=("$build"/tests/*/test_*)
passed=0
failed=0
failed_programs=()
ran=0

for prog in "${programs[@]}"; do
	case $prog in *.d|*.o) continue ;; esac
	[ -f "$prog" ] && [ -x "$prog" ] || continue
	ran=$((ran + 1))
	name=${prog#"$build"/tests/}
	log=$(mktemp)
	timeout -k 5 "$limit" "$prog" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | tail -n1)
	e=$(grep -c '^\[  ERROR   \] [A-Za-z_]' "$log")
	p=${p:-0}
	f=$((${f:-0} + e))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed, timed out or failed outside a counted case
	fi
	if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		p=1 # a passing program that is not cmocka: one case
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "PASS $name ($p cases)"
	else
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "FAIL $name (timed out after ${limit}s)"
		else
			echo "FAIL $name (exit $rc, $f of $((p + f)) cases failed)"
		fi
		sed 's/^/    /' "$log"
		failed_programs+=("$name")
	fi
	rm -f "$log"
done

if [ "$ran" -eq 0 ]; then
	echo "run-unit: no test programs under $build/tests/ (build them with 'make unit')" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ${#failed_programs[@]} -gt 0 ]; then
	echo "failed programs: ${failed_programs[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
