#!/usr/bin/env bash
# run-fuzz.sh - build every fuzz/fuzz_*.c as a libFuzzer target and run each
# for a bounded time on its seed corpus. Fails when a target crashes, leaks,
# trips ASan/UBSan, or does not build.
#
# The library (src/*/*.c but src/app/main.c) is compiled by the Makefile's
# own rules into build-fuzz/ with the fuzzing flags, so a new source file
# needs nothing here. Seeds: fuzz/corpus/<name>/ for target fuzz_<name>;
# fuzz_sip also reads the RFC 4475/5118 torture messages from
# ../shared/testdata (RTCBRIDGE_SHARED overrides), read-only. New corpus
# entries go to a temporary directory, never into the repository; crash
# inputs are kept in build-fuzz/artifacts/.
#
#   FUZZ_SECONDS   run time per target (default 20)
#   FUZZ_TARGETS   space-separated names (sip, ...) to run only those
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
seconds=${FUZZ_SECONDS:-20}
build="build-fuzz"
shared=${RTCBRIDGE_SHARED:-$(git rev-parse --show-toplevel 2>/dev/null || echo "$top")/../shared}
testdata=$shared/testdata
CC=${FUZZ_CC:-clang}
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"

shopt -s nullglob
sources=(fuzz/fuzz_*.c)
if [ ${#sources[@]} -eq 0 ]; then
	echo "run-fuzz: no fuzz/fuzz_*.c targets" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

echo "run-fuzz: building library into $build/ with $CC $flags"
if ! make --no-print-directory BUILD="$build" CC="$CC" CFLAGS="$flags" "$build/librtcbridge.a"; then
	echo "run-fuzz: library build failed"
	echo "0 passed, ${#sources[@]} failed"
	exit 1
fi

work=$(mktemp -d /tmp/rtcbridge-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
# The libraries the daemon links with, from the Makefile (one list to keep).
libs=$(make -s --no-print-directory print-libs)
for src in "${sources[@]}"; do
	target=$(basename "$src" .c)
	name=${target#fuzz_}
	if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $name "* ]]; then
		continue
	fi
	bin=$build/fuzz/$target
	mkdir -p "$build/fuzz"
	# shellcheck disable=SC2086 # flags are words on purpose
	if ! $CC $flags -std=c11 -D_GNU_SOURCE -Isrc -Ifuzz -o "$bin" "$src" \
		"$build/librtcbridge.a" $libs; then
		echo "FAIL $target (does not build)"
		failed=$((failed + 1))
		continue
	fi

	seeds=()
	[ -d "fuzz/corpus/$name" ] && seeds+=("fuzz/corpus/$name")
	if [ "$name" = sip ]; then
		for d in rfc4475/valid rfc4475/invalid rfc4475/unclassified rfc5118/valid rfc5118/invalid; do
			if [ -d "$testdata/$d" ]; then
				seeds+=("$testdata/$d")
			else
				echo "run-fuzz: missing torture seeds $testdata/$d" >&2
				failed=$((failed + 1))
			fi
		done
	fi
	dict=()
	[ -f "fuzz/$name.dict" ] && dict=(-dict="fuzz/$name.dict")
	out=$work/$name
	mkdir -p "$out"
	log=$work/$name.log
	echo "run-fuzz: $target for ${seconds}s (seeds: ${seeds[*]:-none})"
	timeout -k 10 $((seconds + 120)) "$bin" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$name-" "${dict[@]}" \
		"$out" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "PASS $target ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?') runs)"
		passed=$((passed + 1))
	else
		echo "FAIL $target (exit $rc); last lines of its log:"
		tail -n 60 "$log" | sed 's/^/    /'
		ls "$build"/artifacts/"$name"-* 2>/dev/null | sed 's/^/    crash input: /'
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
