#!/usr/bin/env bash
# test_sipp_call.sh BUILD_DIR - calls through the proxy between SIPp phones,
# over UDP and over TCP:
#   answered call with 407 challenge, Record-Route, ACK and BYE along the
#   route set; CANCEL of a ringing call (200 + 487); busy callee (486);
#   unknown user (404); existing user without registration (480); parallel
#   forking to two registrations of one user (the one that answers wins, the
#   other gets CANCEL and answers 487); a user that unregistered (480).
#
# A callee registers from the port its SIPp UAS then listens on (register,
# the registering SIPp exits, the UAS starts on the same port), so its
# Contact and its source address are the same, as for a real phone.
# shellcheck disable=SC2317 # functions run through check()
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
rtcb_init "$@"
rtcb_config
rtcb_start

for u in 1001 1002 1003 1004; do
	pw=$(random_password)
	rtcb_ctl user add "$u" "$pw" >/dev/null || fail "rtcbridge-ctl user add $u failed"
	printf 'SEQUENTIAL\n%s;[authentication username=%s password=%s]\n' "$u" "$u" "$pw" >"$T/$u.csv"
done

UAS1_PORT=25081
UAS2_PORT=25082

# register USER PORT TRANSPORT [EXPIRES]
register() {
	sipp_run "reg-$1-$2-$3" "$3" "$2" reg_once.xml -inf "$T/$1.csv" -m 1 \
		-key expires "${4:-300}" -auth_uri "$SIP_HOST"
}

# uas NAME SCENARIO PORT TRANSPORT: start a one-call SIPp UAS; sets UAS_PID.
uas() {
	sipp_bg "$1" "$4" "$3" "$2" -m 1
	UAS_PID=$BG_PID
	wait_port "$4" "$3" 5
}

# uac NAME SCENARIO TRANSPORT CALLEE [SIPP_ARGS...]: one call from 1001.
uac() {
	sipp_run "$1" "$3" 0 "$2" -inf "$T/1001.csv" -m 1 -key callee "$4" \
		-auth_uri "$4@$SIP_HOST" "${@:5}"
}

# refused NAME STATUS TRANSPORT CALLEE: one call from 1001 that must end
# with the final status STATUS (uac_refused.xml).
refused() {
	uac "$1" uac_refused.xml "$3" "$4" -set status "$2"
}

# call_pair NAME UAS_SCENARIO UAC_SCENARIO TRANSPORT CALLEE [UAC_ARGS...]:
# both must succeed.
call_pair() {
	local name=$1 uas_sf=$2 uac_sf=$3 tr=$4 callee=$5 rc=0
	uas "$name-uas" "$uas_sf" "$UAS1_PORT" "$tr" || return 1
	local pid=$UAS_PID
	uac "$name-uac" "$uac_sf" "$tr" "$callee" "${@:6}" || rc=1
	sipp_wait "$name-uas" "$pid" 20 || rc=1
	return "$rc"
}

for tr in udp tcp; do
	check "$tr: 1002 registers from port $UAS1_PORT" register 1002 "$UAS1_PORT" "$tr"
	check "$tr: call 1001 -> 1002 answered, ACK and BYE follow the route set" \
		call_pair "call-$tr" uas_answer.xml uac_call.xml "$tr" 1002
	check "$tr: CANCEL of a ringing call: 200 for CANCEL, 487 for INVITE" \
		call_pair "cancel-$tr" uas_cancel.xml uac_cancel.xml "$tr" 1002
	check "$tr: busy callee: 486 reaches the caller" \
		call_pair "busy-$tr" uas_busy.xml uac_refused.xml "$tr" 1002 -set status 486
	check "$tr: unknown user: 404" refused "unknown-$tr" 404 "$tr" nosuchuser
	check "$tr: user without registration: 480" refused "noreg-$tr" 480 "$tr" 1003

	# Forking: 1004 registered twice; the UAS on port 1 answers after 1 s of
	# ringing, the one on port 2 only rings and must be cancelled.
	check "$tr: 1004 registers from port $UAS1_PORT" register 1004 "$UAS1_PORT" "$tr"
	check "$tr: 1004 registers from port $UAS2_PORT" register 1004 "$UAS2_PORT" "$tr"
	fork_call() {
		local tr=$1 rc=0 p1 p2
		uas "fork-win-$tr" uas_answer.xml "$UAS1_PORT" "$tr" || return 1
		p1=$UAS_PID
		uas "fork-lose-$tr" uas_cancel.xml "$UAS2_PORT" "$tr" || return 1
		p2=$UAS_PID
		uac "fork-uac-$tr" uac_call.xml "$tr" 1004 || rc=1
		sipp_wait "fork-win-$tr" "$p1" 20 || rc=1
		sipp_wait "fork-lose-$tr" "$p2" 20 || rc=1
		return "$rc"
	}
	check "$tr: forking to two contacts: one answers, the other is cancelled (487)" fork_call "$tr"

	# Unregister both users: calls to them now find no contact.
	unregister() { sipp_run "unreg-$1-$2-$3" "$3" "$2" unreg.xml -inf "$T/$1.csv" -m 1 -auth_uri "$SIP_HOST"; }
	check "$tr: 1002 unregisters" unregister 1002 "$UAS1_PORT" "$tr"
	check "$tr: call to the unregistered 1002: 480" refused "unreg-call-$tr" 480 "$tr" 1002
	check "$tr: 1004 removes both bindings (Contact: *)" \
		sipp_run "unreg-all-1004-$tr" "$tr" "$UAS1_PORT" unreg_all.xml -inf "$T/1004.csv" -m 1 -auth_uri "$SIP_HOST"
	check "$tr: call to 1004 without bindings: 480" refused "unreg-all-call-$tr" 480 "$tr" 1004
done

check "daemon alive after the call tests" rtcb_alive
rtcb_finish
