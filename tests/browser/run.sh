#!/usr/bin/env bash
# tests/browser/run.sh BUILD_DIR - the web phone in a real browser.
#
# Chromium (Debian's, driven by playwright-core) loads web/dist from
# rtcbridge's HTTPS server and phones call each other through rtcbridge over
# SIP over WebSocket; a JsSIP client calls the SIP.js phone. See
# phone.test.mjs for the list of checks.
#
# Everything runs inside a private network namespace that has only a loopback
# interface: this script installs what is missing (tests/browser/install.sh:
# chromium, npm packages, web/dist; needs the network), then runs itself again
# under `unshare --net` (as root) or `unshare --net --map-root-user`, brings lo
# up, starts rtcbridge (temporary state directory; SIP 26060 udp/tcp, 26061
# tls, HTTPS 26443, HTTP 26080, so nothing clashes with other tests) and the
# browser. Prints one line per check and ends with "N passed, N failed";
# exits 1 when a check failed.
#
#   BROWSER_TEST_OUT   where screenshots and failure logs go (tests/browser/out)
#   BROWSER_TESTS      space-separated names (or substrings) of tests to run only those
#   BROWSER_HEADED=1   show the browser (needs a display; not in the namespace's default)
#   KEEP_TMP=1         keep the temporary directory (daemon log, config, state)
#   BROWSER_CONF_EXTRA appended verbatim to the daemon's configuration file
#   BROWSER_LOG_LEVEL  the daemon's log_level (info)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-${RTCBRIDGE_BUILD:-$top/build}}

summary_fail() { # message: one failed check and the closing line
	echo "browser: FAIL $*"
	echo "0 passed, 1 failed"
	exit 1
}

build=$(cd "$build" 2>/dev/null && pwd) || summary_fail "no build directory ${1:-build}"
for bin in rtcbridge rtcbridge-ctl; do
	[ -x "$build/$bin" ] || summary_fail "$build/$bin is missing: run 'make' first"
done

# ---- outside the namespace: install, then enter it -----------------------
if [ -z "${RTCB_BROWSER_IN_NETNS:-}" ]; then
	if ! bash "$here/install.sh"; then
		summary_fail "tests/browser/install.sh failed (chromium, npm ci or web/build.sh)"
	fi
	if [ "$(id -u)" -eq 0 ]; then
		ns=(unshare --net)
	else
		ns=(unshare --net --map-root-user)
	fi
	"${ns[@]}" true 2>/dev/null || summary_fail "cannot make a network namespace (${ns[*]}); needs root or user namespaces"
	RTCB_BROWSER_IN_NETNS=1 exec "${ns[@]}" -- bash "$0" "$build"
fi

# ---- inside: only loopback exists -------------------------------------------
ip link set lo up 2>/dev/null || summary_fail "cannot bring up lo in the namespace"
if ip -o link show | grep -v ': lo:' | grep -q .; then
	summary_fail "the namespace has interfaces besides lo; refusing to run"
fi

SIP_PORT=26060
TLS_PORT=26061
HTTPS_PORT=26443
HTTP_PORT=26080
OUT=${BROWSER_TEST_OUT:-$here/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
T=$(mktemp -d /tmp/rtcbridge-browser.XXXXXX)
STATE=$T/state
CONF=$T/rtcbridge.conf
LOG=$T/rtcbridge.log
mkdir -p "$STATE"
DAEMON_PID=
extra_failed=0
extra_passed=0

log() { printf '[browser] %s\n' "$*"; }

cleanup() {
	local rc=$?
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	if [ "$rc" -ne 0 ] && [ -s "$LOG" ]; then
		echo "----- rtcbridge log (last 200 lines of $LOG) -----"
		tail -n 200 "$LOG" | sed 's/^/  /'
	fi
	if [ "${KEEP_TMP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ -z "${CI:-}" ]; }; then
		log "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

cat >"$CONF" <<EOF
; written by tests/browser/run.sh
[general]
log_level = ${BROWSER_LOG_LEVEL:-info}
syslog = no
state_dir = $STATE

[sip]
listen = 127.0.0.1, ::1
udp_port = $SIP_PORT
tcp_port = $SIP_PORT
tls_port = $TLS_PORT

[registrar]
min_expires = 1
max_expires = 3600
default_expires = 600

[proxy]
invite_timeout = 30

[http]
https_port = $HTTPS_PORT
http_port = $HTTP_PORT
web_root = $top/web/dist
${BROWSER_CONF_EXTRA:-}
EOF

if ! "$build/rtcbridge" -c "$CONF" --state-dir "$STATE" --check-config >"$T/check-config.out" 2>&1; then
	cat "$T/check-config.out"
	summary_fail "rtcbridge --check-config refused the test configuration (does this build have the [http] server?)"
fi

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

"$build/rtcbridge" -c "$CONF" --state-dir "$STATE" >"$LOG" 2>&1 &
DAEMON_PID=$!
deadline=$((SECONDS + 15))
until port_open "$HTTPS_PORT" && port_open "$SIP_PORT"; do
	if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		wait "$DAEMON_PID"
		log "rtcbridge exited during start-up (status $?)"
		DAEMON_PID=
		tail -n 50 "$LOG"
		summary_fail "daemon did not start"
	fi
	[ "$SECONDS" -lt "$deadline" ] || summary_fail "rtcbridge did not listen on $HTTPS_PORT/$SIP_PORT within 15 s"
	sleep 0.2
done
log "rtcbridge pid $DAEMON_PID listens (https $HTTPS_PORT, http $HTTP_PORT, sip $SIP_PORT)"

# Users, added after the start so the daemon's realms (127.0.0.1 among them)
# are recorded. Random passwords, handed to the test by environment.
users_json="{"
sep=
for ext in 1001 1002 1003 1004 1005 1006; do
	pw=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 12)
	if ! timeout 20 "$build/rtcbridge-ctl" --state-dir "$STATE" user add "$ext" - <<<"$pw" >/dev/null; then
		summary_fail "rtcbridge-ctl user add $ext failed"
	fi
	users_json+="$sep\"$ext\":\"$pw\""
	sep=,
done
users_json+="}"

export RTCB_HTTPS_URL="https://127.0.0.1:$HTTPS_PORT/"
export RTCB_HTTP_URL="http://127.0.0.1:$HTTP_PORT/"
export RTCB_USERS="$users_json"
export RTCB_OUT="$OUT"
export RTCB_WEB="$top/web"
export RTCB_RESULTS="$T/results"
export RTCB_CHROMIUM=${RTCB_CHROMIUM:-/usr/bin/chromium}

timeout -k 5 "${BROWSER_TIMEOUT:-178}" node "$here/phone.test.mjs"
rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	log "FAIL the browser tests did not finish within ${BROWSER_TIMEOUT:-178} s"
	extra_failed=$((extra_failed + 1))
fi

# The daemon must still be alive and stop cleanly on SIGTERM.
stop_ok=0
if kill -0 "$DAEMON_PID" 2>/dev/null; then
	kill -TERM "$DAEMON_PID"
	deadline=$((SECONDS + 5))
	while kill -0 "$DAEMON_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		log "FAIL rtcbridge still running 5 s after SIGTERM"
	else
		wait "$DAEMON_PID"
		status=$?
		[ "$status" -eq 0 ] && stop_ok=1 || log "FAIL rtcbridge exited with status $status after SIGTERM"
	fi
else
	wait "$DAEMON_PID"
	log "FAIL rtcbridge died during the tests (status $?)"
fi
DAEMON_PID=
if [ "$stop_ok" = 1 ]; then
	log "ok   rtcbridge survived the tests and stopped cleanly"
	extra_passed=$((extra_passed + 1))
else
	extra_failed=$((extra_failed + 1))
fi

passed=0
failed=0
if [ -s "$RTCB_RESULTS" ]; then
	read -r passed failed <"$RTCB_RESULTS"
elif [ "$rc" -ne 0 ]; then
	log "FAIL phone.test.mjs exited $rc before reporting results"
	failed=1
fi
passed=$((passed + extra_passed))
failed=$((failed + extra_failed))
[ "$failed" -gt 0 ] || [ "$rc" -eq 0 ] || failed=1
log "screenshots and failure logs: $OUT"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
