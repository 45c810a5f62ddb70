#!/usr/bin/env bash
# test_baresip.sh BUILD_DIR - two real SIP phones (baresip, no sound card)
# register over UDP as 1001 and 1002 with digest auth, 1001 calls 1002
# through rtcbridge, 1002 answers automatically, audio flows both ways
# (media goes phone to phone in this version), 1001 hangs up.
#
# Audio: each phone sends a 440 Hz sine (ausine) and records what it decodes
# (sndfile filter); the player is a dummy (aubridge). Checked with sox: each
# side's received audio lasts >= 3 s and is not silent. baresip is driven
# through its ctrl_tcp module (tests/integration/baresip_ctrl.py).
# shellcheck disable=SC2317 # functions run through check()
. "$(dirname "$0")/lib.sh"
rtcb_init "$@"
rtcb_config
rtcb_start

command -v baresip >/dev/null || fail "baresip is not installed (scripts/install-deps.sh)"
command -v sox >/dev/null || fail "sox is not installed (scripts/install-deps.sh)"
[ -f /usr/lib/baresip/modules/ausine.so ] || fail "baresip module ausine missing"

random_password() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 12 || true; }
CALL_SECONDS=${BARESIP_CALL_SECONDS:-5}

# phone NAME USER SIP_PORT CTRL_PORT RTP_RANGE: config dir $T/NAME
phone() {
	local name=$1 user=$2 sport=$3 cport=$4 rtp=$5 pw
	pw=$(random_password)
	rtcb_ctl user add "$user" "$pw" >/dev/null || fail "rtcbridge-ctl user add $user failed"
	mkdir -p "$T/$name" "$T/$name/rec"
	# baresip also binds TCP on sport and TLS on sport+1: keep ports 2 apart.
	cat >"$T/$name/config" <<CFG
poll_method		epoll
sip_listen		$SIP_HOST:$sport
net_interface		$SIP_HOST
call_local_timeout	20
call_max_calls		2
audio_player		aubridge,nil
audio_alert		aubridge,nil
audio_source		ausine,440
ausrc_srate		48000
ausrc_channels		2
audio_level		no
rtp_ports		$rtp
rtp_stats		yes
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
module			sndfile.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		$SIP_HOST:$cport
snd_path		$T/$name/rec
statmode_default	off
CFG
	printf '<sip:%s@%s>;auth_pass=%s;outbound="sip:%s:%d;transport=udp";answermode=auto;regint=300;audio_codecs=pcmu\n' \
		"$user" "$SIP_HOST" "$pw" "$SIP_HOST" "$SIP_PORT" >"$T/$name/accounts"
	# -t: baresip quits by itself even if this script is killed.
	bg_start "baresip-$name" "$T/$name.log" baresip -f "$T/$name" -t 90
}

phone caller 1001 25072 25090 25100-25149
CALLER_PID=$BG_PID
phone callee 1002 25074 25091 25150-25199
CALLEE_PID=$BG_PID

registered() {
	local deadline=$((SECONDS + 10)) regs
	while [ "$SECONDS" -lt "$deadline" ]; do
		regs=$(rtcb_ctl registrations 2>/dev/null)
		if grep -q '1001@' <<<"$regs" && grep -q '1002@' <<<"$regs"; then
			return 0
		fi
		sleep 0.3
	done
	log "registrations after 10 s:"
	rtcb_ctl registrations
	return 1
}
check "both phones registered (rtcbridge-ctl registrations)" registered ||
	fail "phones did not register; caller log: $(tail -n 20 "$T/caller.log")"

ctrl() { timeout 10 python3 "$LIB_DIR/baresip_ctrl.py" "$@"; }

# wait_log FILE REGEX SECS
wait_log() {
	local deadline=$((SECONDS + $3))
	while [ "$SECONDS" -lt "$deadline" ]; do
		grep -aqE "$2" "$1" && return 0
		sleep 0.2
	done
	return 1
}

check "1001 dials 1002" ctrl 25090 dial "sip:1002@$SIP_HOST" >"$T/dial.out"
check "callee answers (call established)" wait_log "$T/callee.log" 'Call established' 10
check "caller sees the call established" wait_log "$T/caller.log" 'Call established' 10
check "caller receives RTP" wait_log "$T/caller.log" "incoming rtp for 'audio' established" 5
check "callee receives RTP" wait_log "$T/callee.log" "incoming rtp for 'audio' established" 5
sleep "$CALL_SECONDS"
check "1001 hangs up" ctrl 25090 hangup >"$T/hangup.out"
check "callee gets the BYE (call terminated)" wait_log "$T/callee.log" 'Call with .* terminated' 10
check "caller call terminated" wait_log "$T/caller.log" 'Call with .* terminated' 5

# received_audio NAME: the decoded (received) audio of the phone is >= 3 s
# long and not silent.
received_audio() {
	local f stat len rms
	f=$(find "$T/$1/rec" -name '*-dec.wav' | head -n 1)
	[ -n "$f" ] || { log "$1 recorded no received audio"; return 1; }
	stat=$(sox "$f" -n stat 2>&1)
	len=$(awk -F: '/^Length/ {gsub(/ /, "", $2); print $2}' <<<"$stat")
	rms=$(awk -F: '/^RMS +amplitude/ {gsub(/ /, "", $2); print $2}' <<<"$stat")
	log "$1 received audio: ${len:-?} s, RMS amplitude ${rms:-?}"
	awk -v l="${len:-0}" -v r="${rms:-0}" 'BEGIN { exit !(l >= 3 && r >= 0.05) }'
}
check "callee received non-silent audio from the caller" received_audio callee
check "caller received non-silent audio from the callee" received_audio caller

# Quit the phones (bounded), then stop the daemon.
ctrl 25090 quit >/dev/null 2>&1
ctrl 25091 quit >/dev/null 2>&1
bg_wait "$CALLER_PID" 5 >/dev/null
bg_wait "$CALLEE_PID" 5 >/dev/null
if [ "$FAILURES" -ne 0 ]; then
	for n in caller callee; do
		echo "----- baresip $n log -----"
		tr -d '\033' <"$T/$n.log" | tail -n 60 | sed 's/^/  /'
	done
fi
check "daemon alive after the call" rtcb_alive
rtcb_finish
