#!/usr/bin/env bash
# tests/browser/run.sh BUILD_DIR - the web phone in a real browser.
#
# Chromium (Debian's, driven by playwright-core) loads web/dist from
# rtcbridge's HTTPS server and phones call each other through rtcbridge over
# SIP over WebSocket; a JsSIP client calls the SIP.js phone. See
# phone.test.mjs for the list of checks. Then gateway.test.mjs: the web phone
# calls a real SIP phone (baresip, extension 1007 over UDP, started here) and
# back through rtcbridge's media gateway, audio checked by frequency both
# ways, and a tshark capture shows DTLS-SRTP on the browser leg and plain RTP
# on the phone leg.
#
# Everything runs inside a private network namespace that has only a loopback
# interface: this script installs what is missing (tests/browser/install.sh:
# chromium, npm packages, web/dist; needs the network), then runs itself again
# under `unshare --net` (as root) or `unshare --net --map-root-user`, brings lo
# up, starts rtcbridge (temporary state directory; SIP 26060 udp/tcp, 26061
# tls, HTTPS 26443, HTTP 26080, media relay 26100-26199, so nothing clashes
# with other tests), baresip (SIP 26072, ctrl_tcp 26091, RTP 26200-26249) and
# the browser. Prints one line per check and ends with "N passed, N failed";
# exits 1 when a check failed.
#
#   BROWSER_TEST_OUT   where screenshots and failure logs go (tests/browser/out)
#   BROWSER_TESTS      space-separated names (or substrings) of tests to run only those
#   BROWSER_HEADED=1   show the browser (needs a display; not in the namespace's default)
#   KEEP_TMP=1         keep the temporary directory (daemon log, config, state)
#   BROWSER_CONF_EXTRA appended verbatim to the daemon's configuration file
#   BROWSER_LOG_LEVEL  the daemon's log_level (info)
#   BROWSER_TIMEOUT, BROWSER_GATEWAY_TIMEOUT  time limits of phone.test.mjs
#                      (178 s) and gateway.test.mjs (110 s)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# baresip_config: the configuration of gateway.test.mjs's phone
# shellcheck source=tests/baresip.sh
. "$top/tests/baresip.sh"
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
RELAY_PORTS=26100-26199
BARESIP_EXT=1007
BARESIP_SIP_PORT=26072 # baresip also takes TCP 26072 and TLS 26073
BARESIP_CTRL_PORT=26091
BARESIP_RTP_PORTS=26200-26249
BARESIP_TONE_HZ=1000
OUT=${BROWSER_TEST_OUT:-$here/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
T=$(mktemp -d /tmp/rtcbridge-browser.XXXXXX)
STATE=$T/state
CONF=$T/rtcbridge.conf
LOG=$T/rtcbridge.log
mkdir -p "$STATE"
DAEMON_PID=
BARESIP_PID=

log() { printf '[browser] %s\n' "$*"; }

# stop_baresip: SIGTERM (it un-registers), SIGKILL after 3 s.
stop_baresip() {
	[ -n "$BARESIP_PID" ] || return 0
	kill -TERM "$BARESIP_PID" 2>/dev/null
	local deadline=$((SECONDS + 3))
	while kill -0 "$BARESIP_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
	kill -KILL "$BARESIP_PID" 2>/dev/null
	wait "$BARESIP_PID" 2>/dev/null
	BARESIP_PID=
}

cleanup() {
	local rc=$?
	stop_baresip
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

[media]
port_min = ${RELAY_PORTS%-*}
port_max = ${RELAY_PORTS#*-}

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
for ext in 1001 1002 1003 1004 1005 1006 "$BARESIP_EXT"; do
	pw=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 12)
	if ! timeout 20 "$build/rtcbridge-ctl" --state-dir "$STATE" user add "$ext" - <<<"$pw" >/dev/null; then
		summary_fail "rtcbridge-ctl user add $ext failed"
	fi
	users_json+="$sep\"$ext\":\"$pw\""
	sep=,
	[ "$ext" = "$BARESIP_EXT" ] && baresip_pw=$pw
done
users_json+="}"

# baresip, the SIP phone of gateway.test.mjs: UDP to rtcbridge, G.711 only,
# no ICE or SRTP modules (a plain phone), answers calls by itself, sends a
# sine (ausine), records what it decodes (sndfile, into rec/), plays nothing
# (aubridge), is driven through ctrl_tcp. -s traces SIP into its log, which
# the test reads (stdbuf: line by line, not in 4 KB blocks); -t: it quits by
# itself even if this script is killed. When it is missing or does not start,
# gateway.test.mjs fails and says so.
BARESIP_DIR=$T/baresip
BARESIP_LOG=$T/baresip.log
if command -v baresip >/dev/null; then
	baresip_config "$BARESIP_DIR" "127.0.0.1:$BARESIP_SIP_PORT" 127.0.0.1 "127.0.0.1:$BARESIP_CTRL_PORT" \
		"$BARESIP_RTP_PORTS" "$BARESIP_TONE_HZ" "$BARESIP_DIR/rec"
	printf '<sip:%s@127.0.0.1>;auth_pass=%s;outbound="sip:127.0.0.1:%d;transport=udp";answermode=auto;regint=300;audio_codecs=pcmu,pcma\n' \
		"$BARESIP_EXT" "$baresip_pw" "$SIP_PORT" >"$BARESIP_DIR/accounts"
	stdbuf -oL -eL baresip -f "$BARESIP_DIR" -s -t 400 >"$BARESIP_LOG" 2>&1 </dev/null &
	BARESIP_PID=$!
	log "baresip pid $BARESIP_PID (extension $BARESIP_EXT, ctrl_tcp $BARESIP_CTRL_PORT, rtp $BARESIP_RTP_PORTS)"
else
	log "baresip is not installed (scripts/install-deps.sh): the gateway tests will fail"
fi

export RTCB_HTTPS_URL="https://127.0.0.1:$HTTPS_PORT/"
export RTCB_HTTPS_URL6="https://[::1]:$HTTPS_PORT/" # the gateway tests: see gateway.test.mjs
export RTCB_HTTP_URL="http://127.0.0.1:$HTTP_PORT/"
export RTCB_USERS="$users_json"
export RTCB_OUT="$OUT"
export RTCB_WEB="$top/web"
export RTCB_CHROMIUM=${RTCB_CHROMIUM:-/usr/bin/chromium}
export RTCB_TMP="$T"
export RTCB_CTL="$build/rtcbridge-ctl"
export RTCB_STATE="$STATE"
export RTCB_RELAY_PORTS="$RELAY_PORTS"
export RTCB_BARESIP_EXT="$BARESIP_EXT"
export RTCB_BARESIP_SIP="127.0.0.1:$BARESIP_SIP_PORT"
export RTCB_BARESIP_CTRL="$BARESIP_CTRL_PORT"
export RTCB_BARESIP_RTP_PORTS="$BARESIP_RTP_PORTS"
export RTCB_BARESIP_TONE="$BARESIP_TONE_HZ"
export RTCB_BARESIP_LOG="$BARESIP_LOG"
export RTCB_BARESIP_REC="$BARESIP_DIR/rec"

passed=0
failed=0

# run_tests SCRIPT SECONDS: one test program under a time limit; its "PASSED
# FAILED" (written to RTCB_RESULTS) is added to the totals, and a program that
# fails without saying so counts as one failure.
run_tests() {
	local script=$1 limit=$2 results="$T/results-${1%%.*}" rc p=0 f=0
	RTCB_RESULTS=$results timeout -k 5 "$limit" node "$here/$script"
	rc=$?
	if [ -s "$results" ]; then
		read -r p f <"$results"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		log "FAIL $script did not finish within $limit s"
	elif [ "$rc" -ne 0 ]; then
		log "FAIL $script exited $rc before reporting results"
	fi
	[ "$f" -gt 0 ] || [ "$rc" -eq 0 ] || f=1
	passed=$((passed + p))
	failed=$((failed + f))
}

run_tests phone.test.mjs "${BROWSER_TIMEOUT:-178}"
run_tests gateway.test.mjs "${BROWSER_GATEWAY_TIMEOUT:-110}"
stop_baresip

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
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi

log "screenshots and failure logs: $OUT"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
