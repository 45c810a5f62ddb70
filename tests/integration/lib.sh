# lib.sh - shared helpers for the integration tests (sourced, not run).
#
# A test does:
#
#   . "$(dirname "$0")/lib.sh"
#   rtcb_init "$@"              # BUILD dir from $1 (or RTCBRIDGE_BUILD), temp dir $T
#   rtcb_config                 # write $CONF (set CONF_* variables first to change it)
#   rtcb_start                  # daemon in background, waits for an OPTIONS 200
#   rtcb_ctl user add 1001 pw   # rtcbridge-ctl on the test's state dir
#   check "what" cmd args...    # run one check, print ok/FAIL, keep going
#   rtcb_finish                 # stop the daemon (must exit within 5 s), exit 0/1
#
# Everything a test starts is stopped by the EXIT trap; on failure the
# daemon's log and the peers' logs are printed. Network traffic goes to
# 127.0.0.1 and ::1 only. Ports: SIP UDP/TCP 25060, TLS 25061, HTTPS+WSS
# 25543, HTTP+WS 25580 (a `make run` instance on 5060/5061/8443 is not
# disturbed); test peers use 25070-25499.
#
# Set KEEP_TMP=1 to keep the temporary directory for a look afterwards.

set -uo pipefail

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$LIB_DIR/../.." && pwd)
# baresip_config: the test phones' baresip configuration
# shellcheck source=tests/baresip.sh
. "$TOP/tests/baresip.sh"
SIPP_DIR=$TOP/tests/sipp
SIP_HOST=127.0.0.1
SIP_HOST6=::1
SIP_PORT=25060
TLS_PORT=25061
HTTPS_PORT=25543 # HTTPS + WSS
HTTP_PORT=25580  # plain HTTP + WS

FAILURES=0
CHECKS=0
RTCB_PID=
RTCB_STARTS=0
BG_PIDS=()
BG_NAMES=()
TEST_NAME=$(basename "$0")

log() { printf '[%s] %s\n' "$TEST_NAME" "$*"; }

# Where ../shared is: next to the repository top, or RTCBRIDGE_SHARED.
shared_dir() {
	if [ -n "${RTCBRIDGE_SHARED:-}" ]; then
		printf '%s\n' "$RTCBRIDGE_SHARED"
		return
	fi
	local repo
	repo=$(git -C "$TOP" rev-parse --show-toplevel 2>/dev/null || printf '%s' "$TOP")
	printf '%s\n' "$repo/../shared"
}

rtcb_init() {
	local build=${1:-${RTCBRIDGE_BUILD:-$TOP/build}}
	BUILD=$(cd "$build" 2>/dev/null && pwd) || { echo "no build directory $build" >&2; exit 1; }
	DAEMON=$BUILD/rtcbridge
	CTL=$BUILD/rtcbridge-ctl
	for bin in "$DAEMON" "$CTL"; do
		[ -x "$bin" ] || { echo "$bin is missing: run 'make' first" >&2; exit 1; }
	done
	T=$(mktemp -d "/tmp/rtcbridge-${TEST_NAME%.*}.XXXXXX")
	STATE=$T/state
	CONF=$T/rtcbridge.conf
	RTCB_LOG=$T/rtcbridge.log
	mkdir -p "$STATE"
	trap rtcb_cleanup EXIT
	trap 'log "interrupted"; exit 130' INT TERM
	# Refuse to start when another process already holds our ports: the
	# test would otherwise talk to it and report nonsense.
	if ss -Hlnu "sport = :$SIP_PORT" 2>/dev/null | grep -q . ||
		ss -Hlnt "( sport = :$SIP_PORT or sport = :$TLS_PORT )" 2>/dev/null | grep -q .; then
		log "ports $SIP_PORT/$TLS_PORT are busy (another rtcbridge test still running?):"
		ss -Hlntup "( sport = :$SIP_PORT or sport = :$TLS_PORT )" 2>/dev/null
		exit 1
	fi
}

# Settings of the test config; a test may change these before rtcb_config.
CONF_LOG_LEVEL=${CONF_LOG_LEVEL:-debug}
CONF_DOMAINS=${CONF_DOMAINS:-}
CONF_NONCE_LIFETIME=${CONF_NONCE_LIFETIME:-300}
CONF_TLS_PORT=${CONF_TLS_PORT:-$TLS_PORT}
CONF_MIN_EXPIRES=${CONF_MIN_EXPIRES:-1}
CONF_INVITE_TIMEOUT=${CONF_INVITE_TIMEOUT:-30}
CONF_TCP_IDLE_TIMEOUT=${CONF_TCP_IDLE_TIMEOUT:-30}
CONF_HTTPS_PORT=${CONF_HTTPS_PORT:-$HTTPS_PORT}
CONF_HTTP_PORT=${CONF_HTTP_PORT:-$HTTP_PORT}
CONF_EXTRA=${CONF_EXTRA:-} # appended verbatim (more sections)

# rtcb_config: write $CONF from the CONF_* settings (siplib.py writes it, as
# it does for the Python tests).
rtcb_config() {
	python3 "$LIB_DIR/siplib.py" config "$CONF" --written-for="$TEST_NAME" --state-dir="$STATE" \
		--log-level="$CONF_LOG_LEVEL" --domains="$CONF_DOMAINS" \
		--nonce-lifetime="$CONF_NONCE_LIFETIME" --tcp-idle-timeout="$CONF_TCP_IDLE_TIMEOUT" \
		--min-expires="$CONF_MIN_EXPIRES" --invite-timeout="$CONF_INVITE_TIMEOUT" \
		--tls-port="$CONF_TLS_PORT" --https-port="$CONF_HTTPS_PORT" --http-port="$CONF_HTTP_PORT" \
		--extra="$CONF_EXTRA" || fail "cannot write $CONF"
}

# Start the daemon and wait (10 s at most) until it answers OPTIONS with 200
# over UDP and TCP.
rtcb_start() {
	RTCB_STARTS=$((RTCB_STARTS + 1))
	printf '===== start #%d at %s =====\n' "$RTCB_STARTS" "$(date +%T.%N)" >>"$RTCB_LOG"
	"$DAEMON" -c "$CONF" --state-dir "$STATE" >>"$RTCB_LOG" 2>&1 &
	RTCB_PID=$!
	local deadline=$((SECONDS + 10))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if ! kill -0 "$RTCB_PID" 2>/dev/null; then
			wait "$RTCB_PID"
			log "rtcbridge exited during start-up (status $?)"
			RTCB_PID=
			fail "daemon did not start"
		fi
		if python3 "$LIB_DIR/siplib.py" ping --host "$SIP_HOST" --port "$SIP_PORT" >/dev/null 2>&1 &&
			python3 "$LIB_DIR/siplib.py" ping --host "$SIP_HOST" --port "$SIP_PORT" --transport tcp >/dev/null 2>&1; then
			log "rtcbridge pid $RTCB_PID answers on $SIP_HOST:$SIP_PORT (udp, tcp)"
			return 0
		fi
		sleep 0.2
	done
	fail "rtcbridge did not answer OPTIONS within 10 s"
}

rtcb_alive() {
	[ -n "$RTCB_PID" ] && kill -0 "$RTCB_PID" 2>/dev/null &&
		python3 "$LIB_DIR/siplib.py" ping --host "$SIP_HOST" --port "$SIP_PORT" --wait 2 >/dev/null
}

# SIGTERM, then the daemon must be gone within 5 s with status 0.
rtcb_stop() {
	[ -n "$RTCB_PID" ] || return 0
	local pid=$RTCB_PID status
	RTCB_PID=
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		status=$?
		log "FAIL: rtcbridge had already exited (status $status) before it was stopped"
		FAILURES=$((FAILURES + 1))
		return 1
	fi
	kill -TERM "$pid"
	local deadline=$((SECONDS + 5))
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "FAIL: rtcbridge still running 5 s after SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		FAILURES=$((FAILURES + 1))
		return 1
	fi
	wait "$pid"
	status=$?
	if [ "$status" -ne 0 ]; then
		log "FAIL: rtcbridge exited with status $status after SIGTERM"
		FAILURES=$((FAILURES + 1))
		return 1
	fi
	log "rtcbridge stopped cleanly"
}

# kill -9 (for the restart test): no clean-up chance for the daemon.
rtcb_kill9() {
	[ -n "$RTCB_PID" ] || return 0
	kill -KILL "$RTCB_PID" 2>/dev/null
	wait "$RTCB_PID" 2>/dev/null
	RTCB_PID=
}

rtcb_ctl() {
	timeout 20 "$CTL" --state-dir "$STATE" "$@"
}

# The user part of the address of record of every binding that
# `rtcbridge-ctl registrations` lists, one a line (a user with two bindings
# twice). Its table: a title row, one row per binding with the AOR first,
# then "N registrations".
reg_users() {
	rtcb_ctl registrations | awk 'NR > 1 && NF >= 5 { sub(/^sips?:/, "", $1); sub(/@.*/, "", $1); print $1 }'
}

# reg_listed USER...: each has at least one binding.
reg_listed() {
	local users u
	users=$(reg_users) || return 1
	for u in "$@"; do
		grep -qx -- "$u" <<<"$users" || { log "no binding of $u; registrations:"; rtcb_ctl registrations; return 1; }
	done
}

# fail MESSAGE: stop the test now.
fail() {
	log "FAIL: $*"
	FAILURES=$((FAILURES + 1))
	exit 1
}

# check DESCRIPTION COMMAND...: run one check, count it, carry on.
check() {
	local what=$1
	shift
	CHECKS=$((CHECKS + 1))
	if "$@"; then
		log "ok   $what"
		return 0
	fi
	log "FAIL $what"
	FAILURES=$((FAILURES + 1))
	return 1
}

# random_password: 12 random letters and digits, never starting with "0x"
# (SIPp reads a password that starts with 0x as hex).
random_password() {
	local pw
	pw=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 11) || true
	printf 'p%s' "$pw"
}

# quiet COMMAND...: run it with its standard output discarded (for check).
quiet() { "$@" >/dev/null; }

# Start a background process whose pid the clean-up will end:
#   bg_start NAME LOGFILE CMD...   (sets BG_PID)
bg_start() {
	local name=$1 logfile=$2
	shift 2
	"$@" </dev/null >"$logfile" 2>&1 &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
	BG_NAMES+=("$name:$logfile")
}

# Wait for a background pid, at most SECS; returns its exit status, or 124
# (and kills it) when it did not finish in time.
bg_wait() {
	local pid=$1 secs=${2:-30}
	local deadline=$((SECONDS + secs))
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		sleep 0.5
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

# ---- SIPp ----------------------------------------------------------------

# A throwaway certificate for SIPp's TLS transport (it loads one even as a
# client). Sets SIPP_TLS_ARGS.
sipp_tls_cert() {
	if [ ! -f "$T/sipp-cert.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=sipp.test" \
			-keyout "$T/sipp-key.pem" -out "$T/sipp-cert.pem" >/dev/null 2>&1 ||
			fail "openssl could not make a test certificate"
	fi
	SIPP_TLS_ARGS=(-tls_cert "$T/sipp-cert.pem" -tls_key "$T/sipp-key.pem")
}

# transport letter for sipp -t: udp -> u1, tcp -> t1, tls -> l1
sipp_transport() {
	case $1 in
	udp) echo u1 ;;
	tcp) echo t1 ;;
	tls) echo l1 ;;
	*) fail "unknown transport $1" ;;
	esac
}

sipp_remote() {
	case $1 in
	tls) echo "$SIP_HOST:$TLS_PORT" ;;
	*) echo "$SIP_HOST:$SIP_PORT" ;;
	esac
}

# sipp_cmd NAME TRANSPORT LOCAL_PORT SCENARIO [sipp args...]: prints nothing,
# fills SIPP_CMD with a bounded SIPp command line. Logs go to $T/NAME.*
# (the scenario's own <log> lines to $T/NAME.actions.log).
# LOCAL_PORT 0 takes a port no earlier SIPp of this test used, so late
# answers meant for an earlier run cannot confuse this one.
SIPP_NEXT_PORT=25300
sipp_cmd() {
	local name=$1 transport=$2 lport=$3 scenario=$4
	shift 4
	if [ "$lport" = 0 ]; then
		lport=$SIPP_NEXT_PORT
		SIPP_NEXT_PORT=$((SIPP_NEXT_PORT + 1))
	fi
	SIPP_CMD=(timeout -k 5 "${SIPP_LIMIT:-60}" sipp "$(sipp_remote "$transport")"
		-sf "$SIPP_DIR/$scenario" -t "$(sipp_transport "$transport")"
		-i "$SIP_HOST" -p "$lport" -nostdin
		-timeout "${SIPP_TIMEOUT:-45}" -timeout_error -recv_timeout 10000
		-max_recv_loops 1000 -max_sched_loops 1000
		-trace_msg -message_file "$T/$name.messages.log"
		-trace_err -error_file "$T/$name.errors.log"
		-trace_logs -log_file "$T/$name.actions.log"
		-trace_stat -stf "$T/$name.stat.csv"
		-key domain "$SIP_HOST")
	if [ "$transport" = tls ]; then
		sipp_tls_cert
		SIPP_CMD+=("${SIPP_TLS_ARGS[@]}")
	fi
	SIPP_CMD+=("$@")
}

# sipp_run NAME TRANSPORT LOCAL_PORT SCENARIO [args]: run in the foreground;
# success when SIPp says every call succeeded (exit 0).
sipp_run() {
	local name=$1
	sipp_cmd "$@"
	"${SIPP_CMD[@]}" </dev/null >"$T/$name.out" 2>&1
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		log "sipp $name exited $rc; its errors and last messages:"
		sipp_dump "$name"
	fi
	return "$rc"
}

# sipp_bg NAME TRANSPORT LOCAL_PORT SCENARIO [args]: in the background (UAS).
sipp_bg() {
	local name=$1
	sipp_cmd "$@"
	bg_start "sipp-$name" "$T/$name.out" "${SIPP_CMD[@]}"
}

# sipp_wait NAME PID [SECS]: wait for a background SIPp, dump logs on failure.
sipp_wait() {
	local name=$1 pid=$2 secs=${3:-60} rc
	bg_wait "$pid" "$secs"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		log "sipp $name exited $rc; its errors and last messages:"
		sipp_dump "$name"
	fi
	return "$rc"
}

sipp_dump() {
	local name=$1 f
	for f in "$T/$name.out" "$T/$name.actions.log" "$T/$name.errors.log" "$T/$name.messages.log"; do
		[ -s "$f" ] || continue
		echo "----- $(basename "$f") (last 80 lines) -----"
		tail -n 80 "$f" | tr -d '\033' | sed 's/^/  /'
	done
}

# Wait (bounded) until a SIPp UAS has bound its port.
wait_port() {
	local proto=$1 port=$2 secs=${3:-5}
	local deadline=$((SECONDS + secs)) flag=-Hlnu
	[ "$proto" = udp ] || flag=-Hlnt
	while [ "$SECONDS" -lt "$deadline" ]; do
		ss "$flag" "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	log "nothing listens on $proto port $port after ${secs}s"
	return 1
}

# ---- end of test -----------------------------------------------------------

rtcb_cleanup() {
	local rc=$?
	local i pid
	for i in "${!BG_PIDS[@]}"; do
		pid=${BG_PIDS[$i]}
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
		fi
	done
	if [ -n "$RTCB_PID" ]; then
		rtcb_stop || rc=1
	fi
	# Peers get up to 3 s to stop on SIGTERM (a multi-process peer such as
	# Kamailio must stop its children before it goes), then SIGKILL.
	local deadline=$((SECONDS + 3))
	for i in "${!BG_PIDS[@]}"; do
		pid=${BG_PIDS[$i]}
		# (an exited child stays a zombie until waited for: not running)
		while ps -o stat= -p "$pid" 2>/dev/null | grep -qv Z && [ "$SECONDS" -lt "$deadline" ]; do
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ "$FAILURES" -eq 0 ] || rc=1
	if [ "$rc" -ne 0 ] && [ -n "${T:-}" ]; then
		if [ -s "$RTCB_LOG" ]; then
			echo "----- rtcbridge log (last 300 lines of $RTCB_LOG) -----"
			tail -n 300 "$RTCB_LOG" | sed 's/^/  /'
		fi
	fi
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ "${KEEP_TMP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ -z "${CI:-}" ]; }; then
			log "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

rtcb_finish() {
	rtcb_stop
	if [ "$FAILURES" -eq 0 ]; then
		log "all $CHECKS checks passed"
		exit 0
	fi
	log "$FAILURES of $CHECKS checks failed"
	exit 1
}
