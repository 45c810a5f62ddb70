#!/usr/bin/env bash
# test_baresip.sh BUILD_DIR - real SIP phones (baresip, no sound card)
# register with digest auth, 1001 and 1002 over UDP, 1003 over TLS. 1001
# calls 1002 through rtcbridge, 1002 answers automatically, audio flows both
# ways (media goes phone to phone in this version), 1001 hangs up; then the
# same from 1001 (UDP) to 1003 (TLS).
#
# Audio: each phone sends a 440 Hz sine (ausine) and records what it decodes
# (sndfile filter); the player is a dummy (aubridge). Checked with sox: each
# side's received audio lasts >= 3 s and is not silent. baresip is driven
# through its ctrl_tcp module (tests/integration/baresip_ctrl.py).
# shellcheck disable=SC2317 # functions run through check()
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
rtcb_init "$@"
rtcb_config
rtcb_start

command -v baresip >/dev/null || fail "baresip is not installed (scripts/install-deps.sh)"
command -v sox >/dev/null || fail "sox is not installed (scripts/install-deps.sh)"
[ -f /usr/lib/baresip/modules/ausine.so ] || fail "baresip module ausine missing"

CALL_SECONDS=${BARESIP_CALL_SECONDS:-5}

# phone NAME USER SIP_PORT CTRL_PORT RTP_RANGE [TRANSPORT]: config dir $T/NAME
phone() {
	local name=$1 user=$2 sport=$3 cport=$4 rtp=$5 transport=${6:-udp} pw proxy_port=$SIP_PORT
	[ "$transport" = tls ] && proxy_port=$TLS_PORT
	pw=$(random_password)
	rtcb_ctl user add "$user" "$pw" >/dev/null || fail "rtcbridge-ctl user add $user failed"
	# baresip also binds TCP on sport and TLS on sport+1: keep ports 2 apart.
	baresip_config --rtp-stats "$T/$name" "$SIP_HOST:$sport" "$SIP_HOST" "$SIP_HOST:$cport" "$rtp" 440 "$T/$name/rec" ||
		fail "cannot write $T/$name/config"
	printf '<sip:%s@%s>;auth_pass=%s;outbound="sip:%s:%d;transport=%s";answermode=auto;regint=300;audio_codecs=pcmu\n' \
		"$user" "$SIP_HOST" "$pw" "$SIP_HOST" "$proxy_port" "$transport" >"$T/$name/accounts"
	# -t: baresip quits by itself even if this script is killed.
	bg_start "baresip-$name" "$T/$name.log" baresip -f "$T/$name" -s -t 90
}

phone caller 1001 25072 25090 25100-25149
CALLER_PID=$BG_PID
phone callee 1002 25074 25091 25150-25199
CALLEE_PID=$BG_PID
phone tlsphone 1003 25076 25092 25200-25249 tls
TLSPHONE_PID=$BG_PID

registered() {
	local deadline=$((SECONDS + 10)) users
	while [ "$SECONDS" -lt "$deadline" ]; do
		users=$(reg_users 2>/dev/null)
		if grep -qx 1001 <<<"$users" && grep -qx 1002 <<<"$users" && grep -qx 1003 <<<"$users"; then
			return 0
		fi
		sleep 0.3
	done
	log "registrations after 10 s:"
	rtcb_ctl registrations
	return 1
}
check "phones registered: 1001 and 1002 over UDP, 1003 over TLS" registered ||
	fail "phones did not register; caller log: $(tail -n 20 "$T/caller.log")"

# ctrl PORT COMMAND [PARAMS]: one ctrl_tcp command; its answer goes to a log.
ctrl() { timeout 10 python3 "$LIB_DIR/baresip_ctrl.py" "$@" >>"$T/ctrl.log" 2>&1; }

# wait_log NAME REGEX COUNT SECS: the phone's log matches REGEX COUNT times.
wait_log() {
	local deadline=$((SECONDS + $4))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(grep -acE "$2" "$T/$1.log")" -ge "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

# baresip -s traces every SIP message as "PROTO from -> to" then the message.
# invite_from_proxy NAME PROTO PORT: the phone got an INVITE from rtcbridge.
invite_from_proxy() {
	tr -d '\033' <"$T/$1.log" | grep -aA1 -- "^$2 $SIP_HOST:$3 -> " | grep -aq '^INVITE sip:'
}

# received_audio NAME: the phone's newest recording of received (decoded)
# audio lasts >= 3 s and is not silent.
received_audio() {
	local f stat len rms
	f=$(find "$T/$1/rec" -name '*-dec.wav' -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
	[ -n "$f" ] || { log "$1 recorded no received audio"; return 1; }
	stat=$(sox "$f" -n stat 2>&1)
	len=$(awk -F: '/^Length/ {gsub(/ /, "", $2); print $2}' <<<"$stat")
	rms=$(awk -F: '/^RMS +amplitude/ {gsub(/ /, "", $2); print $2}' <<<"$stat")
	log "$1 received audio: ${len:-?} s, RMS amplitude ${rms:-?}"
	awk -v l="${len:-0}" -v r="${rms:-0}" 'BEGIN { exit !(l >= 3 && r >= 0.05) }'
}

# call N CALLEE USER PROTO PROXY_PORT: call number N from 1001 (UDP) to
# CALLEE, talk CALL_SECONDS, hang up.
call() {
	local n=$1 callee=$2 user=$3 proto=$4 port=$5
	check "call $n: 1001 dials $user" ctrl 25090 dial "sip:$user@$SIP_HOST"
	check "call $n: $user answers (call established)" wait_log "$callee" 'Call established' 1 10
	check "call $n: 1001 sees the call established" wait_log caller 'Call established' "$n" 10
	check "call $n: $user got the INVITE from rtcbridge over $proto" invite_from_proxy "$callee" "$proto" "$port"
	check "call $n: 1001 receives RTP" wait_log caller "incoming rtp for 'audio' established" "$n" 5
	check "call $n: $user receives RTP" wait_log "$callee" "incoming rtp for 'audio' established" 1 5
	sleep "$CALL_SECONDS"
	check "call $n: 1001 hangs up" ctrl 25090 hangup
	check "call $n: $user gets the BYE (call terminated)" wait_log "$callee" 'Call with .* terminated' 1 10
	check "call $n: 1001's call terminated" wait_log caller 'Call with .* terminated' "$n" 5
	check "call $n: $user received non-silent audio from 1001" received_audio "$callee"
	check "call $n: 1001 received non-silent audio from $user" received_audio caller
}

call 1 callee 1002 UDP "$SIP_PORT"
call 2 tlsphone 1003 TLS "$TLS_PORT"

# Quit the phones (bounded), then stop the daemon.
ctrl 25090 quit
ctrl 25091 quit
ctrl 25092 quit
bg_wait "$CALLER_PID" 5 >/dev/null
bg_wait "$CALLEE_PID" 5 >/dev/null
bg_wait "$TLSPHONE_PID" 5 >/dev/null
if [ "$FAILURES" -ne 0 ]; then
	for n in caller callee tlsphone; do
		echo "----- baresip $n log -----"
		tr -d '\033' <"$T/$n.log" | tail -n 150 | sed 's/^/  /'
	done
fi
check "daemon alive after the calls" rtcb_alive
rtcb_finish
