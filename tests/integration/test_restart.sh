#!/usr/bin/env bash
# test_restart.sh BUILD_DIR - state survives a crash, and users added while
# the daemon runs work at once:
#   - 1001 and 1002 register (SIPp, UDP); rtcbridge-ctl registrations lists them;
#   - kill -9 the daemon, start it again on the same state directory;
#   - the registrations are still listed, and a call 1001 -> 1002 is routed
#     to 1002's contact (the restarted daemon loaded its location table);
#   - `rtcbridge-ctl user add` while the daemon runs: that user registers
#     right away.
# shellcheck disable=SC2317 # functions run through check()
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
rtcb_init "$@"
rtcb_config
rtcb_start

add_user() {
	local pw
	pw=$(random_password)
	rtcb_ctl user add "$1" "$pw" >/dev/null || return 1
	printf 'SEQUENTIAL\n%s;[authentication username=%s password=%s]\n' "$1" "$1" "$pw" >"$T/$1.csv"
}
for u in 1001 1002; do
	add_user "$u" || fail "rtcbridge-ctl user add $u failed"
done

register() { # USER PORT
	sipp_run "reg-$1-$RTCB_STARTS" udp "$2" reg_once.xml -inf "$T/$1.csv" -m 1 \
		-key expires 600 -auth_uri "$SIP_HOST"
}
check "1001 registers" register 1001 25083
check "1002 registers" register 1002 25082
check "registrations lists 1001 and 1002" reg_listed 1001 1002

log "kill -9 rtcbridge (pid $RTCB_PID)"
rtcb_kill9
rtcb_start
check "after kill -9 and restart, registrations still lists 1001 and 1002" reg_listed 1001 1002

call_after_restart() {
	local rc=0 pid
	sipp_bg "uas-restart" udp 25082 uas_answer.xml -m 1
	pid=$BG_PID
	wait_port udp 25082 5 || return 1
	sipp_run "uac-restart" udp 0 uac_call.xml -inf "$T/1001.csv" -m 1 \
		-key callee 1002 -auth_uri "1002@$SIP_HOST" || rc=1
	sipp_wait "uas-restart" "$pid" 20 || rc=1
	return "$rc"
}
check "after restart, a call 1001 -> 1002 reaches 1002's registered contact" call_after_restart

check "rtcbridge-ctl user add 1005 while the daemon runs" add_user 1005
check "1005 registers at once" register 1005 25084
check "registrations lists 1005" reg_listed 1005

check "daemon alive" rtcb_alive
rtcb_finish
